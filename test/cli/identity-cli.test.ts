/**
 * `mcp-factory user …`, `team …` and `token create --role/--user/--expires` as a real process against a temp
 * MCP_FACTORY_HOME (SQLite registry), passwords through a real stdin pipe. The program is main.ts's runCli —
 * what bin/mcp-factory.mjs runs — bundled with esbuild (code splitting keeps the verbs' lazy imports lazy), so
 * the test does not wait for a tsc build of dist/. Checked by effect: the registry (users, password hash,
 * audit trail), the token file, and for every refusal the exit code, the message and that nothing was written.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/identity/passwords.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry } from '../../src/store/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Two levels below the repository root, where the factory finds its own files (package.json, runtime/).
const OUT = join(ROOT, '.tmp', `identity-cli-${process.pid}`);
const PASSWORD = 'correct horse battery staple';

let home: string;

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Run the CLI with `stdin` written to a pipe (then closed). */
function cli(args: string[], stdin = ''): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_FACTORY_HOME: home };
  delete env.MCP_FACTORY_REGISTRY_URL;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(OUT, 'cli.js'), ...args], { env, cwd: home });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
    child.stdin.on('error', () => undefined); // the CLI may stop reading after the first line
    child.stdin.end(stdin);
  });
}

const words = (line: string) => line.split(' ');

async function withRegistry<T>(fn: (r: Awaited<ReturnType<typeof openRegistry>>) => Promise<T>): Promise<T> {
  const registry = await openRegistry({ home });
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-identity-cli-'));
  mkdirSync(OUT, { recursive: true });
  await build({
    stdin: {
      contents:
        "import { runCli } from './src/surfaces/cli/main.ts';\nprocess.exitCode = await runCli(process.argv.slice(2));\n",
      resolveDir: ROOT,
      sourcefile: 'identity-cli-entry.ts',
      loader: 'ts',
    },
    outdir: OUT,
    entryNames: 'cli',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
});

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('mcp-factory user / team', () => {
  it('adds a team and users (password from stdin), refuses bad input writing nothing, changes and disables', async () => {
    const team = await cli(words('team add payments'));
    expect(team.code, team.err).toBe(0);

    // Independent runs go in parallel (each process costs ~0.5-1 s, mostly opening the registry).
    const [ann, weak, role, noTeam] = await Promise.all([
      // The password is the first line of stdin, its newline stripped; the rest of stdin is not read.
      cli(
        words('user add ann --role admin --team payments --email ann@example.com --password-stdin'),
        `${PASSWORD}\nsecond line\n`,
      ),
      cli(words('user add bob --role developer --password-stdin'), 'short\n'),
      cli(words('user add bob --role boss')),
      cli(words('user add bob --role developer --team nowhere --format json')),
    ]);
    expect(ann.code, ann.err).toBe(0);
    expect(ann.err).toContain('Created user "ann" (admin, team payments, password set)');
    expect(weak.code).toBe(1);
    expect(weak.err).toContain('a password needs at least 10 characters');
    expect(role.code).toBe(2);
    expect(role.err).toContain('unknown role "boss"; one of admin, operator, developer, reviewer, viewer');
    expect(noTeam.code).toBe(1);
    expect(JSON.parse(noTeam.out)).toMatchObject({
      ok: false,
      error: 'REGISTRY_NOT_FOUND',
      message: 'no team "nowhere"; create it first',
      details: { hint: expect.stringContaining('mcp-factory team add') },
    });

    // None of the three refusals wrote bob: adding him now succeeds (no password: OIDC sign-in only).
    const bob = await cli(words('user add bob --role developer'));
    expect(bob.code, bob.err).toBe(0);
    expect(bob.err).toContain('no password (OIDC sign-in only)');
    const set = await cli(words('user set bob --role viewer --team payments'));
    expect(set.code, set.err).toBe(0);

    await withRegistry(async (registry) => {
      const stored = await registry.identity.passwordHashOf('ann');
      expect(await verifyPassword(stored?.hash, PASSWORD)).toBe(true);
      const audit = await registry.listAudit({ action: 'user.create' });
      expect(audit.map((e) => e.target).sort()).toEqual(['user:ann', 'user:bob']);
      expect((await registry.listAudit({ action: 'user.change' }))[0]).toMatchObject({
        target: 'user:bob',
        details: { role: 'viewer', team: 'payments' },
      });
      await registry.identity.recordLogin({
        name: 'ann',
        ok: false,
        reason: 'bad password',
        address: '10.0.0.9',
      });
      await registry.identity.recordLogin({ name: 'ann', ok: true, reason: 'password', address: '10.0.0.9' });
    });

    const [list, logins, teams, remove] = await Promise.all([
      cli(words('user list --format json')),
      cli(words('user logins ann --limit 1 --format json')),
      cli(words('team list --format json')),
      cli(words('team remove payments')),
    ]);
    expect(list.code, list.err).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({
        name: 'ann',
        role: 'admin',
        team: 'payments',
        email: 'ann@example.com',
        hasPassword: true,
        disabledAt: null,
      }),
      expect.objectContaining({ name: 'bob', role: 'viewer', team: 'payments', hasPassword: false }),
    ]);
    expect(logins.code, logins.err).toBe(0);
    expect(JSON.parse(logins.out)).toEqual([
      expect.objectContaining({ name: 'ann', ok: true, reason: 'password', address: '10.0.0.9' }),
    ]);
    expect(JSON.parse(teams.out)).toEqual([
      expect.objectContaining({ name: 'payments', users: 2, servers: 0 }),
    ]);
    expect(remove.code).toBe(1);
    expect(remove.err).toContain('team "payments" still has user');
  }, 60_000);

  it('makes personal tokens: role, owner, team and expiry, never more than the owner’s role', async () => {
    const before = Date.now();
    const [made, tooMuch, service] = await Promise.all([
      cli(words('token create ann-laptop --user ann --expires 30d')),
      cli(words('token create bob-admin --user bob --role admin')),
      cli(words('token create ops --role operator --expires 12h')),
    ]);
    expect(made.code, made.err).toBe(0);
    expect(made.err).toContain('role admin, for user ann in team payments');
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.err).toContain('a personal token of user "bob" may have the role viewer, not admin');
    expect(service.code, service.err).toBe(0);

    const [list, table, disable] = await Promise.all([
      cli(words('token list --format json')),
      cli(words('token list')),
      cli(words('user disable bob')),
    ]);
    const tokens = (JSON.parse(list.out) as Array<Record<string, unknown>>).sort((a, b) =>
      String(a.name).localeCompare(String(b.name)),
    );
    expect(tokens.map((t) => t.name)).toEqual(['ann-laptop', 'ops']);
    expect(tokens[0]).toMatchObject({ role: 'admin', owner: 'ann', team: 'payments' });
    expect(tokens[1]).toMatchObject({ role: 'operator', owner: null, team: null });
    const days30 = Date.parse(tokens[0]!.expiresAt as string) - before;
    expect(Math.abs(days30 - 30 * 86_400_000)).toBeLessThan(60_000);
    const hours12 = Date.parse(tokens[1]!.expiresAt as string) - before;
    expect(Math.abs(hours12 - 12 * 3_600_000)).toBeLessThan(60_000);
    expect(TokenStore.open({ home }).verify(made.out.trim())).toMatchObject({
      name: 'ann-laptop',
      owner: 'ann',
    });
    expect(table.out).toMatch(/ROLE\s+OWNER\s+EXPIRES\s+STATE/);
    expect(table.out).toMatch(/ann-laptop .* admin\s+ann\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+active/);

    // A disabled user gets no personal token; the refusals wrote no token.
    expect(disable.code, disable.err).toBe(0);
    const disabled = await cli(words('token create bob-ci --user bob'));
    expect(disabled.code).toBe(1);
    expect(disabled.err).toContain('user "bob" is disabled');
    expect(
      TokenStore.open({ home })
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['ann-laptop', 'ops']);
  }, 60_000);
});
