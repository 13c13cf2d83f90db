/**
 * The swarm target's lifecycle and its inputs, against a real Docker engine in swarm mode: bad options and
 * hostile values refused before anything exists (checked by effect: no service, no secret, no deployment); the
 * environment as a Docker secret (absent from `docker service inspect` and from the image, seen by the server,
 * replaced and the old one removed on change); logs; a restarted factory adopting the running service; stop
 * (scale to 0), start, and remove leaving no service, secret or container. Gated on MCP_FACTORY_TEST_DOCKER=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../src/deploy/index.js';
import { serviceName, swarmImageTag } from '../../src/deploy/targets/swarm/engine.js';
import { replicaEndpoint } from '../../src/deploy/targets/swarm/target.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { DeployBody } from '../../src/surfaces/operations/schemas.js';
import { cliEnv, mcpFactory } from '../cli-life/helpers.js';
import { ensureBuilt } from '../helpers/build.js';
import {
  API_KEY_ENV,
  createRevision,
  greetAt,
  type SwarmFixture,
  swarmFixture,
  swarmSkipped,
  until,
} from './swarm-helpers.js';

const NAME = 'swarm-e2e-life';
const KEY = 'life-secret-value-7f3a9c';
const KEY2 = 'life-secret-value-second-42b1';

describe.skipIf(swarmSkipped)('swarm target: inputs, secrets, adoption, stop/start/remove', () => {
  let fx: SwarmFixture;

  beforeAll(async () => {
    ensureBuilt();
    fx = await swarmFixture('swarm-life');
    await createRevision(fx.cp, NAME, 'Hi');
  }, 180_000);
  afterAll(async () => {
    await fx?.cleanup([NAME]);
  }, 120_000);

  /** Nothing of NAME exists on the engine or in the registry. */
  const nothingCreated = async () => {
    expect(await fx.engine.inspect(NAME)).toBeUndefined();
    expect(await fx.engine.secrets(NAME)).toEqual([]);
    expect((await (await fx.cp.registry()).listDeployments({ server: NAME })).length).toBe(0);
  };

  it('refuses bad replicas, constraints and values before creating anything', {
    timeout: 60_000,
  }, async () => {
    const attempts: Array<Partial<DeployRequest>> = [
      { replicas: 0 },
      { replicas: 51 },
      { replicas: 2.5 },
      { replicas: Number.NaN },
      { replicas: -1 },
      { cpus: 0 },
      { memoryMb: 1 },
      { constraints: ['node.labels.zone=="a"'] },
      { constraints: ['node.role==manager\nnode.role==worker'] },
      { constraints: ["node.labels.x==a' || true"] },
      { env: { [API_KEY_ENV]: 'line1\nINJECTED=1' } },
      { env: { [API_KEY_ENV]: 'nul\u0000byte' } },
      { replicas: 2, target: 'local' as const },
    ];
    for (const attempt of attempts) {
      const error = await fx.cp
        .deploy({ name: NAME, target: 'swarm', actor: 'test', ...attempt } as DeployRequest)
        .catch((e) => e);
      expect(error?.code, JSON.stringify(attempt)).toBe('INVALID_ARGUMENTS');
    }
    for (const name of ['bad"name', 'evil\nname', "x'; docker rm -f"]) {
      const error = await fx.cp.deploy({ name, target: 'swarm', actor: 'test' }).catch((e) => e);
      expect(error?.code).toMatch(/REGISTRY_NOT_FOUND|REGISTRY_INVALID|INVALID_ARGUMENTS/);
    }
    // The CLI: numbers as typed, refused with the range; swarm options on another target refused.
    for (const args of [
      ['--target', 'swarm', '--replicas', 'abc'],
      ['--target', 'swarm', '--replicas', '3x'],
      ['--target', 'swarm', '--replicas', ''],
      ['--target', 'swarm', '--constraint', 'node.role==manager"\n'],
      ['--target', 'local', '--replicas', '2'],
    ]) {
      const run = await mcpFactory(['deploy', NAME, ...args], cliEnv(fx.home));
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.err, args.join(' ')).toMatch(/replicas|constraint|swarm target options/);
    }
    await nothingCreated();
    // The API and MCP schemas refuse them too.
    for (const body of [{ replicas: 0 }, { replicas: 51 }, { replicas: 1.5 }, { constraints: ['a"=b'] }])
      expect(DeployBody.safeParse({ target: 'swarm', ...body }).success, JSON.stringify(body)).toBe(false);
    expect(DeployBody.safeParse({ target: 'swarm', replicas: 3 }).success).toBe(true);
  });

  it('passes the environment as a Docker secret: not in the service spec nor the image; the server sees it', {
    timeout: 240_000,
  }, async () => {
    const d = await fx.cp.deploy({
      name: NAME,
      target: 'swarm',
      replicas: 2,
      memoryMb: 192,
      cpus: 0.5,
      constraints: ['node.role==manager'],
      env: { [API_KEY_ENV]: KEY },
      actor: 'test',
    });
    expect(d.status).toBe('running');
    const spec = await fx.engine.docker.getService(serviceName(NAME)).inspect();
    expect(JSON.stringify(spec)).not.toContain(KEY);
    expect(spec.Spec.TaskTemplate.Resources.Limits).toMatchObject({
      MemoryBytes: 192 * 1024 * 1024,
      NanoCPUs: 5e8,
    });
    expect(spec.Spec.TaskTemplate.Placement.Constraints).toEqual(['node.role==manager']);
    expect(spec.Spec.UpdateConfig).toMatchObject({ FailureAction: 'rollback', Parallelism: 1 });
    const tag = swarmImageTag(NAME, 1);
    const history = await fx.engine.docker.getImage(tag).history();
    const image = await fx.engine.docker.getImage(tag).inspect();
    expect(JSON.stringify(history) + JSON.stringify(image)).not.toContain(KEY);
    for (const slot of [1, 2])
      expect(await greetAt(replicaEndpoint(d.port!, slot), KEY)).toContain('Hi, Ada!');
    await expect(greetAt(replicaEndpoint(d.port!, 1), 'not-the-key')).rejects.toThrow();
    expect((await fx.engine.secrets(NAME)).length).toBe(1);
    // The gateway's list: every replica's endpoint.
    const listed = (await fx.cp.endpoints()).find((e) => e.name === NAME);
    expect(listed?.replicas).toEqual([1, 2].map((slot) => replicaEndpoint(d.port!, slot)));
    // `mcp-factory status` shows replicas and each replica's health.
    const status = await mcpFactory(['status', NAME], cliEnv(fx.home));
    expect(status.code, status.err).toBe(0);
    // `healthy` counts answers under 1 s: a loaded machine may make one slow (degraded), never missing.
    expect(status.out).toMatch(/replicas {3}2\/2 running, [0-2] healthy/);
    expect(status.out).toContain(replicaEndpoint(d.port!, 2));
    // The registry records desired and running replicas; `list` shows them.
    expect(await (await fx.cp.registry()).getDeployment(d.id)).toMatchObject({
      replicasDesired: 2,
      replicasActual: 2,
    });
    const list = await mcpFactory(['list'], cliEnv(fx.home));
    expect(list.out).toContain('running (replicas 2/2)');
    // The gateway: one upstream whose calls reach both replicas.
    const gateway = new Gateway({
      config: parseGatewayConfig({ metaTools: 'never' }),
      source: () => fx.cp.endpoints(),
      refreshMs: 0,
    });
    await gateway.start();
    try {
      const greet = (await gateway.listTools()).find((t) => t.name.endsWith('greet'))!.name;
      for (let i = 0; i < 4; i++) {
        const r = await gateway.callTool(greet, { name: 'Ada' });
        expect(JSON.stringify(r.content)).toContain('Hi, Ada!');
      }
      const replicas = gateway.health().find((h) => h.name === NAME)?.replicas ?? [];
      expect(replicas.map((r) => r.endpoint)).toEqual([1, 2].map((slot) => replicaEndpoint(d.port!, slot)));
      expect(replicas.every((r) => r.calls > 0)).toBe(true);
    } finally {
      await gateway.close();
    }

    const lines: string[] = [];
    for await (const line of fx.cp.logs(NAME, { tail: 200 })) lines.push(line);
    expect(lines.some((l) => l.includes('listening'))).toBe(true);

    // A new value: a new secret, replicas rolled onto it, the old secret removed.
    const before = (await fx.engine.secrets(NAME))[0]!.name;
    await fx.cp.deploy({ name: NAME, target: 'swarm', env: { [API_KEY_ENV]: KEY2 }, actor: 'test' });
    const after = await fx.engine.secrets(NAME);
    expect(after.map((s) => s.name)).not.toContain(before);
    expect(after.length).toBe(1);
    expect(await greetAt(replicaEndpoint(d.port!, 2), KEY2)).toContain('Hi, Ada!');
    await expect(greetAt(replicaEndpoint(d.port!, 2), KEY)).rejects.toThrow();
  });

  it('a restarted factory adopts the running service (labels), without recreating it', {
    timeout: 180_000,
  }, async () => {
    const id = (await fx.engine.inspect(NAME))!.id;
    const again = fx.restart();
    const status = await again.status(NAME);
    const d = status.deployments.find((x) => x.target === 'swarm')!;
    // Answering (healthy, or degraded when a loaded machine answers slower than 1 s).
    expect(d.health?.health).toMatch(/^(healthy|degraded)$/);
    expect((d.health as { runtime?: { replicas?: object } }).runtime?.replicas).toMatchObject({
      desired: 2,
      running: 2,
    });
    const redeployed = await again.deploy({ name: NAME, target: 'swarm', actor: 'test' });
    expect(redeployed.processId).toBe(id);
    expect((await fx.engine.inspect(NAME))!.id).toBe(id);
  });

  it('stop scales to 0, start brings the replicas back, remove leaves nothing', {
    timeout: 240_000,
  }, async () => {
    const d = (await fx.cp.status(NAME)).deployments.find((x) => x.target === 'swarm')!;
    await fx.cp.stop(NAME, { actor: 'test' });
    expect((await fx.engine.inspect(NAME))?.replicas).toBe(0);
    expect((await (await fx.cp.registry()).getDeployment(d.id)).replicasActual).toBe(0);
    await until('no replica runs', async () =>
      (await fx.engine.containers(NAME)).length === 0 ? true : undefined,
    );
    await expect(greetAt(replicaEndpoint(d.port!, 1), KEY2)).rejects.toThrow();

    await fx.cp.start(NAME, { actor: 'test' });
    expect((await fx.engine.inspect(NAME))?.replicas).toBe(2);
    expect(await greetAt(replicaEndpoint(d.port!, 2), KEY2)).toContain('Hi, Ada!');

    // Removing a stopped server: its service (scaled to 0) and secrets must go too, not only running ones.
    await fx.cp.stop(NAME, { actor: 'test' });
    expect((await fx.engine.secrets(NAME)).length).toBe(1);
    await fx.cp.remove(NAME, { actor: 'test' });
    expect(await fx.engine.inspect(NAME)).toBeUndefined();
    expect(await fx.engine.secrets(NAME)).toEqual([]);
    expect(await fx.engine.containers(NAME, { all: true })).toEqual([]);
    await expect(greetAt(replicaEndpoint(d.port!, 1), KEY2)).rejects.toThrow();
  });
});
