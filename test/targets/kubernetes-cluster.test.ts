/**
 * The kubernetes apply path (cluster.ts) against a recording fake of KubernetesApi: what is applied equals the
 * schema-validated manifests (Secret values included, applied before the Deployment), a new revision changes
 * the image tag, rollback re-applies the earlier revision's objects, stop/start scale, removal deletes by the
 * server label, health follows the Deployment status. A live test against a real cluster runs only with
 * MCP_FACTORY_TEST_KUBECONFIG (no cluster exists in CI, so MCP_FACTORY_REQUIRE_SERVICES does not force it).
 */
import { describe, expect, it } from 'vitest';
import { ServerSpec } from '../../src/core/spec/model.js';
import {
  type DeploymentStatus,
  type KubernetesApi,
  KubernetesCluster,
} from '../../src/deploy/targets/kubernetes/cluster.js';
import { buildManifests, type KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';
import { byKind, SPECS, validateObject } from './kubernetes-helpers.js';

class FakeApi implements KubernetesApi {
  applied: KubernetesObject[] = [];
  scaled: [string, string, number][] = [];
  deleted: [string, string][] = [];
  status: DeploymentStatus | undefined;
  async apply(object: KubernetesObject) {
    this.applied.push(structuredClone(object));
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
  async *podLogs(_ns: string, selector: string, query: { tail: number }) {
    for (let i = 0; i < query.tail; i++) yield `${selector} line ${i}`;
  }
}

const SPEC_V1 = ServerSpec.parse({ ...SPECS.database, name: 'orders' });
const SPEC_V2 = ServerSpec.parse({ ...SPECS.http, name: 'orders' });
const ENV = { DATABASE_URL: 'postgres://u:secret-pw@10.1.2.3:5432/db' };

describe('kubernetes apply path (fake API)', () => {
  it('applies exactly the validated manifests, the Secret before the Deployment', async () => {
    const api = new FakeApi();
    const cluster = new KubernetesCluster(api);
    const options = { namespace: 'mcp', replicas: 2 };
    await cluster.applyRevision('orders', { revision: 1, spec: SPEC_V1 }, ENV, options);
    const expected = buildManifests({
      server: 'orders',
      revision: 1,
      spec: SPEC_V1,
      env: ENV,
      secretValues: true,
      options,
    });
    expect([...api.applied].sort((a, b) => a.kind.localeCompare(b.kind))).toEqual(
      [...expected].sort((a, b) => a.kind.localeCompare(b.kind)),
    );
    for (const object of api.applied) validateObject(object);
    const kinds = api.applied.map((o) => o.kind);
    expect(kinds.indexOf('Secret')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(byKind(api.applied, 'Secret').stringData).toEqual(ENV);
  });

  it('rolls to a new revision and back to the earlier one', async () => {
    const api = new FakeApi();
    const cluster = new KubernetesCluster(api);
    const image = () =>
      byKind(api.applied.filter((o) => o.kind === 'Deployment').slice(-1), 'Deployment').spec.template.spec
        .containers[0].image;
    await cluster.applyRevision('orders', { revision: 1, spec: SPEC_V1 }, ENV, {});
    const first = structuredClone(api.applied);
    await cluster.applyRevision('orders', { revision: 2, spec: SPEC_V2 }, ENV, {});
    expect(image()).toBe('mcp-factory/orders:r2');
    api.applied = [];
    await cluster.rollback('orders', { revision: 1, spec: SPEC_V1 }, ENV, {});
    expect(image()).toBe('mcp-factory/orders:r1');
    expect(api.applied).toEqual(first);
    // Revision 1's egress (the database) is back, revision 2's (the HTTP API) gone.
    expect(byKind(api.applied, 'NetworkPolicy').metadata.annotations['dev.mcp-factory/egress']).toContain(
      '10.1.2.3:5432',
    );
  });

  it('stops, starts, removes by label and reads health from the Deployment', async () => {
    const api = new FakeApi();
    const cluster = new KubernetesCluster(api);
    await cluster.stop('orders_db', 'mcp');
    await cluster.start('orders_db', 3, 'mcp');
    expect(api.scaled).toEqual([
      ['mcp', 'orders-db', 0],
      ['mcp', 'orders-db', 3],
    ]);
    await cluster.remove('orders_db', 'mcp');
    expect(api.deleted).toEqual([['mcp', 'dev.mcp-factory/server=orders-db']]);

    expect((await cluster.health('orders')).health).toBe('unhealthy');
    api.status = { replicas: 3, availableReplicas: 3, updatedReplicas: 3, image: 'mcp-factory/orders:r2' };
    expect((await cluster.health('orders')).health).toBe('healthy');
    api.status = { replicas: 3, availableReplicas: 2, updatedReplicas: 1, image: 'mcp-factory/orders:r2' };
    expect((await cluster.health('orders')).health).toBe('degraded');
    api.status = { replicas: 3, availableReplicas: 0, updatedReplicas: 3, image: 'mcp-factory/orders:r2' };
    expect((await cluster.health('orders')).health).toBe('unhealthy');
    api.status = { replicas: 0, availableReplicas: 0, updatedReplicas: 0, image: 'mcp-factory/orders:r2' };
    expect((await cluster.health('orders')).detail).toBe('scaled to 0');

    const lines: string[] = [];
    for await (const line of cluster.logs('orders', { tail: 2, follow: false })) lines.push(line);
    expect(lines).toEqual(['dev.mcp-factory/server=orders line 0', 'dev.mcp-factory/server=orders line 1']);
  });

  it('refuses hostile options before anything is applied', async () => {
    const api = new FakeApi();
    const cluster = new KubernetesCluster(api);
    await expect(
      cluster.applyRevision('orders', { revision: 1, spec: SPEC_V1 }, ENV, {
        namespace: 'x\n---\nkind: Pod',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENTS' });
    expect(api.applied).toEqual([]);
  });
});

const KUBECONFIG = process.env.MCP_FACTORY_TEST_KUBECONFIG;
if (!KUBECONFIG)
  process.stderr.write(
    '\n[skip] live Kubernetes tests need MCP_FACTORY_TEST_KUBECONFIG (a kind/k3d cluster; none exists in CI, so MCP_FACTORY_REQUIRE_SERVICES does not force them)\n',
  );

describe.skipIf(!KUBECONFIG)('kubernetes apply path (live cluster)', () => {
  it('applies, reads back, scales to 0 and removes a server', async () => {
    const { ClientNodeApi } = await import('../../src/deploy/targets/kubernetes/client.js');
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromFile(KUBECONFIG as string);
    const api = new ClientNodeApi(config);
    const cluster = new KubernetesCluster(api);
    const server = `live-${process.pid}`;
    try {
      await cluster.applyRevision(
        server,
        { revision: 1, spec: ServerSpec.parse({ ...SPECS.plain, name: server }) },
        {},
        {},
      );
      const status = await api.readDeployment('default', server);
      expect(status?.image).toBe(`mcp-factory/${server}:r1`);
      await cluster.stop(server);
      expect((await api.readDeployment('default', server))?.replicas).toBe(0);
    } finally {
      await cluster.remove(server);
    }
    expect(await api.readDeployment('default', server)).toBeUndefined();
  }, 60_000);
});
