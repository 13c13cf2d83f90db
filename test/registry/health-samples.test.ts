/**
 * The health history (migration 0010_health_samples), on each backend: a sample is stored on a change of state
 * and at most once a minute otherwise, pruned on write by age and by count per server; the history answers a
 * window oldest first; the overview gives every server's latest check and its recent call counts at once.
 * Malformed samples are refused and store nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthHistoryRecorder } from '../../src/deploy/health.js';
import { openStore, type Store } from '../../src/store/connect.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { HealthSamplesRepository } from '../../src/store/repositories/health-samples.js';
import { availableBackends, type BackendHandle, rejection } from './backends.js';

const T0 = Date.parse('2026-12-07T03:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe.each(availableBackends())('health samples on $name', (backend) => {
  let handle: BackendHandle;
  let registry: Registry;

  beforeAll(async () => {
    handle = await backend.create();
    registry = await openRegistry(handle.options);
  });
  afterAll(async () => {
    await registry?.close();
    await handle?.cleanup();
  });

  const sample = (over: Partial<Parameters<Registry['health']['record']>[0]> = {}) => ({
    server: 'svc',
    deploymentId: 1,
    target: 'local',
    health: 'healthy' as const,
    checkedAt: at(0),
    responseMs: 2.5,
    ...over,
  });

  it('stores changes of state and one steady sample a minute, and answers a window oldest first', async () => {
    const h = registry.health;
    expect(await h.record(sample())).toBe(true);
    expect(await h.record(sample({ checkedAt: at(10_000) }))).toBe(false); // same state, 10 s later
    expect(await h.record(sample({ checkedAt: at(20_000), health: 'unhealthy', detail: 'refused' }))).toBe(
      true,
    );
    expect(await h.record(sample({ checkedAt: at(30_000) }))).toBe(true); // back to healthy
    expect(await h.record(sample({ checkedAt: at(5_000) }))).toBe(false); // late and older: dropped
    expect(await h.record(sample({ checkedAt: at(95_000) }))).toBe(true); // a minute after the last
    // Another deployment of the same server has its own rhythm.
    expect(await h.record(sample({ deploymentId: 2, target: 'docker', checkedAt: at(31_000) }))).toBe(true);

    const all = await h.history('svc', at(-1000));
    expect(all.map((s) => [s.deploymentId, s.health, s.checkedAt])).toEqual([
      [1, 'healthy', at(0)],
      [1, 'unhealthy', at(20_000)],
      [1, 'healthy', at(30_000)],
      [2, 'healthy', at(31_000)],
      [1, 'healthy', at(95_000)],
    ]);
    expect(all[1]).toMatchObject({ detail: 'refused', target: 'local' });
    expect(all[0]?.responseMs).toBe(2.5);
    expect((await h.history('svc', at(25_000))).length).toBe(3);
    expect(await h.history('other', at(-1000))).toEqual([]);
  });

  it('prunes samples older than the retention on write', async () => {
    const h = registry.health;
    const old = at(-8 * 24 * 3600_000);
    expect(await h.record(sample({ server: 'aging', deploymentId: 7, checkedAt: old }))).toBe(true);
    expect((await h.history('aging', at(-9 * 24 * 3600_000))).length).toBe(1);
    expect(await h.record(sample({ server: 'aging', deploymentId: 7, checkedAt: at(0) }))).toBe(true);
    const kept = await h.history('aging', at(-9 * 24 * 3600_000));
    expect(kept.map((s) => s.checkedAt)).toEqual([at(0)]);
  });

  it('gives every server its latest check and its calls since a time, at once', async () => {
    await registry.recordCalls([
      { server: 'svc', tool: 'echo', ok: true, latencyMs: 3, at: T0 },
      { server: 'svc', tool: 'echo', ok: false, latencyMs: 4, at: T0 + 1000 },
      { server: 'svc', tool: 'other', ok: true, latencyMs: 4, at: T0 + 2000 },
      { server: 'quiet', tool: 'echo', ok: true, latencyMs: 4, at: T0 - 3 * 3600_000 },
    ]);
    const o = await registry.health.overview(T0 - 60_000);
    expect(o.get('svc')).toMatchObject({
      calls: 3,
      errors: 1,
      health: { health: 'healthy', checkedAt: at(95_000) },
    });
    expect(o.get('aging')).toMatchObject({ calls: 0, errors: 0, health: { checkedAt: at(0) } });
    expect(o.has('quiet')).toBe(false); // its calls are older than the window and it has no check
  });

  it('refuses malformed samples and stores nothing', async () => {
    const before = (await registry.health.history('svc', at(-1000))).length;
    for (const bad of [
      sample({ server: '../etc' }),
      sample({ health: 'fine' as never }),
      sample({ checkedAt: 'yesterday' }),
      sample({ responseMs: -1 }),
      sample({ responseMs: Number.NaN }),
      sample({ target: 'x y' }),
      sample({ deploymentId: 1.5 }),
      sample({ detail: 'x'.repeat(100_001) }),
    ])
      expect((await rejection(registry.health.record({ ...bad, checkedAt: bad.checkedAt }))).code).toBe(
        'REGISTRY_INVALID',
      );
    expect((await registry.health.history('svc', at(-1000))).length).toBe(before);
  });

  it('keeps at most the newest samples of a server', async () => {
    const store: Store = await openStore(handle.options);
    try {
      const repo = new HealthSamplesRepository({ maxPerServer: 3, intervalMs: 0 });
      for (let i = 0; i < 6; i++)
        await store.db
          .transaction()
          .execute((trx) =>
            repo.record(trx, { ...sample({ server: 'capped', deploymentId: 9 }), checkedAt: at(i * 1000) }),
          );
      const rows = await repo.history(store.db, 'capped', at(-1000), 100);
      expect(rows.map((r) => r.checkedAt)).toEqual([at(3000), at(4000), at(5000)]);
    } finally {
      await store.db.destroy();
    }
  });

  it('records through the recorder without a registry round trip for a steady server', async () => {
    const recorder = new HealthHistoryRecorder();
    let writes = 0;
    const counting = new Proxy(registry.health, {
      get(target, prop, receiver) {
        if (prop === 'record')
          return (...args: Parameters<Registry['health']['record']>) => {
            writes++;
            return target.record(...args);
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    const d = { id: 40, server: 'steady', target: 'local' };
    for (let i = 0; i < 10; i++)
      await recorder.record(counting, d, { health: 'healthy', checkedAt: at(i * 5000), responseMs: 1 });
    expect(writes).toBe(1);
    await recorder.record(counting, d, { health: 'degraded', checkedAt: at(51_000), detail: 'slow' });
    await recorder.record(counting, d, { health: 'degraded', checkedAt: at(111_000) });
    expect(writes).toBe(3);
    expect((await registry.health.history('steady', at(-1000))).map((s) => s.health)).toEqual([
      'healthy',
      'degraded',
      'degraded',
    ]);
  });
});
