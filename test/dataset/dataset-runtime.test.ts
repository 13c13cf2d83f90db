/**
 * The dataset runtime (runtime/dataset.ts, runtime/dataset-duckdb.ts) in process: where files may be read from,
 * formats, value conversions, the row cap, one statement per query, bound values, cancellation.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DatasetConnectionConfig,
  datasetFormat,
  resolveDatasetFile,
  sqlString,
} from '../../runtime/dataset.js';
import { confinementStatements, duckdbDatasets, MAX_CONCURRENT } from '../../runtime/dataset-duckdb.js';

const DATA = resolve(import.meta.dirname, '../../node_modules/vega-datasets/data');
const config: DatasetConnectionConfig = {
  name: 'data',
  rootsEnv: 'TEST_ROOTS',
  maxRows: 100,
  memoryMb: 256,
  threads: 2,
};
let root: string;
let other: string;
let env: Record<string, string>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mcpf-dataset-rt-'));
  other = join(root, 'other');
  mkdirSync(join(root, 'in'));
  mkdirSync(other);
  copyFileSync(join(DATA, 'seattle-weather.csv'), join(root, 'in', 'weather.csv'));
  copyFileSync(join(DATA, 'seattle-weather.csv'), join(root, 'in', 'UPPER.CSV'));
  copyFileSync(join(DATA, 'unemployment.tsv'), join(root, 'in', 'unemployment.tsv'));
  copyFileSync(join(DATA, 'cars.json'), join(root, 'in', 'cars.json'));
  copyFileSync(join(DATA, 'flights-3m.parquet'), join(root, 'in', 'flights.parquet'));
  writeFileSync(join(root, 'in', 'lines.ndjson'), '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n');
  writeFileSync(join(root, 'in', 'lines.jsonl'), '{"a":3}\n');
  writeFileSync(join(root, 'in', "quote's.csv"), 'v\n1\n');
  writeFileSync(join(root, 'in', 'notes.txt'), 'hello');
  writeFileSync(join(other, 'second.csv'), 'n\n7\n');
  env = { TEST_ROOTS: `${join(root, 'in')}:${other}` };
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const handle = (file: string, signal?: AbortSignal, overrides: Partial<DatasetConnectionConfig> = {}) => {
  const c = { ...config, ...overrides };
  return duckdbDatasets(c, () => resolveDatasetFile(c, file, env), signal);
};

describe('resolving a dataset file', () => {
  it('finds relative names in each root in turn, and absolute paths inside a root', async () => {
    expect((await resolveDatasetFile(config, 'weather.csv', env)).path).toBe(join(root, 'in', 'weather.csv'));
    expect((await resolveDatasetFile(config, 'second.csv', env)).path).toBe(join(other, 'second.csv'));
    const abs = await resolveDatasetFile(config, join(root, 'in', 'cars.json'), env);
    expect(abs).toMatchObject({ format: 'json', shown: join(root, 'in', 'cars.json') });
  });

  it('names the variable when no root is set, and the roots when the file is outside', async () => {
    await expect(resolveDatasetFile(config, 'weather.csv', {})).rejects.toThrow(/set TEST_ROOTS/);
    await expect(resolveDatasetFile(config, 'weather.csv', { TEST_ROOTS: 'relative/dir' })).rejects.toThrow(
      /set TEST_ROOTS/,
    );
    await expect(resolveDatasetFile(config, '/etc/hosts.csv', env)).rejects.toThrow(
      new RegExp(`not found; allowed directories \\(TEST_ROOTS\\): ${join(root, 'in')}, ${other}`),
    );
    await expect(resolveDatasetFile(config, '../other/../../x.csv', env)).rejects.toThrow(/not found/);
  });

  it('knows formats by extension, case-insensitively, and lists them otherwise', async () => {
    expect(['a.csv', 'a.TSV', 'a.json', 'a.ndjson', 'a.JSONL', 'a.Parquet'].map(datasetFormat)).toEqual([
      'csv',
      'tsv',
      'json',
      'ndjson',
      'ndjson',
      'parquet',
    ]);
    await expect(resolveDatasetFile(config, 'notes.txt', env)).rejects.toThrow(
      /unsupported dataset format: "notes.txt"; use one of .csv, .tsv, .json, .ndjson, .jsonl, .parquet/,
    );
  });

  it('escapes the path as a SQL string literal in the confinement statements, in order', () => {
    expect(sqlString("a'b")).toBe("'a''b'");
    const statements = confinementStatements({ path: "/d/it's.csv", shown: 'x', format: 'csv' });
    expect(statements).toEqual([
      "SET allowed_paths = ['/d/it''s.csv']",
      "CREATE VIEW dataset AS SELECT * FROM read_csv('/d/it''s.csv')",
      'SET enable_external_access = false',
      'SET lock_configuration = true',
    ]);
  });
});

describe('querying', () => {
  it('reads every format', async () => {
    const count = async (file: string) =>
      (await handle(file).query('SELECT count(*) AS n FROM dataset')).rows[0]?.n;
    expect(await count('weather.csv')).toBe(1461);
    expect(await count('UPPER.CSV')).toBe(1461);
    expect(await count('unemployment.tsv')).toBeGreaterThan(3000);
    expect(await count('cars.json')).toBe(406);
    expect(await count('lines.ndjson')).toBe(2);
    expect(await count('lines.jsonl')).toBe(1);
    expect(await count('flights.parquet')).toBe(3_000_000);
    expect(await count("quote's.csv")).toBe(1);
  });

  it('binds values to $1, $2 and checks their number', async () => {
    const h = handle('weather.csv');
    const r = await h.query('SELECT count(*) AS n FROM dataset WHERE weather = $1 AND precipitation > $2', [
      'rain',
      10,
    ]);
    expect(r.rows).toEqual([{ n: 136 }]);
    expect((await h.query('SELECT $1::INTEGER[] AS l', [[1, 2]])).rows).toEqual([{ l: [1, 2] }]);
    await expect(h.query('SELECT $1 AS a', [])).rejects.toThrow(/1 parameter\(s\).*0 value/);
    await expect(h.query('SELECT 1', [{ a: 1 }])).rejects.toThrow(/must be text, a number/);
  });

  it('converts values to JSON-safe data and reports DuckDB type names', async () => {
    const r = await handle('weather.csv').query(
      `SELECT 42::BIGINT AS big, 12345678901234567::BIGINT AS huge_big, 170141183460469231731687303715884105727::HUGEINT AS hi,
        1.25::DECIMAL(10,2) AS dec, DATE '2020-02-03' AS d, TIMESTAMP '2020-01-02 03:04:05.123456' AS ts,
        TIMESTAMP '2020-01-02 03:04:05' AS ts0, TIMESTAMPTZ '2020-01-02 03:04:05.5+00' AS tz, 'infinity'::TIMESTAMP AS inf,
        [1, 2] AS l, {'a': 1, 'b': [true]} AS s, MAP {'k': 2} AS m, MAP {[1]: 2} AS m2, '\\xAA\\xBB'::BLOB AS bl,
        'nan'::DOUBLE AS nan, NULL AS nothing, TIME '01:02:03' AS t, 'x'::VARCHAR AS v`,
    );
    expect(r.rows[0]).toEqual({
      big: 42,
      huge_big: '12345678901234567',
      hi: '170141183460469231731687303715884105727',
      dec: 1.25,
      d: '2020-02-03',
      ts: '2020-01-02T03:04:05.123456',
      ts0: '2020-01-02T03:04:05',
      tz: '2020-01-02T03:04:05.5Z',
      inf: 'infinity',
      l: [1, 2],
      s: { a: 1, b: [true] },
      m: { k: 2 },
      m2: [{ key: [1], value: 2 }],
      bl: Buffer.from([0xaa, 0xbb]).toString('base64'),
      nan: 'NaN',
      nothing: null,
      t: '01:02:03',
      v: 'x',
    });
    expect(Object.fromEntries(r.columns.map((c) => [c.name, c.type]))).toMatchObject({
      big: 'BIGINT',
      hi: 'HUGEINT',
      dec: 'DECIMAL(10,2)',
      d: 'DATE',
      ts: 'TIMESTAMP',
      tz: 'TIMESTAMP WITH TIME ZONE',
      l: 'INTEGER[]',
      bl: 'BLOB',
    });
    expect(r.truncated).toBe(false);
  });

  it('stops at the row cap and says so', async () => {
    const r = await handle('weather.csv', undefined, { maxRows: 10 }).query('SELECT * FROM dataset');
    expect(r.rows).toHaveLength(10);
    expect(r.truncated).toBe(true);
    const exact = await handle('weather.csv', undefined, { maxRows: 5 }).query(
      'SELECT DISTINCT weather FROM dataset',
    );
    expect(exact).toMatchObject({ truncated: false });
    expect(exact.rows).toHaveLength(5);
  });

  it('runs exactly one reading statement', async () => {
    const h = handle('weather.csv');
    await expect(h.query('SELECT 1; SELECT 2')).rejects.toThrow(/exactly one SQL statement \(found 2\)/);
    await expect(h.query('')).rejects.toThrow(/SQL text/);
    await expect(h.query('CREATE TABLE t AS SELECT 1')).rejects.toThrow(/reading statement/);
    await expect(h.query('PIVOT dataset ON weather USING count(*)')).rejects.toThrow(/IN list/);
    const pivot = "PIVOT (SELECT weather FROM dataset) ON weather IN ('rain', 'sun') USING count(*)";
    expect((await h.query(pivot)).rows).toEqual([{ rain: 641, sun: 640 }]);
  });

  it('turns DuckDB errors into tool errors that name the file as the caller did', async () => {
    const err = await handle('weather.csv')
      .query('SELECT nope FROM dataset')
      .catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ToolError' });
    expect((err as Error).message).toMatch(/Binder Error: .*nope/);
    writeFileSync(join(root, 'in', 'broken.parquet'), 'not parquet');
    const broken = await handle('broken.parquet')
      .query('SELECT * FROM dataset')
      .catch((e: Error) => e);
    expect((broken as Error).message).toContain('broken.parquet');
    expect((broken as Error).message).not.toContain(root);
  });

  it('interrupts a running query when the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('stop now')), 300);
    await expect(
      handle('weather.csv', controller.signal).query('SELECT sum(i) FROM range(100000000000000) t(i)'),
    ).rejects.toThrow('stop now');
    expect(performance.now() - started).toBeLessThan(5_000);
    // Nothing is left holding a slot: more than MAX_CONCURRENT queries still run.
    const results = await Promise.all(
      Array.from({ length: MAX_CONCURRENT + 2 }, () => handle('weather.csv').query('SELECT 1 AS one')),
    );
    expect(results.map((r) => r.rows[0]?.one)).toEqual(Array(MAX_CONCURRENT + 2).fill(1));
  });

  it('starts no query once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(handle('weather.csv', controller.signal).query('SELECT 1')).rejects.toThrow('already');
  });

  it('keeps nothing from one query to the next', async () => {
    const h = handle('weather.csv');
    // A reading statement cannot replace the view, and each query has a fresh instance anyway.
    await expect(h.query('CREATE OR REPLACE VIEW dataset AS SELECT 42 AS x')).rejects.toThrow();
    expect((await h.query('SELECT count(*) AS n FROM dataset')).rows).toEqual([{ n: 1461 }]);
  });

  it('follows a symbolic link inside a root to a file inside a root', async () => {
    symlinkSync(join(other, 'second.csv'), join(root, 'in', 'linked.csv'));
    expect((await handle('linked.csv').query('SELECT n FROM dataset')).rows).toEqual([{ n: 7 }]);
  });
});
