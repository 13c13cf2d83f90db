/**
 * Cancellation through the gateway, checked by its effect upstream: a client that aborts a `slow` call (or drops
 * the HTTP connection of a REST execute) makes the upstream's handler end early — the fixture logs
 * `NAME slow-aborted` when its request signal aborts. For an HTTP upstream (2026-07-28 fast path: the gateway
 * destroys its upstream request) and a stdio upstream (the SDK client sends notifications/cancelled), from
 * clients of both protocol eras.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { CallCancels } from '../../src/surfaces/gateway/mcp.js';
import { type ServedHttp, serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const TAG = `c${process.pid}`;
let work: string;
let registry: Registry;
let token: string;
let upstreamChild: ChildProcess;
let gateway: Gateway;
let http: GatewayHttp;
let served: ServedHttp;

const callLog = () => join(work, 'calls.log');
const count = (line: string) => {
  try {
    return readFileSync(callLog(), 'utf8')
      .split('\n')
      .filter((l) => l === line).length;
  } catch {
    return 0;
  }
};

/** Resolves with the time it took for `line` to appear once more in the call log (or rejects after `ms`). */
async function appears(line: string, before: number, ms: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (count(line) > before) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`"${line}" did not appear in the call log within ${ms} ms`);
}

async function client(era: '2025-11-25' | '2026-07-28'): Promise<Client> {
  const c = new Client(
    { name: 'cancel-test', version: '1' },
    { versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } } },
  );
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return c;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-cancel-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  token = tokens.create({ name: 'agent' }).token;
  const access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
  const port = await freePort();
  upstreamChild = spawn(process.execPath, [FIXTURE, `${TAG}h`, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: callLog() },
  });
  await new Promise<void>((resolve, reject) => {
    upstreamChild.stdout!.once('data', () => resolve());
    upstreamChild.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
  gateway = new Gateway({
    config: parseGatewayConfig({
      metaTools: 'never',
      servers: [
        { name: 'web', url: `http://127.0.0.1:${port}/mcp`, retries: 0 },
        {
          name: 'local',
          command: process.execPath,
          args: [FIXTURE, `${TAG}s`, 'stdio'],
          env: { CALL_LOG: callLog() },
        },
      ],
    }),
  });
  await gateway.start();
  http = createGatewayHttp({ gateway, access });
  served = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
}, 30_000);

afterAll(async () => {
  await http?.close();
  await served?.close();
  await gateway?.close();
  if (upstreamChild?.exitCode === null) upstreamChild.kill('SIGKILL');
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

const upstreams = [
  { tool: 'web__slow', name: `${TAG}h`, how: 'HTTP upstream (fast path)' },
  { tool: 'local__slow', name: `${TAG}s`, how: 'stdio upstream (notifications/cancelled)' },
] as const;

describe('CallCancels (notifications/cancelled of stateless 2025-11-25 clients)', () => {
  it('aborts the one call of the scope holding the id, nothing when the id is ambiguous or foreign', () => {
    const cancels = new CallCancels();
    const a = cancels.track('alice', 3);
    const b = cancels.track('bob', 3);
    cancels.cancel('carol', 3);
    expect(a.signal.aborted || b.signal.aborted).toBe(false);
    cancels.cancel('alice', 3);
    expect(a.signal.aborted).toBe(true);
    expect(b.signal.aborted).toBe(false);
    const b2 = cancels.track('bob', 3);
    cancels.cancel('bob', 3);
    expect(b.signal.aborted || b2.signal.aborted).toBe(false);
    for (const t of [a, b, b2]) t.done();
    expect(cancels.size).toBe(0);
  });

  it('aborts a call with its request signal too, and lets go of that signal when the call is done', () => {
    const cancels = new CallCancels();
    const request = new AbortController();
    const a = cancels.track('alice', 1, request.signal);
    request.abort(new Error('client went away'));
    expect(a.signal.aborted).toBe(true);
    expect((a.signal.reason as Error).message).toBe('client went away');
    a.done();
    const gone = new AbortController();
    gone.abort();
    const b = cancels.track('alice', 2, gone.signal);
    expect(b.signal.aborted).toBe(true);
    b.done();
    const later = new AbortController();
    const c = cancels.track('alice', 3, later.signal);
    c.done();
    later.abort();
    expect(c.signal.aborted).toBe(false);
    expect(cancels.size).toBe(0);
  });
});

describe('cancellation reaches the upstream', () => {
  for (const u of upstreams)
    for (const era of ['2026-07-28', '2025-11-25'] as const)
      it(`MCP client (${era}) aborting a call → ${u.how} stops within 1 s`, async () => {
        const c = await client(era);
        try {
          // Warm the connection so the measured call is not the one that starts the upstream.
          await c.callTool({ name: u.tool, arguments: { ms: 1 } });
          const before = count(`${u.name} slow-aborted`);
          const started = count(`${u.name} slow`);
          const abort = new AbortController();
          const call = c.callTool({ name: u.tool, arguments: { ms: 10_000 } }, { signal: abort.signal });
          call.catch(() => undefined);
          // Abort once the upstream has the call (it logs `slow` when its handler starts).
          await appears(`${u.name} slow`, started, 3_000);
          await new Promise((r) => setTimeout(r, 200));
          abort.abort();
          await expect(call).rejects.toThrow();
          const took = await appears(`${u.name} slow-aborted`, before, 1_500);
          expect(took).toBeLessThan(1_500);
        } finally {
          await c.close();
        }
      }, 20_000);

  for (const u of upstreams)
    it(`REST execute whose connection is dropped → ${u.how} stops within 1 s`, async () => {
      await gateway.callTool(u.tool, { ms: 1 });
      const before = count(`${u.name} slow-aborted`);
      const started = count(`${u.name} slow`);
      const body = JSON.stringify({ arguments: { ms: 10_000 } });
      const req = httpRequest(`${served.url}/api/v1/tools/${u.tool}/execute`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('error', () => undefined);
      req.end(body);
      await appears(`${u.name} slow`, started, 3_000);
      await new Promise((r) => setTimeout(r, 200));
      req.destroy();
      const took = await appears(`${u.name} slow-aborted`, before, 1_500);
      expect(took).toBeLessThan(1_500);
    }, 20_000);

  it('the gateway still answers on both upstreams afterwards', async () => {
    const c = await client('2026-07-28');
    try {
      for (const [tool, name] of [
        ['web__echo', `${TAG}h`],
        ['local__echo', `${TAG}s`],
      ] as const) {
        const r = (await c.callTool({ name: tool, arguments: { message: 'ok' } })) as {
          content: Array<{ text: string }>;
        };
        expect(r.content[0]?.text).toBe(`${name}: ok`);
      }
    } finally {
      await c.close();
    }
  });
});
