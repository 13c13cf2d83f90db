/**
 * The factory's MCP endpoint over HTTP: a conformance-sized burst passes the default limit, and a refusal is a
 * JSON-RPC error carrying the request's id (HTTP 429 with Retry-After), not the API's plain error object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';

let home: string;
let registry: Registry;
let tokens: TokenStore;
let served: Awaited<ReturnType<typeof serveFactoryMcpHttp>>;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-mcp-rate-'));
  registry = await openRegistry({ home });
  tokens = TokenStore.open({ home });
  // Default limits: what `mcp-factory mcp --transport http` runs with.
  served = await serveFactoryMcpHttp({
    controlPlane: new FakeControlPlane(registry),
    registry,
    tokens,
    port: 0,
  });
});

afterAll(async () => {
  await served.close();
  await registry.close();
  rmSync(home, { recursive: true, force: true });
});

function post(token: string, message: unknown): Promise<Response> {
  return fetch(`${served.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify(message),
  });
}

const initialize = (id: number | string) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'rate-test', version: '1.0.0' },
  },
});

describe('the MCP endpoint rate limit', () => {
  it('lets a conformance-sized burst (400 requests at once) through with the default limits', async () => {
    const { token } = tokens.create({ name: 'suite' });
    const statuses: number[] = [];
    // Four waves of 100 concurrent requests: far beyond the API's burst of 60 and its 300 per minute.
    for (let wave = 0; wave < 4; wave++) {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => post(token, initialize(wave * 100 + i))),
      );
      for (const r of responses) {
        statuses.push(r.status);
        await r.body?.cancel();
      }
    }
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('answers an exhausted token with a JSON-RPC error that carries the request id, 429 and Retry-After', async () => {
    // 1 request per minute: an MCP burst of 4 (initialize, initialized, list, call).
    const { token } = tokens.create({ name: 'tight', requestsPerMinute: 1 });
    for (let i = 1; i <= 4; i++) {
      const ok = await post(token, initialize(i));
      expect(ok.status, `request ${i}`).toBe(200);
      await ok.body?.cancel();
    }
    const refused = await post(token, initialize('call-5'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('content-type')).toContain('application/json');
    // biome-ignore lint/suspicious/noExplicitAny: a JSON-RPC body, checked by the assertions
    const body = (await refused.json()) as any;
    expect(body).toMatchObject({
      jsonrpc: '2.0',
      id: 'call-5',
      error: { code: -32000, data: { error: 'API_RATE_LIMITED', retryAfterSeconds: expect.any(Number) } },
    });
    expect(body.error.message).toMatch(/rate limit/);
    expect(body.error.data.hint).toMatch(/Retry-After/);
    expect(body).not.toHaveProperty('timestamp');

    // A notification has no id to answer: the error says null.
    const note = await post(token, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(429);
    expect(await note.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
  });

  it('keeps buckets per token: another token is not limited by the tight one', async () => {
    const { token } = tokens.create({ name: 'other' });
    const r = await post(token, initialize(1));
    expect(r.status).toBe(200);
    await r.body?.cancel();
  });

  it('still refuses a missing token with 401 before counting anything', async () => {
    const r = await fetch(`${served.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initialize(1)),
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
  });
});
