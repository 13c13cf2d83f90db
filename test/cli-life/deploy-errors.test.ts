/**
 * `deploy` errors as the CLI shows them: a missing required variable is refused before anything is created or
 * registered (exit 6, nothing in the registry, no server directory), and a server that crashes at start gives
 * a short error — its message and the log path — never the bundle source Node prints under a crash.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/surfaces/cli/exit.js';
import { createText, ensureBuilt, fastEnv, newHome, type TestHome } from '../supervisor/helpers.js';
import { cliEnv, FIXTURES, mcpFactory, tempHome } from './helpers.js';

const NEEDS_ENV = join(FIXTURES, 'needs-env.yaml');

beforeAll(() => {
  ensureBuilt();
  ensureBuilt('dist/surfaces/cli/main.js');
});

describe('deploy --spec with a missing variable', () => {
  let home: string;
  beforeAll(() => {
    home = tempHome('deploy-env');
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('exits 6 before creating or registering anything', async () => {
    const env = cliEnv(home);
    delete env.CLI_LIFE_API_KEY;
    const r = await mcpFactory(['deploy', '--spec', NEEDS_ENV], env);
    expect(r.code, r.err).toBe(EXIT.DEPLOYMENT);
    expect(r.err).toMatch(/needs-env-mcp needs CLI_LIFE_API_KEY to run/);
    expect(r.err).not.toMatch(/Creating|✔ generate/); // the create never started
    expect(existsSync(join(home, 'servers', 'needs-env-mcp'))).toBe(false);

    const list = await mcpFactory(['list', '--all', '--format', 'json'], env);
    expect(list.code, list.err).toBe(0);
    expect((JSON.parse(list.out) as { servers: unknown[] }).servers).toEqual([]);
  }, 60_000);

  it('says so in JSON too, with the missing names', async () => {
    const r = await mcpFactory(['deploy', '--spec', NEEDS_ENV, '--format', 'json'], cliEnv(home));
    expect(r.code).toBe(EXIT.DEPLOYMENT);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: false,
      error: 'DEPLOY_MISSING_ENV',
      details: { missing: ['CLI_LIFE_API_KEY'] },
    });
    expect(existsSync(join(home, 'servers', 'needs-env-mcp'))).toBe(false);
  }, 60_000);

  it('an empty --env value counts as missing', async () => {
    const r = await mcpFactory(['deploy', '--spec', NEEDS_ENV, '--env', 'CLI_LIFE_API_KEY='], cliEnv(home));
    expect(r.code).toBe(EXIT.DEPLOYMENT);
    expect(existsSync(join(home, 'servers', 'needs-env-mcp'))).toBe(false);
  }, 60_000);
});

describe('a deploy whose server crashes at start', () => {
  let t: TestHome;
  const tuning = fastEnv('21800-21899', { MCP_FACTORY_MAX_START_FAILURES: '2' });
  beforeAll(() => {
    t = newHome('deploy-crash', tuning);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('prints the error and the log path, a few lines, and no bundle source', async () => {
    const created = await createText(t.cp, 'crash-mcp');
    // One minified line of 30 kB that throws: Node prints that whole line under a `file:line` header.
    const filler = 'BUNDLE_SOURCE_MARKER'.repeat(1500);
    writeFileSync(
      join(created.projectDir, 'dist', 'server.mjs'),
      `const a=${JSON.stringify(filler)};function f(){throw new Error("boom at start "+a.length)}f();\n`,
    );
    const env = cliEnv(
      t.home,
      Object.fromEntries(Object.entries(tuning).filter(([k]) => k.startsWith('MCP_FACTORY_'))) as Record<
        string,
        string
      >,
    );
    const r = await mcpFactory(['deploy', 'crash-mcp'], env);
    expect(r.code).toBe(EXIT.DEPLOYMENT);
    expect(r.err).toContain('boom at start 30000');
    expect(r.err).toContain(`log: ${t.cp.layout.logFile('crash-mcp')}`);
    expect(r.err).not.toContain('BUNDLE_SOURCE_MARKER');
    expect(r.errBytes).toBeLessThan(3000);
    expect(r.err.split('\n').length).toBeLessThan(25);

    // The whole output is still in the log, for `mcp-factory logs`.
    const logs = await mcpFactory(['logs', 'crash-mcp', '--tail', '200'], env);
    expect(logs.out).toContain('BUNDLE_SOURCE_MARKER');
  }, 120_000);
});
