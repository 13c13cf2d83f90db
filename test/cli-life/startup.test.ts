/**
 * Start-up path of the CLI: `--help`, `list` and `status NAME` must not load the heavy subsystems (LLM SDKs,
 * esbuild, TypeScript, docker, kubernetes, SQL parsers, database drivers other than the registry's SQLite, the
 * MCP SDK, zod, the JS parser, the console's React and Vite); `--help` loads no package but commander.
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
  '@kubernetes/client-node',
  '@modelcontextprotocol/core',
  '@babel/parser',
  'zod',
  'yaml',
  'react',
  'react-dom',
  'vite',
];

/**
 * Everything the fast verbs may load from node_modules: a new package on their path (a verb file importing a
 * subsystem at the top) fails here even when it is not in HEAVY yet.
 */
const ALLOWED: Record<string, readonly string[]> = {
  '--help': ['commander'],
  list: ['commander', 'kysely', 'better-sqlite3'],
  status: ['commander', 'kysely', 'better-sqlite3'],
};

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

  it.each([
    [['--help']],
    [['validate', '--help']],
    [['list']],
    [['status', 'startup-mcp']],
    [['list', '--format', 'json']],
  ])(
    '%j loads none of the heavy subsystems and no package outside its allow-list',
    async (args) => {
      const { packages, out } = await loaded(args);
      expect(out.length).toBeGreaterThan(0);
      expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
      const allowed = ALLOWED[args[1] === '--help' ? '--help' : args[0]!]!;
      expect([...packages].filter((p) => !allowed.includes(p)).sort()).toEqual([]);
    },
    60_000,
  );

  it('`--help` does not open the registry or load the store', async () => {
    const { packages, modules } = await loaded(['--help']);
    expect(packages.has('kysely')).toBe(false);
    expect(packages.has('better-sqlite3')).toBe(false);
    expect(modules.some((m) => m.includes('/dist/deploy/control-plane.js'))).toBe(false);
    // Registration reads no spec model, tool kinds or access policy (they pull in zod and a JS parser).
    const subsystems = ['/dist/core/spec/model.js', '/dist/core/kinds/', '/dist/identity/policy.js'];
    expect(modules.filter((m) => subsystems.some((s) => m.includes(s)))).toEqual([]);
  }, 60_000);
});
