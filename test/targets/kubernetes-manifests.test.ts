/**
 * Kubernetes manifests (src/deploy/targets/kubernetes): every generated object of a matrix of specs and options
 * validates against the JSON schemas pinned by kubernetes-models (Kubernetes 1.27.1); the pod keeps the Pod
 * Security "restricted" settings; NetworkPolicy egress follows the spec; hostile options are refused.
 */
import { describe, expect, it } from 'vitest';
import { ServerSpec } from '../../src/core/spec/model.js';
import { egressRules } from '../../src/deploy/targets/kubernetes/egress.js';
import { buildManifests } from '../../src/deploy/targets/kubernetes/manifests.js';
import { type KubernetesOptions, kubernetesName } from '../../src/deploy/targets/kubernetes/options.js';
import { byKind, SPECS, validateObject } from './kubernetes-helpers.js';

const OPTIONS: Record<string, KubernetesOptions> = {
  single: {},
  replicated: { replicas: 3, namespace: 'mcp', imagePrefix: 'registry.example.com:5000/team/' },
  ingress: { ingressHost: 'mcp.example.com' },
  hpa: { hpa: { min: 2, max: 6, cpuPercent: 75 } },
};

function build(spec: object, options: KubernetesOptions = {}, env: Record<string, string> = {}) {
  return buildManifests({
    server: (spec as { name: string }).name,
    revision: 4,
    spec: ServerSpec.parse(spec),
    env,
    secretValues: true,
    options,
  });
}

describe('kubernetes manifests', () => {
  for (const [specName, spec] of Object.entries(SPECS))
    for (const [optionName, options] of Object.entries(OPTIONS))
      it(`${specName} × ${optionName}: every object validates against the pinned schemas`, () => {
        const objects = build(spec, options, { DATABASE_URL: 'postgres://u:p@10.1.2.3:6543/db' });
        expect(objects.length).toBeGreaterThanOrEqual(4);
        for (const object of objects) expect(() => validateObject(object), object.kind).not.toThrow();
        const kinds = objects.map((o) => o.kind);
        expect(kinds.includes('Ingress')).toBe(options.ingressHost !== undefined);
        expect(kinds.includes('HorizontalPodAutoscaler')).toBe(options.hpa !== undefined);
        expect(kinds.includes('PodDisruptionBudget')).toBe(
          (options.replicas ?? 1) > 1 || options.hpa !== undefined,
        );
        for (const object of objects) {
          expect(object.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?(-env)?$/);
          expect(object.metadata.namespace).toBe(options.namespace ?? 'default');
          expect(object.metadata.labels['app.kubernetes.io/managed-by']).toBe('mcp-factory');
        }
      });

  it('the schema validation catches a malformed object', () => {
    const deployment = byKind(build(SPECS.plain), 'Deployment');
    deployment.spec.replicas = 'three';
    expect(() => validateObject(deployment)).toThrow();
  });

  it('the pod runs under Pod Security "restricted"', () => {
    const pod = byKind(build(SPECS.triggers), 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    // Writable places are emptyDirs: /tmp and the trigger state folder the runtime is told about.
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual([
      '/tmp',
      '/var/lib/mcp-state',
    ]);
    expect(container.env).toContainEqual({ name: 'MCP_TRIGGER_STATE_DIR', value: '/var/lib/mcp-state' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.image).toBe('mcp-factory/jobs:r4');
    expect(container.envFrom).toEqual([{ secretRef: { name: 'jobs-env' } }]);
  });

  it('names server names into DNS labels, or refuses them clearly', () => {
    expect(kubernetesName('orders_db')).toBe('orders-db');
    expect(kubernetesName('weather.api')).toBe('weather-api');
    expect(kubernetesName('1auth')).toBe('mcp-1auth');
    expect(() => kubernetesName('a'.repeat(64))).toThrow(/DNS-1035/);
  });

  it('derives egress from the spec: none for a server that reaches nothing', () => {
    const plain = byKind(build(SPECS.plain), 'NetworkPolicy').spec;
    expect(plain.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(plain.egress).toEqual([]);
    expect(plain.ingress).toEqual([{ ports: [{ port: 3000, protocol: 'TCP' }] }]);

    const db = byKind(
      build(SPECS.database, {}, { DATABASE_URL: 'postgres://u:p@10.1.2.3:6543/db' }),
      'NetworkPolicy',
    ).spec;
    expect(db.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.1.2.3/32' } }],
      ports: [{ port: 6543, protocol: 'TCP' }],
    });
    expect(db.egress[0].ports).toContainEqual({ port: 53, protocol: 'UDP' });
    // Without the value the default port of the engine, to any address.
    expect(egressRules(ServerSpec.parse(SPECS.database))).toEqual([
      { host: '*', port: 5432, protocol: 'TCP', reason: 'connection db (postgresql)' },
    ]);
    expect(egressRules(ServerSpec.parse(SPECS.http))).toEqual([
      { host: 'api.example.com', port: 8443, protocol: 'TCP', reason: 'connection up (http)' },
    ]);
    expect(egressRules(ServerSpec.parse(SPECS.triggers), { AMQP_URL: 'amqp://10.0.0.9' })).toEqual([
      { host: '10.0.0.9', port: 5672, protocol: 'TCP', reason: 'queue trigger (rabbitmq)' },
    ]);
  });

  it('keeps secret values out unless asked, and lists every key the spec reads', () => {
    const spec = ServerSpec.parse(SPECS.auth);
    const input = { server: '1auth', revision: 1, spec, env: { MCP_API_KEY: 's3cr3t-value' }, options: {} };
    expect(byKind(buildManifests({ ...input, secretValues: false }), 'Secret').stringData).toEqual({
      MCP_API_KEY: '',
    });
    expect(byKind(buildManifests({ ...input, secretValues: true }), 'Secret').stringData).toEqual({
      MCP_API_KEY: 's3cr3t-value',
    });
    // Applied: a variable without a stored value stays unset (an empty one would override a default).
    expect(byKind(buildManifests({ ...input, env: {}, secretValues: true }), 'Secret').stringData).toEqual(
      {},
    );
    const withoutValues = JSON.stringify(buildManifests({ ...input, secretValues: false }));
    expect(withoutValues).not.toContain('s3cr3t-value');
  });

  const HOSTILE: [string, KubernetesOptions][] = [
    ['namespace with a quote', { namespace: 'a"b' }],
    ['namespace with a newline', { namespace: 'a\nkind: Secret' }],
    ['upper-case namespace', { namespace: 'Prod' }],
    ['namespace ../', { namespace: '../etc' }],
    ['host with a document separator', { ingressHost: 'a.example.com\n---\nkind: Pod' }],
    ['host with a quote', { ingressHost: 'a".example.com' }],
    ['upper-case host', { ingressHost: 'MCP.example.com' }],
    ['image prefix with ../', { imagePrefix: 'registry.example.com/../' }],
    ['image prefix with a newline', { imagePrefix: 'r.example.com/\n---\n' }],
    ['image prefix without a slash', { imagePrefix: 'registry.example.com' }],
    ['image prefix with a tag', { imagePrefix: 'r.example.com/a:b/' }],
    ['zero replicas', { replicas: 0 }],
    ['fractional replicas', { replicas: 1.5 }],
    ['hpa min above max', { hpa: { min: 5, max: 2, cpuPercent: 50 } }],
    [
      'resources with a quote',
      { resources: { cpuRequest: '1"', cpuLimit: '1', memoryRequest: '1Mi', memoryLimit: '1Mi' } },
    ],
  ];
  for (const [label, options] of HOSTILE)
    it(`refuses ${label}`, () => {
      expect(() => build(SPECS.plain, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENTS' }),
      );
    });
});
