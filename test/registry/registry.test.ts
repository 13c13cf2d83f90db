/**
 * The registry API, run against each backend: SQLite always, PostgreSQL when MCP_FACTORY_TEST_PG_URL is set.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreateVersionInput,
  defaultHome,
  openRegistry,
  type Registry,
  type ToolInput,
} from '../../src/store/index.js';
import { availableBackends, type BackendHandle, createSqliteHome, hash, rejection } from './backends.js';

const TOOLS: ToolInput[] = [
  {
    name: 'search_products',
    title: 'Search products',
    description: 'Search products by name or SKU.',
    annotations: { readOnlyHint: true },
  },
  { name: 'adjust_stock', title: 'Adjust stock', description: 'Change the stock level of a product.' },
  { name: 'listOrders', title: 'List orders', description: 'Orders of a customer, newest first.' },
];

function version(name: string, n: number, extra: Partial<CreateVersionInput> = {}): CreateVersionInput {
  return {
    name,
    version: `1.0.${n}`,
    spec: { name, version: `1.0.${n}`, tools: TOOLS.map((t) => ({ name: t.name })) },
    artifactHash: hash(`${name}-${n}`),
    tools: TOOLS,
    actor: 'cli:test',
    ...extra,
  };
}

describe.each(availableBackends())('registry on $name', (backend) => {
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

  it('opens, migrates once, and reopens on the same store', async () => {
    const info = registry.info();
    expect(info.backend).toBe(backend.name);
    if (backend.name === 'sqlite') {
      expect(info.journalMode).toBe('wal');
      expect(info.search).toBe('fts');
      const pragmas = await sql<{ v: unknown }>`PRAGMA synchronous`.execute(registry.kysely);
      expect(Object.values(pragmas.rows[0] ?? {})).toEqual([2]); // FULL
      const fk = await sql`PRAGMA foreign_keys`.execute(registry.kysely);
      expect(Object.values(fk.rows[0] ?? {})).toEqual([1]);
    } else {
      expect(info.search).toBe('tsvector');
      expect(info.location).not.toContain('@127.0.0.1:5432/test'); // its own database
    }
    const again = await openRegistry(handle.options);
    expect(again.info().backend).toBe(backend.name);
    await again.close();
  });

  it('creates servers and immutable, gapless revisions', async () => {
    const first = await registry.createServerVersion(version('inv', 1));
    expect(first.server).toMatchObject({
      name: 'inv',
      status: 'registered',
      currentRevision: 1,
      latestRevision: 1,
      currentVersion: '1.0.1',
    });
    expect(first.version).toMatchObject({ revision: 1, version: '1.0.1', createdBy: 'cli:test' });
    expect(first.version.tools.map((t) => t.name)).toEqual(['search_products', 'adjust_stock', 'listOrders']);

    // The same version string with other artifacts is a new revision, not a conflict.
    const second = await registry.createServerVersion(
      version('inv', 1, { artifactHash: hash('other'), tools: [{ name: 'only_one', description: 'x' }] }),
    );
    expect(second.version.revision).toBe(2);
    expect(second.server).toMatchObject({ currentRevision: 2, latestRevision: 2, currentVersion: '1.0.1' });

    const current = await registry.getVersion('inv');
    expect(current.revision).toBe(2);
    expect(current.tools).toEqual([{ name: 'only_one', title: null, description: 'x', annotations: {} }]);
    const old = await registry.getVersion('inv', 1);
    expect(old.spec).toEqual(version('inv', 1).spec);
    expect(old.artifactHash).toBe(hash('inv-1'));
    expect(old.tools[0]).toEqual({
      name: 'search_products',
      title: 'Search products',
      description: 'Search products by name or SKU.',
      annotations: { readOnlyHint: true },
    });
    expect((await registry.listVersions('inv')).map((v) => [v.revision, v.artifactHash])).toEqual([
      [1, hash('inv-1')],
      [2, hash('other')],
    ]);
    expect((await registry.getServer('inv')).latestRevision).toBe(2);
  });

  it('refuses to change versions, tools or the audit trail', async () => {
    await registry.createServerVersion(version('frozen', 1));
    const db = registry.kysely;
    await expect(db.updateTable('mcpf_versions').set({ version: '9.9.9' }).execute()).rejects.toThrow(
      /cannot be changed/,
    );
    await expect(db.updateTable('mcpf_tools').set({ title: 'x' }).execute()).rejects.toThrow(
      /cannot be changed/,
    );
    await expect(db.updateTable('mcpf_audit').set({ actor: 'x' }).execute()).rejects.toThrow(
      /cannot be changed/,
    );
    await expect(db.deleteFrom('mcpf_audit').execute()).rejects.toThrow(/cannot be changed/);
    if (backend.name === 'postgres') {
      await expect(sql`TRUNCATE mcpf_audit`.execute(db)).rejects.toThrow(/cannot be changed/);
    }
    expect((await registry.getVersion('frozen')).version).toBe('1.0.1');
  });

  it('reports invalid input, unknown names and literal secrets as data', async () => {
    expect((await rejection(registry.createServerVersion(version('Bad Name', 1)))).code).toBe(
      'REGISTRY_INVALID',
    );
    expect(
      (await rejection(registry.createServerVersion(version('ok', 1, { artifactHash: 'abc' })))).code,
    ).toBe('REGISTRY_INVALID');
    expect((await rejection(registry.createServerVersion(version('ok', 1, { version: 'one' })))).code).toBe(
      'REGISTRY_INVALID',
    );
    expect(
      (
        await rejection(
          registry.createServerVersion(version('ok', 1, { tools: [{ name: 'a' }, { name: 'a' }] })),
        )
      ).code,
    ).toBe('REGISTRY_INVALID');
    expect((await rejection(registry.createServerVersion(version('ok', 1, { actor: '' })))).code).toBe(
      'REGISTRY_INVALID',
    );
    const secret = await rejection(
      registry.createServerVersion(
        version('ok', 1, {
          spec: { http: { headers: { 'X-Key': 'ghp_0123456789abcdefghijklmnopqrstuvwxyz' } } },
        }),
      ),
    );
    expect(secret.code).toBe('REGISTRY_SECRET_VALUE');
    expect(secret.message).toContain('http.headers.X-Key');
    const missing = await rejection(registry.getServer('nope'));
    expect(missing.code).toBe('REGISTRY_NOT_FOUND');
    expect(missing.details).toEqual({ server: 'nope' });
    await registry.createServerVersion(version('ok', 1));
    expect((await rejection(registry.getVersion('ok', 7))).code).toBe('REGISTRY_NOT_FOUND');
    // Nothing half-written by the refused calls.
    expect((await registry.listVersions('ok')).map((v) => v.revision)).toEqual([1]);
  });

  it('tracks lifecycle status with compare-and-set and audits each change', async () => {
    await registry.createServerVersion(version('life', 1));
    const deploying = await registry.setStatus('life', 'deploying', { actor: 'api' });
    expect(deploying.status).toBe('deploying');
    const failed = await registry.setStatus('life', 'failed', {
      actor: 'supervisor',
      error: 'exit code 1',
      expect: ['deploying'],
    });
    expect(failed).toMatchObject({ status: 'failed', lastError: 'exit code 1' });
    const conflict = await rejection(
      registry.setStatus('life', 'running', { actor: 'supervisor', expect: ['deploying'] }),
    );
    expect(conflict.code).toBe('REGISTRY_CONFLICT');
    expect(conflict.details).toMatchObject({ status: 'failed' });
    const running = await registry.setStatus('life', 'running', { actor: 'supervisor' });
    expect(running.lastError).toBeNull();
    // Secrets quoted in process errors are not stored.
    const leaky = await registry.setStatus('life', 'failed', {
      actor: 'supervisor',
      error: 'auth failed for postgres://app:hunter2@db.internal/app',
    });
    expect(leaky.lastError).toMatch(/^\[redacted/);
    expect((await rejection(registry.setStatus('life', 'removed' as 'running', { actor: 'x' }))).code).toBe(
      'REGISTRY_INVALID',
    );
    const trail = await registry.listAudit({ target: 'life' });
    expect(trail.map((e) => e.action)).toEqual([
      'server.status',
      'server.status',
      'server.status',
      'server.status',
      'server.create',
    ]);
    expect(trail[3]?.details).toEqual({ from: 'registered', to: 'deploying' });
    expect(JSON.stringify(trail)).not.toContain('hunter2');
  });

  it('removes a server as a tombstone, stops its deployments, and revives it on create', async () => {
    await registry.createServerVersion(version('gone', 1));
    const dep = await registry.upsertDeployment({ server: 'gone', target: 'local', actor: 'api' });
    const removed = await registry.removeServer('gone', { actor: 'cli' });
    expect(removed).toMatchObject({ status: 'removed', currentRevision: 1 });
    expect(removed.removedAt).not.toBeNull();
    expect(await registry.removeServer('gone', { actor: 'cli' })).toEqual(removed); // idempotent
    expect((await registry.listServers()).map((s) => s.name)).not.toContain('gone');
    expect((await registry.listServers({ status: 'removed' })).map((s) => s.name)).toContain('gone');
    expect((await registry.listServers({ includeRemoved: true })).map((s) => s.name)).toContain('gone');
    expect((await registry.getDeployment(dep.id)).desired).toBe('stopped');
    expect((await rejection(registry.setStatus('gone', 'running', { actor: 'x' }))).code).toBe(
      'REGISTRY_CONFLICT',
    );
    expect(
      (await rejection(registry.upsertDeployment({ server: 'gone', target: 'docker', actor: 'x' }))).code,
    ).toBe('REGISTRY_CONFLICT');
    expect((await registry.searchTools('gone')).filter((m) => m.server === 'gone')).toEqual([]);
    expect((await registry.getVersion('gone', 1)).tools).toHaveLength(3); // history stays

    const revived = await registry.createServerVersion(version('gone', 2));
    expect(revived.server).toMatchObject({ status: 'registered', currentRevision: 2, removedAt: null });
    expect((await registry.listAudit({ target: 'gone' })).map((e) => e.action)).toEqual([
      'server.create',
      'server.remove',
      'deployment.upsert',
      'server.create',
    ]);
  });

  it('rolls back to an earlier revision', async () => {
    await registry.createServerVersion(version('roll', 1));
    await registry.createServerVersion(
      version('roll', 2, { tools: [{ name: 'zebra_feed', description: 'v2' }] }),
    );
    expect((await registry.searchTools('zebra')).map((m) => m.server)).toEqual(['roll']);
    const back = await registry.setCurrentRevision('roll', 1, { actor: 'cli' });
    expect(back).toMatchObject({ currentRevision: 1, latestRevision: 2, currentVersion: '1.0.1' });
    expect(await registry.searchTools('zebra')).toEqual([]);
    expect((await registry.getVersion('roll')).revision).toBe(1);
    expect((await rejection(registry.setCurrentRevision('roll', 5, { actor: 'cli' }))).code).toBe(
      'REGISTRY_NOT_FOUND',
    );
    // The next create still counts from the latest revision.
    expect((await registry.createServerVersion(version('roll', 3))).version.revision).toBe(3);
  });

  it('keeps one deployment per server and target, with desired state and reported status', async () => {
    await registry.createServerVersion(version('dep', 1));
    const d = await registry.upsertDeployment({ server: 'dep', target: 'local', actor: 'api', port: 3100 });
    expect(d).toMatchObject({
      server: 'dep',
      target: 'local',
      revision: 1,
      status: 'pending',
      desired: 'running',
      port: 3100,
      endpoint: null,
      processId: null,
    });
    const running = await registry.updateDeployment(
      d.id,
      { status: 'running', processId: '4242', endpoint: 'http://127.0.0.1:3100/mcp' },
      { expectStatus: ['pending', 'starting'] },
    );
    expect(running).toMatchObject({
      status: 'running',
      processId: '4242',
      endpoint: 'http://127.0.0.1:3100/mcp',
    });
    expect(running.startedAt).not.toBeNull();
    const cas = await rejection(
      registry.updateDeployment(d.id, { status: 'running' }, { expectStatus: ['pending'] }),
    );
    expect(cas.code).toBe('REGISTRY_CONFLICT');

    // Same revision again: status untouched; a new revision: back to pending.
    const same = await registry.upsertDeployment({ server: 'dep', target: 'local', actor: 'api' });
    expect(same).toMatchObject({ id: d.id, status: 'running', port: 3100 });
    await registry.createServerVersion(version('dep', 2));
    const moved = await registry.upsertDeployment({ server: 'dep', target: 'local', actor: 'api' });
    expect(moved).toMatchObject({ id: d.id, revision: 2, status: 'pending' });
    const docker = await registry.upsertDeployment({
      server: 'dep',
      target: 'docker',
      revision: 1,
      desired: 'stopped',
      actor: 'api',
    });
    expect(docker).toMatchObject({ revision: 1, desired: 'stopped' });

    expect((await registry.listDeployments({ server: 'dep' })).map((x) => x.target)).toEqual([
      'local',
      'docker',
    ]);
    expect((await registry.listDeployments({ server: 'dep', desired: 'stopped' })).map((x) => x.id)).toEqual([
      docker.id,
    ]);
    expect((await registry.listDeployments({ server: 'dep', status: 'pending' })).length).toBe(2);

    const stopped = await registry.updateDeployment(
      docker.id,
      { status: 'stopped', processId: null, port: null },
      { actor: 'cli' },
    );
    expect(stopped).toMatchObject({ status: 'stopped', processId: null, port: null });
    expect(stopped.stoppedAt).not.toBeNull();

    expect(
      (
        await rejection(
          registry.upsertDeployment({ server: 'dep', target: 'local', revision: 9, actor: 'api' }),
        )
      ).code,
    ).toBe('REGISTRY_NOT_FOUND');
    expect(
      (
        await rejection(
          registry.upsertDeployment({ server: 'dep', target: 'local', port: 70000, actor: 'api' }),
        )
      ).code,
    ).toBe('REGISTRY_INVALID');
    expect(
      (await rejection(registry.upsertDeployment({ server: 'dep', target: 'Bad!', actor: 'api' }))).code,
    ).toBe('REGISTRY_INVALID');
    expect((await rejection(registry.updateDeployment(99999, { status: 'running' }))).code).toBe(
      'REGISTRY_NOT_FOUND',
    );

    await registry.deleteDeployment(docker.id, { actor: 'cli' });
    expect((await rejection(registry.getDeployment(docker.id))).code).toBe('REGISTRY_NOT_FOUND');
    expect((await registry.listAudit({ target: 'dep', limit: 2 })).map((e) => e.action)).toEqual([
      'deployment.delete',
      'deployment.update',
    ]);
  });

  it('stores secret references and refuses anything that looks like a value', async () => {
    await registry.createServerVersion(version('sec', 1));
    const refs = await registry.setSecretRefs(
      'sec',
      [
        {
          envVar: 'INVENTORY_API_KEY',
          source: 'vault:kv/inventory#api_key',
          description: 'API key for clients',
        },
        { envVar: 'DATABASE_URL', source: 'env' },
        { envVar: 'SMTP_PASSWORD', source: 'set by the operator in the systemd unit' },
      ],
      { actor: 'cli' },
    );
    expect(refs.map((r) => r.envVar)).toEqual(['DATABASE_URL', 'INVENTORY_API_KEY', 'SMTP_PASSWORD']);
    expect(await registry.listSecretRefs('sec')).toEqual([
      { envVar: 'DATABASE_URL', source: 'env', description: null },
      {
        envVar: 'INVENTORY_API_KEY',
        source: 'vault:kv/inventory#api_key',
        description: 'API key for clients',
      },
      { envVar: 'SMTP_PASSWORD', source: 'set by the operator in the systemd unit', description: null },
    ]);

    const values: Array<Record<string, unknown>> = [
      { envVar: 'API_TOKEN', source: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz' },
      { envVar: 'API_TOKEN', source: 'sk-live_abcdefghijklmnopqrstuvwx' },
      { envVar: 'DATABASE_URL', source: 'postgres://app:hunter2@db/app' },
      { envVar: 'API_TOKEN', source: 'API_TOKEN=abc' },
      { envVar: 'API_TOKEN', source: 'hunter2' },
      { envVar: 'API_TOKEN', source: 'Bearer abc.def' },
      { envVar: 'API_TOKEN', source: 'vault:kv/x#9f86d081884c7d659a2feaa0c55ad015' },
      { envVar: 'API_TOKEN', source: 'env', value: 'hunter2' },
      { envVar: 'API_TOKEN', source: 'env', secret: 'x' },
    ];
    for (const ref of values) {
      const e = await rejection(registry.setSecretRefs('sec', [ref as never], { actor: 'cli' }));
      expect(e.code, JSON.stringify(ref)).toBe('REGISTRY_SECRET_VALUE');
      expect(e.message).not.toContain('hunter2');
    }
    // The caller's environment: a source quoting the variable's actual value is refused.
    const env = { SMTP_PASSWORD: 'correct horse battery staple' };
    const quoted = await rejection(
      registry.setSecretRefs(
        'sec',
        [{ envVar: 'SMTP_PASSWORD', source: 'it is correct horse battery staple, do not tell' }],
        { actor: 'cli', env },
      ),
    );
    expect(quoted.code).toBe('REGISTRY_SECRET_VALUE');
    expect(quoted.message).toContain('current value of SMTP_PASSWORD');
    expect(
      (await rejection(registry.setSecretRefs('sec', [{ envVar: 'lower', source: 'env' }], { actor: 'c' })))
        .code,
    ).toBe('REGISTRY_INVALID');
    // Refused calls changed nothing; an empty list clears.
    expect(await registry.listSecretRefs('sec')).toHaveLength(3);
    expect(await registry.setSecretRefs('sec', [], { actor: 'cli' })).toEqual([]);
    expect(await registry.listSecretRefs('sec')).toEqual([]);
    const trail = await registry.listAudit({ target: 'sec', action: 'secrets.set' });
    expect(trail.map((e) => e.details)).toEqual([
      { envVars: [] },
      { envVars: ['INVENTORY_API_KEY', 'DATABASE_URL', 'SMTP_PASSWORD'] },
    ]);
  });

  for (const engine of ['auto', 'like'] as const) {
    it(`searches the tools of current versions, ranked (${engine} engine)`, async () => {
      const search = engine === 'auto' ? registry : await openRegistry({ ...handle.options, search: 'like' });
      try {
        const prefix = `s${engine}`;
        await registry.createServerVersion({
          name: `${prefix}-weather`,
          version: '1.0.0',
          spec: {},
          artifactHash: hash(`${prefix}w`),
          actor: 't',
          tools: [
            {
              name: 'get_forecast',
              title: 'Forecast',
              description: 'Weather forecast for a city, with humidity.',
            },
            { name: 'humidityNow', title: 'Humidity now', description: 'Current relative humidity.' },
          ],
        });
        await registry.createServerVersion({
          name: `${prefix}-mail`,
          version: '1.0.0',
          spec: {},
          artifactHash: hash(`${prefix}m`),
          actor: 't',
          tools: [
            { name: 'send_mail', title: 'Send mail', description: 'Send an e-mail; not about humidity.' },
          ],
        });
        const hits = (await search.searchTools('humidity')).filter((m) => m.server.startsWith(prefix));
        // Name match first, then the two description matches.
        expect(hits.map((h) => h.tool)).toEqual(
          expect.arrayContaining(['humidityNow', 'get_forecast', 'send_mail']),
        );
        expect(hits[0]?.tool).toBe('humidityNow');
        expect(hits[0]).toMatchObject({
          server: `${prefix}-weather`,
          revision: 1,
          version: '1.0.0',
          title: 'Humidity now',
        });
        for (let i = 1; i < hits.length; i++)
          expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
        // Prefixes match; a tool matching more of the words ranks above one matching fewer.
        const multi = (await search.searchTools('weath humid')).map((m) => m.tool);
        expect(multi.indexOf('get_forecast')).toBeGreaterThanOrEqual(0);
        expect(multi.indexOf('get_forecast')).toBeLessThan(multi.indexOf('send_mail'));
        expect((await search.searchTools('HUMIDITY', { limit: 1 })).length).toBe(1);
        // Query syntax is never interpreted.
        expect(await search.searchTools('" OR ( NEAR * -- ;')).toEqual(expect.any(Array));
        expect(await search.searchTools('   ')).toEqual([]);
        // Only current versions: a new revision without the tool drops it.
        await registry.createServerVersion({
          name: `${prefix}-weather`,
          version: '1.1.0',
          spec: {},
          artifactHash: hash(`${prefix}w2`),
          actor: 't',
          tools: [{ name: 'get_forecast', description: 'Forecast only.' }],
        });
        const after = (await search.searchTools('humidity')).filter((m) => m.server.startsWith(prefix));
        expect(after.map((h) => `${h.server}/${h.tool}`)).toEqual([`${prefix}-mail/send_mail`]);
      } finally {
        if (search !== registry) await search.close();
      }
    });
  }

  it('aggregates tool calls per minute with exact counts and estimated percentiles', async () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const calls = [];
    for (let i = 1; i <= 100; i++) {
      calls.push({ server: 'metered', tool: 'fast', ok: i % 10 !== 0, latencyMs: i, at: t0 + i * 100 });
    }
    for (let i = 0; i < 20; i++)
      calls.push({ server: 'metered', tool: 'slow', ok: true, latencyMs: 500, at: t0 + 61_000 });
    expect(await registry.recordCalls(calls)).toEqual({ recorded: 120 });
    // Concurrent batches add up exactly.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        registry.recordCalls([
          { server: 'metered', tool: 'slow', ok: i % 2 === 0, latencyMs: 500, at: t0 + 62_000 },
        ]),
      ),
    );
    const stats = await registry.toolStats('metered', { since: t0, until: t0 + 5 * 60_000 });
    expect(stats.since).toBe(new Date(t0).toISOString());
    const fast = stats.tools.find((t) => t.tool === 'fast')!;
    expect(fast).toMatchObject({
      calls: 100,
      errors: 10,
      errorRate: 0.1,
      meanMs: 50.5,
      minMs: 1,
      maxMs: 100,
    });
    expect(fast.p50Ms).toBeGreaterThan(50 * 0.8);
    expect(fast.p50Ms).toBeLessThan(50 * 1.2);
    expect(fast.p95Ms).toBeGreaterThan(95 * 0.8);
    expect(fast.p95Ms).toBeLessThanOrEqual(100);
    expect(fast.p99Ms).toBeGreaterThan(99 * 0.8);
    expect(fast.p99Ms).toBeLessThanOrEqual(100);
    const slow = stats.tools.find((t) => t.tool === 'slow')!;
    expect(slow).toMatchObject({ calls: 30, errors: 5, p50Ms: 500, p99Ms: 500 }); // one latency: exact
    expect(stats.total).toMatchObject({ calls: 130, errors: 15, minMs: 1, maxMs: 500 });

    // Windows are whole minutes.
    const firstMinute = await registry.toolStats('metered', { since: t0, until: t0 + 59_000 });
    expect(firstMinute.tools.map((t) => [t.tool, t.calls])).toEqual([['fast', 100]]);
    const oneTool = await registry.toolStats('metered', { since: t0, until: t0 + 5 * 60_000, tool: 'slow' });
    expect(oneTool.total.calls).toBe(30);
    const empty = await registry.toolStats('metered', { since: t0 - 3_600_000, until: t0 - 60_000 });
    expect(empty.total).toEqual({
      calls: 0,
      errors: 0,
      errorRate: 0,
      meanMs: null,
      minMs: null,
      maxMs: null,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    });

    // Storage is per minute, not per call.
    const rows = await registry.kysely
      .selectFrom('mcpf_tool_calls')
      .select('minute')
      .where('server', '=', 'metered')
      .execute();
    expect(rows.length).toBe(2);
    expect(await registry.pruneMetrics({ before: t0 + 60_000 })).toEqual({ deleted: 1 });
    expect((await registry.toolStats('metered', { since: t0, until: t0 + 5 * 60_000 })).total.calls).toBe(30);

    expect(
      (await rejection(registry.recordCalls([{ server: 'metered', tool: 'x', ok: true, latencyMs: -1 }])))
        .code,
    ).toBe('REGISTRY_INVALID');
    expect(
      (
        await rejection(
          registry.recordCalls([{ server: 'metered', tool: 'bad tool', ok: true, latencyMs: 1 }]),
        )
      ).code,
    ).toBe('REGISTRY_INVALID');
    expect(await registry.recordCalls([])).toEqual({ recorded: 0 });
  });

  it('keeps an append-only audit trail with filters and paging', async () => {
    const a = await registry.audit({
      actor: 'api:alice',
      action: 'api.login',
      target: 'audit-x',
      details: { ip: '127.0.0.1' },
    });
    expect(a).toMatchObject({
      actor: 'api:alice',
      action: 'api.login',
      target: 'audit-x',
      details: { ip: '127.0.0.1' },
    });
    for (let i = 0; i < 5; i++)
      await registry.audit({ actor: 'cli', action: 'note', target: 'audit-x', details: { i } });
    const page1 = await registry.listAudit({ target: 'audit-x', limit: 4 });
    expect(page1.map((e) => e.details)).toEqual([{ i: 4 }, { i: 3 }, { i: 2 }, { i: 1 }]);
    const page2 = await registry.listAudit({ target: 'audit-x', beforeId: page1[3]!.id });
    expect(page2.map((e) => e.action)).toEqual(['note', 'api.login']);
    expect((await registry.listAudit({ actor: 'api:alice' })).map((e) => e.id)).toEqual([a.id]);
    expect(
      (
        await rejection(
          registry.audit({
            actor: 'cli',
            action: 'x',
            target: 'audit-x',
            details: { token: 'xoxb-1234567890-abcdefghij' },
          }),
        )
      ).code,
    ).toBe('REGISTRY_SECRET_VALUE');
    expect((await rejection(registry.audit({ actor: 'a\nb', action: 'x', target: 'y' }))).code).toBe(
      'REGISTRY_INVALID',
    );
  });
});

describe('opening the registry', () => {
  it('needs a url or a home, and a supported URL', async () => {
    expect((await rejection(openRegistry({}))).code).toBe('REGISTRY_INVALID');
    const e = await rejection(openRegistry({ url: 'mysql://root:pw@127.0.0.1/x' }));
    expect(e.code).toBe('REGISTRY_INVALID');
    expect(e.message).not.toContain(':pw@');
  });

  it('reports an unreachable PostgreSQL as REGISTRY_UNAVAILABLE', async () => {
    const e = await rejection(openRegistry({ url: 'postgres://postgres:secretpw@127.0.0.1:1/none' }));
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.message).not.toContain('secretpw');
  });

  it('reports an unusable data directory as REGISTRY_UNAVAILABLE', async () => {
    const h = createSqliteHome();
    writeFileSync(join(h.options.home!, 'file'), 'x');
    const e = await rejection(openRegistry({ home: join(h.options.home!, 'file', 'sub') }));
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    // Not a database at all: its own code (a backup helps, waiting does not).
    writeFileSync(join(h.options.home!, 'registry.db'), 'this is not sqlite'.repeat(100));
    expect((await rejection(openRegistry(h.options))).code).toBe('REGISTRY_CORRUPT');
    await h.cleanup();
  });

  it('refuses a store migrated by a newer version, and calls after close', async () => {
    const h = createSqliteHome();
    const r = await openRegistry(h.options);
    await r.kysely
      .insertInto('mcpf_migration' as never)
      .values({ name: '9999_future', timestamp: new Date().toISOString() } as never)
      .execute();
    await r.close();
    expect((await rejection(r.listServers())).code).toBe('REGISTRY_UNAVAILABLE');
    const e = await rejection(openRegistry(h.options));
    expect(e.code).toBe('REGISTRY_INCOMPATIBLE');
    expect(e.details).toEqual({ unknownMigrations: ['9999_future'] });
    await h.cleanup();
  });

  it('accepts a sqlite: URL for a file outside the data directory', async () => {
    const h = createSqliteHome();
    const r = await openRegistry({ url: `sqlite://${join(h.options.home!, 'custom.db')}` });
    expect(r.info()).toMatchObject({ backend: 'sqlite', location: join(h.options.home!, 'custom.db') });
    await r.close();
    expect((await rejection(openRegistry({ url: 'sqlite:relative.db' }))).code).toBe('REGISTRY_INVALID');
    await h.cleanup();
  });

  it('uses MCP_FACTORY_HOME or ~/.mcp-factory', async () => {
    expect(defaultHome({ MCP_FACTORY_HOME: '/srv/mcpf' })).toBe('/srv/mcpf');
    expect(defaultHome({ HOME: '/home/u' })).toBe('/home/u/.mcp-factory');
    expect(defaultHome({ MCP_FACTORY_HOME: '  ', HOME: '/home/u' })).toBe('/home/u/.mcp-factory');
  });
});
