/**
 * Attack corpus of dataset queries, checked by effect (what was read, written or left running), not by the
 * wording of an error: SQL that reaches for other files, the network, extensions or the engine's settings;
 * `file` arguments that leave the roots; special files; queries too big or endless.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetConnectionConfig, resolveDatasetFile } from '../../runtime/dataset.js';
import { duckdbDatasets } from '../../runtime/dataset-duckdb.js';

const DATA = resolve(import.meta.dirname, '../../node_modules/vega-datasets/data');
const MARKER = 'TOP-SECRET-7f3a9c';
const config: DatasetConnectionConfig = {
  name: 'data',
  rootsEnv: 'ROOTS',
  maxRows: 50,
  memoryMb: 256,
  threads: 2,
};
let base: string;
let inside: string;
let outside: string;
let secret: string;
let dataFile: string;
let env: Record<string, string>;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'mcpf-dataset-attack-'));
  inside = join(base, 'in');
  outside = join(base, 'out');
  mkdirSync(inside);
  mkdirSync(outside);
  dataFile = join(inside, 'data.csv');
  copyFileSync(join(DATA, 'seattle-weather.csv'), dataFile);
  secret = join(outside, 'secret.csv');
  writeFileSync(secret, `secret\n${MARKER}\n`);
  writeFileSync(join(outside, 'secret.parquet'), MARKER);
  symlinkSync(secret, join(inside, 'link.csv'));
  symlinkSync(outside, join(inside, 'outdir'));
  symlinkSync('/dev/zero', join(inside, 'zero.csv'));
  execFileSync('mkfifo', [join(inside, 'fifo.csv')]);
  env = { ROOTS: inside };
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Runs `sql` over data.csv; the outcome as text (the result's JSON, or the error message). */
async function outcome(sql: string, file = 'data.csv', signal?: AbortSignal, roots = env): Promise<string> {
  const h = duckdbDatasets(config, () => resolveDatasetFile(config, file, roots), signal);
  return h.query(sql).then(
    (r) => `OK ${JSON.stringify(r)}`,
    (e: Error) => `ERR ${e.message}`,
  );
}

describe('SQL that reaches for other files', () => {
  const reads = () => [
    `SELECT * FROM read_csv('${secret}')`,
    `SELECT * FROM read_csv_auto('${secret}')`,
    `SELECT * FROM '${secret}'`,
    `SELECT * FROM 'file://${secret}'`,
    `SELECT * FROM read_text('${secret}')`,
    `SELECT * FROM read_blob('${secret}')`,
    `SELECT * FROM read_csv(['${dataFile}', '${secret}'])`,
    `SELECT * FROM read_csv('${dataFile}/../../out/secret.csv')`,
    `SELECT * FROM read_csv('${join(inside, 'link.csv')}')`,
    `SELECT * FROM read_csv('${join(inside, 'outdir', 'secret.csv')}')`,
    `SELECT * FROM read_csv('${outside}/*.csv')`,
    `SELECT * FROM sniff_csv('${secret}')`,
    `SELECT * FROM parquet_metadata('${join(outside, 'secret.parquet')}')`,
    `SELECT * FROM read_text('/proc/self/environ')`,
    `SELECT * FROM read_text('/etc/passwd')`,
    `SELECT * FROM read_csv('https://example.com/data.csv')`,
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])(
    'read %i reads nothing outside the file',
    async (i) => {
      const sql = reads()[i]!;
      const out = await outcome(sql);
      expect(out.startsWith('ERR'), `${sql} → ${out.slice(0, 200)}`).toBe(true);
      expect(out).not.toContain(MARKER);
      expect(out).not.toMatch(/root:x:0:0|PATH=/);
    },
  );

  it('lists no directory', async () => {
    for (const sql of [
      `SELECT * FROM glob('/*')`,
      `SELECT * FROM glob('${inside}/*')`,
      `SELECT * FROM glob('${outside}/*')`,
    ]) {
      const out = await outcome(sql);
      expect(out.startsWith('ERR'), sql).toBe(true);
      expect(out).not.toMatch(/secret\.csv|"\/usr"|fifo\.csv/);
    }
  });
});

describe('SQL that writes', () => {
  it('creates no file with COPY, EXPORT or ATTACH, and leaves the dataset file as it was', async () => {
    const before = sha(dataFile);
    const targets = [
      join(outside, 'copy.csv'),
      join(inside, 'copy.csv'),
      join(base, 'export'),
      join(inside, 'attached.db'),
      join(tmpdir(), `mcpf-attack-${process.pid}.csv`),
    ];
    for (const sql of [
      `COPY (SELECT * FROM dataset) TO '${targets[0]}'`,
      `COPY (SELECT * FROM dataset) TO '${targets[1]}' (USE_TMP_FILE false)`,
      `COPY (SELECT 1 AS x) TO '${dataFile}' (USE_TMP_FILE false)`,
      `COPY (SELECT 1 AS x) TO '${dataFile}' (FORMAT csv, OVERWRITE true)`,
      `EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '${dataFile}' (USE_TMP_FILE false)`,
      `EXPORT DATABASE '${targets[2]}'`,
      `ATTACH '${targets[3]}' AS x`,
      `COPY (SELECT 1 AS x) TO '${targets[4]}'`,
      `SELECT 1; COPY (SELECT 1 AS x) TO '${targets[4]}'`,
    ]) {
      const out = await outcome(sql);
      expect(out.startsWith('ERR'), sql).toBe(true);
    }
    for (const target of targets) expect(existsSync(target), target).toBe(false);
    expect(sha(dataFile)).toBe(before);
    expect(readdirSync(inside).sort()).toEqual(['data.csv', 'fifo.csv', 'link.csv', 'outdir', 'zero.csv']);
  });
});

describe('SQL that changes the engine', () => {
  it('installs and loads no extension', async () => {
    const extensions = join(homedir(), '.duckdb');
    const before = existsSync(extensions) ? readdirSync(extensions, { recursive: true }).length : -1;
    for (const sql of [
      'INSTALL httpfs',
      'LOAD httpfs',
      "LOAD '/tmp/evil.duckdb_extension'",
      'FORCE INSTALL httpfs FROM community',
      'UPDATE EXTENSIONS',
    ]) {
      expect((await outcome(sql)).startsWith('ERR'), sql).toBe(true);
    }
    const after = existsSync(extensions) ? readdirSync(extensions, { recursive: true }).length : -1;
    expect(after).toBe(before);
  });

  it('cannot undo the locks, and a read after the attempt is still confined', async () => {
    for (const sql of [
      'SET enable_external_access = true',
      'RESET enable_external_access',
      "SET allowed_paths = ['/']",
      "SET allowed_directories = ['/']",
      'SET lock_configuration = false',
      'RESET lock_configuration',
      'PRAGMA enable_external_access',
      'SELECT * FROM (SET enable_external_access = true)',
      `SET enable_external_access = true; SELECT * FROM read_csv('${secret}')`,
      "SET temp_directory = '/tmp/spill'",
      "SET memory_limit = '64GB'",
    ]) {
      const out = await outcome(sql);
      expect(out.startsWith('ERR'), sql).toBe(true);
      expect(out).not.toContain(MARKER);
    }
    const setting = await outcome(
      "SELECT current_setting('enable_external_access') AS v, current_setting('lock_configuration') AS l",
    );
    expect(setting).toContain('"v":false');
    expect(setting).toContain('"l":true');
    expect(await outcome(`SELECT * FROM read_csv('${secret}')`)).not.toContain(MARKER);
  });
});

describe('file arguments', () => {
  it('refuses every file outside the roots, through links or not', async () => {
    for (const file of [
      '../out/secret.csv',
      secret,
      'link.csv',
      'outdir/secret.csv',
      '/etc/passwd.csv',
      `${inside}/../out/secret.csv`,
    ]) {
      const out = await outcome('SELECT * FROM dataset', file);
      expect(out, file).toMatch(/^ERR .*(outside the allowed directories|not found)/);
      expect(out).not.toContain(MARKER);
    }
  });

  it('refuses a FIFO and a device at once, even inside a root', async () => {
    const started = performance.now();
    expect(await outcome('SELECT * FROM dataset', 'fifo.csv')).toMatch(/^ERR .*not a regular file/);
    // zero.csv → /dev/zero: outside the roots; with /dev itself a root, not a regular file.
    expect(await outcome('SELECT * FROM dataset', 'zero.csv')).toMatch(/^ERR .*outside/);
    expect(
      await outcome('SELECT * FROM dataset', 'zero.csv', undefined, { ROOTS: `${inside}:/dev` }),
    ).toMatch(/^ERR .*not a regular file/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('queries too big or endless', () => {
  it('returns at most maxRows of a huge cross join', async () => {
    const out = await outcome('SELECT * FROM dataset a, dataset b');
    const r = JSON.parse(out.slice(3)) as { rows: unknown[]; truncated: boolean };
    expect(r.rows).toHaveLength(config.maxRows);
    expect(r.truncated).toBe(true);
  });

  it('stops a join that outgrows the memory limit, or the time limit', async () => {
    const started = performance.now();
    const out = await outcome(
      'SELECT count(*) FROM range(1000000000000) a, range(1000000000000) b',
      'data.csv',
      AbortSignal.timeout(5_000),
    );
    expect(out).toMatch(/^ERR .*(Out of Memory|timeout|aborted)/i);
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it('interrupts an endless query when its signal aborts, and the next query runs', async () => {
    const started = performance.now();
    const out = await outcome(
      'SELECT sum(i) FROM range(100000000000000) t(i)',
      'data.csv',
      AbortSignal.timeout(500),
    );
    expect(out).toMatch(/^ERR /);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await outcome('SELECT count(*) AS n FROM dataset')).toContain('"n":1461');
  });
});
