/**
 * The console's health history and servers-list summary over HTTP: `GET /mcp/servers/:name/health?minutes=`
 * answers the current checks and the stored ones of the window; `GET /mcp/servers?summary=1` gives every visible
 * server its lead deployment, latest live check and last hour's calls in one answer. Attacks (bad windows, bad
 * flags, another team's server, a tool-narrowed token) are answered without effect or leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Factory, LOCAL, PASSWORD, spec, startFactory } from '../identity/auth-helpers.js';

let f: Factory;
let admin: string;
let viewer: string;
let blueDev: string;
let redDeployment: number;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

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
  for (const [name, token] of [
    ['red-one', red],
    ['red-idle', red],
    ['blue-one', blueDev],
  ] as const) {
    const c = await f.send('POST', '/mcp/create', { token, body: { spec: spec(name) } });
    expect(c.status, c.text).toBe(201);
  }
  for (const [name, token] of [
    ['red-one', red],
    ['blue-one', blueDev],
  ] as const) {
    const d = await f.send('POST', `/mcp/deploy/${name}`, { token, body: { target: 'local' } });
    expect(d.status, d.text).toBe(200);
    if (name === 'red-one') redDeployment = d.body.id;
  }
  const samples = [
    { health: 'healthy', at: ago(3 * 3600_000) },
    { health: 'healthy', at: ago(50 * 60_000) },
    { health: 'unhealthy', at: ago(30 * 60_000), detail: 'refused' },
    { health: 'degraded', at: ago(10 * 60_000) },
  ] as const;
  for (const s of samples)
    await f.registry.health.record({
      server: 'red-one',
      deploymentId: redDeployment,
      target: 'local',
      health: s.health,
      checkedAt: s.at,
      detail: 'detail' in s ? s.detail : undefined,
    });
  await f.registry.recordCalls([
    { server: 'red-one', tool: 'greet', ok: true, latencyMs: 3 },
    { server: 'red-one', tool: 'greet', ok: false, latencyMs: 5 },
    { server: 'red-one', tool: 'greet', ok: true, latencyMs: 5, at: Date.now() - 2 * 3600_000 },
    { server: 'blue-one', tool: 'greet', ok: true, latencyMs: 2 },
  ]);
});

afterAll(async () => {
  await f.close();
});

describe('GET /mcp/servers/:name/health', () => {
  it('answers the current checks and the stored history of the window, oldest first', async () => {
    const r = await f.send('GET', '/mcp/servers/red-one/health?minutes=60', { token: viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.body.checks).toEqual([
      expect.objectContaining({ deployment: redDeployment, target: 'local', health: 'healthy' }),
    ]);
    expect(r.body.history.map((h: { health: string }) => h.health)).toEqual([
      'healthy',
      'unhealthy',
      'degraded',
    ]);
    expect(r.body.history[1]).toMatchObject({
      deployment: redDeployment,
      detail: 'refused',
      responseMs: null,
    });
    expect(Date.parse(r.body.since)).toBeLessThan(Date.parse(r.body.history[0].checkedAt));
    const day = await f.send('GET', '/mcp/servers/red-one/health?minutes=1440', { token: viewer });
    expect(day.body.history).toHaveLength(4);
    const recent = await f.send('GET', '/mcp/servers/red-one/health?minutes=20', { token: viewer });
    expect(recent.body.history.map((h: { health: string }) => h.health)).toEqual(['degraded']);
  });

  it('refuses bad windows and another team’s server, without effect or leak', async () => {
    const before = (await f.registry.health.history('red-one', ago(24 * 3600_000))).length;
    for (const q of ['0', '-5', 'abc', '99999999', '1e3', '%00'])
      expect(
        (await f.send('GET', `/mcp/servers/red-one/health?minutes=${q}`, { token: viewer })).status,
      ).toBe(400);
    const other = await f.send('GET', '/mcp/servers/red-one/health', { token: blueDev });
    expect([403, 404]).toContain(other.status);
    expect(other.text).not.toContain('refused');
    expect(
      (await f.send('GET', '/mcp/servers/..%2Fred-one/health', { token: admin })).status,
    ).toBeGreaterThanOrEqual(400);
    expect((await f.send('GET', '/mcp/servers/red-one/health', { token: null })).status).toBe(401);
    expect((await f.registry.health.history('red-one', ago(24 * 3600_000))).length).toBe(before);
  });
});

describe('GET /mcp/servers?summary=1', () => {
  it('gives every visible server its lead deployment, latest live check and last hour’s calls', async () => {
    const r = await f.send('GET', '/mcp/servers?summary=1', { token: viewer });
    expect(r.status, r.text).toBe(200);
    const byName = Object.fromEntries(r.body.servers.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['red-idle', 'red-one']);
    expect(byName['red-one'].summary).toMatchObject({
      target: 'local',
      health: 'degraded',
      calls: 2,
      errors: 1,
      windowMinutes: 60,
    });
    expect(byName['red-idle'].summary).toEqual({
      target: null,
      endpoint: null,
      health: null,
      checkedAt: null,
      startedAt: null,
      calls: 0,
      errors: 0,
      windowMinutes: 60,
    });
    // Without the flag: the plain list, as before.
    const plain = await f.send('GET', '/mcp/servers', { token: viewer });
    expect(plain.body.servers.every((s: { summary?: unknown }) => s.summary === undefined)).toBe(true);
  });

  it('drops the check of a deployment that no longer runs', async () => {
    await f.registry.updateDeployment(redDeployment, { status: 'stopped' });
    try {
      const r = await f.send('GET', '/mcp/servers?summary=1', { token: admin });
      const red = r.body.servers.find((s: { name: string }) => s.name === 'red-one');
      expect(red.summary).toMatchObject({ target: 'local', health: null, endpoint: null, startedAt: null });
    } finally {
      await f.registry.updateDeployment(redDeployment, { status: 'running' });
    }
  });

  it('gives a tool-narrowed token no call totals, and refuses bad flags', async () => {
    const narrow = f.tokens.create({ name: 'narrow-tools', allowedTools: ['nothing'] }).token;
    const r = await f.send('GET', '/mcp/servers?summary=1', { token: narrow });
    expect(r.status, r.text).toBe(200);
    for (const s of r.body.servers) {
      expect(s.summary.calls).toBeUndefined();
      expect(s.summary.errors).toBeUndefined();
    }
    for (const q of ['yes', '2', '', '%00'])
      expect((await f.send('GET', `/mcp/servers?summary=${q}`, { token: viewer })).status).toBe(400);
  });
});
