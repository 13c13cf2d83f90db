/**
 * A generated server with a dataset connection, through the real pipeline: its code tool queries
 * seattle-weather.csv (vega-datasets) with DuckDB, an `expect.equals` example runs in the generated tests
 * (sandboxed, the dataset root bound read-only), `mcp-factory test --all` replays it, and calls over stdio get
 * the rows — while SQL that reaches outside the one file, or runs forever, does not hurt the server.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { connectToProject, runAllCases } from '../../src/build/verify/cases.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, textOf } from '../helpers/mcp.js';

const DATA = resolve(import.meta.dirname, '../../node_modules/vega-datasets/data');
const EXPECTED_ROWS = [
  { weather: 'rain', days: 641 },
  { weather: 'sun', days: 640 },
  { weather: 'fog', days: 101 },
  { weather: 'drizzle', days: 53 },
  { weather: 'snow', days: 26 },
];

let work: string;
let outDir: string;
let created: Awaited<ReturnType<typeof createServerProject>>;
let client: Client;
let env: Record<string, string>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-dataset-'));
  mkdirSync(join(work, 'outside'));
  writeFileSync(join(work, 'outside', 'secret.csv'), 'secret\nTOP-SECRET-VALUE\n');
  env = { DATASET_ROOTS: DATA };
  const result = validateSpec({
    name: 'weather-data',
    connections: [{ name: 'data', type: 'dataset', description: 'vega datasets', maxRows: 1000 }],
    tools: [
      {
        name: 'weather_days',
        description: 'Days per kind of weather',
        parameters: { dataset: { type: 'string', required: true } },
        code: {
          source:
            "const result = await ctx.dataset('data', args.dataset).query('SELECT weather, count(*) AS days FROM dataset GROUP BY weather ORDER BY days DESC');\nreturn { rows: result.rows };",
        },
        examples: [
          { arguments: { dataset: 'seattle-weather.csv' }, expect: { equals: { rows: EXPECTED_ROWS } } },
          { arguments: { dataset: '../../package.json' }, expect: { isError: true } },
        ],
      },
      {
        name: 'run_sql',
        description: 'Runs one SQL statement over a data file',
        parameters: {
          dataset: { type: 'string', required: true },
          sql: { type: 'string', required: true },
        },
        timeoutMs: 3000,
        code: { source: "return await ctx.dataset('data', args.dataset).query(args.sql);" },
        examples: [
          {
            arguments: { dataset: 'cars.json', sql: 'SELECT count(*) AS n FROM dataset' },
            expect: {
              equals: { rows: [{ n: 406 }], columns: [{ name: 'n', type: 'BIGINT' }], truncated: false },
            },
          },
        ],
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  outDir = join(work, 'server');
  created = await createServerProject({ spec: result.spec!, specDir: work, outDir, testEnv: env });
  client = await connectStdio(created.bundle.file, '2025-11-25', env);
}, 240_000);

afterAll(async () => {
  await client?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const call = async (name: string, args: Record<string, unknown>) => {
  const result = await client.callTool({ name, arguments: args });
  return { isError: Boolean(result.isError), text: textOf(result), structured: result.structuredContent };
};
const sql = (statement: string, dataset = 'seattle-weather.csv') =>
  call('run_sql', { dataset, sql: statement });

describe('a server with a dataset connection', () => {
  it('passed its generated tests, with the expect.equals example', () => {
    expect(created.tests?.ok).toBe(true);
    // In the sandbox: the project (with dist/native) and the dataset root bound read-only, no network.
    expect(created.tests?.sandboxed).toBe(true);
    expect(created.tests?.passed).toBeGreaterThan(0);
    const cases = JSON.parse(readFileSync(join(outDir, 'test/cases.json'), 'utf8'));
    expect(cases[0]).toMatchObject({ equals: { rows: EXPECTED_ROWS }, requiresEnv: ['DATASET_ROOTS'] });
  });

  it('ships DuckDB beside the bundle and documents the roots variable', () => {
    const native = readdirSync(join(outDir, 'dist/native')).sort();
    expect(native).toEqual(['duckdb.node', 'libduckdb.so']);
    expect(statSync(join(outDir, 'dist/native/libduckdb.so')).size).toBeGreaterThan(10_000_000);
    expect(readFileSync(join(outDir, 'README.md'), 'utf8')).toMatch(
      /\| `DATASET_ROOTS` \| .* \| yes \| no \|/,
    );
    const pkg = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@duckdb/node-api']).toBeDefined();
    expect(readFileSync(join(outDir, 'build.mjs'), 'utf8')).toContain('dist/native/');
    expect(readFileSync(join(outDir, 'Dockerfile'), 'utf8')).toContain('node:22-bookworm-slim');
  });

  it('answers over stdio', async () => {
    const r = await call('weather_days', { dataset: 'seattle-weather.csv' });
    expect(r.isError).toBe(false);
    expect(r.structured).toEqual({ rows: EXPECTED_ROWS });
  });

  it('replays its examples with mcp-factory test --all', async () => {
    const session = await connectToProject(outDir, { env: { ...process.env, ...env } });
    try {
      const outcomes = await runAllCases(outDir, session, { ...process.env, ...env });
      const failed = outcomes.filter((o) => o.status === 'failed');
      expect(failed.map((o) => o.reason)).toEqual([]);
      expect(outcomes.filter((o) => o.status === 'passed').length).toBeGreaterThanOrEqual(3);
    } finally {
      await session.close();
    }
  });

  it('reports an equals mismatch', async () => {
    const { equalsProblem } = await import('../../src/build/generator/expect-equals.js');
    expect(equalsProblem({ rows: EXPECTED_ROWS.slice(1) }, { rows: EXPECTED_ROWS }, '')).toMatch(
      /expected the result to equal/,
    );
    expect(equalsProblem({ n: 1 + 1e-12 }, undefined, '{"n": 1}')).toBeUndefined();
  });

  it('keeps the file confined when the SQL reaches out', async () => {
    const secret = join(work, 'outside', 'secret.csv');
    for (const statement of [
      `SELECT * FROM read_csv('${secret}')`,
      `SELECT * FROM read_text('${secret}')`,
      `SELECT * FROM glob('/*')`,
      `ATTACH '${join(work, 'x.db')}' AS x`,
    ]) {
      const r = await sql(statement);
      expect(r.isError, statement).toBe(true);
      expect(r.text).not.toContain('TOP-SECRET-VALUE');
    }
    const target = join(work, 'copied.csv');
    expect((await sql(`COPY (SELECT * FROM dataset) TO '${target}'`)).isError).toBe(true);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses files outside the roots', async () => {
    for (const dataset of ['../../package.json', join(work, 'outside', 'secret.csv'), '/etc/passwd.csv']) {
      const r = await call('weather_days', { dataset });
      expect(r.isError, dataset).toBe(true);
      expect(r.text).not.toContain('TOP-SECRET-VALUE');
    }
  });

  it('caps a huge cross join by rows, and by memory', async () => {
    const rows = await sql('SELECT * FROM dataset a, dataset b, dataset c');
    expect(rows.isError).toBe(false);
    expect(rows.structured).toMatchObject({ truncated: true });
    expect((rows.structured as { rows: unknown[] }).rows).toHaveLength(1000);
    const memory = await sql('SELECT count(*) FROM range(1000000000000) a, range(1000000000000) b');
    expect(memory.isError).toBe(true);
    expect(memory.text).toMatch(/Out of Memory|timed out/);
  });

  it('stops a query that runs forever at the tool timeout and answers the next call', async () => {
    const started = Date.now();
    const r = await sql('SELECT sum(i) FROM range(100000000000000) t(i)');
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const next = await call('weather_days', { dataset: 'seattle-weather.csv' });
    expect(next.structured).toEqual({ rows: EXPECTED_ROWS });
  });
});
