/**
 * The HTTP core reads an MCP POST body once (scope checks and session routing look at it) and within the SDK's
 * limit: a body over 4 MiB is refused with 413 before it is parsed, and the server goes on answering.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createHttpCore } from '../../runtime/http-server.js';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ServerSettings } from '../../runtime/settings.js';

function core() {
  const settings: ServerSettings = {
    name: 'body-limit',
    version: '1.0.0',
    defaultTransport: 'http',
    http: { host: '127.0.0.1', port: 0, path: '/mcp', allowedHosts: [], allowedOrigins: [] },
    auth: { type: 'none' },
    logLevel: 'error',
    metrics: false,
    timeoutMs: 1000,
    retries: { max: 0, backoffMs: 0 },
    sqlConnections: [],
    httpConnections: [],
  };
  const rt = { settings, log: createLogger('error'), metrics: NO_METRICS } as unknown as Runtime;
  return createHttpCore(rt, () => new McpServer({ name: 'body-limit', version: '1.0.0' }));
}

const post = (body: string) =>
  new Request('http://localhost/mcp', {
    method: 'POST',
    headers: {
      host: 'localhost',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body,
  });

describe('MCP request body limit', () => {
  it('refuses a body over the limit with 413 and still answers the next request', async () => {
    const http = core();
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'x', arguments: { pad: 'x'.repeat(5 * 1024 * 1024) } },
    });
    const refused = await http.fetch(post(huge));
    expect(refused.status).toBe(413);
    const ok = await http.fetch(post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('"id":2');
    await http.close();
  });

  it('leaves a body that is not JSON to the SDK, which answers with its parse error', async () => {
    const http = core();
    const res = await http.fetch(post('{not json'));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('-32700');
    await http.close();
  });
});
