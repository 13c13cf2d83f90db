/**
 * The gateway's node-level fast path (node-fast.ts) against the fetch handler it stands in for: one gateway
 * served twice, with the fast path (as `mcp-factory gateway` serves it) and without (every request through the
 * web Request/Response and, for 2025-11-25, an SDK server per request). For both protocol eras the two answer
 * alike — the same JSON-RPC result, the same errors (unauthenticated, a tool outside the token's allow-list, the
 * API and gateway rate limits, an oversize body, a bad Host, a 2025 session id) — and the fast path shows it
 * took the request (a counter around it) or that it declined. A client going away cancels the upstream call,
 * and a 2025-11-25 notifications/cancelled reaches a call the fast path runs.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedHttp } from '../../src/surfaces/http/node.js';
import {
  type Answer,
  call,
  type GatewayPair,
  MAX_BODY,
  post,
  startGatewayPair,
} from './fast-path-harness.js';

let h: GatewayPair;
let fast: ServedHttp;
let web: ServedHttp;
const token = (name: string, extra: Record<string, unknown> = {}) => h.token(name, extra);
const callLog = () => h.callLog();
const slowCalls = () => callLog().filter((l) => l === 'alpha slow').length;
/** Until the upstream has logged one more slow call than `before` (at most 5 s after `started`). */
async function untilStarted(before: number, started: number): Promise<void> {
  while (slowCalls() === before && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
  expect(slowCalls()).toBe(before + 1);
}

beforeAll(async () => {
  h = await startGatewayPair();
  ({ fast, web } = h);
}, 30_000);

afterAll(async () => {
  await h?.close();
});

/** The same request to both servers: the fast path's answer, the web path's, and whether the fast path took it. */
async function both(
  request: { headers: Record<string, string>; body: string },
  bearers?: { fast: string; web: string },
): Promise<{ viaFast: Answer; viaWeb: Answer; took: boolean }> {
  const withBearer = (b: string | undefined) =>
    b ? { ...request.headers, authorization: `Bearer ${b}` } : request.headers;
  const before = h.fastAnswers();
  const viaFast = await post(fast, withBearer(bearers?.fast), request.body);
  const took = h.fastAnswers() > before;
  const viaWeb = await post(web, withBearer(bearers?.web), request.body);
  expect(h.fastAnswers() - before).toBe(took ? 1 : 0);
  return { viaFast, viaWeb, took };
}

/** Status, JSON-RPC message or error body, and the headers an error carries, equal on both paths. */
function expectAlike(a: Answer, b: Answer): void {
  expect(a.status).toBe(b.status);
  expect(a.message).toEqual(b.message);
  for (const h of ['www-authenticate', 'retry-after']) expect(a.headers[h]).toEqual(b.headers[h]);
  expect(a.headers['x-request-id']).toBeTruthy();
}

describe.each(['modern', 'legacy'] as const)('the fast path (%s era)', (era) => {
  it('answers a call with the result the SDK path gives', async () => {
    const agent = token(`agent-${era}`);
    const { viaFast, viaWeb, took } = await both(call(era, agent, 'alpha__echo', { message: 'hi' }, 41));
    expect(took).toBe(true);
    expectAlike(viaFast, viaWeb);
    expect(viaFast.headers['content-type']).toBe('application/json');
    const result = (viaFast.message as { id: number; result: Record<string, unknown> }).result;
    expect((viaFast.message as { id: number }).id).toBe(41);
    expect(result.content).toEqual([{ type: 'text', text: 'alpha: hi' }]);
    if (era === 'modern') {
      expect(result.resultType).toBe('complete');
      expect(result._meta).toMatchObject({
        'io.modelcontextprotocol/serverInfo': { name: 'mcp-factory-gateway' },
      });
    } else expect(Object.keys(result)).toEqual(['content']);
    // A string id too, and a tool's own error result.
    const bad = await both(call(era, agent, 'alpha__slow', { ms: 'x' }, 'call-7'));
    expect(bad.took).toBe(true);
    expectAlike(bad.viaFast, bad.viaWeb);
  });

  it('answers an unknown tool and a tool outside the token allow-list alike (not found)', async () => {
    const agent = token(`agent2-${era}`);
    const unknown = await both(call(era, agent, 'alpha__nope', {}));
    expect(unknown.took).toBe(true);
    expectAlike(unknown.viaFast, unknown.viaWeb);
    const narrow = token(`narrow-${era}`, { allowedTools: ['alpha__add'] });
    const hidden = await both(call(era, narrow, 'alpha__echo', { message: 'x' }));
    expect(hidden.took).toBe(true);
    expectAlike(hidden.viaFast, hidden.viaWeb);
    const result = (hidden.viaFast.message as { result: { structuredContent: { error: string } } }).result;
    expect(result.structuredContent.error).toBe('GATEWAY_TOOL_NOT_FOUND');
  });

  it('refuses an unauthenticated call alike (401 with the same challenge)', async () => {
    for (const bearer of [undefined, 'mcpf_not-a-real-token']) {
      const { viaFast, viaWeb, took } = await both(call(era, bearer, 'alpha__echo', { message: 'x' }));
      expect(took).toBe(true);
      expectAlike(viaFast, viaWeb);
      expect(viaFast.status).toBe(401);
      expect(viaFast.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  it('applies the API rate limit per token and the gateway rate limit per tool alike', async () => {
    const pair = { fast: token(`slow-f-${era}`, { requestsPerMinute: 1 }), web: '' };
    pair.web = token(`slow-w-${era}`, { requestsPerMinute: 1 });
    const first = await both(call(era, undefined, 'alpha__echo', { message: 'x' }), pair);
    expect([first.viaFast.status, first.viaWeb.status]).toEqual([200, 200]);
    const second = await both(call(era, undefined, 'alpha__echo', { message: 'x' }), pair);
    expect(second.took).toBe(true);
    expectAlike(second.viaFast, second.viaWeb);
    expect(second.viaFast.status).toBe(429);
    expect((second.viaFast.message as { error: string }).error).toBe('API_RATE_LIMITED');

    // alpha__add: 1 call per minute per caller (the gateway's limits), answered as a tool error result.
    const callers = { fast: token(`adder-f-${era}`), web: token(`adder-w-${era}`) };
    await both(call(era, undefined, 'alpha__add', { a: 1, b: 2 }), callers);
    const limited = await both(call(era, undefined, 'alpha__add', { a: 1, b: 2 }), callers);
    expect(limited.took).toBe(true);
    expectAlike(limited.viaFast, limited.viaWeb);
    const result = (limited.viaFast.message as { result: { structuredContent: { error: string } } }).result;
    expect(result.structuredContent.error).toBe('GATEWAY_RATE_LIMITED');
  });

  it('leaves an oversize body and a bad Host to the fetch handler, which answers them alike', async () => {
    const agent = token(`agent3-${era}`);
    const big = call(era, agent, 'alpha__echo', { message: 'x'.repeat(MAX_BODY) });
    const oversize = await both(big);
    expect(oversize.took).toBe(false);
    expectAlike(oversize.viaFast, oversize.viaWeb);
    expect(oversize.viaFast.status).toBe(413);

    const request = call(era, agent, 'alpha__echo', { message: 'x' });
    const evil = await both({ ...request, headers: { ...request.headers, host: 'evil.example' } });
    expect(evil.took).toBe(false);
    expectAlike(evil.viaFast, evil.viaWeb);
    expect(evil.viaFast.status).toBe(403);
    const origin = await both({
      ...request,
      headers: { ...request.headers, origin: 'https://evil.example' },
    });
    expect(origin.took).toBe(false);
    expectAlike(origin.viaFast, origin.viaWeb);
    expect(origin.viaFast.status).toBe(403);
  });

  it('carries the request id into the call (span scope, call log) and onto the answer', async () => {
    const agent = token(`agent4-${era}`);
    const request = call(era, agent, 'alpha__echo', { message: 'id' });
    const before = h.fastAnswers();
    const answer = await post(fast, { ...request.headers, 'x-request-id': `req-${era}-1` }, request.body);
    expect(h.fastAnswers()).toBe(before + 1);
    expect(answer.headers['x-request-id']).toBe(`req-${era}-1`);
    expect(h.events.at(-1)).toMatchObject({ requestId: `req-${era}-1`, caller: `agent4-${era}`, ok: true });
  });

  it('cancels the upstream call when the client goes away', async () => {
    const agent = token(`agent5-${era}`);
    const aborted = () => callLog().filter((l) => l === 'alpha slow-aborted').length;
    const before = aborted();
    const slowBefore = slowCalls();
    const request = call(era, agent, 'alpha__slow', { ms: 20_000 });
    const abort = new AbortController();
    const pending = post(fast, request.headers, request.body, abort.signal).catch((e: Error) => e);
    const started = Date.now();
    await untilStarted(slowBefore, started);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    while (aborted() === before && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(aborted()).toBe(before + 1);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('2025-11-25 on the fast path', () => {
  it('leaves a request naming a session to the SDK path, which answers it alike', async () => {
    const request = call('legacy', token('sessions'), 'alpha__echo', { message: 'x' });
    const { viaFast, viaWeb, took } = await both({
      ...request,
      headers: { ...request.headers, 'mcp-session-id': 'no-such-session' },
    });
    expect(took).toBe(false);
    expectAlike(viaFast, viaWeb);
  });

  it('stops a call on its notifications/cancelled (another request, the SDK path)', async () => {
    const agent = token('canceller');
    const before = callLog().filter((l) => l === 'alpha slow-aborted').length;
    const slowBefore = slowCalls();
    const request = call('legacy', agent, 'alpha__slow', { ms: 20_000 }, 'slow-1');
    const started = Date.now();
    const pending = post(fast, request.headers, request.body);
    await untilStarted(slowBefore, started);
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'slow-1', reason: 'changed my mind' },
    });
    const ack = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: fast.port,
          path: '/mcp',
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(Buffer.byteLength(cancel)) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(cancel);
    });
    expect(ack).toBe(202);
    const answer = await pending;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer.status).toBe(200);
    expect((answer.message as { result: { isError?: boolean } }).result.isError).toBe(true);
    // The answer may reach us before the upstream has logged the abort it was sent: wait for the line.
    const aborted = () => callLog().filter((l) => l === 'alpha slow-aborted').length;
    while (aborted() === before && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(aborted()).toBe(before + 1);
  });
});
