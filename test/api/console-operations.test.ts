/**
 * The endpoints the web console needs (surfaces/operations/console.ts over HTTP): all deployments at once, a
 * revision's spec, history, metrics series, environment variable names (never values) and rollback — with their
 * permission checks, team visibility, and attacks answered without effect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Factory, LOCAL, PASSWORD, spec, startFactory } from '../identity/auth-helpers.js';

let f: Factory;
let admin: string;
let viewer: string;
let blueDev: string;

const specV = (name: string, text: string) => ({
  ...spec(name),
  tools: [{ name: 'greet', description: text, static: { text } }],
});

beforeAll(async () => {
  f = await startFactory();
  await f.users.createTeam(LOCAL, 'test', 'red');
  await f.users.createTeam(LOCAL, 'test', 'blue');
  await f.users.create(LOCAL, 'test', { name: 'alice', role: 'admin', password: PASSWORD });
  await f.users.create(LOCAL, 'test', {
    name: 'dev-red',
    role: 'developer',
    team: 'red',
    password: PASSWORD,
  });
  await f.users.create(LOCAL, 'test', {
    name: 'dev-blue',
    role: 'developer',
    team: 'blue',
    password: PASSWORD,
  });
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', team: 'red', password: PASSWORD });
  admin = (await f.login('alice')).access;
  viewer = (await f.login('victor')).access;
  blueDev = (await f.login('dev-blue')).access;
  const red = (await f.login('dev-red')).access;
  for (const text of ['first words', 'second words']) {
    const r = await f.send('POST', '/mcp/create', { token: red, body: { spec: specV('red-one', text) } });
    expect(r.status, r.text).toBe(201);
  }
  const b = await f.send('POST', '/mcp/create', { token: blueDev, body: { spec: spec('blue-one') } });
  expect(b.status, b.text).toBe(201);
  for (const [name, token] of [
    ['red-one', red],
    ['blue-one', blueDev],
  ] as const) {
    const d = await f.send('POST', `/mcp/deploy/${name}`, { token, body: { target: 'local' } });
    expect(d.status, d.text).toBe(200);
  }
});

afterAll(async () => {
  await f.close();
});

describe('GET /mcp/deployments', () => {
  it('answers every visible deployment in one request', async () => {
    const all = await f.send('GET', '/mcp/deployments', { token: admin });
    expect(all.status, all.text).toBe(200);
    expect(all.body.deployments.map((d: { server: string }) => d.server).sort()).toEqual([
      'blue-one',
      'red-one',
    ]);
    const red = await f.send('GET', '/mcp/deployments', { token: viewer });
    expect(red.body.deployments.map((d: { server: string }) => d.server)).not.toContain('blue-one');
  });
});

describe('GET /mcp/servers/:name/deployments and /tools', () => {
  it("answers one server's deployments and its tools with input schemas", async () => {
    const d = await f.send('GET', '/mcp/servers/red-one/deployments', { token: viewer });
    expect(d.status, d.text).toBe(200);
    expect(d.body.deployments.map((x: { server: string }) => x.server)).toEqual(['red-one']);
    const t = await f.send('GET', '/mcp/servers/red-one/tools', { token: viewer });
    expect(t.status, t.text).toBe(200);
    expect(t.body.tools).toEqual([
      expect.objectContaining({ name: 'greet', inputSchema: expect.objectContaining({ type: 'object' }) }),
    ]);
    for (const path of ['/mcp/servers/red-one/deployments', '/mcp/servers/red-one/tools']) {
      const other = await f.send('GET', path, { token: blueDev });
      expect([403, 404], path).toContain(other.status);
    }
  });
});

describe('POST /mcp/validate and /mcp/templates/:template/spec', () => {
  it('validates spec text with positions and makes a template spec without creating anything', async () => {
    const bad = await f.send('POST', '/mcp/validate', {
      token: admin,
      body: { specText: 'name: x\ntools: 3\n' },
    });
    expect(bad.status, bad.text).toBe(200);
    expect(bad.body.ok).toBe(false);
    expect(bad.body.issues.length).toBeGreaterThan(0);
    const good = await f.send('POST', '/mcp/validate', { token: admin, body: { spec: spec('fine') } });
    expect(good.body).toMatchObject({ ok: true, name: 'fine' });
    const templates = await f.send('GET', '/mcp/templates', { token: admin });
    const first = templates.body.templates[0];
    const set = Object.fromEntries(
      (first.variables ?? [])
        .filter((v: { required?: boolean; default?: unknown }) => v.required && v.default === undefined)
        .map((v: { name: string }) => [v.name, 'https://api.example.com']),
    );
    const made = await f.send('POST', `/mcp/templates/${first.name}/spec`, {
      token: admin,
      body: { name: 'from-template', set },
    });
    expect(made.status, made.text).toBe(200);
    expect(made.body.specText).toMatch(/^name: from-template$/m);
    const servers = await f.send('GET', '/mcp/servers', { token: admin });
    expect(servers.body.servers.map((s: { name: string }) => s.name)).not.toContain('from-template');
    expect(
      (await f.send('POST', '/mcp/templates/no-such/spec', { token: admin, body: { name: 'x1' } })).status,
    ).toBe(404);
    expect(
      (await f.send('POST', '/mcp/templates/..%2f..%2fetc/spec', { token: admin, body: { name: 'x1' } }))
        .status,
    ).toBe(400);
    expect(
      (
        await f.send('POST', `/mcp/templates/${first.name}/spec`, {
          token: viewer,
          body: { name: 'x2', set },
        })
      ).status,
    ).toBe(403);
  });
});

describe('GET /mcp/servers/:name/revisions/:revision/spec', () => {
  it("answers a revision's spec as YAML with whether it is current", async () => {
    const one = await f.send('GET', '/mcp/servers/red-one/revisions/1/spec', { token: viewer });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toMatchObject({ server: 'red-one', revision: 1, current: false });
    expect(one.body.specText).toContain('first words');
    expect(one.body.specText).toMatch(/^name: red-one$/m);
    const two = await f.send('GET', '/mcp/servers/red-one/revisions/2/spec', { token: viewer });
    expect(two.body).toMatchObject({ revision: 2, current: true });
    expect(two.body.specText).toContain('second words');
  });

  it('refuses unknown revisions, bad numbers and servers of another team', async () => {
    expect((await f.send('GET', '/mcp/servers/red-one/revisions/9/spec', { token: viewer })).status).toBe(
      404,
    );
    for (const bad of ['0', 'abc', '1e3', '-1', '99999999999'])
      expect(
        (await f.send('GET', `/mcp/servers/red-one/revisions/${bad}/spec`, { token: viewer })).status,
      ).toBe(400);
    const other = await f.send('GET', '/mcp/servers/red-one/revisions/1/spec', { token: blueDev });
    expect([403, 404]).toContain(other.status);
    expect(other.text).not.toContain('first words');
  });
});

describe('GET /mcp/servers/:name/history', () => {
  it('lists creation, deployment and status changes newest first', async () => {
    const r = await f.send('GET', '/mcp/servers/red-one/history', { token: viewer });
    expect(r.status, r.text).toBe(200);
    const actions = r.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toContain('server.create');
    expect(actions).toContain('deployment.upsert');
    expect(actions.every((a: string) => /^(server|deployment)\./.test(a))).toBe(true);
    const ids = r.body.entries.map((e: { id: number }) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });
});

describe('GET /mcp/servers/:name/metrics', () => {
  it('answers calls and percentiles per interval, in time order', async () => {
    const now = Date.now();
    await f.registry.recordCalls([
      { server: 'red-one', tool: 'greet', ok: true, latencyMs: 10, at: now - 5 * 60_000 },
      { server: 'red-one', tool: 'greet', ok: false, latencyMs: 40, at: now - 5 * 60_000 },
      { server: 'red-one', tool: 'greet', ok: true, latencyMs: 20, at: now },
    ]);
    const r = await f.send('GET', '/mcp/servers/red-one/metrics?minutes=30&points=10', { token: viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.body.stepSeconds).toBe(180);
    expect(Date.parse(r.body.until) - Date.parse(r.body.since)).toBe(30 * 60_000);
    expect(r.body.points).toHaveLength(10);
    const total = r.body.points.reduce((n: number, p: { calls: number }) => n + p.calls, 0);
    expect(total).toBe(3);
    expect(r.body.points.reduce((n: number, p: { errors: number }) => n + p.errors, 0)).toBe(1);
    const times = r.body.points.map((p: { at: string }) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const last = r.body.points.at(-1);
    expect(last.calls).toBe(1);
    expect(last.p50Ms).toBeCloseTo(20, 0);
    expect((await f.send('GET', '/mcp/servers/red-one/metrics?points=0', { token: viewer })).status).toBe(
      400,
    );
  });
});

describe('GET /mcp/servers/:name/env', () => {
  it('answers names and sources of variables, never values', async () => {
    await f.registry.setSecretRefs('red-one', [{ envVar: 'RED_API_KEY', source: 'set by the operator' }], {
      actor: 'test',
      env: { RED_API_KEY: 'value-that-must-not-leak' },
    });
    const r = await f.send('GET', '/mcp/servers/red-one/env', { token: viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.body.names).toEqual(['RED_API_KEY']);
    expect(r.body.variables).toEqual([
      { name: 'RED_API_KEY', required: false, referenced: false, source: 'set by the operator' },
    ]);
    expect(r.text).not.toContain('value-that-must-not-leak');
  });
});

describe('POST /mcp/servers/:name/rollback', () => {
  it('is refused to a viewer, to another team and for an unknown revision, changing nothing', async () => {
    const deploysBefore = f.cp.calls.filter((c) => c.method === 'deploy').length;
    const asViewer = await f.send('POST', '/mcp/servers/red-one/rollback', {
      token: viewer,
      body: { revision: 1 },
    });
    expect(asViewer.status).toBe(403);
    const asBlue = await f.send('POST', '/mcp/servers/red-one/rollback', {
      token: blueDev,
      body: { revision: 1 },
    });
    expect([403, 404]).toContain(asBlue.status);
    const unknown = await f.send('POST', '/mcp/servers/red-one/rollback', {
      token: admin,
      body: { revision: 7 },
    });
    expect(unknown.status).toBe(404);
    for (const body of [{}, { revision: 0 }, { revision: '1' }, { revision: 1, extra: true }])
      expect((await f.send('POST', '/mcp/servers/red-one/rollback', { token: admin, body })).status).toBe(
        400,
      );
    expect((await f.registry.getServer('red-one')).currentRevision).toBe(2);
    expect(f.cp.calls.filter((c) => c.method === 'deploy').length).toBe(deploysBefore);
  });

  it('makes the revision current and redeploys it where the server runs', async () => {
    const r = await f.send('POST', '/mcp/servers/red-one/rollback', { token: admin, body: { revision: 1 } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ name: 'red-one', revision: 1, previousRevision: 2 });
    expect(r.body.deployments).toHaveLength(1);
    expect(r.body.deployments[0]).toMatchObject({ target: 'local', revision: 1 });
    expect((await f.registry.getServer('red-one')).currentRevision).toBe(1);
    const history = await f.send('GET', '/mcp/servers/red-one/history', { token: admin });
    expect(history.body.entries.map((e: { action: string }) => e.action)).toContain('server.rollback');
  });
});

describe('GET /mcp/servers/:name/health', () => {
  it("answers the current check of each deployment and hides other teams' servers", async () => {
    const r = await f.send('GET', '/mcp/servers/red-one/health?minutes=1440', { token: viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.body.name).toBe('red-one');
    expect(Array.isArray(r.body.checks)).toBe(true);
    expect([403, 404]).toContain(
      (await f.send('GET', '/mcp/servers/red-one/health', { token: blueDev })).status,
    );
  });
});

describe('GET /auth/providers', () => {
  it('says which sign-in methods exist, without a token', async () => {
    const r = await f.send('GET', '/auth/providers', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ password: true, oidc: false });
  });
});

describe('unauthenticated', () => {
  it('answers 401 on every console endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/mcp/deployments'],
      ['GET', '/mcp/servers/red-one/revisions/1/spec'],
      ['GET', '/mcp/servers/red-one/history'],
      ['GET', '/mcp/servers/red-one/metrics'],
      ['GET', '/mcp/servers/red-one/env'],
      ['POST', '/mcp/servers/red-one/rollback'],
    ] as const)
      expect(
        (await f.send(method, path, { token: null, body: method === 'POST' ? { revision: 2 } : undefined }))
          .status,
      ).toBe(401);
    expect((await f.registry.getServer('red-one')).currentRevision).toBe(1);
  });
});
