/**
 * The swarm target against a real Docker engine in swarm mode: 3 replicas each answering a tool on its own
 * endpoint, a killed replica replaced by swarm (health back to 3/3), a rolling update to a new revision while the
 * other replicas keep answering, and a revision that exits at start rolled back automatically to the previous
 * one, which still answers. Gated on MCP_FACTORY_TEST_DOCKER=1 (set by .ci/run) like the docker tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicaEndpoint } from '../../src/deploy/targets/swarm/target.js';
import {
  API_KEY_ENV,
  createRevision,
  greetAt,
  type SwarmFixture,
  swarmFixture,
  swarmSkipped,
  until,
} from './swarm-helpers.js';

const NAME = 'swarm-e2e-roll';
const KEY = 'swarm-key-e2e-1';

interface ReplicaRuntime {
  replicas: { desired: number; running: number; healthy: number };
  tasks: Array<{ slot: number; endpoint: string; health: string }>;
}

describe.skipIf(swarmSkipped)('swarm target: replicas, self-healing, rolling update, rollback', () => {
  let fx: SwarmFixture;
  let portBase = 0;

  beforeAll(async () => {
    fx = await swarmFixture('swarm');
  }, 120_000);
  afterAll(async () => {
    await fx?.cleanup([NAME]);
  }, 120_000);

  const endpoints = () => [1, 2, 3].map((slot) => replicaEndpoint(portBase, slot));
  const replicaStatus = async () => {
    const status = await fx.cp.status(NAME);
    const d = status.deployments.find((x) => x.target === 'swarm');
    return (d?.health as { runtime?: ReplicaRuntime } | undefined)?.runtime;
  };

  it('deploys 3 replicas; each answers the tool on its own endpoint', { timeout: 240_000 }, async () => {
    await createRevision(fx.cp, NAME, 'Hello r1');
    const d = await fx.cp.deploy({
      name: NAME,
      target: 'swarm',
      replicas: 3,
      env: { [API_KEY_ENV]: KEY },
      actor: 'test',
    });
    expect(d.status).toBe('running');
    expect(d.revision).toBe(1);
    expect(d).toMatchObject({ replicasDesired: 3, replicasActual: 3 }); // in the registry record
    portBase = d.port!;
    expect(d.endpoint).toBe(replicaEndpoint(portBase, 1));
    for (const endpoint of endpoints()) expect(await greetAt(endpoint, KEY)).toContain('Hello r1, Ada!');
    const runtime = await replicaStatus();
    expect(runtime?.replicas).toMatchObject({ desired: 3, running: 3 });
    // Each replica answers (degraded only when a loaded machine makes an answer slower than 1 s).
    for (const task of runtime?.tasks ?? []) expect(task.health).toMatch(/^(healthy|degraded)$/);
    expect(runtime?.tasks.map((t) => t.endpoint).sort()).toEqual(endpoints().sort());
    // The server enforces the key it read from the secret: a wrong one is refused.
    await expect(greetAt(endpoints()[0]!, 'wrong-key')).rejects.toThrow();
  });

  it('replaces a killed replica: health returns to 3/3', { timeout: 180_000 }, async () => {
    const tasks = await fx.engine.tasks(NAME);
    const victim = tasks.find((t) => t.slot === 2 && t.containerId);
    expect(victim).toBeDefined();
    await fx.engine.docker.getContainer(victim!.containerId!).kill();
    // Swarm notices, starts a new task for slot 2, and the endpoint answers again.
    await until('a new task for slot 2', async () => {
      const now = (await fx.engine.tasks(NAME)).find((t) => t.slot === 2 && t.state === 'running');
      return now && now.id !== victim!.id ? now : undefined;
    });
    const healed = await until('3 of 3 replicas answering', async () => {
      const r = await replicaStatus();
      return r?.replicas.running === 3 && r.tasks.every((t) => t.health !== 'unhealthy') ? r : undefined;
    });
    expect(healed.replicas).toMatchObject({ desired: 3, running: 3 });
    expect(await greetAt(endpoints()[1]!, KEY)).toContain('Hello r1, Ada!');
  });

  it('rolls a new revision one replica at a time; the service keeps answering', {
    timeout: 240_000,
  }, async () => {
    await createRevision(fx.cp, NAME, 'Hello r2');
    let polling = true;
    let answered = 0;
    let gaps = 0;
    // Meanwhile, some replica must answer at every moment (one is replaced at a time).
    const watcher = (async () => {
      while (polling) {
        const results = await Promise.allSettled(endpoints().map((e) => greetAt(e, KEY)));
        if (results.some((r) => r.status === 'fulfilled')) answered++;
        else gaps++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const d = await fx.cp.deploy({ name: NAME, target: 'swarm', actor: 'test' }).finally(() => {
      polling = false;
    });
    await watcher;
    expect(d).toMatchObject({ status: 'running', revision: 2, port: portBase });
    for (const endpoint of endpoints()) expect(await greetAt(endpoint, KEY)).toContain('Hello r2, Ada!');
    expect(answered).toBeGreaterThan(0);
    expect(gaps).toBe(0);
  });

  it('rolls back a revision that exits at start; the previous revision still answers', {
    timeout: 240_000,
  }, async () => {
    const broken = await createRevision(fx.cp, NAME, 'Hello r3');
    // A server that exits at start: its bundle replaced by one that fails at once.
    writeFileSync(
      join(broken.projectDir, 'dist', 'server.mjs'),
      "process.stderr.write('boom\\n'); process.exit(3);\n",
    );
    const error = await fx.cp.deploy({ name: NAME, target: 'swarm', actor: 'test' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'DEPLOY_FAILED' });
    expect(String(error.message)).toMatch(/rolled the service back to revision 2/);
    const d = (await fx.cp.status(NAME)).deployments.find((x) => x.target === 'swarm')!;
    expect(d).toMatchObject({ status: 'failed', revision: 2 });
    expect(d.lastError).toContain('revision 3 did not become healthy');
    const service = await fx.engine.inspect(NAME);
    expect(service?.revision).toBe(2);
    await until('every replica answers revision 2', async () => {
      const texts = await Promise.all(endpoints().map((e) => greetAt(e, KEY)));
      return texts.every((t) => t.includes('Hello r2, Ada!')) ? texts : undefined;
    });
  });
});
