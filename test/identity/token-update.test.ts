/**
 * Changing a token in place (`mcp-factory token update`, `PATCH /auth/tokens/:name`), checked by its effect: the
 * same token value keeps working and what it sees on the API follows each change (servers listed, a server
 * outside the list answering like a missing one), every change lands in the audit trail with its from and to,
 * and every refusal — bad patterns, contradicting options, nothing to change, an unknown token, a role above the
 * owner's, another user's token, a widening asked with an API token (the token itself or a sibling) — is a
 * FactoryError with a stable code and leaves the token file byte for byte as it was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { allowListWithin, patternWithin } from '../../src/core/text/patterns.js';
import { roleWithin, updateCheck, widenings } from '../../src/identity/token-update.js';
import { TOKENS_FILE, type TokenInfo } from '../../src/identity/tokens.js';
import { openApiDocument } from '../../src/surfaces/api/openapi.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { specFromSource } from '../../src/surfaces/operations/index.js';
import { type Factory, LOCAL, PASSWORD, startFactory } from './auth-helpers.js';

let f: Factory;
const file = () => join(f.home, TOKENS_FILE);

beforeAll(async () => {
  f = await startFactory();
  for (const name of ['crm', 'billing', 'hr'])
    await f.cp.create({
      spec: specFromSource(
        {
          spec: {
            name,
            version: '1.0.0',
            tools: [
              { name: 'hi', description: 'Hi', static: { text: 'hi' } },
              { name: 'secret', description: 'Psst', static: { text: 'psst' } },
            ],
          },
        },
        { allowLocalFiles: false },
      ),
      specDir: f.home,
      actor: 'test',
    });
  await f.users.create(LOCAL, 'test', { name: 'pat', role: 'developer', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'vic', role: 'developer', password: PASSWORD });
}, 60_000);
afterAll(() => f.close());

/** The servers a bearer sees on the API (GET /mcp/servers). */
const servers = async (token: string) => {
  const r = await f.send('GET', '/mcp/servers', { token });
  expect(r.status, r.text).toBe(200);
  return (r.body.servers as Array<{ name: string }>).map((s) => s.name).sort();
};
/** The tools of a server a bearer sees (GET /mcp/servers/:name). */
const toolsOf = async (token: string, server: string) =>
  ((await f.send('GET', `/mcp/servers/${server}`, { token })).body.tools as Array<{ name: string }>).map(
    (t) => t.name,
  );

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), isTTY: false };
  const code = await runCli([...args, '--home', f.home], io);
  return { code, out: out.join(''), err: err.join('') };
}

const updates = async (name: string) =>
  (await f.registry.listAudit({ target: `token:${name}` })).filter((e) => e.action === 'token.update');

describe('the rules of a change', () => {
  it('tells a narrowing from a widening: patterns, lists, roles, expiry', () => {
    expect(patternWithin('crm', 'c*m')).toBe(true);
    expect(patternWithin('ab*', 'a*')).toBe(true);
    expect(patternWithin('a*', 'ab*')).toBe(false);
    expect(patternWithin('*', 'a*')).toBe(false);
    expect(patternWithin('crm__get_*', 'crm__*')).toBe(true);
    expect(allowListWithin(['crm'], null)).toBe(true);
    expect(allowListWithin(null, ['crm'])).toBe(false);
    expect(allowListWithin(['crm', 'billing-eu'], ['crm', 'billing-*'])).toBe(true);
    expect(allowListWithin(['crm', 'hr'], ['crm', 'billing-*'])).toBe(false);
    expect(roleWithin('viewer', 'developer')).toBe(true);
    expect(roleWithin('developer', 'viewer')).toBe(false);
    expect(roleWithin('developer', 'service')).toBe(true);
    expect(roleWithin('admin', 'service')).toBe(false);
    expect(roleWithin('operator', 'developer')).toBe(false);
    const base = {
      role: 'developer',
      expiresAt: '2030-01-01T00:00:00.000Z',
      allowedServers: ['crm', 'billing'],
      allowedTools: null,
    } as unknown as TokenInfo;
    const w = (change: Partial<TokenInfo>) => widenings(base, { ...base, ...change });
    expect(w({ role: 'viewer', allowedServers: ['crm'], allowedTools: ['hi'] })).toEqual([]);
    expect(w({ expiresAt: '2029-01-01T00:00:00.000Z' })).toEqual([]);
    expect(w({ expiresAt: '2031-01-01T00:00:00.000Z' })).toEqual(['expiry']);
    expect(w({ role: 'admin' })).toEqual(['role']);
    expect(w({ allowedServers: null })).toEqual(['servers']);
    expect(w({ allowedServers: ['crm', 'hr'] })).toEqual(['servers']);
    expect(w({ allowedTools: ['hi'] })).toEqual([]);
    // A token that never expired and gets an expiry is narrowed.
    expect(widenings({ ...base, expiresAt: null }, base)).toEqual([]);
    // The check a narrow-only caller runs refuses any widening with its own code.
    let error: unknown;
    try {
      updateCheck({ name: 'bot', narrowOnly: true })(base, { ...base, allowedServers: null });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('TOKEN_WIDENING_REFUSED');
  });
});

describe('mcp-factory token update', () => {
  it('narrows and widens a token in place: the same value keeps working, what it sees follows, each change audited', async () => {
    const bot = f.tokens.create({ name: 'bot' }).token;
    expect(await servers(bot)).toEqual(['billing', 'crm', 'hr']);

    let r = await cli('token', 'update', 'bot', '--servers', 'crm, billing', '--tools', 'crm__hi,billing__*');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/Updated token "bot" .*servers crm,billing; tools crm__hi,billing__\*/);
    expect(await servers(bot)).toEqual(['billing', 'crm']);
    expect(await toolsOf(bot, 'crm')).toEqual(['hi']);
    expect(await toolsOf(bot, 'billing')).toEqual(['hi', 'secret']);
    const hidden = await f.send('GET', '/mcp/servers/hr', { token: bot });
    expect([hidden.status, hidden.body.error]).toEqual([404, 'REGISTRY_NOT_FOUND']);

    r = await cli('token', 'update', 'bot', '--clear-tools', '--servers', 'crm', '--expires', '2h');
    expect(r.code, r.err).toBe(0);
    expect(await servers(bot)).toEqual(['crm']);
    expect(await toolsOf(bot, 'crm')).toEqual(['hi', 'secret']);

    r = await cli('token', 'update', 'bot', '--clear-servers', '--role', 'viewer', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const after = JSON.parse(r.out) as TokenInfo;
    expect(after).toMatchObject({ name: 'bot', role: 'viewer', allowedServers: null, allowedTools: null });
    expect(Date.parse(after.expiresAt!) - Date.now()).toBeGreaterThan(3_500_000);
    expect(JSON.stringify(after)).not.toContain('hash');
    expect(await servers(bot)).toEqual(['billing', 'crm', 'hr']);
    // A viewer may look but no longer call.
    const call = await f.send('POST', '/mcp/servers/crm/call', { token: bot, body: { tool: 'hi' } });
    expect([call.status, call.body.error]).toEqual([403, 'API_FORBIDDEN']);

    // One audit entry per change, from → to, by the local actor.
    const audited = (await updates('bot')).reverse();
    expect(audited.map((e) => e.details?.changes)).toEqual([
      {
        allowedServers: { from: null, to: ['crm', 'billing'] },
        allowedTools: { from: null, to: ['crm__hi', 'billing__*'] },
      },
      {
        expiresAt: { from: null, to: expect.any(String) },
        allowedServers: { from: ['crm', 'billing'], to: ['crm'] },
        allowedTools: { from: ['crm__hi', 'billing__*'], to: null },
      },
      {
        role: { from: 'service', to: 'viewer' },
        allowedServers: { from: ['crm'], to: null },
      },
    ]);
    for (const e of audited) expect(e.actor).toMatch(/^cli/);
  });

  it('refuses bad input with a stable code and an exit code, writing nothing', async () => {
    f.tokens.create({ name: 'steady', allowedServers: ['crm'] });
    const personal = f.tokens.create({ name: 'pat-cli', role: 'developer', owner: 'pat' });
    const before = readFileSync(file(), 'utf8');
    const refusals: Array<[string[], number, string, RegExp]> = [
      [['--servers', 'crm,'], 2, 'INVALID_ARGUMENTS', /invalid server pattern ""/],
      [['--tools', 'crm__$(id)'], 2, 'INVALID_ARGUMENTS', /invalid tool pattern/],
      [['--servers', 'crm', '--clear-servers'], 2, 'INVALID_ARGUMENTS', /--servers and --clear-servers/],
      [['--tools', 'hi', '--clear-tools'], 2, 'INVALID_ARGUMENTS', /--tools and --clear-tools/],
      [
        [],
        2,
        'INVALID_ARGUMENTS',
        /^nothing to change: give a role, an expiry, or allowed servers or tools$/,
      ],
    ];
    for (const [args, exit, code, message] of refusals) {
      const r = await cli('token', 'update', 'steady', ...args, '--format', 'json');
      expect(r.code, args.join(' ')).toBe(exit);
      const body = JSON.parse(r.out) as { error: string; message: string };
      expect(body.error, args.join(' ')).toBe(code);
      expect(body.message).toMatch(message);
    }
    const missing = await cli('token', 'update', 'ghost', '--servers', 'crm');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no active token named "ghost"');
    // A personal token never gets more than its owner (pat is a developer).
    const above = await cli('token', 'update', 'pat-cli', '--role', 'admin');
    expect(above.code).toBe(1);
    expect(above.err).toMatch(/may have the role developer \(the user's role\) or viewer, not admin/);
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expect(await updates('steady')).toEqual([]);
    // Its owner's role or viewer is fine, and so is a narrowing.
    expect(
      (await cli('token', 'update', personal.info.id, '--role', 'viewer', '--servers', 'crm')).code,
    ).toBe(0);
    expect(f.tokens.get(personal.info.id)).toMatchObject({ role: 'viewer', allowedServers: ['crm'] });
  });
});

describe('PATCH /auth/tokens/:name', () => {
  const patch = (name: string, token: string, body: unknown) =>
    f.send('PATCH', `/auth/tokens/${name}`, { token, body });

  it('the signed-in owner narrows and widens its token: the same value sees what the change says; audited', async () => {
    const { access } = await f.login('pat');
    const made = await f.send('POST', '/auth/tokens', { token: access, body: { name: 'pat-laptop' } });
    expect(made.status, made.text).toBe(201);
    const laptop = made.body.token as string;
    expect(await servers(laptop)).toEqual(['billing', 'crm', 'hr']);

    const narrowed = await patch('pat-laptop', access, { servers: ['crm'], tools: ['crm__hi'] });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(narrowed.body).toMatchObject({
      name: 'pat-laptop',
      allowedServers: ['crm'],
      allowedTools: ['crm__hi'],
    });
    expect(narrowed.body.token).toBeUndefined();
    expect(narrowed.body.hash).toBeUndefined();
    expect(await servers(laptop)).toEqual(['crm']);
    expect(await toolsOf(laptop, 'crm')).toEqual(['hi']);

    const widened = await patch('pat-laptop', access, { servers: null, tools: null, expiresInDays: 365 });
    expect(widened.status, widened.text).toBe(200);
    expect(widened.body).toMatchObject({ allowedServers: null, allowedTools: null, role: 'developer' });
    expect(Date.parse(widened.body.expiresAt) - Date.parse(made.body.expiresAt)).toBeGreaterThan(
      200 * 86_400_000,
    );
    expect(await servers(laptop)).toEqual(['billing', 'crm', 'hr']);
    expect(await toolsOf(laptop, 'crm')).toEqual(['hi', 'secret']);

    const audited = (await updates('pat-laptop')).reverse();
    expect(audited.map((e) => [e.actor, e.details])).toEqual([
      [
        'pat',
        {
          owner: 'pat',
          changes: {
            allowedServers: { from: null, to: ['crm'] },
            allowedTools: { from: null, to: ['crm__hi'] },
          },
        },
      ],
      [
        'pat',
        {
          owner: 'pat',
          changes: {
            expiresAt: { from: made.body.expiresAt, to: widened.body.expiresAt },
            allowedServers: { from: ['crm'], to: null },
            allowedTools: { from: ['crm__hi'], to: null },
          },
        },
      ],
    ]);
  });

  it('refuses another user’s token, a role above the owner’s and bad input, writing nothing', async () => {
    const { access } = await f.login('pat');
    const made = await f.send('POST', '/auth/tokens', { token: access, body: { name: 'pat-desk' } });
    expect(made.status, made.text).toBe(201);
    const vic = (await f.login('vic')).access;
    const service = f.tokens.create({ name: 'svc' }).token;
    const before = readFileSync(file(), 'utf8');

    // Another user's token answers like a token that does not exist; a service token owns no personal tokens.
    const theirs = await patch('pat-desk', vic, { servers: ['crm'] });
    const ghost = await patch('ghost', vic, { servers: ['crm'] });
    expect([theirs.status, theirs.body.error]).toEqual([404, 'TOKEN_NOT_FOUND']);
    expect(theirs.body.message.replace('pat-desk', 'X')).toBe(ghost.body.message.replace('ghost', 'X'));
    expect((await patch('pat-desk', service, { servers: ['crm'] })).status).toBe(404);

    const refused: Array<[unknown, number, string, RegExp]> = [
      [
        { role: 'admin' },
        403,
        'AUTH_ROLE_NOT_ALLOWED',
        /role developer \(the user's role\) or viewer, not admin/,
      ],
      [{ servers: ['crm', 'no spaces'] }, 400, 'INVALID_ARGUMENTS', /invalid server pattern "no spaces"/],
      [{ tools: [] }, 400, 'INVALID_ARGUMENTS', /at least one pattern/],
      [{}, 400, 'INVALID_ARGUMENTS', /^nothing to change/],
      [{ name: 'renamed' }, 400, 'API_INVALID_REQUEST', /body/],
      [{ expiresInDays: 0 }, 400, 'API_INVALID_REQUEST', /expiresInDays/],
    ];
    for (const [body, status, code, message] of refused) {
      const r = await patch('pat-desk', access, body);
      expect([r.status, r.body.error], JSON.stringify(body)).toEqual([status, code]);
      expect(r.body.message).toMatch(message);
    }
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expect(await updates('pat-desk')).toEqual([]);
  });

  it('a request made with an API token narrows tokens, itself included, but never widens one', async () => {
    const { access } = await f.login('pat');
    const ci = await f.send('POST', '/auth/tokens', {
      token: access,
      body: { name: 'pat-ci', servers: ['crm', 'billing'], expiresInDays: 7 },
    });
    const other = await f.send('POST', '/auth/tokens', {
      token: access,
      body: { name: 'pat-other', role: 'viewer', servers: ['crm'] },
    });
    expect([ci.status, other.status]).toEqual([201, 201]);
    const bearer = ci.body.token as string;

    // Narrowing itself is fine, and takes effect on its next request.
    expect((await patch('pat-ci', bearer, { servers: ['crm'] })).status).toBe(200);
    expect(await servers(bearer)).toEqual(['crm']);

    const before = readFileSync(file(), 'utf8');
    const widenings: Array<[string, unknown, string]> = [
      ['pat-ci', { servers: ['crm', 'billing'] }, 'servers'],
      ['pat-ci', { servers: ['*'] }, 'servers'],
      ['pat-ci', { servers: null }, 'servers'],
      ['pat-ci', { tools: null, servers: ['c*'] }, 'servers'],
      ['pat-ci', { expiresInDays: 30 }, 'expiry'],
      // A sibling token of the same owner: no more rights through it either.
      ['pat-other', { role: 'developer' }, 'role'],
      ['pat-other', { servers: null }, 'servers'],
    ];
    for (const [name, body, field] of widenings) {
      const r = await patch(name, bearer, body);
      expect([r.status, r.body.error], `${name} ${JSON.stringify(body)}`).toEqual([
        403,
        'TOKEN_WIDENING_REFUSED',
      ]);
      expect(r.body.message).toContain(`pat-ci may narrow token "${name}" but not widen it`);
      expect(r.body.details.widens).toContain(field);
    }
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expect(await servers(bearer)).toEqual(['crm']);

    // Narrowing a sibling is (revoking it would be too).
    const shorter = await patch('pat-other', bearer, { expiresInDays: 1, tools: ['crm__hi'] });
    expect(shorter.status, shorter.text).toBe(200);
    expect(shorter.body.allowedTools).toEqual(['crm__hi']);
    expect((await updates('pat-other'))[0]?.actor).toBe('pat-ci');

    // The owner signed in may widen it again.
    expect((await patch('pat-ci', access, { servers: null })).status).toBe(200);
    expect(await servers(bearer)).toEqual(['billing', 'crm', 'hr']);
  });

  it('is in the OpenAPI document, with a body that takes null to lift a restriction', () => {
    const doc = openApiDocument(f.api.routes, { version: 'test' }) as {
      paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    const op = doc.paths['/auth/tokens/{name}']!.patch!;
    expect(op.operationId).toBe('updateMyToken');
    const ref = (op.requestBody as { content: { 'application/json': { schema: { $ref: string } } } }).content[
      'application/json'
    ].schema.$ref;
    const schema = doc.components.schemas[ref.split('/').pop()!] as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(['expiresInDays', 'role', 'servers', 'tools']);
    expect(JSON.stringify(schema.properties.servers)).toContain('"null"');
  });
});
