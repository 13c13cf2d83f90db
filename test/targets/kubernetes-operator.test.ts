/**
 * The MCPServer reconciler against an in-memory cluster: create (schema-valid objects owned by the resource,
 * the given image, environment from the named Secrets only, status read back), idempotence (no second status
 * patch), update (a new revision rolls, an Ingress no longer wanted is pruned), an invalid spec and code tools
 * (Degraded, nothing applied), a conflict reported with backoff, deletion, and the watch loop (410 Gone → list
 * again, events reconciled, deletions forgotten). Hostile fields are checked by their effect: nothing applied.
 */
import { describe, expect, it } from 'vitest';
import { McpServerOperator } from '../../src/deploy/targets/kubernetes/operator.js';
import type { McpServerResource } from '../../src/deploy/targets/kubernetes/operator-api.js';
import { SPEC_REVISION_ANNOTATION, specRevision } from '../../src/deploy/targets/kubernetes/operator-plan.js';
import { byKind, type Loose, validateObject } from './kubernetes-helpers.js';
import { FakeCluster, resource, until, validSpec } from './kubernetes-operator-fake.js';

const POLICY = { allowCode: false, allowHostAccess: false };
const condition = (r: McpServerResource | { status?: Loose }, type: string): Loose =>
  r.status?.conditions?.find((c: Loose) => c.type === type);

function setup(options: Partial<ConstructorParameters<typeof McpServerOperator>[1]> = {}) {
  const cluster = new FakeCluster();
  const operator = new McpServerOperator(cluster, {
    ...POLICY,
    progressMs: 20,
    resyncMs: 60_000,
    backoffMs: { base: 10, max: 40 },
    now: () => new Date('2026-12-07T00:00:00Z'),
    ...options,
  });
  return { cluster, operator };
}

describe('MCPServer reconcile', () => {
  it('creates owned, schema-valid objects with the given image and Secret references, then reports Ready', async () => {
    const { cluster, operator } = setup();
    cluster.put(
      resource(
        'orders',
        validSpec({
          replicas: 2,
          ingressHost: 'orders.example.com',
          egress: [{ port: 5432, cidr: '10.1.2.3/32', reason: 'orders database' }],
        }),
      ),
    );
    const first = await operator.reconcile(cluster.get('mcp', 'orders'));
    expect(first.outcome).toBe('progressing');
    expect(first.requeueMs).toBe(20);
    expect(cluster.applied.map((o) => o.kind)).toEqual([
      'Service',
      'NetworkPolicy',
      'Deployment',
      'PodDisruptionBudget',
      'Ingress',
    ]);
    for (const object of cluster.applied) {
      validateObject(object);
      expect((object.metadata as Loose).ownerReferences).toEqual([
        {
          apiVersion: 'mcp-factory.dev/v1alpha1',
          kind: 'MCPServer',
          name: 'orders',
          uid: 'uid-orders',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const container = byKind(cluster.applied, 'Deployment').spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example.com/team/orders:1.0.0');
    expect(container.envFrom).toEqual([{ secretRef: { name: 'orders-env' } }]);
    expect(cluster.applied.some((o) => o.kind === 'Secret')).toBe(false);
    // The static spec needs no egress; the resource's rule opens DNS and its one address.
    const policy = byKind(cluster.applied, 'NetworkPolicy');
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      { to: [{ ipBlock: { cidr: '10.1.2.3/32' } }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
    expect(policy.metadata.annotations['dev.mcp-factory/egress']).toBe(
      '10.1.2.3/32:5432/TCP (orders database)',
    );

    let stored = cluster.get('mcp', 'orders');
    expect(condition(stored, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(stored, 'Ready')).toMatchObject({ status: 'False' });
    expect(stored.status).toMatchObject({
      observedGeneration: 1,
      endpoint: 'http://orders.mcp.svc:3000/mcp',
      revision: specRevision(stored.spec),
      replicas: 2,
      readyReplicas: 0,
    });

    cluster.rolloutDone = true;
    const second = await operator.reconcile(stored);
    expect(second).toMatchObject({ outcome: 'ready', requeueMs: 60_000 });
    stored = cluster.get('mcp', 'orders');
    expect(condition(stored, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition(stored, 'Degraded')).toMatchObject({ status: 'False' });
    expect(stored.status?.readyReplicas).toBe(2);

    // Level-triggered and idempotent: the same resource again applies the same objects and patches nothing.
    const patches = cluster.patches.length;
    const before = structuredClone([...cluster.objects.values()]);
    await operator.reconcile(stored);
    expect(cluster.patches.length).toBe(patches);
    expect([...cluster.objects.values()]).toEqual(before);
  });

  it('rolls a new revision on update and prunes the objects the resource no longer wants', async () => {
    const { cluster, operator } = setup();
    cluster.rolloutDone = true;
    cluster.put(
      resource(
        'orders',
        validSpec({ ingressHost: 'orders.example.com', hpa: { min: 2, max: 5, cpuPercent: 70 } }),
      ),
    );
    await operator.reconcile(cluster.get('mcp', 'orders'));
    const v1 = cluster.get('mcp', 'orders');
    const annotation = () =>
      (cluster.objects.get('Deployment/mcp/orders') as Loose).spec.template.metadata.annotations[
        SPEC_REVISION_ANNOTATION
      ];
    const firstRevision = annotation();
    expect(v1.status?.revision).toBe(firstRevision);
    // With an autoscaler the HPA owns replicas: the Deployment does not set them.
    expect((cluster.objects.get('Deployment/mcp/orders') as Loose).spec.replicas).toBeUndefined();

    const changed = validSpec({ image: 'registry.example.com/team/orders:1.1.0' });
    (changed.server as Loose).version = '1.1.0';
    cluster.put({ ...v1, spec: changed });
    const v2 = cluster.get('mcp', 'orders');
    expect(v2.metadata.generation).toBe(2);
    const result = await operator.reconcile(v2);
    expect(result.outcome).toBe('ready');
    expect(annotation()).not.toBe(firstRevision);
    expect(cluster.get('mcp', 'orders').status).toMatchObject({
      observedGeneration: 2,
      revision: annotation(),
    });
    expect(
      (cluster.objects.get('Deployment/mcp/orders') as Loose).spec.template.spec.containers[0].image,
    ).toBe('registry.example.com/team/orders:1.1.0');
    expect(cluster.deleted.sort()).toEqual([
      'autoscaling/v2 HorizontalPodAutoscaler/orders',
      'networking.k8s.io/v1 Ingress/orders',
      'policy/v1 PodDisruptionBudget/orders',
    ]);
  });

  it('marks an invalid spec Degraded with the validator messages and applies nothing', async () => {
    const { cluster, operator } = setup();
    const spec = validSpec();
    (spec.server as Loose).tools = [
      { name: 'q', description: 'Query', sql: { connection: 'nope', statement: 'SELECT 1' } },
    ];
    cluster.put(resource('orders', spec));
    const result = await operator.reconcile(cluster.get('mcp', 'orders'));
    expect(result).toMatchObject({ outcome: 'invalid', applied: 0, requeueMs: undefined });
    expect(cluster.applied).toEqual([]);
    const degraded = condition(cluster.get('mcp', 'orders'), 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(degraded.message).toMatch(/^spec\.server\.tools\[0\]\.sql\.connection: .*nope/);
    expect(condition(cluster.get('mcp', 'orders'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
    });
  });

  it('refuses code and command tools unless the operator allows them', async () => {
    const code = validSpec();
    (code.server as Loose).tools = [
      { name: 'calc', description: 'Calc', code: { source: 'return { ok: true };' } },
    ];
    const command = validSpec();
    (command.server as Loose).tools = [
      {
        name: 'say',
        description: 'Say',
        command: { program: 'printf', args: ['%s\\n', 'hi'], policy: { backend: 'native' } },
      },
    ];
    const refusals: Array<[Record<string, unknown>, Partial<typeof POLICY>, RegExp]> = [
      [code, {}, /--allow-code/],
      [command, {}, /--allow-code/],
      // Allowing code is not allowing host access: command tools run programs of the pod.
      [command, { allowCode: true }, /--allow-host-access/],
    ];
    for (const [spec, policy, message] of refusals) {
      const { cluster, operator } = setup(policy);
      cluster.put(resource('orders', spec));
      const result = await operator.reconcile(cluster.get('mcp', 'orders'));
      expect(result.outcome, JSON.stringify(result.message)).toBe('invalid');
      expect(cluster.applied).toEqual([]);
      const degraded = condition(cluster.get('mcp', 'orders'), 'Degraded');
      expect(degraded).toMatchObject({ status: 'True', reason: 'CodeNotAllowed' });
      expect(degraded.message).toMatch(message);
    }
    const allowances: Array<[Record<string, unknown>, Partial<typeof POLICY>]> = [
      [code, { allowCode: true }],
      [command, { allowCode: true, allowHostAccess: true }],
    ];
    for (const [spec, policy] of allowances) {
      const { cluster, operator } = setup(policy);
      cluster.put(resource('orders', spec));
      const allowed = await operator.reconcile(cluster.get('mcp', 'orders'));
      expect(allowed.outcome, allowed.message).toBe('progressing');
      expect(cluster.applied.length).toBeGreaterThan(0);
    }
  });

  it('reports a conflict as ApplyConflict and retries with growing backoff', async () => {
    const { cluster, operator } = setup();
    cluster.conflictOn = 'Deployment';
    cluster.put(resource('orders', validSpec()));
    const first = await operator.reconcile(cluster.get('mcp', 'orders'));
    const second = await operator.reconcile(cluster.get('mcp', 'orders'));
    const third = await operator.reconcile(cluster.get('mcp', 'orders'));
    const fourth = await operator.reconcile(cluster.get('mcp', 'orders'));
    expect([first, second, third, fourth].map((r) => [r.outcome, r.requeueMs])).toEqual([
      ['failed', 10],
      ['failed', 20],
      ['failed', 40],
      ['failed', 40],
    ]);
    const degraded = condition(cluster.get('mcp', 'orders'), 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'ApplyConflict' });
    expect(degraded.message).toContain('conflict with "kubectl-edit"');
    cluster.conflictOn = undefined;
    expect((await operator.reconcile(cluster.get('mcp', 'orders'))).outcome).toBe('progressing');
    expect(condition(cluster.get('mcp', 'orders'), 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('does nothing for a resource being deleted; the owned objects go with it', async () => {
    const { cluster, operator } = setup();
    cluster.put(resource('orders', validSpec()));
    await operator.reconcile(cluster.get('mcp', 'orders'));
    const applied = cluster.applied.length;
    const deleting = cluster.get('mcp', 'orders');
    deleting.metadata.deletionTimestamp = '2026-12-07T00:00:00Z';
    expect((await operator.reconcile(deleting)).outcome).toBe('deleting');
    expect(cluster.applied.length).toBe(applied);
    cluster.remove('mcp', 'orders');
    expect(cluster.objects.size).toBe(0);
  });
});

describe('MCPServer hostile fields', () => {
  const cases: Array<[string, McpServerResource]> = [
    ['name with ../', resource('../orders', validSpec())],
    ['name with quotes', resource('orders"x', validSpec())],
    ['namespace with a document break', resource('orders', validSpec(), 'mcp\n---\nkind: Pod')],
    ['image with a document break', resource('orders', validSpec({ image: 'evil"\n---\nkind: Pod' }))],
    ['image with ../', resource('orders', validSpec({ image: 'registry.example.com/../../etc:1' }))],
    ['huge replicas', resource('orders', validSpec({ replicas: 1e9 }))],
    ['replicas as text', resource('orders', validSpec({ replicas: '3; rm -rf /' }))],
    ['env Secret with upper case', resource('orders', validSpec({ envSecrets: ['Bad_Name'] }))],
    ['env Secret with a path', resource('orders', validSpec({ envSecrets: ['a/../b'] }))],
    ['env Secret with a newline', resource('orders', validSpec({ envSecrets: ['x\n---'] }))],
    [
      'too many env Secrets',
      resource('orders', validSpec({ envSecrets: Array.from({ length: 17 }, (_, i) => `s${i}`) })),
    ],
    ['egress port 0', resource('orders', validSpec({ egress: [{ port: 0 }] }))],
    [
      'egress cidr injection',
      resource('orders', validSpec({ egress: [{ port: 443, cidr: '10.0.0.0/8"; rm' }] })),
    ],
    [
      'egress reason with a newline',
      resource('orders', validSpec({ egress: [{ port: 443, reason: 'a\n---' }] })),
    ],
    ['ingress host ---', resource('orders', validSpec({ ingressHost: '---' }))],
    ['unknown spec field', resource('orders', validSpec({ hostNetwork: true }))],
    [
      'resources quantity injection',
      resource(
        'orders',
        validSpec({
          resources: { cpuRequest: '1"', cpuLimit: '1', memoryRequest: '1Mi', memoryLimit: '1Mi' },
        }),
      ),
    ],
    ['spec.server missing', resource('orders', { image: 'orders:1' })],
    ['spec.server a string', resource('orders', { server: 'name: x', image: 'orders:1' })],
  ];
  it.each(cases)('%s: refused, nothing applied, the operator keeps working', async (what, hostile) => {
    const { cluster, operator } = setup();
    const key = `${hostile.metadata.namespace}/${hostile.metadata.name}`;
    cluster.servers.set(key, structuredClone(hostile));
    const result = await operator.reconcile(hostile);
    expect(result.outcome).toBe('invalid');
    if (/name|namespace/.test(what))
      // Not a name the API server could hold: no request is built from it, not even the status patch.
      expect(cluster.patches).toEqual([]);
    else {
      // The resource says why, in its status.
      const degraded = condition(cluster.servers.get(key) as McpServerResource, 'Degraded');
      expect(degraded).toMatchObject({ status: 'True' });
      expect(['InvalidResource', 'InvalidSpec']).toContain(degraded.reason);
    }
    expect(result.applied).toBe(0);
    expect(cluster.applied).toEqual([]);
    expect(cluster.deleted).toEqual([]);
    // Still answering: a valid resource next to it is reconciled.
    cluster.put(resource('orders', validSpec()));
    expect((await operator.reconcile(cluster.get('mcp', 'orders'))).outcome).toBe('progressing');
  });
});

describe('MCPServer watch loop', () => {
  it('lists, relists on 410 Gone, reconciles events and forgets deleted resources', async () => {
    const { cluster, operator } = setup();
    cluster.rolloutDone = true;
    cluster.put(resource('orders', validSpec()));
    cluster.goneOnNextWatch = true;
    const stop = new AbortController();
    const running = operator.run(stop.signal);
    try {
      await until(() => cluster.listCalls >= 2 && cluster.watchCalls.length >= 2, 'the relist after 410');
      await until(() => condition(cluster.get('mcp', 'orders'), 'Ready')?.status === 'True', 'orders Ready');
      // The second watch resumes from the relist's resourceVersion, not the stale one.
      expect(Number(cluster.watchCalls[1])).toBeGreaterThanOrEqual(Number(cluster.watchCalls[0]));

      cluster.put(resource('billing', { ...validSpec(), image: 'billing:2' }));
      await until(
        () => cluster.objects.has('Deployment/mcp/billing'),
        'billing applied from the ADDED event',
      );
      await until(
        () => condition(cluster.get('mcp', 'billing'), 'Ready')?.status === 'True',
        'billing Ready',
      );

      cluster.remove('mcp', 'billing');
      const applied = cluster.applied.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(cluster.objects.has('Deployment/mcp/billing')).toBe(false);
      expect(cluster.applied.slice(applied).some((o) => o.metadata.name === 'billing')).toBe(false);

      // An invalid update is reported without touching what runs.
      const bad = cluster.get('mcp', 'orders');
      (bad.spec as Loose).server = { name: 'orders', tools: 'not a list' };
      cluster.put(bad);
      await until(
        () => condition(cluster.get('mcp', 'orders'), 'Degraded')?.status === 'True',
        'orders Degraded',
      );
      expect(cluster.objects.has('Deployment/mcp/orders')).toBe(true);
    } finally {
      stop.abort();
      await running;
    }
  });

  it('backs off when watches end at once or fail, resuming from the same resourceVersion', async () => {
    const lines: string[] = [];
    const { cluster, operator } = setup({ log: (line) => lines.push(line) });
    cluster.put(resource('orders', validSpec()));
    cluster.watchScript = ['close', 'close', { error: 500 }];
    const stop = new AbortController();
    const running = operator.run(stop.signal);
    try {
      await until(() => cluster.watchCalls.length >= 4, 'the fourth watch');
      // 10 + 20 + 40 ms of backoff: no tight loop, and no relist (only 410 asks for one).
      expect(lines.filter((l) => l.startsWith('watch failed'))).toHaveLength(3);
      expect(lines.join('\n')).toContain('closed without an event');
      expect(cluster.listCalls).toBe(1);
      expect(new Set(cluster.watchCalls).size).toBe(1);
      // The fourth watch streams: a change arrives and is reconciled.
      cluster.put(resource('billing', validSpec()));
      await until(() => cluster.objects.has('Deployment/mcp/billing'), 'billing applied');
    } finally {
      stop.abort();
      await running;
    }
  });
});
