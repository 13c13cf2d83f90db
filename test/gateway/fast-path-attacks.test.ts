/**
 * Hostile requests against a gateway served with the node fast path (node-fast.ts), each judged by its effect:
 * whether the upstream was called (the fixture logs every call), whether a tool outside the token's allow-list
 * was reached, whether the gateway still answers a normal call afterwards, no crash, bounded time and memory.
 * Where the web path (the same gateway served without the fast path) can answer the same request, the status
 * must be the same on both: the fast path may only take requests it answers exactly as the web path would.
 */

import type { OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedHttp } from '../../src/surfaces/http/node.js';
import {
  type Answer,
  call,
  ENVELOPE,
  type GatewayPair,
  head,
  MAX_BODY,
  post,
  raw,
  startGatewayPair,
} from './fast-path-harness.js';

let h: GatewayPair;
/** A token allowed alpha__slow only (no per-tool rate limit, unlike alpha__add), and one allowed everything. */
let narrow: string;
let wide: string;

beforeAll(async () => {
  h = await startGatewayPair('mcpf-gw-attack-');
  narrow = h.token('narrow', { allowedTools: ['alpha__slow'] });
  wide = h.token('wide');
}, 30_000);

afterAll(async () => {
  await h?.close();
});

const count = (tool: string) => h.callLog().filter((l) => l === `alpha ${tool}`).length;
const calls = () => h.callLog().length;

interface Outcome {
  viaFast: Answer;
  viaWeb: Answer;
  /** The fast path answered it itself. */
  took: boolean;
  /** Upstream calls each request caused. */
  fastCalls: number;
  webCalls: number;
}

/** The same request to the fast-path server and the web-only server, with the upstream calls each caused. */
async function both(headers: OutgoingHttpHeaders, body: string): Promise<Outcome> {
  const before = h.fastAnswers();
  const c0 = calls();
  const viaFast = await post(h.fast, headers, body);
  const c1 = calls();
  const took = h.fastAnswers() > before;
  const viaWeb = await post(h.web, headers, body);
  const c2 = calls();
  return { viaFast, viaWeb, took, fastCalls: c1 - c0, webCalls: c2 - c1 };
}

/** Same status and same upstream effect on both paths. */
function alike(o: Outcome): void {
  const seen = JSON.stringify({ fast: o.viaFast.message, web: o.viaWeb.message, took: o.took }).slice(0, 800);
  expect(o.viaFast.status, seen).toBe(o.viaWeb.status);
  expect(o.fastCalls, seen).toBe(o.webCalls);
}

/** A normal call still answered by the fast path, with the upstream's result. */
async function stillServes(server: ServedHttp = h.fast): Promise<void> {
  const request = call('modern', wide, 'alpha__echo', { message: 'alive' }, 'alive');
  const before = h.fastAnswers();
  const answer = await post(server, request.headers, request.body);
  expect(answer.status).toBe(200);
  expect((answer.message as { result: { content: unknown } }).result.content).toEqual([
    { type: 'text', text: 'alpha: alive' },
  ]);
  if (server === h.fast) expect(h.fastAnswers()).toBe(before + 1);
}

function modernLines(bearer: string, tool = 'alpha__echo'): string[] {
  return [
    'content-type: application/json',
    'accept: application/json, text/event-stream',
    `authorization: Bearer ${bearer}`,
    'mcp-protocol-version: 2026-07-28',
    'mcp-method: tools/call',
    `mcp-name: ${tool}`,
    // The server then closes the socket after its answer: `raw` need not wait out its time.
    'connection: close',
  ];
}

describe('repeated and conflicting headers', () => {
  it('declines two Authorization headers and never lets the wider token reach a hidden tool', async () => {
    const request = call('modern', undefined, 'alpha__echo', { message: 'x' });
    const echo = count('echo');
    for (const pair of [
      [narrow, wide],
      [wide, narrow],
    ]) {
      const o = await both(
        // node sends an array as repeated lines (its typings allow a string for this header only).
        { ...request.headers, authorization: pair.map((t) => `Bearer ${t}`) as unknown as string },
        request.body,
      );
      expect(o.took).toBe(false);
      alike(o);
      expect(o.viaFast.status).not.toBe(200);
    }
    expect(count('echo')).toBe(echo);
    await stillServes();
  });

  it('declines two Host headers (one allowed, one not) and two protocol versions, answering as the web path', async () => {
    const request = call('modern', wide, 'alpha__echo', { message: 'x' });
    for (const extra of [
      { 'mcp-protocol-version': ['2026-07-28', '2025-11-25'] },
      { 'mcp-protocol-version': ['2025-11-25', '2026-07-28'] },
      { 'mcp-method': ['tools/call', 'tools/list'] },
      { 'content-type': ['application/json', 'text/plain'] },
    ]) {
      const o = await both({ ...request.headers, ...extra }, request.body);
      // Declined: the web path makes of the joined value what it makes of it on the web-only server.
      expect(o.took).toBe(false);
      alike(o);
    }
    // Two Host lines (a client library refuses to send them): node keeps the first, a web Request joins them.
    for (const allowedFirst of [true, false]) {
      const seen: { status: number | undefined; calls: number }[] = [];
      for (const server of [h.fast, h.web]) {
        const hosts = [`127.0.0.1:${server.port}`, 'evil.example'];
        if (!allowedFirst) hosts.reverse();
        const before = h.fastAnswers();
        const c0 = calls();
        const lines = ['POST /mcp HTTP/1.1', ...hosts.map((x) => `host: ${x}`), ...modernLines(wide)];
        lines.push(`content-length: ${Buffer.byteLength(request.body)}`, '', '');
        const answer = await raw(server, [lines.join('\r\n'), request.body]);
        expect(h.fastAnswers()).toBe(before);
        seen.push({ status: answer.status, calls: calls() - c0 });
      }
      // Whatever the web path makes of the joined value, the fast-path server does the same.
      expect(seen[0]).toEqual(seen[1]);
    }
    await stillServes();
  });

  it('declines a header sent twice with different case (raw socket)', async () => {
    const body = call('modern', wide, 'alpha__echo', { message: 'x' }).body;
    const before = calls();
    const answer = await raw(h.fast, [
      head(h.fast, [
        ...modernLines(narrow),
        `Authorization: Bearer ${wide}`,
        `content-length: ${Buffer.byteLength(body)}`,
      ]),
      body,
    ]);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(calls()).toBe(before);
  });

  it('takes headers in any case when each appears once', async () => {
    const request = call('modern', wide, 'alpha__echo', { message: 'case' });
    const upper = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toUpperCase(), v]));
    const o = await both(upper, request.body);
    expect(o.took).toBe(true);
    alike(o);
    expect(o.viaFast.message).toEqual(o.viaWeb.message);
  });

  it('never calls a tool other than mcp-name or params.name says when they differ', async () => {
    for (const [header, param] of [
      ['alpha__slow', 'alpha__echo'],
      ['alpha__echo', 'alpha__slow'],
    ] as const) {
      const request = call('modern', narrow, param, param === 'alpha__slow' ? { ms: 0 } : { message: 'x' });
      const echo = count('echo');
      const o = await both({ ...request.headers, 'mcp-name': header }, request.body);
      expect(o.took).toBe(false);
      alike(o);
      expect(count('echo')).toBe(echo);
      expect(o.viaFast.status).toBe(400);
    }
  });
});

describe('content types and lengths', () => {
  it('takes application/json with parameters or in capitals, and declines anything else', async () => {
    const request = call('legacy', wide, 'alpha__echo', { message: 'ct' });
    for (const [type, taken] of [
      ['application/json; charset=utf-8', true],
      ['APPLICATION/JSON', true],
      ['Application/Json;charset=UTF-8', true],
      [undefined, false],
      ['text/plain', false],
      ['application/jsonx', false],
      ['multipart/form-data; boundary=x', false],
      ['application/x-www-form-urlencoded', false],
    ] as const) {
      const { 'content-type': _ct, ...rest } = request.headers;
      const o = await both(type === undefined ? rest : { ...rest, 'content-type': type }, request.body);
      expect(o.took).toBe(taken);
      alike(o);
    }
  });

  it('answers a Content-Length shorter than the body without running a call from its first part', async () => {
    const body = call('modern', wide, 'alpha__echo', { message: 'x' }).body;
    for (const server of [h.fast, h.web]) {
      const before = calls();
      const answer = await raw(server, [head(server, [...modernLines(wide), 'content-length: 10']), body]);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(calls()).toBe(before);
    }
    await stillServes();
  });

  it('waits for a Content-Length longer than the body without calling, and a negative or huge one is refused', async () => {
    const body = call('modern', wide, 'alpha__echo', { message: 'x' }).body;
    const before = calls();
    const longer = await raw(
      h.fast,
      [head(h.fast, [...modernLines(wide), `content-length: ${Buffer.byteLength(body) + 50}`]), body],
      { waitMs: 500 },
    );
    expect(longer.status).toBeUndefined();
    for (const length of ['-1', '99999999999999999999', '1e3', '0x10']) {
      const answer = await raw(h.fast, [
        head(h.fast, [...modernLines(wide), `content-length: ${length}`]),
        body,
      ]);
      expect(answer.status).toBeGreaterThanOrEqual(400);
    }
    // Declared over the limit (the body is streamed to the web path, which refuses it from the header).
    const huge = await raw(h.fast, [
      head(h.fast, [...modernLines(wide), `content-length: ${10 * 1024 * 1024}`]),
      body,
    ]);
    expect(huge.status).toBe(413);
    expect(calls()).toBe(before);
    await stillServes();
  });

  it('declines a body one byte over the limit (413 as the web path) and takes one at the limit', async () => {
    const base = call('legacy', wide, 'alpha__echo', { message: '' });
    const pad = MAX_BODY - Buffer.byteLength(base.body);
    const atLimit = call('legacy', wide, 'alpha__echo', { message: 'y'.repeat(pad) });
    expect(Buffer.byteLength(atLimit.body)).toBe(MAX_BODY);
    const ok = await both(atLimit.headers, atLimit.body);
    expect(ok.took).toBe(true);
    alike(ok);
    const over = call('legacy', wide, 'alpha__echo', { message: 'y'.repeat(pad + 1) });
    const o = await both(over.headers, over.body);
    expect(o.took).toBe(false);
    alike(o);
    expect(o.viaFast.status).toBe(413);
    expect(o.fastCalls).toBe(0);
  });
});

describe('bodies that never end', () => {
  it('holds no call for a chunked body that never ends, while normal calls go on; the server has a request timeout', async () => {
    const before = calls();
    const hang = raw(
      h.fast,
      [head(h.fast, [...modernLines(wide), 'transfer-encoding: chunked']), '11\r\n{"jsonrpc":"2.0",\r\n'],
      { waitMs: 1500 },
    );
    await stillServes();
    const answer = await hang;
    expect(answer.status).toBeUndefined();
    // Only the stillServes call reached the upstream.
    expect(calls()).toBe(before + 1);
    // serveFetch cuts such a socket after 30 s (headers: 15 s), not Node's default 300 s (too long to wait here).
    expect(h.fast.server.requestTimeout).toBe(30_000);
    expect(h.fast.server.headersTimeout).toBe(15_000);
  });

  it('makes no call for a client that aborts mid-body, and keeps serving', async () => {
    const body = call('modern', wide, 'alpha__echo', { message: 'abort' }).body;
    const before = calls();
    const errors = h.serverErrors.length;
    for (const server of [h.fast, h.web]) {
      await raw(
        server,
        [
          head(server, [...modernLines(wide), `content-length: ${Buffer.byteLength(body)}`]),
          body.slice(0, 30),
        ],
        { waitMs: 200 },
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(calls()).toBe(before);
    // A client leaving is not a server error: nothing reported (an attacker could otherwise flood the log).
    expect(h.serverErrors.slice(errors)).toEqual([]);
    await stillServes();
  });

  it('survives 200 connections each sending half a body: no call, normal calls answered, memory bounded', async () => {
    const body = call('modern', wide, 'alpha__echo', { message: 'half' }).body;
    const before = calls();
    const heap = process.memoryUsage().heapUsed;
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<ReturnType<typeof connect>>((resolve) => {
            const s = connect(h.fast.port, '127.0.0.1', () => {
              s.write(head(h.fast, [...modernLines(wide), `content-length: ${Buffer.byteLength(body)}`]));
              s.write(body.slice(0, body.length >> 1));
              resolve(s);
            });
            s.on('error', () => undefined);
          }),
      ),
    );
    const started = Date.now();
    await stillServes();
    await stillServes(h.web);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(calls()).toBe(before + 2);
    await stillServes();
  });
});

describe('hostile JSON', () => {
  it('lets no __proto__ or constructor key pollute a prototype or change the call', async () => {
    const bodies = [
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"alpha__echo","arguments":{"message":"p","__proto__":{"polluted":1}},"_meta":{"__proto__":{"polluted":1}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","__proto__":{"polluted":1},"params":{"name":"alpha__echo","arguments":{"message":"p","constructor":{"prototype":{"polluted":1}}}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"alpha__echo","polluted":1},"name":"alpha__slow","arguments":{"ms":0}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"constructor":{"prototype":{"polluted":1}},"name":"alpha__echo","arguments":{"message":"p"}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","\\u005f_proto__":{"polluted":1},"params":{"name":"alpha__echo","arguments":{"message":"p"}}}`,
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","extra":1,"params":{"name":"alpha__echo","arguments":{"message":"p"}}}`,
    ];
    const envelope = JSON.stringify(ENVELOPE).slice(1, -1);
    let narrowEchoes = 0;
    for (const era of ['legacy', 'modern'] as const) {
      for (const [i, text] of bodies.entries()) {
        const name = (JSON.parse(text) as { params: { name: string } }).params.name;
        // Modern: the envelope goes into the body's _meta (merged with the hostile one when there is one).
        const body =
          era === 'legacy'
            ? text
            : text.includes('"_meta":{')
              ? text.replace('"_meta":{', `"_meta":{${envelope},`)
              : text.replace('"params":{', `"params":{"_meta":{${envelope}},`);
        for (const bearer of [narrow, wide]) {
          const echo = count('echo');
          const o = await both(call(era, bearer, name, {}).headers, body);
          expect(`${era} ${i} ${o.viaFast.status}`).toBe(`${era} ${i} ${o.viaWeb.status}`);
          alike(o);
          if (bearer === narrow) narrowEchoes += count('echo') - echo;
        }
      }
    }
    // The narrow token never reached echo through any of them, and nothing in this process was polluted.
    expect(narrowEchoes).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    await stillServes();
  });

  it('declines batches, and a batch never reaches a hidden tool', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      const one = JSON.parse(call(era, narrow, 'alpha__echo', { message: 'b' }).body) as Record<
        string,
        unknown
      >;
      const two = { ...(JSON.parse(call(era, narrow, 'alpha__slow', { ms: 0 }).body) as object), id: 2 };
      const echo = count('echo');
      for (const batch of [[one], [one, two], []]) {
        const o = await both(call(era, narrow, 'alpha__echo', {}).headers, JSON.stringify(batch));
        expect(o.took).toBe(false);
        alike(o);
      }
      expect(count('echo')).toBe(echo);
    }
  });

  it('answers ids of odd types as the web path does, echoing a taken id exactly', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      for (const id of [null, 1.5, {}, [], true, 'x'.repeat(5000), -0, 1e21, '', '\u0000\u2028']) {
        const request = call(era, wide, 'alpha__echo', { message: 'id' });
        const parsed = JSON.parse(request.body) as Record<string, unknown>;
        const o = await both(request.headers, JSON.stringify({ ...parsed, id }));
        alike(o);
        if (o.took) expect((o.viaFast.message as { id: unknown }).id).toEqual(JSON.parse(JSON.stringify(id)));
      }
      // A missing id is a notification: nothing to answer with a result, and the fast path does not take it.
      const request = call(era, wide, 'alpha__echo', { message: 'id' });
      const { id: _id, ...notification } = JSON.parse(request.body) as Record<string, unknown>;
      const o = await both(request.headers, JSON.stringify(notification));
      expect(o.took).toBe(false);
      alike(o);
    }
    await stillServes();
  });

  it('declines method and params of the wrong type', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      const request = call(era, wide, 'alpha__echo', { message: 'm' });
      const good = JSON.parse(request.body) as { params: Record<string, unknown> };
      const variants: Record<string, unknown>[] = [
        { ...good, method: ['tools/call'] },
        { ...good, method: 'TOOLS/CALL' },
        { ...good, method: 'tools/call ' },
        { ...good, jsonrpc: '1.0' },
        { ...good, jsonrpc: 2 },
        { ...good, params: [good.params] },
        { ...good, params: 'alpha__echo' },
        { ...good, params: null },
        { ...good, params: { ...good.params, name: ['alpha__echo'] } },
        { ...good, params: { ...good.params, name: { toString: 'alpha__echo' } } },
        { ...good, params: { ...good.params, arguments: 'message=x' } },
        { ...good, params: { ...good.params, arguments: [['message', 'x']] } },
        { ...good, params: { ...good.params, arguments: null } },
      ];
      for (const v of variants) {
        const o = await both(request.headers, JSON.stringify(v));
        expect(o.took, `${era} ${JSON.stringify(v)}`).toBe(false);
        alike(o);
      }
    }
    await stillServes();
  });
});

describe('shapes the SDK may read differently', () => {
  it('answers extra params keys, duplicate JSON keys, a BOM and a stray mcp-name as the web path does', async () => {
    let narrowEchoes = 0;
    for (const era of ['legacy', 'modern'] as const) {
      const request = call(era, wide, 'alpha__echo', { message: 's' });
      const good = JSON.parse(request.body) as { params: Record<string, unknown> };
      const bodies = [
        JSON.stringify({ ...good, params: { ...good.params, task: { ttl: 1000 } } }),
        JSON.stringify({ ...good, params: { ...good.params, extra: 1 } }),
        `\uFEFF${request.body}`,
        `${request.body}\n\n  `,
        request.body.replace('"name":"alpha__echo"', '"name":"alpha__echo","name":"alpha__slow"'),
      ];
      for (const [i, body] of bodies.entries()) {
        for (const bearer of [narrow, wide]) {
          const echo = count('echo');
          const o = await both({ ...request.headers, authorization: `Bearer ${bearer}` }, body);
          expect(`${era} ${i} ${o.viaFast.status}`).toBe(`${era} ${i} ${o.viaWeb.status}`);
          alike(o);
          if (o.took) expect(o.viaFast.message).toEqual(o.viaWeb.message);
          if (bearer === narrow) narrowEchoes += count('echo') - echo;
        }
      }
      if (era === 'legacy') {
        // mcp-name means nothing to a 2025-11-25 request: it must not change which tool runs.
        const o = await both({ ...request.headers, 'mcp-name': 'alpha__slow' }, request.body);
        alike(o);
        expect(o.viaFast.message).toEqual(o.viaWeb.message);
      }
    }
    expect(narrowEchoes).toBe(0);
  });
});

describe('tool names', () => {
  it('never reaches a tool outside the allow-list through a look-alike name', async () => {
    const echo = count('echo');
    const names = [
      'alpha__echo__add',
      'alpha__add__echo',
      'alpha__x__y',
      'alpha____echo',
      '__alpha__echo',
      'alpha__echo ',
      ' alpha__echo',
      'ALPHA__ECHO',
      'alpha__ｅcho',
      'alpha\u200b__echo',
      'alpha__echo\u0000',
      'alpha\u2215echo',
      'alpha__add\u0000echo',
      `alpha__${'e'.repeat(7000)}`,
    ];
    for (const name of names) {
      // Legacy era: no mcp-name header, so any character may be in the name.
      for (const bearer of [narrow, wide]) {
        const { headers, body } = call('legacy', bearer, name, { message: 'n' });
        const o = await both(headers, body);
        alike(o);
        expect(o.fastCalls).toBe(0);
        if (o.took) expect(o.viaFast.message).toEqual(o.viaWeb.message);
      }
    }
    expect(count('echo')).toBe(echo);
    await stillServes();
  });
});

describe('the request id header', () => {
  it('never reflects a 10 KB id, or one with control characters, onto the answer', async () => {
    const request = call('modern', wide, 'alpha__echo', { message: 'rid' });
    for (const id of ['x'.repeat(10 * 1024), 'a b', 'a\tb', 'é']) {
      for (const server of [h.fast, h.web]) {
        const answer = await post(server, { ...request.headers, 'x-request-id': id }, request.body);
        expect(answer.status).toBe(200);
        const echoed = answer.headers['x-request-id'];
        expect(echoed).toBeTruthy();
        expect(echoed).not.toBe(id);
        expect(String(echoed).length).toBeLessThanOrEqual(128);
      }
    }
    // CR or LF inside the value (raw socket: a client library refuses to send it): no injected header back.
    const body = request.body;
    for (const id of ['abc\rx-injected: 1', 'abc\nx-injected: 1', 'abc\r\n x-injected: 1']) {
      const before = calls();
      const answer = await raw(h.fast, [
        head(h.fast, [
          ...modernLines(wide),
          `x-request-id: ${id}`,
          `content-length: ${Buffer.byteLength(body)}`,
        ]),
        body,
      ]);
      expect(answer.text.toLowerCase()).not.toContain('x-injected');
      expect(answer.text).not.toContain('abc\r');
      expect(calls() - before).toBe(answer.status === 200 ? 1 : 0);
    }
    await stillServes();
  });
});

describe('after the whole corpus', () => {
  it('reported no server error other than clients leaving mid-request, and still serves both paths', async () => {
    expect(h.serverErrors).toEqual([]);
    await stillServes();
    await stillServes(h.web);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
