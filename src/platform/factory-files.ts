/** Where MCP Factory's own files are (runtime sources, package metadata), and the dependencies generated projects use. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: dist/platform/ (built) or src/platform/ (sources) sit two levels below it. */
export const FACTORY_ROOT = resolve(here, '..', '..');
const require = createRequire(import.meta.url);

let runtimeCache: Record<string, string> | undefined;

/**
 * Dependency-free modules of src/core/ that generated servers use too, copied beside runtime/ as `<name>/…`
 * (tsconfig.runtime.json type-checks runtime/ against them through rootDirs; package.json ships them).
 */
export const SHARED_RUNTIME_MODULES = ['search', 'rate', 'net', 'exec'] as const;

/** Source files of a directory, by name: `.ts` files, not tests. */
function sourcesOf(dir: string, prefix = ''): Array<[string, string]> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort()
    .map((f) => [`${prefix}${f}`, readFileSync(join(dir, f), 'utf8')]);
}

/** The runtime sources generated projects get under src/runtime/ (top-level and triggers/), by relative path. */
export function runtimeFiles(): Record<string, string> {
  if (!runtimeCache) {
    runtimeCache = Object.fromEntries([
      ...sourcesOf(join(FACTORY_ROOT, 'runtime')),
      // Trigger runner and sources (copied only for specs with triggers: server-code.ts runtimeFilesFor).
      ...sourcesOf(join(FACTORY_ROOT, 'runtime', 'triggers'), 'triggers/'),
      ...SHARED_RUNTIME_MODULES.flatMap((name) =>
        sourcesOf(join(FACTORY_ROOT, 'src', 'core', name), `${name}/`),
      ),
    ]);
  }
  return runtimeCache;
}

let version: string | undefined;

/** The factory's version (read once: servers made per request ask for it on every request). */
export function factoryVersion(): string {
  version ??= (JSON.parse(readFileSync(join(FACTORY_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}

/** Packages a generated project needs at build/test time; linked into its node_modules while validating. */
export const PROJECT_PACKAGES = [
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/node',
  '@modelcontextprotocol/client',
  '@modelcontextprotocol/core',
  'prom-client',
  'jose',
  'pg',
  'pg-cursor',
  'mysql2',
  'better-sqlite3',
  '@duckdb/node-api',
  'libpg-query',
  'node-sql-parser',
  'nodemailer',
  '@types/nodemailer',
  'ssh2',
  '@types/ssh2',
  'typescript',
  'esbuild',
  '@types/node',
  '@types/pg',
  '@types/pg-cursor',
  '@types/better-sqlite3',
  // Trigger sources (runtime/triggers/): cron, webhook, file, and the queue brokers.
  'croner',
  'standardwebhooks',
  'chokidar',
  'ioredis',
  'amqplib',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
  'mqtt',
];

/** The installed folder of a package (found via the node_modules search path: many packages do not export package.json). */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`package ${name} is not installed`);
}

let versionsCache: Record<string, string> | undefined;

/** Exact versions installed with MCP Factory, pinned as ^x.y.z in generated package.json files. */
export function dependencyVersions(): Record<string, string> {
  if (!versionsCache) {
    versionsCache = {};
    for (const name of PROJECT_PACKAGES) {
      try {
        const version = (
          JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }
        ).version;
        versionsCache[name] = `^${version}`;
      } catch {
        // not installed: the generated package.json simply omits it
      }
    }
  }
  return versionsCache;
}
