/**
 * The toolsmith question set (test/toolsmith/cases/cases.json): for every case, (a) the stored `expected`
 * answer equals the one computed in plain JavaScript from the raw file (cases/expected.mjs, no DuckDB), and
 * (b) the case's SQL, run by DuckDB over `CREATE VIEW dataset AS SELECT * FROM read_…('<file>')` with the
 * arguments bound to $1, $2… in the order of `values`, returns exactly those rows (BigInt → number, dates →
 * ISO text, numbers equal within 1e-9 relative). Also checks the shape of each case (parameters are spec
 * ValueSchemas, arguments satisfy them, the SQL reads only `dataset`) and the coverage of the set.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValueSchema } from '../../src/core/spec/primitives.js';
// @ts-expect-error plain JavaScript helper without type declarations
import { CASES_FILE, computeExpected, DATA_DIR } from './cases/expected.mjs';
// @ts-expect-error plain JavaScript helper without type declarations
import { zstdAvailable } from './cases/parquet-lite.mjs';
import { CASES, type QuestionCase } from './question-cases.js';

const cases = CASES;
type Case = QuestionCase;
const compute = computeExpected as (c: Case) => Record<string, unknown>[];
const canReadParquet = (zstdAvailable as () => boolean)();

function reader(file: string): string {
  const path = join(DATA_DIR as string, file).replaceAll("'", "''");
  if (file.endsWith('.csv')) return `read_csv('${path}')`;
  if (file.endsWith('.tsv')) return `read_csv('${path}', delim = '\t')`;
  if (file.endsWith('.json')) return `read_json('${path}')`;
  if (file.endsWith('.parquet')) return `read_parquet('${path}')`;
  throw new Error(`unknown format: ${file}`);
}

/** A DuckDB value as plain JSON: bigint → number, DECIMAL → number, DATE/TIMESTAMP → their text. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object') {
    const v = value as { toDouble?: () => number; toString: () => string };
    if (typeof v.toDouble === 'function') return v.toDouble();
    return v.toString();
  }
  return value;
}

/** Rows equal: same length, same keys in the same order, numbers within a relative 1e-9. */
function expectRowsClose(
  actual: Record<string, unknown>[],
  expected: Record<string, unknown>[],
  label: string,
) {
  expect(actual.length, `${label}: row count`).toBe(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i] as Record<string, unknown>;
    expect(Object.keys(row), `${label}: columns of row ${i}`).toEqual(Object.keys(want));
    for (const [key, v] of Object.entries(want)) {
      const got = row[key];
      if (typeof v === 'number' && typeof got === 'number') {
        expect(Math.abs(got - v), `${label}: row ${i} ${key} = ${got}, expected ${v}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(v)),
        );
      } else {
        expect(got, `${label}: row ${i} ${key}`).toEqual(v);
      }
    }
  });
}

describe('question set: shape and coverage', () => {
  it('has at least 30 cases with unique ids and tool names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.toolName)).size).toBe(cases.length);
  });

  it('covers every dataset and format the brief names', () => {
    const files = new Set(cases.map((c) => c.dataset));
    for (const f of [
      'seattle-weather.csv',
      'cars.json',
      'penguins.json',
      'stocks.csv',
      'airports.csv',
      'movies.json',
      'gapminder.json',
      'iowa-electricity.csv',
      'unemployment.tsv',
      'flights-3m.parquet',
    ]) {
      expect(files.has(f), f).toBe(true);
      expect(existsSync(join(DATA_DIR as string, f)), f).toBe(true);
    }
  });

  it('covers the kinds of question (by the SQL they need)', () => {
    const sql = cases.map((c) => c.sql);
    const some = (re: RegExp) => sql.some((s) => re.test(s));
    expect(some(/count\(\*\)/i)).toBe(true);
    expect(some(/\bsum\(/i)).toBe(true);
    expect(some(/round\(avg\(/i)).toBe(true);
    expect(some(/GROUP BY[\s\S]*ORDER BY[\s\S]*LIMIT/i)).toBe(true);
    expect(some(/count\(DISTINCT/i)).toBe(true);
    expect(some(/QUALIFY|arg_max|ORDER BY \w+ DESC, \w+ LIMIT 1/i)).toBe(true);
    expect(some(/100 \*/)).toBe(true);
    expect(some(/month\(|strftime\(date, '%Y-%m'\)/)).toBe(true);
    expect(some(/year\(/)).toBe(true);
    expect(some(/IS NULL|IS NOT NULL|coalesce/i)).toBe(true);
    expect(some(/FROM dataset AS \w+ JOIN dataset/i)).toBe(true);
    expect(cases.filter((c) => c.values.length > 0).length).toBeGreaterThanOrEqual(10);
    expect(cases.some((c) => c.expected.length === 1 && Object.keys(c.expected[0] ?? {}).length === 1)).toBe(
      true,
    );
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s: parameters, arguments and SQL are well-formed',
    (_id, c) => {
      expect(c.question.length).toBeGreaterThan(10);
      expect(c.toolName).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
      for (const [name, schema] of Object.entries(c.parameters)) {
        const parsed = ValueSchema.parse(schema);
        expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
        const arg = c.arguments[name];
        expect(arg, `${c.id}: argument ${name}`).toBeDefined();
        if (parsed.type === 'integer') expect(Number.isInteger(arg)).toBe(true);
        else if (parsed.type === 'number') expect(typeof arg).toBe('number');
        else expect(typeof arg).toBe(parsed.type);
        if (parsed.enum) expect(parsed.enum).toContain(arg);
      }
      expect([...c.values].sort()).toEqual(Object.keys(c.parameters).sort());
      const placeholders = [...c.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(0, ...placeholders)).toBe(c.values.length);
      // Reads only the view: every FROM/JOIN names `dataset`, and no file or table functions.
      for (const m of c.sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/gi)) expect(m[1]).toBe('dataset');
      expect(c.sql).not.toMatch(/read_(csv|json|parquet)|'[^']*\/[^']*'|;/i);
      expect(c.expected.length).toBeGreaterThan(0);
      expect(c.expected.length).toBeLessThanOrEqual(20);
    },
  );
});

describe('question set: expected answers equal the JavaScript computation', () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (c.dataset.endsWith('.parquet') && !canReadParquet) {
      console.warn(`SKIPPED ${c.id}: no ZSTD decoder here (node:zlib < 22.15 and no zstd command)`);
      return;
    }
    expectRowsClose(compute(c), c.expected, `${c.id} (JavaScript vs ${CASES_FILE as string})`);
  });
});

describe('question set: the SQL of each case returns the expected rows in DuckDB', () => {
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    instance.closeSync();
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const conn = await instance.connect();
    try {
      await conn.run(`CREATE OR REPLACE VIEW dataset AS SELECT * FROM ${reader(c.dataset)}`);
      const values = c.values.map((name) => c.arguments[name]) as (string | number | boolean)[];
      const result = await conn.runAndReadAll(c.sql, values);
      const rows = result
        .getRowObjects()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      expectRowsClose(rows, c.expected, c.id);
    } finally {
      conn.closeSync();
    }
  });
});
