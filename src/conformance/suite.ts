/**
 * The tools a conformance run needs, installed into `.tools/` on demand with npm: a Node 22 binary (the
 * suite needs Node 22; the project runs on Node >= 20.19) and the two pinned releases of
 * @modelcontextprotocol/conformance. Also asks an installed suite which spec revisions it knows and reads
 * its per-revision requirement sets.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO, TOOLS_DIR } from './paths.js';
import { exists, log, readJson } from './util.js';

export const SUITE_PKG = '@modelcontextprotocol/conformance';
export const NODE_MAJOR = 22;

// Two suite releases are kept side by side:
//  - stable: the npm `latest` tag. It knows spec versions up to 2025-11-25 only ("Unknown spec
//    version: 2026-07-28"), so it cannot test the stateless revision at all.
//  - next:   the newest prerelease. It knows 2026-07-28 and ships frozen per-revision requirement
//    sets (requirements/<rev>.yaml, run with `--requirements <rev>`); its 2025-11-25 set scores
//    exactly the 30 scenarios that 0.1.16 runs by default, plus 3 not-scored ones.
export const SUITES = {
  stable: { version: '0.1.16', dir: 'conformance' },
  next: { version: '0.2.0-alpha.12', dir: 'conformance-next' },
} as const;
export type Engine = keyof typeof SUITES;
export const DEFAULT_VERSIONS: readonly string[] = ['2026-07-28', '2025-11-25'];

export const isEngine = (value: string): value is Engine => Object.hasOwn(SUITES, value);

export interface NodeBinary {
  bin: string;
  version: string;
}

export interface SuitePaths {
  prefix: string;
  pkgDir: string;
  cli: string;
  version: string;
}

/** A suite release's requirement set for one revision: scored scenarios and not-scored ones with reasons. */
export interface Requirements {
  file: string;
  scored: string[];
  notScored: Record<string, string>;
}

function npmInstall(prefix: string, spec: string): void {
  fs.mkdirSync(prefix, { recursive: true });
  log(`installing ${spec} into ${path.relative(REPO, prefix)} ...`);
  const r = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec],
    { stdio: ['ignore', 'inherit', 'inherit'], env: process.env },
  );
  if (r.status !== 0) throw new Error(`npm install ${spec} failed (exit ${r.status})`);
}

function node22Candidates(): string[] {
  const nm = path.join(TOOLS_DIR, 'node22', 'node_modules');
  const arch = `node-${process.platform}-${process.arch}`;
  return [
    path.join(nm, 'node', 'bin', 'node'),
    path.join(nm, 'node', 'node_modules', arch, 'bin', 'node'),
    path.join(nm, arch, 'bin', 'node'),
  ];
}

function findNode22(): NodeBinary | null {
  for (const c of node22Candidates()) {
    if (!exists(c)) continue;
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim().startsWith(`v${NODE_MAJOR}.`))
      return { bin: c, version: r.stdout.trim() };
  }
  return null;
}

export function ensureNode22(): NodeBinary {
  let found = findNode22();
  if (found) return found;
  const prefix = path.join(TOOLS_DIR, 'node22');
  npmInstall(prefix, `node@${NODE_MAJOR}`);
  found = findNode22();
  if (found) return found;
  // The `node` package places its binary with a preinstall script; if install scripts are blocked,
  // the per-platform package (which ships bin/node without scripts) still works.
  npmInstall(prefix, `node-${process.platform}-${process.arch}@${NODE_MAJOR}`);
  found = findNode22();
  if (!found) throw new Error(`could not install a Node ${NODE_MAJOR} binary into ${prefix}`);
  return found;
}

export function suitePaths(engine: string): SuitePaths {
  if (!isEngine(engine)) throw new Error(`unknown engine ${engine}`);
  const s = SUITES[engine];
  const prefix = path.join(TOOLS_DIR, s.dir);
  const pkgDir = path.join(prefix, 'node_modules', ...SUITE_PKG.split('/'));
  return { prefix, pkgDir, cli: path.join(pkgDir, 'dist', 'index.js'), version: s.version };
}

export function ensureSuite(engine: string): SuitePaths {
  const p = suitePaths(engine);
  // An interrupted or partial npm extraction has been seen to leave the SDK the suite imports without its
  // JavaScript files: check the one entry the suite loads first, and install afresh when it is missing.
  const sdkEntry = path.join(
    p.prefix,
    'node_modules',
    '@modelcontextprotocol',
    'sdk',
    'dist',
    'esm',
    'server',
    'index.js',
  );
  const ok = () =>
    exists(p.cli) &&
    exists(sdkEntry) &&
    (readJson(path.join(p.pkgDir, 'package.json')) as { version?: string }).version === p.version;
  if (!ok()) {
    fs.rmSync(path.join(p.prefix, 'node_modules'), { recursive: true, force: true });
    npmInstall(p.prefix, `${SUITE_PKG}@${p.version}`);
    if (!ok()) throw new Error(`${SUITE_PKG}@${p.version} did not install into ${p.prefix}`);
  }
  return p;
}

/** Does this suite release know `version`? Asked of the suite itself (`list --spec-version`). */
export function suiteKnowsVersion(node22: string, suite: SuitePaths, version: string): boolean {
  const r = spawnSync(node22, [suite.cli, 'list', '--server', '--spec-version', version], {
    encoding: 'utf8',
  });
  return r.status === 0 && /^\s+- /m.test(r.stdout);
}

interface RequirementsFile {
  server?: string[];
  not_scored?: Array<{ leg?: string; scenario: string; reason: string }>;
}

/** The suite's requirements/<version>.yaml, parsed with the suite's own YAML parser; null when absent. */
export function loadRequirements(suite: SuitePaths, version: string): Requirements | null {
  const file = path.join(suite.pkgDir, 'requirements', `${version}.yaml`);
  if (!exists(file)) return null;
  const YAML = createRequire(path.join(suite.pkgDir, 'package.json'))('yaml') as {
    parse(text: string): unknown;
  };
  const doc = (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) as RequirementsFile;
  const notScored: Record<string, string> = {};
  for (const e of doc.not_scored ?? []) if (e.leg === 'server') notScored[e.scenario] = e.reason;
  return { file, scored: doc.server ?? [], notScored };
}
