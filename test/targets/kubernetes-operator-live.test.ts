/**
 * The operator against a real cluster, only with MCP_FACTORY_TEST_KUBECONFIG (a kind/k3d cluster; none exists
 * in CI, so MCP_FACTORY_REQUIRE_SERVICES does not force it): install the CRD, create an MCPServer, reconcile
 * once, read the owned Deployment and the status back, delete the resource.
 */
import { describe, expect, it } from 'vitest';
import { buildMcpServerCrd } from '../../src/deploy/targets/kubernetes/crd.js';
import type { KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';
import { McpServerOperator } from '../../src/deploy/targets/kubernetes/operator.js';
import { resource, validSpec } from './kubernetes-operator-fake.js';

const KUBECONFIG = process.env.MCP_FACTORY_TEST_KUBECONFIG;
if (!KUBECONFIG)
  process.stderr.write(
    '\n[skip] live operator tests need MCP_FACTORY_TEST_KUBECONFIG (a kind/k3d cluster; none exists in CI, so MCP_FACTORY_REQUIRE_SERVICES does not force them)\n',
  );

describe.skipIf(!KUBECONFIG)('MCPServer operator (live cluster)', () => {
  it('reconciles a resource into an owned Deployment and reports its status', async () => {
    const { KubeConfig, KubernetesObjectApi } = await import('@kubernetes/client-node');
    const { ClientNodeOperatorApi } = await import('../../src/deploy/targets/kubernetes/operator-client.js');
    const config = new KubeConfig();
    config.loadFromFile(KUBECONFIG as string);
    const api = new ClientNodeOperatorApi(config);
    const objects = KubernetesObjectApi.makeApiClient(config);
    await api.apply(buildMcpServerCrd() as unknown as KubernetesObject);
    const name = `live-op-${process.pid}`;
    const cr = resource(name, validSpec({ image: 'registry.example.com/none/live:1' }), 'default');
    delete cr.metadata.uid;
    delete cr.metadata.generation;
    // The CRD needs a moment to be established before its resources can be created.
    for (let attempt = 0; ; attempt++)
      try {
        await api.apply(cr as unknown as KubernetesObject);
        break;
      } catch (error) {
        if (attempt > 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    try {
      const operator = new McpServerOperator(api, {
        namespace: 'default',
        allowCode: false,
        allowHostAccess: false,
      });
      const results = await operator.runOnce();
      expect(results.find((r) => r.key === `default/${name}`)?.outcome).toMatch(/progressing|ready/);
      const deployment = await api.readDeployment('default', name);
      expect(deployment?.image).toBe('registry.example.com/none/live:1');
      const { items } = await api.listServers('default');
      const stored = items.find((i) => i.metadata.name === name);
      expect(stored?.status?.conditions?.map((c) => c.type).sort()).toEqual([
        'Degraded',
        'Progressing',
        'Ready',
      ]);
    } finally {
      await objects.delete({
        apiVersion: cr.apiVersion,
        kind: cr.kind,
        metadata: { name, namespace: 'default' },
      });
    }
  }, 90_000);
});
