/**
 * The configuration table (src/platform/config-variables.ts) and its resolver (loadConfig): every MCP_FACTORY_*
 * name the code mentions is in the table, docs/configuration.md is generated from it, values are parsed and
 * validated once, and a bad value is a CONFIG_INVALID naming the variable.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FactoryError } from '../src/core/errors/index.js';
import { DEFAULT_CONFIG, supervisorConfig } from '../src/deploy/targets/local/config.js';
import {
  DEFAULT_MAX_RETRIES,
  DEFAULT_TEMPERATURE,
  DEFAULT_TIMEOUT_MS,
  ENV_SETTINGS,
  PROVIDERS,
} from '../src/llm/config.js';
import { CONFIG_VARIABLES, configVariable, loadConfig, parseConfigValue } from '../src/platform/config.js';
import { configurationMarkdown } from '../src/platform/config-docs.js';

const PREFIX = 'MCP_FACTORY_';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'fixtures' || entry === 'node_modules' || entry === '__snapshots__') continue;
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (/\.(?:ts|mts|mjs|js)$/.test(entry)) out.push(path);
  }
  return out;
}

/** Every MCP_FACTORY_* name in the files; a name ending in `_` followed by `*` is a family prefix. */
function mentions(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = new RegExp(`${PREFIX}[A-Z0-9_]*(\\*)?`, 'g');
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const name = match[0];
      if (!found.has(name)) found.set(name, file);
    }
  }
  return found;
}

function failure(fn: () => unknown): FactoryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('expected a FactoryError');
}

describe('docs/configuration.md', () => {
  it('is generated from the configuration table (run npm run build && npm run schema)', () => {
    expect(readFileSync('docs/configuration.md', 'utf8')).toBe(configurationMarkdown());
  });
});

describe('the configuration table', () => {
  it('lists every MCP_FACTORY_* name mentioned in src/, runtime/ and test/', () => {
    const names = new Set(CONFIG_VARIABLES.map((v) => v.name));
    const missing: string[] = [];
    for (const [mention, file] of mentions([
      ...filesUnder('src'),
      ...filesUnder('runtime'),
      ...filesUnder('test'),
    ])) {
      if (mention.endsWith('*')) {
        const family = mention.slice(0, -1);
        if (![...names].some((n) => n.startsWith(family))) missing.push(`${mention} (${file})`);
      } else if (mention !== PREFIX && !names.has(mention)) missing.push(`${mention} (${file})`);
    }
    expect(missing, 'add these to src/platform/config-variables.ts').toEqual([]);
  });

  it('has unique names, a doc and a reader for each, and a type the value rules know', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of CONFIG_VARIABLES) {
      expect(v.name).toMatch(/^MCP_FACTORY_[A-Z0-9_]+$/);
      expect(v.doc.length, v.name).toBeGreaterThan(10);
      expect(v.readBy.length, v.name).toBeGreaterThan(3);
      if (v.type === 'enum') expect(v.values?.length, v.name).toBeGreaterThan(1);
      // A default is written like a user value: it must pass the same rules.
      if (v.default !== undefined) expect(() => parseConfigValue(v, v.default!), v.name).not.toThrow();
    }
  });

  it('is read only through the table: no direct MCP_FACTORY_* reads in src/ outside the config module', () => {
    const read = /(?<!delete )\benv(?:\.|\[['"`])(MCP_FACTORY_[A-Z0-9_]+)\b(?!['"`]?\]?\s*=(?!=))/g;
    const offenders: string[] = [];
    for (const file of filesUnder('src')) {
      if (file.startsWith(join('src', 'platform', 'config'))) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(read)) offenders.push(`${file}: ${match[1]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('keeps test-only variables out of src/', () => {
    const testOnly = CONFIG_VARIABLES.filter((v) => v.category === 'test').map((v) => v.name);
    const table = join('src', 'platform', 'config-variables.ts');
    const inSrc = [...mentions(filesUnder('src').filter((f) => f !== table)).keys()];
    expect(inSrc.filter((n) => testOnly.includes(n))).toEqual([]);
  });

  it('agrees with the LLM module: names, providers and defaults', () => {
    const llm = CONFIG_VARIABLES.filter((v) => v.category === 'llm').map((v) => v.name);
    expect(new Set(llm)).toEqual(new Set(Object.values(ENV_SETTINGS)));
    expect(configVariable('MCP_FACTORY_LLM_PROVIDER').values).toEqual([...PROVIDERS]);
    expect(configVariable('MCP_FACTORY_TEST_LLM').values).toEqual([...PROVIDERS]);
    expect(Number(configVariable('MCP_FACTORY_LLM_TEMPERATURE').default)).toBe(DEFAULT_TEMPERATURE);
    expect(Number(configVariable('MCP_FACTORY_LLM_MAX_RETRIES').default)).toBe(DEFAULT_MAX_RETRIES);
    expect(Number(configVariable('MCP_FACTORY_LLM_TIMEOUT_MS').default)).toBe(DEFAULT_TIMEOUT_MS);
  });
});

describe('loadConfig', () => {
  it('gives the defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.home).toBe(join(homedir(), '.mcp-factory'));
    expect(config.registryUrl).toBeUndefined();
    expect(config.configFile).toEqual({
      path: join(homedir(), '.mcp-factory', 'config.json'),
      explicit: false,
    });
    expect(config.docker).toEqual({ nodeImage: 'node:22-alpine', network: 'bridge' });
    expect(config.research).toEqual({ enabled: undefined, tavilyUrl: undefined });
    expect(Object.values(config.llm).every((v) => v === undefined)).toBe(true);
    expect(config.supervisor).toEqual({
      reconcileIntervalMs: 2000,
      monitorIntervalMs: 500,
      healthIntervalMs: 10_000,
      healthTimeoutMs: 5000,
      slowMs: 1000,
      startTimeoutMs: 30_000,
      maxStartFailures: 5,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      stableAfterMs: 60_000,
      unhealthyRestartAfter: 3,
      stopGraceMs: 5000,
      logMaxBytes: 10 * 1024 * 1024,
      logKeep: 5,
      portRange: [17300, 17999],
    });
  });

  it('parses every type; a blank value counts as unset', () => {
    const config = loadConfig({
      HOME: '/h',
      MCP_FACTORY_HOME: ' srv/factory ',
      MCP_FACTORY_REGISTRY_URL: 'postgres://u:p@db:5432/factory',
      MCP_FACTORY_CONFIG: '   ',
      MCP_FACTORY_STOP_GRACE_MS: '250',
      MCP_FACTORY_PORT_RANGE: '30000 - 30010',
      MCP_FACTORY_NODE_IMAGE: 'node:20',
      MCP_FACTORY_DOCKER_NETWORK: 'host',
      MCP_FACTORY_LLM_TEMPERATURE: ' 0.5 ',
      MCP_FACTORY_RESEARCH: 'Tavily',
      MCP_FACTORY_TAVILY_URL: 'http://127.0.0.1:9/search',
    });
    expect(config.home).toBe(resolve('srv/factory'));
    expect(config.configFile).toEqual({ path: join(resolve('srv/factory'), 'config.json'), explicit: false });
    expect(config.registryUrl).toBe('postgres://u:p@db:5432/factory');
    expect(config.supervisor.stopGraceMs).toBe(250);
    expect(config.supervisor.portRange).toEqual([30000, 30010]);
    expect(config.docker).toEqual({ nodeImage: 'node:20', network: 'host' });
    expect(config.llm.temperature).toBe('0.5');
    expect(config.research).toEqual({ enabled: true, tavilyUrl: 'http://127.0.0.1:9/search' });
    expect(loadConfig({ MCP_FACTORY_CONFIG: '/etc/f.json' }).configFile).toEqual({
      path: '/etc/f.json',
      explicit: true,
    });
    expect(loadConfig({ MCP_FACTORY_RESEARCH: 'off' }).research.enabled).toBe(false);
  });

  it('refuses a bad value with CONFIG_INVALID naming the variable, the problem and the fix', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['MCP_FACTORY_STOP_GRACE_MS', 'soon', /"soon" is not a whole number/],
      ['MCP_FACTORY_LOG_KEEP', '-1', /not a whole number/],
      ['MCP_FACTORY_PORT_RANGE', '80-90', /not a port range/],
      ['MCP_FACTORY_PORT_RANGE', '20000-10000', /not a port range/],
      ['MCP_FACTORY_DOCKER_NETWORK', 'overlay', /"overlay" is not one of bridge, host/],
      ['MCP_FACTORY_RESEARCH', 'maybe', /neither on nor off/],
      ['MCP_FACTORY_TAVILY_URL', 'ftp://example.com', /scheme is ftp, not http or https/],
      ['MCP_FACTORY_REGISTRY_URL', 'not a url', /not a URL/],
    ];
    for (const [name, value, problem] of cases) {
      const error = failure(() => loadConfig({ [name]: value }));
      expect(error.code, name).toBe('CONFIG_INVALID');
      expect(error.message, name).toMatch(new RegExp(`^${name}: `));
      expect(error.message, name).toMatch(problem);
      expect(error.details?.variable).toBe(name);
      expect(String(error.details?.hint)).toMatch(/docs\/configuration\.md/);
      expect(error.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', path: name });
    }
    // A URL may hold a password: it is never echoed.
    expect(failure(() => loadConfig({ MCP_FACTORY_REGISTRY_URL: 'pg s3cret' })).message).not.toMatch(
      /s3cret/,
    );
  });

  it('ignores bad values in lenient mode (the supervisor view) and keeps the good ones', () => {
    const config = loadConfig(
      { MCP_FACTORY_BACKOFF_BASE_MS: 'x', MCP_FACTORY_MAX_START_FAILURES: '2' },
      { onInvalid: 'default' },
    );
    expect(config.supervisor.backoffBaseMs).toBe(500);
    expect(config.supervisor.maxStartFailures).toBe(2);
    expect(supervisorConfig({})).toEqual(DEFAULT_CONFIG);
    expect(supervisorConfig({ MCP_FACTORY_LOG_KEEP: '9' }, { logKeep: 1 }).logKeep).toBe(1);
  });

  it('resolves once per environment object and notices a changed value', () => {
    const env: Record<string, string | undefined> = { MCP_FACTORY_NODE_IMAGE: 'node:20' };
    const first = loadConfig(env);
    expect(loadConfig(env)).toBe(first);
    expect(Object.isFrozen(first.supervisor.portRange)).toBe(true);
    env.MCP_FACTORY_NODE_IMAGE = 'node:22';
    expect(loadConfig(env).docker.nodeImage).toBe('node:22');
    // The supervisor view hands out copies the caller may change.
    const view = supervisorConfig(env);
    view.portRange[0] = 1;
    expect(loadConfig(env, { onInvalid: 'default' }).supervisor.portRange[0]).toBe(17300);
  });
});
