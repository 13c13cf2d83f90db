/**
 * The dataset connection in the spec and the generator: defaults and limits, references from code tools,
 * the roots variable in the environment tables, the files and build settings a dataset server gets, and what
 * the sandbox binds for it.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectEnv, generateProject } from '../../src/build/generator/index.js';
import { bundleOptions } from '../../src/build/generator/project-files.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { dependencyVersions, runtimeFiles } from '../../src/platform/factory-files.js';
import { datasetBinds, specNeedsNetwork, testsNeedNetwork } from '../../src/platform/sandbox/index.js';

const tool = (source: string) => ({
  name: 'ask',
  description: 'asks the data',
  parameters: { file: { type: 'string', required: true } },
  code: { source },
});
const QUERY =
  "return (await ctx.dataset('data', args.file).query('SELECT count(*) AS n FROM dataset')).rows;";

function spec(extra: Record<string, unknown> = {}) {
  return validateSpec({
    name: 'ds',
    connections: [{ name: 'data', type: 'dataset' }],
    tools: [tool(QUERY)],
    ...extra,
  });
}

describe('the dataset connection', () => {
  it('has defaults for its variable and limits', () => {
    const result = spec();
    expect(result.issues).toEqual([]);
    expect(result.spec?.connections[0]).toEqual({
      name: 'data',
      type: 'dataset',
      rootsEnv: 'DATASET_ROOTS',
      maxRows: 10_000,
      memoryMb: 512,
      threads: 2,
    });
  });

  it('checks its limits', () => {
    const result = validateSpec({
      name: 'ds',
      connections: [{ name: 'data', type: 'dataset', maxRows: 2_000_000, threads: 0, rootsEnv: 'lower' }],
      tools: [tool(QUERY)],
    });
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.path).sort()).toEqual([
      'connections[0].maxRows',
      'connections[0].rootsEnv',
      'connections[0].threads',
    ]);
  });

  it('may be referenced by no tool', () => {
    const result = validateSpec({
      name: 'ds',
      connections: [{ name: 'data', type: 'dataset' }],
      tools: [{ name: 'hi', description: 'hi', static: { text: 'hi' } }],
    });
    expect(result.issues).toEqual([]);
  });

  it('is the only kind ctx.dataset accepts, and must exist', () => {
    const unknown = validateSpec({
      name: 'ds',
      connections: [{ name: 'data', type: 'dataset' }],
      tools: [tool("return ctx.dataset('nope', args.file).query('SELECT 1');")],
    });
    expect(unknown.issues.map((i) => [i.code, i.message])).toEqual([
      ['SPEC_UNDEFINED_REFERENCE', 'connection "nope" is not defined'],
    ]);
    const wrong = validateSpec({
      name: 'ds',
      connections: [{ name: 'db', type: 'sqlite', path: 'x.db' }],
      tools: [tool("return ctx.dataset('db', args.file).query('SELECT 1');")],
    });
    expect(wrong.issues.map((i) => [i.code, i.message])).toEqual([
      ['SPEC_WRONG_CONNECTION_KIND', 'connection "db" is sqlite, not a dataset connection'],
    ]);
  });

  it('needs its roots variable at run time, not as a secret', () => {
    const env = collectEnv(spec().spec!);
    expect(env).toEqual([
      expect.objectContaining({ name: 'DATASET_ROOTS', required: true, secret: false, tools: ['ask'] }),
    ]);
  });

  it('accepts expect.equals on examples', () => {
    const result = validateSpec({
      name: 'ds',
      connections: [{ name: 'data', type: 'dataset' }],
      tools: [
        { ...tool(QUERY), examples: [{ arguments: { file: 'a.csv' }, expect: { equals: [{ n: 1 }] } }] },
      ],
    });
    expect(result.issues).toEqual([]);
    expect(result.spec?.tools[0]?.examples?.[0]?.expect?.equals).toEqual([{ n: 1 }]);
  });
});

describe('a generated dataset server', () => {
  const generate = (s = spec().spec!) =>
    generateProject(s, {
      runtimeFiles: runtimeFiles(),
      dependencyVersions: dependencyVersions(),
      generatorVersion: 'test',
    });

  it('gets the DuckDB engine, its dependency and build settings', () => {
    const project = generate();
    expect(project.files['src/runtime/dataset-duckdb.ts']).toBeDefined();
    expect(project.files['src/runtime/duckdb-binding.ts']).toBeDefined();
    expect(project.files['src/server.ts']).toContain(
      "import { duckdbDatasets } from './runtime/dataset-duckdb.js';",
    );
    expect(project.files['src/server.ts']).toContain('createRuntime(settings, {}, {}, duckdbDatasets)');
    expect(project.files['src/server.ts']).toMatch(
      /"datasetConnections": \[\s*\{\s*"name": "data",\s*"rootsEnv": "DATASET_ROOTS"/,
    );
    expect(JSON.parse(project.files['package.json']!).dependencies).toHaveProperty('@duckdb/node-api');
    expect(project.files['build.mjs']).toContain(
      '"@duckdb/node-bindings": "./src/runtime/duckdb-binding.ts"',
    );
    expect(project.files['build.mjs']).toContain('libduckdb.so');
    expect(project.files.Dockerfile).toContain('ARG NODE_IMAGE=node:22-bookworm-slim');
    expect(project.files['README.md']).toContain('## Data files');
    expect(project.files['.env.example']).toContain('DATASET_ROOTS=');
  });

  it('leaves DuckDB out of servers without a dataset connection', () => {
    const plain = validateSpec({
      name: 'plain',
      tools: [{ name: 'hi', description: 'hi', static: { text: 'hi' } }],
    });
    const project = generate(plain.spec!);
    // runtime/dataset.ts (types and confinement, no DuckDB) ships with every server: tool.ts names its types.
    expect(Object.keys(project.files).filter((f) => /dataset|duckdb/.test(f))).toEqual([
      'src/runtime/dataset.ts',
    ]);
    expect(project.files['build.mjs']).not.toContain('duckdb');
    expect(project.files.Dockerfile).toContain('node:22-alpine');
    expect(bundleOptions([])).not.toHaveProperty('alias');
  });
});

describe('the sandbox of a dataset server', () => {
  it('binds the roots read-only: absolute, existing, resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-dataset-binds-'));
    try {
      symlinkSync(dir, `${dir}-link`);
      const binds = datasetBinds(
        { connections: [{ type: 'dataset', rootsEnv: 'ROOTS' }, { type: 'dataset' }, { type: 'sqlite' }] },
        { ROOTS: `${dir}-link:relative:/does/not/exist: `, DATASET_ROOTS: dir },
      );
      expect(binds).toEqual({ readOnly: [dir] });
    } finally {
      rmSync(`${dir}-link`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a dataset server no network', () => {
    const s = spec().spec!;
    expect(specNeedsNetwork(s)).toBe(false);
    expect(testsNeedNetwork(s)).toBe(false);
  });
});
