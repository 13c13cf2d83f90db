/**
 * The MCP client over Streamable HTTP, shared by every part of the factory that talks to a running server
 * (control plane, health probes, targets): the SDK v2 client with version negotiation `auto` (`server/discover`
 * on 2026-07-28 servers, `initialize` on 2025-11-25 ones), and the credential headers a server's spec requires.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../../core/spec/model.js';

export function newMcpClient(name = 'mcp-factory'): Client {
  return new Client({ name, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
}

/** Connect the SDK v2 client to a Streamable HTTP endpoint, with the credential the server requires. */
export async function connectMcp(
  endpoint: string,
  options: { headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; name?: string } = {},
): Promise<Client> {
  const client = newMcpClient(options.name);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: { headers: options.headers ?? {} },
  });
  try {
    await client.connect(transport, {
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return client;
}

/** The HTTP headers a client needs for a server with `auth` in its spec (values from the deployment's env). */
export function authHeaders(
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
): Record<string, string> {
  const auth = spec.auth;
  if (!auth || auth.type === 'none') return {};
  const value = env[auth.envVar];
  if (!value) return {};
  return auth.type === 'api_key' ? { [auth.header]: value } : { authorization: `Bearer ${value}` };
}
