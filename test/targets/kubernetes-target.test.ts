/**
 * The kubernetes DeploymentTarget on a real registry with a recording fake cluster API: a deployment of a
 * created server applies the validated manifests of its revision (Secret values from the target's own secret
 * store) and records `running` with the in-cluster endpoint; a new revision rolls the image, a rollback
 * re-applies the earlier revision's objects; stop scales to 0; removal deletes by label only for servers
 * deployed here; without a cluster the target is unavailable and a deployment is recorded `failed`.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/control-plane.js';
import type { DeploymentStatus, KubernetesApi } from '../../src/deploy/targets/kubernetes/cluster.js';
import type { KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';
import { KubernetesTarget } from '../../src/deploy/targets/kubernetes/target.js';
import type { Registry } from '../../src/store/index.js';
import { DeployBody } from '../../src/surfaces/operations/schemas.js';
import { createText } from '../supervisor/helpers.js';
import { byKind, validateObject } from './kubernetes-helpers.js';

class FakeApi implements KubernetesApi {
  applied: KubernetesObject[] = [];
  scaled: [string, string, number][] = [];
  deleted: [string, string][] = [];
  /** Whether the replicas of an applied Deployment become available (false: the rollout never completes). */
  healthyReplicas = true;
  status: DeploymentStatus | undefined;
  async apply(object: KubernetesObject) {
    this.applied.push(structuredClone(object));
    if (object.kind === 'Deployment') {
      const { spec } = object as unknown as {
        spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
      };
      const ready = this.healthyReplicas ? spec.replicas : 0;
      const image = spec.template.spec.containers[0]?.image ?? '';
      this.status = { replicas: spec.replicas, availableReplicas: ready, updatedReplicas: ready, image };
    }
  }
  async readDeployment() {
    return this.status;
  }
  async scaleDeployment(namespace: string, name: string, replicas: number) {
    this.scaled.push([namespace, name, replicas]);
  }
  async deleteByLabel(namespace: string, selector: string) {
    this.deleted.push([namespace, selector]);
  }
  async *podLogs() {
    yield 'listening';
  }
}

const SERVER = 'k8s.text';
let home: string;
let cp: LocalControlPlane;
let registry: Registry;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-k8s-target-'));
  cp = createControlPlane({ home, autoStartSupervisor: false });
  await createText(cp, SERVER, { auth: { type: 'api_key', header: 'X-API-Key', envVar: 'MCP_API_KEY' } });
  await createText(
    cp,
    SERVER,
    { auth: { type: 'api_key', header: 'X-API-Key', envVar: 'MCP_API_KEY' }, version: '0.2.0' },
    true,
  );
  registry = await cp.registry();
}, 120_000);

afterAll(async () => {
  await cp?.close();
  rmSync(home, { recursive: true, force: true });
});

/** A target on a recording API, and the path of the server's options file (its folder made, no file). */
function withOptionsFile() {
  const api = new FakeApi();
  const target = new KubernetesTarget({
    layout: cp.layout,
    registry: () => cp.registry(),
    api: async () => api,
    pollMs: 10,
  });
  const settings = join(cp.layout.serverDir(SERVER), 'kubernetes.json');
  mkdirSync(dirname(settings), { recursive: true });
  return { api, target, settings };
}

/** The kubernetes deployment of SERVER, wanted running at `revision` (recorded; the target is asked apart). */
const wantRunning = (revision: number) =>
  registry.upsertDeployment({
    server: SERVER,
    target: 'kubernetes',
    revision,
    desired: 'running',
    actor: 'test',
  });

const imageOf = (objects: KubernetesObject[]) =>
  byKind(objects, 'Deployment').spec.template.spec.containers[0].image;

describe('kubernetes target', () => {
  it('deploys, rolls to a new revision, rolls back, stops and forgets', async () => {
    const { api, target } = withOptionsFile();
    await target.ensureAvailable({ server: SERVER, projectDir: home });
    target.writeEnv(SERVER, { MCP_API_KEY: 'k8s-secret-value' });
    expect(target.readEnv(SERVER)).toEqual({ MCP_API_KEY: 'k8s-secret-value' });

    let d = await registry.upsertDeployment({
      server: SERVER,
      target: 'kubernetes',
      revision: 1,
      actor: 'test',
    });
    await target.apply([d]);
    d = await registry.getDeployment(d.id);
    expect(d.status, d.lastError ?? '').toBe('running');
    expect(d.endpoint).toBe('http://k8s-text.default.svc:3000/mcp');
    // Replica counts from the rollout status, in the record that list and status share.
    expect(d).toMatchObject({ replicasDesired: 1, replicasActual: 1 });
    for (const object of api.applied) validateObject(object);
    expect(imageOf(api.applied)).toBe('mcp-factory/k8s.text:r1');
    expect(byKind(api.applied, 'Secret').stringData).toEqual({ MCP_API_KEY: 'k8s-secret-value' });
    const first = structuredClone(api.applied);

    api.applied = [];
    d = await registry.upsertDeployment({ server: SERVER, target: 'kubernetes', revision: 2, actor: 'test' });
    await target.apply([d]);
    expect(imageOf(api.applied)).toBe('mcp-factory/k8s.text:r2');

    api.applied = [];
    d = await registry.upsertDeployment({ server: SERVER, target: 'kubernetes', revision: 1, actor: 'test' });
    await target.apply([d]);
    expect(api.applied).toEqual(first);

    d = await registry.upsertDeployment({
      server: SERVER,
      target: 'kubernetes',
      desired: 'stopped',
      actor: 'test',
    });
    await target.apply([d]);
    expect(api.scaled).toEqual([['default', 'k8s-text', 0]]);
    expect(await registry.getDeployment(d.id)).toMatchObject({ status: 'stopped', replicasActual: 0 });

    api.status = { replicas: 1, availableReplicas: 1, updatedReplicas: 1, image: 'mcp-factory/k8s.text:r1' };
    expect((await target.health([d])).get(d.id)?.health).toBe('healthy');
    expect(await target.recentOutput(SERVER, 5)).toEqual(['listening']);

    await target.forget(SERVER);
    expect(api.deleted).toEqual([['default', 'dev.mcp-factory/server=k8s-text']]);
    api.deleted = [];
    await target.forget('never-here');
    expect(api.deleted).toEqual([]);
    target.removeEnv(SERVER);
    expect(target.readEnv(SERVER)).toEqual({});
  });

  it('takes per-server options from kubernetes.json, and refuses hostile ones before anything is applied', async () => {
    const { api, target, settings } = withOptionsFile();
    try {
      writeFileSync(
        settings,
        JSON.stringify({ namespace: 'mcp', replicas: 2, imagePrefix: 'registry.example.com/t/' }),
      );
      const d = await wantRunning(1);
      await target.apply([d]);
      expect((await registry.getDeployment(d.id)).endpoint).toBe('http://k8s-text.mcp.svc:3000/mcp');
      expect(imageOf(api.applied)).toBe('registry.example.com/t/mcp-factory/k8s.text:r1');
      expect(api.applied.map((o) => o.kind)).toContain('PodDisruptionBudget');
      expect(await registry.getDeployment(d.id)).toMatchObject({ replicasDesired: 2, replicasActual: 2 });
      // Health reads the rollout again: one replica lost is recorded as 1/2 (and written only on change).
      api.status = { ...api.status!, availableReplicas: 1 };
      const before = await registry.getDeployment(d.id);
      expect((await target.health([before])).get(d.id)?.health).toBe('degraded');
      const after = await registry.getDeployment(d.id);
      expect(after).toMatchObject({ replicasDesired: 2, replicasActual: 1 });
      await target.health([after]);
      expect((await registry.getDeployment(d.id)).updatedAt).toBe(after.updatedAt);
      for (const hostile of [
        '{"namespace": "a\\n---\\nkind: Pod"}',
        '{"imagePrefix": "../"}',
        'not json',
        '[1]',
      ]) {
        writeFileSync(settings, hostile);
        api.applied = [];
        await expect(target.ensureAvailable({ server: SERVER, projectDir: home })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENTS',
        });
        await target.apply([d]);
        expect(api.applied).toEqual([]);
        expect((await registry.getDeployment(d.id)).status).toBe('failed');
      }
    } finally {
      rmSync(settings, { force: true });
    }
  });

  it('keeps the options a deploy gives in kubernetes.json; refuses hostile ones and a namespace move, writing nothing', async () => {
    const { api, target, settings } = withOptionsFile();
    try {
      const resources = { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '512Mi' };
      writeFileSync(settings, JSON.stringify({ resources }));
      await target.ensureAvailable({
        server: SERVER,
        projectDir: home,
        kubernetes: { replicas: 3, ingressHost: 'mcp.example.com', namespace: 'default' },
      });
      // Merged key by key: the file's resources stay, the deploy's options join it; private to the user.
      const kept = JSON.parse(readFileSync(settings, 'utf8'));
      expect(kept).toEqual({
        resources,
        replicas: 3,
        ingressHost: 'mcp.example.com',
        namespace: 'default',
      });
      expect(statSync(settings).mode & 0o777).toBe(0o600);
      const d = await wantRunning(1);
      await target.apply([d]);
      expect(byKind(api.applied, 'Deployment').spec.replicas).toBe(3);
      expect(byKind(api.applied, 'Ingress').spec.rules[0].host).toBe('mcp.example.com');
      for (const object of api.applied) validateObject(object);

      // Refused before anything is written: hostile values, and another namespace for a deployed server.
      const before = readFileSync(settings, 'utf8');
      for (const kubernetes of [
        { namespace: 'a\n---\nkind: Pod' },
        { ingressHost: 'evil.example.com\n  - host: x' },
        { imagePrefix: '../../' },
        { replicas: 0 },
        { replicas: 51 },
        { namespace: 'other' },
      ]) {
        await expect(
          target.ensureAvailable({ server: SERVER, projectDir: home, kubernetes }),
          JSON.stringify(kubernetes),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });
        expect(readFileSync(settings, 'utf8')).toBe(before);
      }
      // A symbolic link swapped in for the file is refused, and the file it points to is left alone.
      const elsewhere = join(home, 'elsewhere.json');
      writeFileSync(elsewhere, '{"replicas": 1}');
      rmSync(settings);
      symlinkSync(elsewhere, settings);
      await expect(
        target.ensureAvailable({ server: SERVER, projectDir: home, kubernetes: { replicas: 2 } }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });
      expect(readFileSync(elsewhere, 'utf8')).toBe('{"replicas": 1}');
    } finally {
      rmSync(settings, { force: true });
    }
  });

  it('the control plane gives each target its own deploy options and refuses the others, recording nothing', async () => {
    const settings = join(cp.layout.serverDir(SERVER), 'kubernetes.json');
    const before = (await registry.listDeployments({ server: SERVER })).length;
    for (const request of [
      { target: 'local', namespace: 'mcp' },
      { target: 'docker', replicas: 2 },
      { target: 'swarm', ingressHost: 'mcp.example.com' },
      { target: 'kubernetes', cpus: 1 },
      { target: 'kubernetes', constraints: ['node.role==manager'] },
      { target: 'kubernetes', namespace: 'Not_A_Label' },
      { target: 'kubernetes', namespace: 'other' }, // deployed in default already
    ] as const) {
      const error = await cp.deploy({ name: SERVER, actor: 'test', ...request }).catch((e) => e);
      expect(error?.code, JSON.stringify(request)).toBe('INVALID_ARGUMENTS');
    }
    expect((await registry.listDeployments({ server: SERVER })).length).toBe(before);
    expect(existsSync(settings)).toBe(false);
    // The API's and the MCP tool's schema take them (the target checks the values).
    expect(DeployBody.safeParse({ target: 'kubernetes', replicas: 3, namespace: 'mcp' }).success).toBe(true);
    expect(DeployBody.safeParse({ target: 'kubernetes', namespace: 'x'.repeat(64) }).success).toBe(false);
  });

  it('records a rollout whose replicas never become available as failed', async () => {
    const api = new FakeApi();
    api.healthyReplicas = false;
    const target = new KubernetesTarget({
      layout: cp.layout,
      registry: () => cp.registry(),
      api: async () => api,
      rolloutTimeoutMs: 300,
      pollMs: 20,
    });
    const d = await registry.upsertDeployment({
      server: SERVER,
      target: 'kubernetes',
      revision: 2,
      desired: 'running',
      actor: 'test',
    });
    await target.apply([d]);
    const after = await registry.getDeployment(d.id);
    expect(after.status).toBe('failed');
    expect(after.lastError).toContain('the rollout of mcp-factory/k8s.text:r2 did not complete');
  });

  it('without a cluster: unavailable before anything is recorded, failed when applied', async () => {
    const unavailable = new FactoryError('DEPLOY_TARGET_UNAVAILABLE', 'no cluster');
    const target = new KubernetesTarget({
      layout: cp.layout,
      registry: () => cp.registry(),
      api: async () => {
        throw unavailable;
      },
    });
    await expect(target.ensureAvailable({ server: SERVER, projectDir: home })).rejects.toBe(unavailable);
    await expect(
      target.ensureAvailable({ server: SERVER, projectDir: home, runtime: 'runsc' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    const d = await registry.upsertDeployment({
      server: SERVER,
      target: 'kubernetes',
      desired: 'running',
      actor: 'test',
    });
    await target.apply([d]);
    const after = await registry.getDeployment(d.id);
    expect(after.status).toBe('failed');
    expect(after.lastError).toContain('no cluster');
  });
});
