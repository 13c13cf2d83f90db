/**
 * The tools of a server with their input schemas: GET /mcp/servers/:name/tools when the API has it, else the
 * tools of the server's status (names and descriptions; the playground then asks for JSON arguments). The
 * gateway (GATEWAY, a name no server can have) lists its tools through the factory ({base}/api/v1/tools, base
 * the same-origin path the capabilities give, as on the gateway page) and is called through {base}/call, as the
 * caller.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api } from '../../api/client.ts';
import type { JsonSchema } from '../../components/schema-form/index.ts';

export interface ToolInfo {
  name: string;
  title?: string | null;
  description: string | null;
  inputSchema?: JsonSchema;
}

/** The playground's name for the gateway: `@` is not allowed in server names, so no server is mistaken for it. */
export const GATEWAY = '@gateway';

/** Where a call of `tool` on `server` (or the gateway) goes, and its body. */
export function callRequest(
  server: string,
  tool: string,
  args: Record<string, unknown>,
  gateway: string | undefined,
): { path: string; body: { tool: string; arguments: Record<string, unknown> } } {
  if (server === GATEWAY && !gateway) throw new Error('this factory reaches no gateway');
  return {
    path: server === GATEWAY ? `${gateway}/call` : `/mcp/servers/${encodeURIComponent(server)}/call`,
    body: { tool, arguments: args },
  };
}

export async function fetchServerTools(
  server: string,
  gateway: string | undefined,
  signal?: AbortSignal,
): Promise<ToolInfo[]> {
  if (server === GATEWAY) {
    if (!gateway) throw new Error('this factory reaches no gateway');
    const answer = await api<{ tools?: unknown }>(`${gateway}/api/v1/tools`, signal ? { signal } : {});
    return Array.isArray(answer.tools) ? answer.tools.filter(isToolInfo) : [];
  }
  const base = `/mcp/servers/${encodeURIComponent(server)}`;
  try {
    const answer = await api<{ tools: ToolInfo[] }>(`${base}/tools`, signal ? { signal } : {});
    return answer.tools;
  } catch (error) {
    // An API without the tools route answers 404 with no such route (not SERVER_NOT_FOUND): use the status.
    if (!(error instanceof ApiError) || error.status !== 404 || error.code === 'SERVER_NOT_FOUND')
      throw error;
  }
  const status = await api<{ tools: ToolInfo[] }>(base, signal ? { signal } : {});
  return status.tools;
}

/** A tool as the gateway lists it (its answer is read through the factory, but checked like any other input). */
function isToolInfo(value: unknown): value is ToolInfo {
  if (typeof value !== 'object' || value === null) return false;
  const tool = value as Record<string, unknown>;
  return (
    typeof tool.name === 'string' &&
    (tool.description === undefined || tool.description === null || typeof tool.description === 'string') &&
    (tool.inputSchema === undefined || (typeof tool.inputSchema === 'object' && tool.inputSchema !== null))
  );
}

/** `gateway`: the same-origin base of the gateway (gatewayBase of the capabilities), when the factory has one. */
export function useServerTools(server: string, gateway: string | undefined) {
  return useQuery({
    queryKey: ['server-tools', server, server === GATEWAY ? gateway : null],
    enabled: server !== '' && (server !== GATEWAY || gateway !== undefined),
    queryFn: ({ signal }) => fetchServerTools(server, gateway, signal),
  });
}
