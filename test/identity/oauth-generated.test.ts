/**
 * Issue 15: `auth: { type: oauth }` in a spec gives a generated server that type-checks, bundles jose, and passes
 * its own generated tests (which run a local issuer and sign a token with every scope the spec names). Servers
 * without OAuth neither ship nor import the module.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { collectEnv } from '../../src/build/generator/env.js';
import { generateServerCode, runtimeFilesFor } from '../../src/build/generator/server-code.js';
import { checkSpec } from '../../src/core/spec/check.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { probeMcp } from '../../src/platform/mcp-client/probe.js';
import { startHttp } from '../helpers/mcp.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const spec = (auth: unknown, scopes?: string[]) =>
  validateSpec({
    name: 'oauth-orders',
    transport: 'http',
    auth,
    tools: [
      {
        name: 'whoami',
        description: 'Who is calling.',
        code: { source: "return ctx.user ? ctx.user.subject + ' ' + ctx.user.scopes.join(',') : 'stdio';" },
      },
      {
        name: 'cancel_order',
        description: 'Cancel an order.',
        ...(scopes ? { scopes } : {}),
        annotations: { destructive: true },
        parameters: { id: { type: 'string', required: true } },
        static: { text: 'cancelled {{id}}' },
        examples: [{ arguments: { id: 'o-1' }, expect: { contains: 'cancelled o-1' } }],
      },
    ],
  });

describe('OAuth in generated servers', () => {
  it('creates a server whose generated tests pass over HTTP with a token from a local issuer', async () => {
    const parsed = spec(
      { type: 'oauth', issuer: 'https://id.example.com/realms/acme', requiredScopes: ['mcp'] },
      ['orders.write'],
    );
    expect(parsed.ok, JSON.stringify(parsed.issues)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-oauth-gen-'));
    dirs.push(dir);
    const created = await createServerProject({
      spec: parsed.spec!,
      specDir: dir,
      outDir: join(dir, 'server'),
      runTests: true,
    });
    expect(created.tests?.ok, created.tests?.output).toBe(true);
    expect(created.tests?.passed).toBeGreaterThan(0);
    expect(created.tests?.output).not.toMatch(/not run: .*cancel_order/);
    const bundle = readFileSync(created.bundle.file, 'utf8');
    expect(bundle).toContain('oauth-protected-resource');
    expect(readFileSync(join(dir, 'server', 'README.md'), 'utf8')).toContain(
      '`cancel_order` needs `orders.write`',
    );
    const env = collectEnv(parsed.spec!);
    expect(env.find((e) => e.name === 'MCP_OAUTH_ISSUER')).toMatchObject({ required: false, httpOnly: true });
    // The factory's health probe has no token: it gets the OAuth challenge, then checks identity on /health.
    const server = await startHttp(created.bundle.file);
    try {
      const unauthenticated = await fetch(server.url, { method: 'POST', body: '{}' });
      expect(unauthenticated.status).toBe(401);
      expect(await probeMcp(server.url, { timeoutMs: 5000, expect: { name: 'oauth-orders' } })).toMatchObject(
        {
          ok: true,
        },
      );
      expect(await probeMcp(server.url, { timeoutMs: 5000, expect: { name: 'someone-else' } })).toMatchObject(
        { ok: false, wrongServer: true },
      );
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('leaves the module out of servers without OAuth, and refuses tool scopes there', () => {
    const plain = spec({ type: 'none' });
    expect(plain.ok).toBe(true);
    const code = generateServerCode({ spec: plain.spec!, sqlitePaths: {}, generatorVersion: 't' });
    expect(code.files['src/server.ts']).not.toContain('runtime/oauth.js');
    expect(Object.keys(runtimeFilesFor(plain.spec!, { 'oauth.ts': '', 'http-auth.ts': '' }))).toEqual([
      'http-auth.ts',
    ]);
    const scoped = spec({ type: 'bearer' }, ['orders.write']);
    const issues = scoped.ok ? checkSpec(scoped.spec!) : (scoped.issues ?? []);
    expect(JSON.stringify(issues)).toContain('`scopes` needs a server with `auth: { type: oauth }`');
    const badScope = spec({ type: 'oauth', issuer: 'https://id.example.com' }, ['has space']);
    expect(badScope.ok).toBe(false);
  });
});
