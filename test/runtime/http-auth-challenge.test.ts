/** 401 answers of the generated servers' HTTP core tell the client how to authenticate (WWW-Authenticate). */
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpCore } from '../../runtime/http-server.js';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ServerSettings } from '../../runtime/settings.js';

const SECRET = 'challenge-secret-123';
process.env.CHALLENGE_TEST_SECRET = SECRET;
afterAll(() => {
  delete process.env.CHALLENGE_TEST_SECRET;
});

function core(auth: ServerSettings['auth']) {
  const settings: ServerSettings = {
    name: 'challenge-probe',
    version: '1.0.0',
    defaultTransport: 'http',
    http: { host: '127.0.0.1', port: 0, path: '/mcp', allowedHosts: [], allowedOrigins: [] },
    auth,
    logLevel: 'error',
    metrics: false,
    timeoutMs: 1000,
    retries: { max: 0, backoffMs: 0 },
    sqlConnections: [],
    httpConnections: [],
  };
  // Only what the HTTP core reads (runtime.ts pulls in modules the generator copies beside it).
  const rt = { settings, log: createLogger('error'), metrics: NO_METRICS } as unknown as Runtime;
  return createHttpCore(rt, () => new McpServer({ name: 'challenge-probe', version: '1.0.0' }));
}

const post = (headers: Record<string, string> = {}) =>
  new Request('http://localhost/mcp', {
    method: 'POST',
    headers: {
      host: 'localhost',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });

describe('WWW-Authenticate on 401', () => {
  it('api_key: names the header the key goes in; the right key passes', async () => {
    const http = core({ type: 'api_key', header: 'X-API-Key', envVar: 'CHALLENGE_TEST_SECRET' });
    for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
      const res = await http.fetch(post(headers));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('ApiKey realm="challenge-probe", header="X-API-Key"');
    }
    const ok = await http.fetch(post({ 'x-api-key': SECRET }));
    expect(ok.status).not.toBe(401);
    expect(ok.headers.get('www-authenticate')).toBeNull();
    await http.close();
  });

  it('bearer: realm only without a token (RFC 6750 §3.1), error="invalid_token" with a wrong one', async () => {
    const http = core({ type: 'bearer', envVar: 'CHALLENGE_TEST_SECRET' });
    const missing = await http.fetch(post());
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="challenge-probe"');
    const wrong = await http.fetch(post({ authorization: 'Bearer nope' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="challenge-probe", error="invalid_token", error_description="[^"]+"$/,
    );
    const ok = await http.fetch(post({ authorization: `Bearer ${SECRET}` }));
    expect(ok.status).not.toBe(401);
    await http.close();
  });
});
