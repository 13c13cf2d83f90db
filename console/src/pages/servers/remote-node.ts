import { ApiError } from '../../api/client.ts';

/**
 * Where to read the log of a server that runs on another node of a factory cluster: the API answers
 * CLUSTER_REMOTE_NODE (421) with that node's name and API address (its heartbeat record, MCP_FACTORY_NODE_URL).
 * The address comes from the shared registry, so only an http(s) URL without credentials becomes a link, to that
 * node's own console page of the server (a different origin: the person signs in there).
 */
export function remoteNodeLogs(error: unknown, server: string): { node: string; href: string } | undefined {
  if (!(error instanceof ApiError) || error.code !== 'CLUSTER_REMOTE_NODE') return undefined;
  const details = (error.details ?? {}) as { node?: unknown; url?: unknown };
  if (typeof details.node !== 'string' || typeof details.url !== 'string') return undefined;
  let base: URL;
  try {
    base = new URL(details.url);
  } catch {
    return undefined;
  }
  if ((base.protocol !== 'http:' && base.protocol !== 'https:') || base.username || base.password)
    return undefined;
  const path = `${base.pathname.replace(/\/+$/, '')}/ui/servers/${encodeURIComponent(server)}`;
  return { node: details.node, href: `${base.origin}${path}?tab=logs` };
}
