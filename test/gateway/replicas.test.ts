/**
 * A registry upstream with several replica endpoints (a swarm service) is one upstream: its tool list is read
 * from one replica, calls are spread across all of them, a replica that refuses connections is skipped (calls
 * keep succeeding, non-read-only ones included) and taken back once it answers again. The selector's order,
 * benching and replay rules are checked on their own with a fake clock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import type { ServerEndpoint } from '../../src/deploy/types.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { connectionRefused, markUndelivered, ReplicaSelector } from '../../src/gateway/replicas.js';
import { freePort } from '../../src/platform/ports.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const children: ChildProcess[] = [];
const byName = new Map<string, ChildProcess>();
let work: string;
let callLog: string;

/** A fixture server named `name` on `port`; its echo answers `name: message`, each call is logged. */
async function replica(name: string, port: number, legacy = false): Promise<string> {
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: callLog, ...(legacy ? { LEGACY_ONLY: '1' } : {}) },
  });
  children.push(child);
  byName.set(name, child);
  await new Promise((r) => child.stdout!.once('data', r));
  return `http://127.0.0.1:${port}/mcp`;
}

function kill(name: string): Promise<void> {
  const child = byName.get(name)!;
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const text = (r: { content: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;
const logged = () => readFileSync(callLog, 'utf8').trim().split('\n').filter(Boolean);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-replicas-'));
  callLog = join(work, 'calls.log');
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('replica selection', () => {
  it('alternates, prefers the least busy, benches undelivered replicas with a growing backoff', async () => {
    let now = 0;
    const s = new ReplicaSelector(3, { benchMs: 100, maxBenchMs: 250, now: () => now });
    expect([s.order()[0], s.order()[0], s.order()[0], s.order()[0]]).toEqual([0, 1, 2, 0]);

    // A call holding replica 1 busy: the next calls go elsewhere.
    let release!: () => void;
    const busy = s.run((i) => new Promise<number>((r) => (release = () => r(i))), { replay: false });
    expect(s.inFlight(1)).toBe(1);
    expect(s.order()[0]).not.toBe(1);
    release();
    expect(await busy).toBe(1);

    // Replica 0 refuses: the call moves on, 0 is benched (tried last) until its time is up, then doubled.
    const tried: number[] = [];
    const refused = (i: number) => {
      tried.push(i);
      if (i === 0) throw markUndelivered(new Error('connect ECONNREFUSED'));
      return Promise.resolve(i);
    };
    while (s.order()[0] !== 2); // the next order starts at 0
    expect(await s.run(async (i) => refused(i), { replay: false })).toBe(1);
    expect(tried).toEqual([0, 1]);
    expect(s.isBenched(0)).toBe(true);
    expect(s.order().at(-1)).toBe(0);
    now += 101;
    expect(s.isBenched(0)).toBe(false);
    while (s.order()[0] !== 2);
    await s.run(async (i) => refused(i), { replay: false }); // 0 first again: refused, benched for 200 ms
    tried.length = 0;
    await s.run(async (i) => refused(i), { replay: false });
    expect(tried).not.toContain(0); // benched again, for 200 ms now
    now += 150;
    expect(s.isBenched(0)).toBe(true);
    now += 100;
    expect(s.isBenched(0)).toBe(false);
  });

  it('does not replay a delivered call unless it may, and throws the last failure when all fail', async () => {
    const s = new ReplicaSelector(2);
    const attempts: number[] = [];
    const broken = async (i: number): Promise<number> => {
      attempts.push(i);
      throw new Error(`reset by ${i}`);
    };
    await expect(s.run(broken, { replay: false })).rejects.toThrow(/reset by/);
    expect(attempts).toHaveLength(1); // sent once: a write is never sent twice
    attempts.length = 0;
    await expect(s.run(broken, { replay: true })).rejects.toThrow(/reset by/);
    expect(attempts).toHaveLength(2);
    attempts.length = 0;
    await expect(s.run(broken, { replay: true, mayMoveOn: () => false })).rejects.toThrow();
    expect(attempts).toHaveLength(1);
    attempts.length = 0;
    const nowhere = async (i: number): Promise<number> => {
      attempts.push(i);
      throw markUndelivered(new FactoryError('GATEWAY_UPSTREAM_UNAVAILABLE', `down ${i}`));
    };
    await expect(s.run(nowhere, { replay: false })).rejects.toMatchObject({
      code: 'GATEWAY_UPSTREAM_UNAVAILABLE',
    });
    expect(attempts).toHaveLength(2);
  });

  it('recognises a refused connection in a cause chain only', () => {
    const fetchFailed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    expect(connectionRefused(fetchFailed)).toBe(true);
    expect(connectionRefused(new Error('socket hang up'))).toBe(false);
    expect(connectionRefused(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
  });
});

describe('a replicated registry upstream', () => {
  // Both call paths of an upstream: the 2026-07-28 fast path and the SDK client of a 2025-11-25 server.
  it.each([
    ['fast path', false],
    ['SDK client', true],
  ])(
    'reads tools once, spreads calls, survives a killed replica and takes it back (%s)',
    async (_, legacy) => {
      writeFileSync(callLog, '');
      const [p1, p2] = [await freePort(), await freePort()];
      const endpoints = await Promise.all([replica('r1', p1, legacy), replica('r2', p2, legacy)]);
      const source: ServerEndpoint[] = [
        { name: 'svc', endpoint: endpoints[0]!, replicas: endpoints, headers: {}, revision: 1 },
      ];
      const gateway = new Gateway({
        config: parseGatewayConfig({ metaTools: 'never' }),
        source: async () => source,
        refreshMs: 0,
      });
      await gateway.start();
      try {
        const names = (await gateway.listTools()).map((t) => t.name);
        expect(names).toContain('svc__echo');
        expect(names.filter((n) => n.endsWith('__echo'))).toHaveLength(1); // one upstream, not one per replica
        const before = gateway.health().find((h) => h.name === 'svc')!;
        expect(before.replicas?.map((r) => r.endpoint)).toEqual(endpoints);
        expect(before.replicas!.filter((r) => r.connected)).toHaveLength(1); // the catalog asked one replica

        // Read-only and non-read-only calls both reach both replicas.
        const answers = new Set<string>();
        for (let i = 0; i < 6; i++)
          answers.add(text(await gateway.callTool('svc__echo', { message: 'hi' })).split(':')[0]!);
        expect([...answers].sort()).toEqual(['r1', 'r2']);
        for (let i = 0; i < 4; i++)
          expect(text(await gateway.callTool('svc__add', { a: i, b: 1 }))).toBe(String(i + 1));
        const adds = logged().filter((l) => l.endsWith(' add'));
        expect(new Set(adds)).toEqual(new Set(['r1 add', 'r2 add']));

        // r2 dies: every call still succeeds (a write included: a refused connection sent nothing), on r1.
        await kill('r2');
        // A replica that is dead before the calls: let the gateway see its pooled keep-alive sockets close (the
        // FIN is already queued when the exit is reported, but may be read one loop turn later). A write sent
        // on a socket in that same instant reached a dying replica and is, rightly, not replayed elsewhere.
        await new Promise((r) => setTimeout(r, 100));
        const start = logged().length;
        for (let i = 0; i < 6; i++) {
          expect(text(await gateway.callTool('svc__add', { a: i, b: 2 }))).toBe(String(i + 2));
          expect(text(await gateway.callTool('svc__echo', { message: 'x' }))).toBe('r1: x');
        }
        const after = logged().slice(start);
        expect(after).toHaveLength(12); // each call ran exactly once
        expect(after.every((l) => l.startsWith('r1 '))).toBe(true);
        const degraded = gateway.health().find((h) => h.name === 'svc')!;
        // r2 was tried (round-robin reaches it) and refused; whether it is still benched depends on timing.
        expect(degraded.replicas![1]!.failures).toBeGreaterThan(0);
        expect(degraded.replicas![1]!.lastError).not.toBeNull();
        expect(degraded.failures).toBe(0); // no call of the upstream failed

        // r2 comes back on its port: once its bench is over, calls reach it again.
        await replica('r2', p2, legacy);
        const deadline = Date.now() + 45_000;
        let back = false;
        while (!back && Date.now() < deadline) {
          back = text(await gateway.callTool('svc__echo', { message: 'y' })).startsWith('r2');
          if (!back) await new Promise((r) => setTimeout(r, 200));
        }
        expect(back).toBe(true);
      } finally {
        await gateway.close();
      }
    },
    120_000,
  );

  it('with every replica down, a call fails as unavailable and nothing hangs', async () => {
    const ports = [await freePort(), await freePort()];
    const endpoints = ports.map((p) => `http://127.0.0.1:${p}/mcp`); // nothing listens there
    const gateway = new Gateway({
      config: parseGatewayConfig({ metaTools: 'never' }),
      source: async () => [
        { name: 'gone', endpoint: endpoints[0]!, replicas: endpoints, headers: {}, revision: 1 },
      ],
      refreshMs: 0,
    });
    await gateway.start();
    try {
      const catalog = await gateway.catalog();
      expect(catalog.report.upstreams.find((u) => u.name === 'gone')?.error).toMatch(/cannot connect/);
      const h = gateway.health().find((u) => u.name === 'gone')!;
      expect(h.connected).toBe(false);
      expect(h.replicas!.every((r) => r.benched)).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});
