/**
 * Start-up path of the CLI: `--help`, `list` and `status NAME` must not load the heavy subsystems (LLM SDKs,
 * esbuild, TypeScript, docker, SQL parsers, database drivers other than the registry's SQLite, the MCP SDK).
 * Checked by effect: the real bin runs under a module hook that records every module it loads.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane } from '../../src/deploy/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { textToolsSpec } from '../supervisor/helpers.js';
import { cliEnv, FIXTURES, mcpFactory, ROOT, tempHome } from './helpers.js';

/** Packages that must not be loaded by the fast verbs. */
const HEAVY = [
  'ai',
  '@ai-sdk/anthropic',
  '@ai-sdk/openai',
  '@ai-sdk/google',
  '@ai-sdk/openai-compatible',
  'esbuild',
  'typescript',
  'dockerode',
  'libpg-query',
  'node-sql-parser',
  'pg',
  'mysql2',
  '@modelcontextprotocol/client',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/node',
  '@readme/openapi-parser',
];

const packageOf = (url: string) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];

let home: string;

beforeAll(async () => {
  ensureBuilt();
  home = tempHome('startup');
  const cp = createControlPlane({ home });
  try {
    await cp.create({
      spec: textToolsSpec('startup-mcp'),
      specDir: join(ROOT, 'examples'),
      typecheck: false,
      runTests: false,
      actor: 'test',
    });
    // A local deployment that is stopped: status reads its (local) target without a supervisor to check.
    const registry = await cp.registry();
    const d = await registry.upsertDeployment({
      server: 'startup-mcp',
      target: 'local',
      revision: 1,
      desired: 'stopped',
      actor: 'test',
    });
    await registry.updateDeployment(d.id, { status: 'stopped' }, { actor: 'test' });
  } finally {
    await cp.close();
  }
}, 120_000);

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

async function loaded(args: string[]): Promise<{ packages: Set<string>; modules: string[]; out: string }> {
  const file = join(home, `modules-${args[0]!.replace(/\W/g, '')}.txt`);
  const r = await mcpFactory(
    args,
    cliEnv(home, { CLI_LIFE_MODULES_FILE: file, MCP_FACTORY_SUPERVISOR_AUTOSTART: 'off' }),
    ['--import', join(FIXTURES, 'record-modules.mjs')],
  );
  expect(r.code, r.err).toBe(0);
  const modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return {
    packages: new Set(modules.map(packageOf).filter((p): p is string => p !== undefined)),
    modules,
    out: r.out,
  };
}

describe('CLI start-up path', () => {
  it('records what a verb loads (the hook itself works: a heavy verb shows up)', async () => {
    const { packages } = await loaded(['validate', join(ROOT, 'examples', 'text-tools.yaml')]);
    expect(packages.has('yaml')).toBe(true);
  }, 60_000);

  it.each([[['--help']], [['list']], [['status', 'startup-mcp']], [['list', '--format', 'json']]])(
    '%j loads none of the heavy subsystems',
    async (args) => {
      const { packages, out } = await loaded(args);
      expect(out.length).toBeGreaterThan(0);
      expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
    },
    60_000,
  );

  it('`--help` does not open the registry or load the store', async () => {
    const { packages, modules } = await loaded(['--help']);
    expect(packages.has('kysely')).toBe(false);
    expect(packages.has('better-sqlite3')).toBe(false);
    expect(modules.some((m) => m.includes('/dist/deploy/control-plane.js'))).toBe(false);
  }, 60_000);
});
