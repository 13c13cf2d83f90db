#!/usr/bin/env node
/**
 * Deterministic synthetic sales data for scale tests of the toolsmith: N rows (default 10,000,000) written by
 * DuckDB (`COPY (SELECT … FROM range(N)) TO …`) as CSV and/or Parquet, with columns
 *   order_id BIGINT, date DATE (2023-01-01 … 2024-12-30, cycling), region VARCHAR (North/South/East/West),
 *   product VARCHAR (10 products), quantity INTEGER (1-10), price DECIMAL(10,2) (fixed per product),
 *   customer_id BIGINT (1-100,000).
 * Every value is integer arithmetic on the row number (no random generator, no hash function that could change
 * between DuckDB versions), so the same N always gives the same file. Two questions have known answers, computed
 * by the same formulas in plain JavaScript (exact integer cents) and then checked against DuckDB over the written
 * file(s); both are printed:
 *   1. total revenue: sum(quantity * price)
 *   2. orders per region
 *
 * Usage:
 *   node scripts/gen-dataset.mjs --out DIR [--rows N] [--format csv|parquet|both]
 *   → DIR/sales-<N>.csv and/or DIR/sales-<N>.parquet, then the known answers (exit 1 if DuckDB disagrees)
 * Not part of the test suite except test/toolsmith/gen-dataset.test.ts at N = 10,000.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

export const REGIONS = ['North', 'South', 'East', 'West'];
export const PRODUCTS = [
  ['Widget', 499],
  ['Gadget', 1299],
  ['Doohickey', 250],
  ['Gizmo', 4999],
  ['Thingamajig', 799],
  ['Sprocket', 125],
  ['Flange', 330],
  ['Bracket', 675],
  ['Valve', 2150],
  ['Gasket', 99],
];
const DAYS = 730;
const CUSTOMERS = 100_000;

/** The row formulas, shared by the SQL and the JavaScript answers: i is 0-based. */
const regionIndex = (i) => Math.floor(i / 7) % 4;
const productIndex = (i) => (i * 3) % 10;
const quantityOf = (i) => 1 + ((Math.floor(i / 10) * 7 + i) % 10);

export function selectSql(rows) {
  const regions = `[${REGIONS.map((r) => `'${r}'`).join(', ')}]`;
  const names = `[${PRODUCTS.map(([n]) => `'${n}'`).join(', ')}]`;
  const cents = `[${PRODUCTS.map(([, c]) => c).join(', ')}]`;
  return `SELECT
    i + 1 AS order_id,
    DATE '2023-01-01' + CAST(i % ${DAYS} AS INTEGER) AS date,
    ${regions}[(i // 7) % 4 + 1] AS region,
    ${names}[(i * 3) % 10 + 1] AS product,
    CAST(1 + ((i // 10) * 7 + i) % 10 AS INTEGER) AS quantity,
    CAST(${cents}[(i * 3) % 10 + 1] / 100 AS DECIMAL(10, 2)) AS price,
    1 + (i * 2654435761) % ${CUSTOMERS} AS customer_id
  FROM range(${Number(rows)}) AS t(i)`;
}

/** Known answers from the formulas, in plain JavaScript: revenue as a decimal string, orders per region. */
export function knownAnswers(rows) {
  let cents = 0n;
  const perRegion = new Map(REGIONS.map((r) => [r, 0]));
  let sumCents = 0;
  for (let i = 0; i < rows; i++) {
    sumCents += quantityOf(i) * PRODUCTS[productIndex(i)][1];
    if (sumCents > 2 ** 50) {
      cents += BigInt(sumCents);
      sumCents = 0;
    }
    const r = REGIONS[regionIndex(i)];
    perRegion.set(r, perRegion.get(r) + 1);
  }
  cents += BigInt(sumCents);
  const revenue = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
  return { rows, revenue, ordersByRegion: Object.fromEntries(perRegion) };
}

/** The same two answers from DuckDB over a written file. */
async function duckdbAnswers(conn, file) {
  const from = file.endsWith('.parquet') ? `read_parquet('${file}')` : `read_csv('${file}')`;
  const total = await conn.runAndReadAll(
    `SELECT count(*) AS n, CAST(sum(quantity * CAST(price AS DECIMAL(10, 2))) AS VARCHAR) AS revenue FROM ${from}`,
  );
  const [row] = total.getRowObjects();
  const regions = await conn.runAndReadAll(`SELECT region, count(*) AS n FROM ${from} GROUP BY 1`);
  const ordersByRegion = Object.fromEntries(REGIONS.map((r) => [r, 0]));
  for (const r of regions.getRowObjects()) ordersByRegion[String(r.region)] = Number(r.n);
  return { rows: Number(row.n), revenue: String(row.revenue), ordersByRegion };
}

/** Write the dataset; returns the files, the known answers and DuckDB's answers per file. */
export async function generateSalesDataset({ out, rows = 10_000_000, format = 'both' }) {
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new Error(`--rows must be a positive integer, got ${rows}`);
  if (!['csv', 'parquet', 'both'].includes(format)) throw new Error(`--format must be csv, parquet or both`);
  mkdirSync(out, { recursive: true });
  const files = [];
  if (format !== 'parquet') files.push(join(resolve(out), `sales-${rows}.csv`));
  if (format !== 'csv') files.push(join(resolve(out), `sales-${rows}.parquet`));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const select = selectSql(rows);
    const timings = {};
    for (const file of files) {
      const options = file.endsWith('.parquet')
        ? '(FORMAT parquet, COMPRESSION zstd)'
        : '(FORMAT csv, HEADER)';
      const t = performance.now();
      await conn.run(`COPY (${select} ORDER BY i) TO '${file.replaceAll("'", "''")}' ${options}`);
      timings[file] = Math.round(performance.now() - t);
    }
    const expected = knownAnswers(rows);
    const checked = {};
    for (const file of files) checked[file] = await duckdbAnswers(conn, file.replaceAll("'", "''"));
    return { files, expected, checked, timings };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const out = opt('out');
  if (!out || args.includes('--help')) {
    console.error('usage: node scripts/gen-dataset.mjs --out DIR [--rows N] [--format csv|parquet|both]');
    process.exit(out ? 0 : 2);
  }
  const rows = Number(String(opt('rows', '10000000')).replaceAll('_', ''));
  const result = await generateSalesDataset({ out, rows, format: opt('format', 'both') });
  for (const f of result.files) console.log(`wrote ${f} in ${result.timings[f]} ms`);
  console.log(`Q1 What is the total revenue, sum(quantity * price)?  ${result.expected.revenue}`);
  console.log(`Q2 How many orders per region?  ${JSON.stringify(result.expected.ordersByRegion)}`);
  let ok = true;
  for (const [file, got] of Object.entries(result.checked)) {
    const same = JSON.stringify(got) === JSON.stringify(result.expected);
    ok &&= same;
    console.log(`${same ? 'ok  ' : 'FAIL'} DuckDB over ${file}: ${JSON.stringify(got)}`);
  }
  process.exit(ok ? 0 : 1);
}
