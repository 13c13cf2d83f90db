/**
 * Every API route × every role against the policy table: a route is refused (403, nothing called, nothing
 * audited) exactly when the role table does not grant its permission, and never refused when it does. Then the
 * reach of a grant: a developer acts on its own servers only, another team's servers do not exist for a caller,
 * and listings, search and the audit trail leave them out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '../../src/identity/policy.js';
import { ROLE_GRANTS, type Role } from '../../src/identity/roles.js';
import { type Factory, LOCAL, PASSWORD, spec, startFactory } from './auth-helpers.js';

let f: Factory;
const tokenOf: Partial<Record<Role, string>> = {};
const USER_ROLES = ['admin', 'operator', 'developer', 'reviewer', 'viewer'] as const;

/** Routes whose handler asks for more than the route's own permission when acting on another user. */
const EFFECTIVE: Record<string, Permission> = {
  'GET /users/:name': 'users.read',
  'POST /users/:name': 'users.manage',
};

beforeAll(async () => {
  f = await startFactory();
  await f.users.createTeam(LOCAL, 'test', 'spare');
  for (const role of USER_ROLES)
    await f.users.create(LOCAL, 'test', { name: `u-${role}`, role, password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'target', role: 'viewer', password: PASSWORD });
  for (const role of USER_ROLES) tokenOf[role] = (await f.login(`u-${role}`)).access;
  tokenOf.service = f.tokens.create({ name: 'legacy', maxServers: 100 }).token;
  // alpha belongs to the developer (so "own" grants apply to it), in no team like every caller here.
  await f.cp.create({ spec: spec('alpha'), actor: 'u-developer' } as never);
  await f.registry.identity.claimServer('alpha', { owner: 'u-developer', team: null });
}, 60_000);
afterAll(() => f.close());

function requestFor(method: string, path: string, role: Role, i: number): { path: string; body?: unknown } {
  const name = path.startsWith('/users/') ? 'target' : path.startsWith('/teams/') ? 'spare' : 'alpha';
  const concrete = path.replace(':name', name);
  if (method !== 'POST') return { path: concrete };
  if (path === '/mcp/create') return { path: concrete, body: { spec: spec(`s-${role}-${i}`) } };
  if (path === '/mcp/create/natural')
    return { path: concrete, body: { description: 'a server that tells the time' } };
  if (path === '/mcp/validate') return { path: concrete, body: { spec: spec('v') } };
  if (path === '/mcp/deploy/:name') return { path: concrete, body: { target: 'local' } };
  if (path === '/mcp/servers/:name/call') return { path: concrete, body: { tool: 'greet', arguments: {} } };
  if (path === '/users')
    return { path: concrete, body: { name: `n-${role}-${i}`, role: 'viewer', password: PASSWORD } };
  if (path === '/users/:name') return { path: concrete, body: { email: `${role}@example.com` } };
  if (path === '/teams') return { path: concrete, body: { name: `t-${role}-${i}` } };
  return { path: concrete, body: {} };
}

describe('route × role', () => {
  it('refuses exactly what the role table does not grant', async () => {
    const routes = f.api.routes.filter((r) => !r.public);
    // Logout ends the caller's session: last.
    routes.sort((a, b) => Number(a.path === '/auth/logout') - Number(b.path === '/auth/logout'));
    expect(routes.length).toBeGreaterThan(25);
    const table: string[] = [];
    let i = 0;
    for (const r of routes)
      for (const role of [...USER_ROLES, 'service'] as Role[]) {
        const key = `${r.method} ${r.path}`;
        const permission = EFFECTIVE[key] ?? r.permission!;
        const granted = ROLE_GRANTS[role][permission] !== undefined;
        const { path, body } = requestFor(r.method, r.path, role, i++);
        const calls = f.cp.calls.length;
        const audit = (await f.registry.listAudit({ limit: 1 }))[0]?.id;
        const res = await f.send(r.method, path, {
          token: tokenOf[role]!,
          ...(body !== undefined ? { body } : {}),
        });
        table.push(`${key} ${role} ${res.status}`);
        if (granted) {
          expect([401, 403], `${key} as ${role}: ${res.text.slice(0, 200)}`).not.toContain(res.status);
        } else {
          expect(res.status, `${key} as ${role} should be refused: ${res.text.slice(0, 200)}`).toBe(403);
          expect(f.cp.calls.length, `${key} as ${role} reached the control plane`).toBe(calls);
          expect((await f.registry.listAudit({ limit: 1 }))[0]?.id, `${key} as ${role} wrote audit`).toBe(
            audit,
          );
        }
      }
    expect(table.length).toBe(routes.length * 6);
  }, 120_000);
});

describe('reach: own servers, teams', () => {
  it('a developer controls its own servers, not a teammate’s; another team’s server does not exist for it', async () => {
    await f.users.createTeam(LOCAL, 'test', 'red');
    await f.users.createTeam(LOCAL, 'test', 'blue');
    for (const [name, team] of [
      ['dev-a', 'red'],
      ['dev-b', 'red'],
      ['dev-c', 'blue'],
    ] as const)
      await f.users.create(LOCAL, 'test', { name, role: 'developer', team, password: PASSWORD });
    const a = (await f.login('dev-a')).access;
    const b = (await f.login('dev-b')).access;
    const c = (await f.login('dev-c')).access;
    const created = await f.send('POST', '/mcp/create', { token: a, body: { spec: spec('red-one') } });
    expect(created.status, created.text).toBe(201);
    expect(await f.registry.identity.serverScope('red-one')).toMatchObject({ owner: 'dev-a', team: 'red' });

    const missing = await f.send('POST', '/mcp/servers/no-such-server/stop', { token: c });
    const calls = f.cp.calls.length;
    expect((await f.send('POST', '/mcp/servers/red-one/stop', { token: b })).status).toBe(403);
    const hidden = await f.send('POST', '/mcp/servers/red-one/stop', { token: c });
    expect(hidden.status).toBe(404);
    expect({
      ...hidden.body,
      timestamp: 0,
      details: { ...hidden.body.details, server: 'x' },
      message: '',
    }).toEqual({
      ...missing.body,
      timestamp: 0,
      details: { ...missing.body.details, server: 'x' },
      message: '',
    });
    // A new revision of another team's server is refused without saying whose it is.
    const takeover = await f.send('POST', '/mcp/create?force=true', {
      token: c,
      body: { spec: { ...spec('red-one'), version: '2.0.0' }, force: true },
    });
    expect(takeover.status).toBe(409);
    expect(f.cp.calls.slice(calls)).toEqual([]);
    expect((await f.send('POST', '/mcp/servers/red-one/stop', { token: a })).status).toBe(200);

    // Listings, search and audit leave out what the caller may not see.
    const list = async (t: string) =>
      (await f.send('GET', '/mcp/servers', { token: t })).body.servers.map((s: { name: string }) => s.name);
    expect(await list(b)).toEqual(['red-one']);
    expect(await list(c)).toEqual([]);
    expect((await f.send('GET', '/mcp/tools?q=greet', { token: c })).body.matches ?? []).toEqual([]);
    const search = await f.send('GET', '/mcp/tools?q=greet', { token: b });
    expect(search.body.matches.map((m: { server: string }) => m.server)).toEqual(['red-one']);
    const blueAdmin = await f.users.create(LOCAL, 'test', {
      name: 'blue-admin',
      role: 'admin',
      team: 'blue',
      password: PASSWORD,
    });
    const audit = await f.send('GET', '/mcp/audit', { token: (await f.login(blueAdmin.name)).access });
    expect(JSON.stringify(audit.body.entries)).not.toContain('red-one');
    expect(JSON.stringify(audit.body.entries)).toContain('dev-c');
    // The global admin sees everything (alpha was removed by the table above; the servers it made remain).
    const all = await list((await f.login('u-admin')).access);
    expect(all).toContain('red-one');
    expect(all.filter((n: string) => n.startsWith('s-')).length).toBeGreaterThan(1);
  }, 60_000);
});
