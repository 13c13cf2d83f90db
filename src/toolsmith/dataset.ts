/**
 * Datasets of the toolsmith: the caller's file is checked (a regular file, inside the allowed roots when the
 * caller is remote, a known format, within the size limit), copied once into the factory home under its sha256
 * (read through one file descriptor, so what is hashed is what is kept, and later changes of the caller's file
 * do not change a run), and profiled with DuckDB: row count, column types, nulls, distinct counts, min/max and
 * a few sample rows — what the model sees instead of the file. DuckDB reads only that one file: external
 * access is switched off and locked before the profile query runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FactoryError } from '../core/errors/index.js';
import { isWithin } from '../platform/sandbox/index.js';
import type { ColumnProfile, DatasetFormat, DatasetProfile, DatasetRef } from './types.js';

const EXTENSIONS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
};

const SAMPLE_ROWS = 5;
const MAX_PROFILE_COLUMNS = 200;

/** `hint`, when given, replaces the code's general one (surfaces read details.hint). */
function invalid(message: string, details: Record<string, unknown>, hint?: string): FactoryError {
  return new FactoryError('TOOLSMITH_DATASET_INVALID', message, {
    details: { ...details, ...(hint ? { hint } : {}) },
  });
}

export function formatOf(path: string): DatasetFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

export interface DatasetAccess {
  /** Directories a dataset may be in (after symlinks); 'any' for the local user (trusted like the shell). */
  roots: readonly string[] | 'any';
  /** Largest dataset accepted. */
  maxBytes: number;
}

/**
 * Check the caller's file and keep a copy of it in `storeDir` named by its sha256; returns where it is.
 * TOOLSMITH_DATASET_INVALID for a missing file, a directory, a FIFO or device, a path outside the roots, an
 * unknown extension or a file past the size limit — before anything is written.
 */
export async function keepDataset(
  given: string,
  storeDir: string,
  access: DatasetAccess,
): Promise<DatasetRef> {
  if (typeof given !== 'string' || given.length === 0 || given.length > 4096 || given.includes('\0'))
    throw invalid('the dataset path is empty, too long or contains a NUL byte', {
      given: String(given).slice(0, 200),
    });
  const format = formatOf(given);
  if (!format)
    throw invalid(
      `the dataset ${JSON.stringify(given)} has no known data extension`,
      { given, formats: Object.keys(EXTENSIONS) },
      `Name a file ending in ${Object.keys(EXTENSIONS).join(', ')}.`,
    );
  let real: string;
  try {
    real = await realpath(given);
  } catch (error) {
    throw invalid(
      `the dataset ${JSON.stringify(given)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        given,
      },
    );
  }
  if (access.roots !== 'any' && !access.roots.some((root) => isWithin(real, root)))
    throw invalid(
      `the dataset ${JSON.stringify(given)} is outside the directories datasets may be read from`,
      { given, roots: access.roots },
      'Put the file in one of the allowed directories (the toolsmith policy `dataRoots`), or run the CLI locally.',
    );
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it anyway.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      throw invalid(`the dataset ${JSON.stringify(given)} cannot be opened: ${error.code ?? 'error'}`, {
        given,
      });
    },
  );
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw invalid(`the dataset ${JSON.stringify(given)} is not a regular file`, { given });
    if (info.size === 0) throw invalid(`the dataset ${JSON.stringify(given)} is empty`, { given });
    if (info.size > access.maxBytes)
      throw invalid(
        `the dataset ${JSON.stringify(given)} is ${info.size} bytes, over the limit of ${access.maxBytes}`,
        { given, bytes: info.size, maxBytes: access.maxBytes },
        'Raise `maxDatasetBytes` in the toolsmith policy, or sample the data first.',
      );
    await mkdir(storeDir, { recursive: true, mode: 0o755 });
    const partial = join(storeDir, `.partial-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const source = createReadStream('', { fd: handle.fd, autoClose: false, start: 0, end: info.size - 1 });
      source.on('data', (chunk) => {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      });
      await pipeline(source, createWriteStream(partial, { mode: 0o644 }));
      const sha256 = hash.digest('hex');
      const path = join(storeDir, `${sha256}.${format === 'ndjson' ? 'ndjson' : format}`);
      if (await exists(path)) await rm(partial, { force: true });
      else await rename(partial, path);
      return { given, path, sha256, format, bytes };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Datasets larger than this are validated on a sample (the execute node still reads the whole file). */
export const SAMPLE_ABOVE_BYTES = 8 * 1024 * 1024;
const SAMPLE_ROWS_FOR_TESTS = 20_000;

/**
 * The first rows of a large dataset, in its own format, kept beside it: what the candidate's generated tests
 * read, so validation costs the same whatever the file's size. Small datasets are their own sample.
 */
export async function sampleDataset(ref: DatasetRef, storeDir: string): Promise<DatasetRef> {
  if (ref.bytes <= SAMPLE_ABOVE_BYTES) return ref;
  const path = join(storeDir, `${ref.sha256}.sample${extname(ref.path)}`);
  if (!(await exists(path))) {
    const { DuckDBInstance } = await duckdb();
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    const partial = join(storeDir, `.partial-${randomBytes(6).toString('hex')}${extname(ref.path)}`);
    const options: Record<DatasetFormat, string> = {
      csv: 'FORMAT csv, HEADER true',
      tsv: "FORMAT csv, HEADER true, DELIMITER '\t'",
      json: 'FORMAT json, ARRAY true',
      ndjson: 'FORMAT json',
      parquet: 'FORMAT parquet',
    };
    try {
      await connection.run(
        `COPY (SELECT * FROM ${readerSql(ref.path, ref.format)} LIMIT ${SAMPLE_ROWS_FOR_TESTS}) TO ${sqlString(partial)} (${options[ref.format]})`,
      );
      await rename(partial, path);
    } finally {
      await rm(partial, { force: true });
      connection.closeSync();
      instance.closeSync();
    }
  }
  const bytes = (await stat(path)).size;
  return {
    given: `${ref.given} (first ${SAMPLE_ROWS_FOR_TESTS} rows)`,
    path,
    sha256: `${ref.sha256}.sample`,
    format: ref.format,
    bytes,
  };
}

/** SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The DuckDB table function that reads a dataset file. */
export function readerSql(path: string, format: DatasetFormat): string {
  const file = sqlString(path);
  switch (format) {
    case 'csv':
      return `read_csv(${file}, header = true)`;
    case 'tsv':
      return `read_csv(${file}, header = true, delim = '\\t')`;
    case 'json':
      return `read_json(${file})`;
    case 'ndjson':
      return `read_json(${file}, format = 'newline_delimited')`;
    case 'parquet':
      return `read_parquet(${file})`;
  }
}

type DuckModule = typeof import('@duckdb/node-api');
let duck: Promise<DuckModule> | undefined;
/** Loaded on first use: the native library costs ~100 ms to load and only the toolsmith needs it here. */
function duckdb(): Promise<DuckModule> {
  duck ??= import('@duckdb/node-api');
  return duck;
}

/**
 * A DuckDB connection that can read exactly `path` through the view `dataset`, nothing else: no other file, no
 * extension, no setting changed after the lock.
 */
export async function openDatasetConnection(
  ref: Pick<DatasetRef, 'path' | 'format'>,
  options: { memoryMb?: number; threads?: number } = {},
) {
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: `${options.memoryMb ?? 512}MB`,
    threads: String(options.threads ?? Math.max(2, availableParallelism())),
  });
  const connection = await instance.connect();
  await connection.run(`SET allowed_paths = [${sqlString(ref.path)}]`);
  await connection.run(`CREATE VIEW dataset AS SELECT * FROM ${readerSql(ref.path, ref.format)}`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A 64-bit integer as JSON: a number when it is exact, else its decimal text. */
export function jsonInteger(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** JSON-safe value of a DuckDB cell (BIGINT → number when safe, dates and decimals as text or number). */
export function jsonCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return jsonInteger(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(jsonCell);
  if (typeof value === 'object') {
    const text = String(value);
    if (text !== '[object Object]') {
      const n = Number(text);
      return /^-?\d+(\.\d+)?$/.test(text) && Number.isFinite(n) ? n : text;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonCell(v)]));
  }
  return String(value);
}

/** Profile a kept dataset: what the model is shown. TOOLSMITH_DATASET_INVALID when DuckDB cannot read it. */
export async function profileDataset(ref: DatasetRef): Promise<DatasetProfile> {
  const started = performance.now();
  let db: Awaited<ReturnType<typeof openDatasetConnection>> | undefined;
  try {
    db = await openDatasetConnection(ref);
    const described = await db.connection.runAndReadAll('DESCRIBE dataset');
    const columns = described
      .getRowObjects()
      .slice(0, MAX_PROFILE_COLUMNS)
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const id = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const parts = ['count(*) AS "__rows"'];
    columns.forEach((c, i) => {
      parts.push(
        `count(*) - count(${id(c.name)}) AS "n${i}"`,
        `approx_count_distinct(${id(c.name)}) AS "d${i}"`,
      );
      if (!/^(STRUCT|MAP|UNION)|\[\]$/.test(c.type))
        parts.push(`min(${id(c.name)})::VARCHAR AS "lo${i}"`, `max(${id(c.name)})::VARCHAR AS "hi${i}"`);
    });
    const stats =
      (await db.connection.runAndReadAll(`SELECT ${parts.join(', ')} FROM dataset`)).getRowObjects()[0] ?? {};
    const profiled: ColumnProfile[] = columns.map((c, i) => ({
      name: c.name,
      type: c.type,
      nulls: Number(stats[`n${i}`] ?? 0),
      distinct: Number(stats[`d${i}`] ?? 0),
      ...(`lo${i}` in stats ? { min: short(stats[`lo${i}`]), max: short(stats[`hi${i}`]) } : {}),
    }));
    const sample = (await db.connection.runAndReadAll(`SELECT * FROM dataset LIMIT ${SAMPLE_ROWS}`))
      .getRowObjects()
      .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, short(jsonCell(v))])));
    return {
      format: ref.format,
      rows: Number(stats.__rows ?? 0),
      bytes: ref.bytes,
      columns: profiled,
      sample,
      profileMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    throw invalid(
      `DuckDB cannot read the dataset ${JSON.stringify(ref.given)} as ${ref.format}: ${firstLine(error)}`,
      {
        given: ref.given,
        format: ref.format,
      },
    );
  } finally {
    db?.close();
  }
}

function short(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(jsonCell(value));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error)
    .split('\n')[0]!
    .slice(0, 500);
}
