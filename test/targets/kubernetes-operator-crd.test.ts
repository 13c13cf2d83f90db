/**
 * The MCPServer CRD and the operator's install objects: the CRD and every install object validate against the
 * Kubernetes 1.27.1 schemas of kubernetes-models; the CRD's schema is structural (a type everywhere, no
 * additionalProperties beside properties); example resources are checked against the CRD's own openAPIV3Schema
 * with ajv (valid ones pass, hostile ones fail); the RBAC grants no Secret access; `operator --print-crd` writes
 * a YAML stream of the same objects and writes nothing for hostile flags.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { buildMcpServerCrd, mcpServerSchema } from '../../src/deploy/targets/kubernetes/crd.js';
import { operatorInstallObjects } from '../../src/deploy/targets/kubernetes/crd-install.js';
import { McpServerOperator } from '../../src/deploy/targets/kubernetes/operator.js';
import type { McpServerResource } from '../../src/deploy/targets/kubernetes/operator-api.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import type { Loose } from './kubernetes-helpers.js';
import { FakeCluster, resource, validSpec } from './kubernetes-operator-fake.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  CustomResourceDefinition,
  Deployment,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  Namespace,
  ServiceAccount,
};

function validateInstallObject(object: Loose): void {
  const Model = MODELS[object.kind];
  if (!Model) throw new Error(`no model for ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}

/** Structural: every node typed (or explicitly open), and properties never combined with additionalProperties. */
function structuralProblems(schema: Loose, path = ''): string[] {
  const problems: string[] = [];
  if (!schema.type && !schema['x-kubernetes-preserve-unknown-fields'])
    problems.push(`${path || '/'} has no type`);
  if (schema.properties && schema.additionalProperties !== undefined)
    problems.push(`${path} has properties and additionalProperties`);
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    problems.push(...structuralProblems(child, `${path}.${key}`));
  if (schema.items) problems.push(...structuralProblems(schema.items, `${path}[]`));
  return problems;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validateCr = ajv.compile(mcpServerSchema());

describe('MCPServer CRD', () => {
  it('is a valid, structural CustomResourceDefinition with status and printer columns', () => {
    const crd = buildMcpServerCrd() as Loose;
    validateInstallObject(crd);
    expect(crd.metadata.name).toBe('mcpservers.mcp-factory.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    const [version] = crd.spec.versions;
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
    expect(version.additionalPrinterColumns.map((c: Loose) => c.name)).toEqual([
      'Ready',
      'Degraded',
      'Replicas',
      'Endpoint',
      'Revision',
      'Age',
    ]);
    expect(structuralProblems(version.schema.openAPIV3Schema)).toEqual([]);
  });

  it('accepts example resources and a status the operator writes', () => {
    const full = resource(
      'orders',
      validSpec({
        replicas: 3,
        resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '512Mi' },
        ingressHost: 'orders.example.com',
        hpa: { min: 2, max: 10, cpuPercent: 80 },
        egress: [
          { port: 5432, cidr: '10.1.2.3/32', reason: 'orders database' },
          { port: 443, protocol: 'TCP' },
        ],
      }),
    );
    full.status = {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Available',
          message: '3/3',
          lastTransitionTime: '2026-12-07T00:00:00Z',
          observedGeneration: 1,
        },
      ],
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      endpoint: 'http://orders.mcp.svc:3000/mcp',
      revision: '0123456789abcdef',
    };
    for (const example of [resource('plain', validSpec()), full])
      expect(validateCr(example), JSON.stringify(validateCr.errors)).toBe(true);
  });

  const hostile: Array<[string, Record<string, unknown>]> = [
    ['no image', { server: {} }],
    ['no server', { image: 'orders:1' }],
    ['image with a document break', validSpec({ image: 'evil"\n---\nkind: Pod' })],
    ['image with spaces', validSpec({ image: 'orders 1' })],
    ['huge replicas', validSpec({ replicas: 1e9 })],
    ['zero replicas', validSpec({ replicas: 0 })],
    ['env Secret not a DNS name', validSpec({ envSecrets: ['Bad_Name'] })],
    ['env Secret with ../', validSpec({ envSecrets: ['../x'] })],
    ['env Secret with a newline', validSpec({ envSecrets: ['x\n---'] })],
    ['too many env Secrets', validSpec({ envSecrets: Array.from({ length: 17 }, (_, i) => `s${i}`) })],
    ['egress port out of range', validSpec({ egress: [{ port: 70000 }] })],
    ['egress protocol', validSpec({ egress: [{ port: 53, protocol: 'ICMP' }] })],
    ['egress cidr injection', validSpec({ egress: [{ port: 443, cidr: '10.0.0.0/8"; rm' }] })],
    ['ingress host with quotes', validSpec({ ingressHost: 'a"b.example.com' })],
    ['hpa incomplete', validSpec({ hpa: { min: 1 } })],
    [
      'resources quantity injection',
      validSpec({
        resources: { cpuRequest: '1\n---', cpuLimit: '1', memoryRequest: '1Mi', memoryLimit: '1Mi' },
      }),
    ],
  ];
  it.each(hostile)('refuses %s', (_what, spec) => {
    expect(validateCr(resource('orders', spec))).toBe(false);
  });
});

describe('the example of docs/kubernetes.md', () => {
  it('is valid against the CRD schema and reconciles', async () => {
    const text = readFileSync(new URL('../../docs/kubernetes.md', import.meta.url), 'utf8');
    const block = /### The resource\n\n```yaml\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    const example = parse(block as string) as McpServerResource;
    expect(validateCr(example), JSON.stringify(validateCr.errors)).toBe(true);
    const cluster = new FakeCluster();
    cluster.put({ ...example, metadata: { ...example.metadata, uid: 'uid-example' } });
    const operator = new McpServerOperator(cluster, { allowCode: false, allowHostAccess: false });
    const result = await operator.reconcile(cluster.get('mcp', 'orders'));
    expect(result.outcome, result.message).toBe('progressing');
  });
});

describe('operator install objects', () => {
  it('validate, grant the least rights (no Secrets) and scope to a namespace when asked', () => {
    const cluster = operatorInstallObjects({ image: 'registry.example.com/mcp-factory:1.0.0' }) as Loose[];
    const scoped = operatorInstallObjects({
      image: 'registry.example.com/mcp-factory:1.0.0',
      watchNamespace: 'mcp',
      allowCode: true,
    }) as Loose[];
    for (const object of [...cluster, ...scoped]) validateInstallObject(object);
    expect(cluster.map((o) => o.kind)).toEqual([
      'CustomResourceDefinition',
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]);
    expect(scoped.map((o) => o.kind)).toContain('Role');
    const role = scoped.find((o) => o.kind === 'Role');
    expect(role.metadata.namespace).toBe('mcp');
    for (const rule of [...role.rules, ...cluster.find((o) => o.kind === 'ClusterRole').rules])
      expect(rule.resources).not.toContain('secrets');
    const container = scoped.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    expect(container.args).toEqual(['operator', '--namespace', 'mcp', '--allow-code']);
  });

  it('refuses hostile install options', () => {
    for (const options of [
      { image: 'x"\n---\nkind: Pod' },
      { image: 'ok:1', installNamespace: '../etc' },
      { image: 'ok:1', watchNamespace: 'a\nb' },
    ])
      expect(() => operatorInstallObjects(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENTS' }),
      );
  });
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), isTTY: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mcp-factory operator --print-crd', () => {
  it('writes the install objects as one YAML stream', async () => {
    const { code, stdout } = await cli([
      'operator',
      '--print-crd',
      '--image',
      'registry.example.com/mcp-factory:2.0.0',
    ]);
    expect(code).toBe(0);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS());
    expect(docs.map((d: Loose) => d.kind)).toEqual(
      (operatorInstallObjects({ image: 'x:1' }) as Loose[]).map((o) => o.kind),
    );
    expect(docs[0]).toEqual(buildMcpServerCrd());
    for (const doc of docs) validateInstallObject(doc);
  });

  it('writes nothing for hostile flags', async () => {
    for (const args of [
      ['--image', 'x\n---\nkind: Pod'],
      ['--namespace', '../kube-system'],
      ['--install-namespace', 'A"B'],
    ]) {
      const { code, stdout } = await cli(['operator', '--print-crd', ...args]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
    }
  });
});
