/**
 * The MCP client over Streamable HTTP, shared by every part of the factory that talks to a running server
 * (control plane, health probes, targets): the SDK v2 client with version negotiation `auto` (`server/discover`
 * on 2026-07-28 servers, `initialize` on 2025-11-25 ones), and the credentials a server's spec requires: fixed
 * headers, or an OAuth provider (oauth.ts) plugged in as the transport's `authProvider`.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { isUpstreamAuth, sdkAuthProvider, type UpstreamCredentials } from './oauth.js';

export { authHeaders } from './oauth.js';

export function newMcpClient(name = 'mcp-factory'): Client {
  return new Client({ name, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
}

/**
 * Connect the SDK v2 client to a Streamable HTTP endpoint, with the credential the server requires: fixed
 * headers on every request, or (an OAuth `UpstreamAuth`) a token before each request and one retry on 401.
 */
export async function connectMcp(
  endpoint: string,
  options: { headers?: UpstreamCredentials; timeoutMs?: number; signal?: AbortSignal; name?: string } = {},
): Promise<Client> {
  const client = newMcpClient(options.name);
  const credentials = options.headers;
  const transport = new StreamableHTTPClientTransport(
    new URL(endpoint),
    isUpstreamAuth(credentials) && !credentials.fixed
      ? { authProvider: sdkAuthProvider(credentials) }
      : { requestInit: { headers: (isUpstreamAuth(credentials) ? credentials.fixed : credentials) ?? {} } },
  );
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
