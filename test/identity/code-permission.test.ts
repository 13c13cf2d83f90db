/**
 * Who may create code tools: a default API token creates only declarative tools; `servers.create.code` (and
 * `servers.create.host` for code.hostAccess) must be given when the token is made. Checked by effect through
 * both remote surfaces over the real control plane: a refused create answers 403 API_SCOPE_REQUIRED with a
 * hint, registers nothing, writes no project and never runs the body (its marker file never appears); with the
 * scope the same create builds, tests and registers the server.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, FactoryError } from '../../src/core/errors/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/index.js';
import type { Principal } from '../../src/identity/access.js';
import {
  ALLOW_AUTHENTICATED,
  authorizeSpec,
  ELEVATED_PERMISSIONS,
  PERMISSIONS,
  type Subject,
  specPermissions,
} from '../../src/identity/policy.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi } from '../../src/surfaces/api/index.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { connectHttp, textOf } from '../helpers/mcp.js';
import { removeCliBundle, runCli } from '../mcp-server/cli-bundle.js';

const codeSpec = (name: string) => ({
  name,
  version: '1.0.0',
  tools: [
    {
      name: 'double',
      description: 'Double a number.',
      parameters: { n: { type: 'number', required: true } },
      code: { source: 'return { doubled: args.n * 2 };' },
      examples: [{ arguments: { n: 21 }, expect: { contains: '42' } }],
    },
  ],
});

/** Code with host access whose body writes `marker` when it runs (in the generated tests, or deployed). */
const hostSpec = (name: string, marker: string) => ({
  name,
  version: '1.0.0',
  tools: [
    {
      name: 'touch',
      description: 'Write a file.',
      code: {
        source: `const fs = await import('node:fs');\nfs.writeFileSync(${JSON.stringify(marker)}, 'x');\nreturn 'ok';`,
        hostAccess: { modules: ['fs'], reason: 'writes one fixed file for this test' },
      },
    },
  ],
});

const staticSpec = (name: string) => ({
  name,
  version: '1.0.0',
  tools: [{ name: 'hello', description: 'Greet.', static: { text: 'hello' } }],
});

const principal = (scopes: Principal['scopes']): Subject => ({
  kind: 'token',
  principal: {
    tokenId: 't',
    name: 'bot',
    maxServers: 5,
    requestsPerMinute: 60,
    ...(scopes ? { scopes } : {}),
  },
});

describe('the policy', () => {
  it('gives a token every permission but the elevated ones, which only its scopes give; the local user all', () => {
    for (const permission of PERMISSIONS) {
      const elevated = (ELEVATED_PERMISSIONS as readonly string[]).includes(permission);
      expect(ALLOW_AUTHENTICATED.decide(principal(undefined), permission).allowed, permission).toBe(
        !elevated,
      );
      expect(ALLOW_AUTHENTICATED.decide(principal([permission]), permission).allowed).toBe(true);
      expect(ALLOW_AUTHENTICATED.decide({ kind: 'local', name: 'cli:me' }, permission).allowed).toBe(true);
    }
  });

  it('asks servers.create.code for code tools and servers.create.host for host access, naming the tools', () => {
    expect(specPermissions(validateSpec(staticSpec('s')).spec!)).toEqual([]);
    expect(specPermissions(validateSpec(codeSpec('c')).spec!)).toEqual([
      { permission: 'servers.create.code', tools: ['double'] },
    ]);
    expect(specPermissions(validateSpec(hostSpec('h', '/tmp/x')).spec!)).toEqual([
      { permission: 'servers.create.code', tools: ['touch'] },
      { permission: 'servers.create.host', tools: ['touch'] },
    ]);
    const spec = validateSpec(hostSpec('h', '/tmp/x')).spec!;
    let thrown: unknown;
    try {
      authorizeSpec(ALLOW_AUTHENTICATED, principal(['servers.create.code']), spec);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FactoryError);
    expect(thrown).toMatchObject({
      code: 'API_SCOPE_REQUIRED',
      details: { permission: 'servers.create.host', tools: ['touch'] },
    });
    expect(ERROR_CODES.API_SCOPE_REQUIRED.status).toBe(403);
    expect(() =>
      authorizeSpec(ALLOW_AUTHENTICATED, principal(['servers.create.code', 'servers.create.host']), spec),
    ).not.toThrow();
    expect(() => authorizeSpec(ALLOW_AUTHENTICATED, { kind: 'local', name: 'cli' }, spec)).not.toThrow();
  });
});

describe('token scopes', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'mcpf-scopes-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('are none by default, given only explicitly, validated, and survive a reload', () => {
    const tokens = TokenStore.open({ home });
    const plain = tokens.create({ name: 'plain' });
    expect(plain.info.scopes).toEqual([]);
    const coder = tokens.create({ name: 'coder', scopes: ['servers.create.code'] });
    expect(coder.info.scopes).toEqual(['servers.create.code']);
    expect(() => tokens.create({ name: 'x', scopes: ['servers.remove'] })).toThrow(/unknown token scope/);
    expect(() => tokens.create({ name: 'y', scopes: ['servers.create.host'] })).toThrow(
      /needs servers.create.code/,
    );
    const again = TokenStore.open({ home });
    expect(again.verify(coder.token)?.scopes).toEqual(['servers.create.code']);
    expect(again.verify(plain.token)?.scopes).toEqual([]);
  });
});

describe('creating code through the API and the MCP server (real control plane)', () => {
  let home: string;
  let registry: Registry;
  let cp: LocalControlPlane;
  let api: Api;
  let served: Awaited<ReturnType<typeof serveFactoryMcpHttp>>;
  const token: Record<'plain' | 'coder' | 'host', string> = { plain: '', coder: '', host: '' };

  beforeAll(async () => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'mcpf-code-perm-'));
    registry = await openRegistry({ home });
    cp = createControlPlane({ home, registry, supervisorEnv: { ...process.env, MCP_FACTORY_HOME: home } });
    const tokens = TokenStore.open({ home });
    token.plain = tokens.create({ name: 'plain' }).token;
    token.coder = tokens.create({ name: 'coder', scopes: ['servers.create.code'] }).token;
    token.host = tokens.create({
      name: 'host',
      scopes: ['servers.create.code', 'servers.create.host'],
    }).token;
    api = createApi({ controlPlane: cp, registry, tokens });
    served = await serveFactoryMcpHttp({ controlPlane: cp, registry, tokens, port: 0 });
  });

  afterAll(async () => {
    await served?.close();
    await cp?.supervisor.shutdown(true).catch(() => undefined);
    await cp?.close();
    await registry?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const post = async (who: keyof typeof token, body: unknown) => {
    const res = await api.fetch(
      new Request('http://127.0.0.1/mcp/create', {
        method: 'POST',
        headers: { authorization: `Bearer ${token[who]}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) };
  };

  const mcp = async (who: keyof typeof token) =>
    connectHttp(`${served.url}/mcp`, '2026-07-28', { authorization: `Bearer ${token[who]}` });

  const createOverMcp = async (client: Client, spec: unknown) => {
    const result = await client.callTool({ name: 'create_server', arguments: { spec } });
    return {
      isError: result.isError === true,
      text: textOf(result),
      data: result.structuredContent as Record<string, unknown> | undefined,
    };
  };

  /** Nothing of `name` exists: no registry entry, no project directory, no audit entry. */
  const nothingOf = async (name: string) => {
    expect((await registry.listServers()).map((s) => s.name)).not.toContain(name);
    expect(existsSync(join(home, 'servers', name))).toBe(false);
    expect(await registry.listAudit({ target: name })).toEqual([]);
  };

  it('API: a default token is refused code tools with 403 and nothing is created', async () => {
    const r = await post('plain', codeSpec('api-code-plain'));
    expect(r.status, r.text).toBe(403);
    expect(r.body).toMatchObject({
      error: 'API_SCOPE_REQUIRED',
      details: {
        permission: 'servers.create.code',
        tools: ['double'],
        hint: expect.stringContaining('--allow-code'),
      },
    });
    await nothingOf('api-code-plain');
  });

  it('API and MCP: host access needs its own scope; the body never runs', async () => {
    const marker = join(home, 'host-marker');
    for (const who of ['plain', 'coder'] as const) {
      const r = await post(who, hostSpec(`api-host-${who}`, marker));
      expect(r.status, r.text).toBe(403);
      expect(r.body.error).toBe('API_SCOPE_REQUIRED');
      expect(r.body.details.permission).toBe(who === 'plain' ? 'servers.create.code' : 'servers.create.host');
      await nothingOf(`api-host-${who}`);
      const client = await mcp(who);
      try {
        const m = await createOverMcp(client, hostSpec(`mcp-host-${who}`, marker));
        expect(m.isError, m.text).toBe(true);
        expect(m.data).toMatchObject({ error: 'API_SCOPE_REQUIRED' });
        await nothingOf(`mcp-host-${who}`);
      } finally {
        await client.close();
      }
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('MCP: a default token is refused code tools with the same error and hint, and nothing is created', async () => {
    const client = await mcp('plain');
    try {
      const r = await createOverMcp(client, codeSpec('mcp-code-plain'));
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^API_SCOPE_REQUIRED: /);
      expect(r.text).toContain('hint:');
      expect(r.data).toMatchObject({
        error: 'API_SCOPE_REQUIRED',
        hint: expect.stringContaining('--allow-code'),
      });
      await nothingOf('mcp-code-plain');
      // The same token still creates declarative tools.
      const ok = await createOverMcp(client, staticSpec('mcp-static-plain'));
      expect(ok.isError, ok.text).toBe(false);
      expect(ok.data).toMatchObject({ name: 'mcp-static-plain', revision: 1 });
    } finally {
      await client.close();
    }
  }, 120_000);

  it('API and MCP: a token made with servers.create.code creates (builds, tests, registers) the code tool', async () => {
    const r = await post('coder', codeSpec('api-code-coder'));
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ name: 'api-code-coder', revision: 1 });
    expect(r.body.steps.map((s: { step: string }) => s.step)).toContain('generated-tests');
    const client = await mcp('coder');
    try {
      const m = await createOverMcp(client, codeSpec('mcp-code-coder'));
      expect(m.isError, m.text).toBe(false);
      expect(m.data).toMatchObject({ name: 'mcp-code-coder', revision: 1 });
    } finally {
      await client.close();
    }
    const names = (await registry.listServers()).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['api-code-coder', 'mcp-code-coder']));
    expect(readdirSync(join(home, 'servers', 'api-code-coder')).length).toBeGreaterThan(0);
    const audit = await registry.listAudit({ target: 'api-code-coder' });
    expect(audit.map((e) => e.actor)).toContain('coder');
  }, 240_000);

  it('API: a token with code but no host scope may not smuggle host access past the check either', async () => {
    // Without hostAccess the same body is refused by the code check (422), whatever the token.
    const spec = hostSpec('api-host-smuggle', join(home, 'smuggled'));
    const { hostAccess: _h, ...code } = spec.tools[0]!.code;
    const r = await post('host', { ...spec, tools: [{ ...spec.tools[0], code }] });
    expect(r.status, r.text).toBe(422);
    expect(r.body.error).toBe('SPEC_UNSAFE_CODE');
    await nothingOf('api-host-smuggle');
    expect(existsSync(join(home, 'smuggled'))).toBe(false);
  });
});

describe('mcp-factory token create --allow-code (a real process)', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'mcpf-scope-cli-'));
  });
  afterAll(async () => {
    rmSync(home, { recursive: true, force: true });
    await removeCliBundle();
  });

  it('gives the scopes only when asked, shows them in the list and audits them', async () => {
    expect((await runCli(['token', 'create', 'plain', '--home', home])).code).toBe(0);
    const coder = await runCli(['token', 'create', 'coder', '--allow-code', '--home', home]);
    expect(coder.code, coder.err).toBe(0);
    const host = await runCli([
      'token',
      'create',
      'host',
      '--allow-code',
      '--allow-host-access',
      '--home',
      home,
    ]);
    expect(host.code, host.err).toBe(0);
    const bad = await runCli(['token', 'create', 'bad', '--allow-host-access', '--home', home]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('needs servers.create.code');
    const list = JSON.parse((await runCli(['token', 'list', '--format', 'json', '--home', home])).out);
    expect(
      Object.fromEntries(list.map((t: { name: string; scopes: string[] }) => [t.name, t.scopes])),
    ).toEqual({
      plain: [],
      coder: ['servers.create.code'],
      host: ['servers.create.code', 'servers.create.host'],
    });
    const verified = TokenStore.open({ home }).verify(coder.out.trim());
    expect(verified?.scopes).toEqual(['servers.create.code']);
    const table = (await runCli(['token', 'list', '--home', home])).out;
    expect(table).toContain('SCOPES');
    expect(table).toContain('servers.create.code,servers.create.host');
    const registry = await openRegistry({ home });
    try {
      const audit = await registry.listAudit({ target: 'token:coder' });
      expect(audit[0]).toMatchObject({
        action: 'token.create',
        details: { scopes: ['servers.create.code'] },
      });
    } finally {
      await registry.close();
    }
  }, 120_000);
});
