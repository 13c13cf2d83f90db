/**
 * Replica counts of a deployment (migration 0009_replicas), on each backend: null for a new deployment, written
 * by the targets through recordReplicas (only when a count changed), shown as `replicas 2/3`; malformed counts
 * are refused by the registry and, below it, by the column's CHECK.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeReplicaCounts, recordReplicas } from '../../src/deploy/targets/replica-counts.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { availableBackends, type BackendHandle, hash, rejection } from './backends.js';

describe.each(availableBackends())('replica counts on $name', (backend) => {
  let handle: BackendHandle;
  let registry: Registry;

  beforeAll(async () => {
    handle = await backend.create();
    registry = await openRegistry(handle.options);
    await registry.createServerVersion({
      name: 'svc',
      version: '1.0.0',
      spec: { name: 'svc', version: '1.0.0', tools: [{ name: 'echo' }] },
      artifactHash: hash('svc'),
      tools: [{ name: 'echo', title: 'Echo', description: 'Echo a message.' }],
      actor: 'test',
    });
  });
  afterAll(async () => {
    await registry?.close();
    await handle?.cleanup();
  });

  it('are null until a target records them, then read back everywhere', async () => {
    const d = await registry.upsertDeployment({ server: 'svc', target: 'swarm', actor: 'test' });
    expect(d).toMatchObject({ replicasDesired: null, replicasActual: null });
    expect(describeReplicaCounts(d)).toBeUndefined();

    const wanted = await recordReplicas(registry, d, { desired: 3 });
    expect(wanted).toMatchObject({ replicasDesired: 3, replicasActual: null });
    expect(describeReplicaCounts(wanted)).toBe('replicas ?/3');
    const seen = await recordReplicas(registry, wanted, { desired: 3, actual: 2 });
    expect(describeReplicaCounts(seen)).toBe('replicas 2/3');
    const [listed] = await registry.listDeployments({ server: 'svc', target: 'swarm' });
    expect(listed).toMatchObject({ replicasDesired: 3, replicasActual: 2 });

    // An unchanged report writes nothing (health checks run often).
    const again = await recordReplicas(registry, listed!, { desired: 3, actual: 2 });
    expect(again).toBe(listed);
    expect((await registry.getDeployment(d.id)).updatedAt).toBe(listed!.updatedAt);

    // Other changes leave the counts alone; a stop records 0 running.
    const stopped = await registry.updateDeployment(d.id, { status: 'stopped', replicasActual: 0 });
    expect(stopped).toMatchObject({ status: 'stopped', replicasDesired: 3, replicasActual: 0 });
    const other = await registry.upsertDeployment({ server: 'svc', target: 'local', actor: 'test' });
    expect(other).toMatchObject({ replicasDesired: null, replicasActual: null });
  });

  it('refuses malformed counts and leaves the record unchanged', async () => {
    const d = (await registry.listDeployments({ server: 'svc', target: 'swarm' }))[0]!;
    for (const bad of [-1, 1.5, 1001, 1e308, Number.NaN, Number.POSITIVE_INFINITY, '3', {}, [2], true]) {
      for (const field of ['replicasDesired', 'replicasActual'] as const) {
        const error = await rejection(registry.updateDeployment(d.id, { [field]: bad as unknown as number }));
        expect(error.code, `${field} ${String(bad)}`).toBe('REGISTRY_INVALID');
      }
    }
    const after = await registry.getDeployment(d.id);
    expect(after).toEqual(d);
    // Below the API: the column's CHECK refuses what a buggy writer would put there.
    await expect(
      sql`UPDATE mcpf_deployments SET replicas_desired = -5 WHERE id = ${d.id}`.execute(registry.kysely),
    ).rejects.toThrow(/check|constraint/i);
    expect((await registry.getDeployment(d.id)).replicasDesired).toBe(d.replicasDesired);
  });
});
