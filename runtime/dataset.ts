/**
 * Dataset connections: a code tool asks questions of a data file (CSV, TSV, JSON, NDJSON, Parquet) with SQL,
 * `await ctx.dataset('data', args.file).query('SELECT … FROM dataset WHERE x = $1', [value])`.
 *
 * This file holds what does not need the engine: the connection settings, the handle's contract, where a file
 * may be read from (confinement to the directories of the connection's roots variable) and its format. The
 * engine (dataset-duckdb.ts) is shipped only by servers that declare a dataset connection.
 *
 * Confinement: the file is resolved (relative names against each root in turn, then realpath, so symbolic
 * links are followed) and must be a regular file inside one of the roots — never a FIFO or a device, whose
 * reads could block a worker thread forever.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError } from './errors.js';

export interface DatasetConnectionConfig {
  name: string;
  /** Environment variable listing the directories files may be read from (':'-separated). */
  rootsEnv: string;
  /** Most rows a query returns (more: `truncated`). */
  maxRows: number;
  /** The engine's memory limit per query, in MiB. */
  memoryMb: number;
  /** Engine threads per query. */
  threads: number;
}

export interface DatasetColumn {
  name: string;
  /** The engine's type name (DuckDB: VARCHAR, BIGINT, DATE, DECIMAL(10,2), INTEGER[] …). */
  type: string;
}

export interface DatasetResult {
  /** JSON-safe rows (see dataset-duckdb.ts for the conversions). */
  rows: Record<string, unknown>[];
  columns: DatasetColumn[];
  /** More rows existed than the connection's maxRows (or the result byte cap): only the first were kept. */
  truncated: boolean;
}

/** One data file of a dataset connection: its rows appear as the view `dataset`. */
export interface DatasetHandle {
  /** One SQL statement over the view `dataset`; `values` bind to $1, $2, … */
  query(sql: string, values?: readonly unknown[]): Promise<DatasetResult>;
}

export type DatasetFormat = 'csv' | 'tsv' | 'json' | 'ndjson' | 'parquet';

/** A resolved, confined file. `shown` is the name the caller gave (used in messages instead of host paths). */
export interface DatasetFile {
  path: string;
  shown: string;
  format: DatasetFormat;
}

/** Runs queries over a resolved file; the engine module (dataset-duckdb.ts) implements it. */
export type DatasetEngine = (
  config: DatasetConnectionConfig,
  file: () => Promise<DatasetFile>,
  signal?: AbortSignal,
) => DatasetHandle;

const FORMATS: ReadonlyArray<[string, DatasetFormat]> = [
  ['.csv', 'csv'],
  ['.tsv', 'tsv'],
  ['.json', 'json'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
  ['.parquet', 'parquet'],
];

export const DATASET_EXTENSIONS = FORMATS.map(([ext]) => ext);

/** The format of a file from its extension (case-insensitive). */
export function datasetFormat(file: string): DatasetFormat {
  const lower = file.toLowerCase();
  const found = FORMATS.find(([ext]) => lower.endsWith(ext));
  if (!found)
    throw new ToolError(
      `unsupported dataset format: ${JSON.stringify(basename(file))}; use one of ${DATASET_EXTENSIONS.join(', ')}`,
    );
  return found[1];
}

function basename(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** The roots of a connection: the directories in its variable (':'-separated), resolved; none → a clear error. */
export async function datasetRoots(
  config: Pick<DatasetConnectionConfig, 'rootsEnv' | 'name'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const listed = (env[config.rootsEnv] ?? '')
    .split(':')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const roots: string[] = [];
  for (const dir of listed) {
    if (!isAbsolute(dir)) continue; // a relative root would depend on the working directory
    try {
      const real = await realpath(dir);
      if ((await stat(real)).isDirectory()) roots.push(real);
    } catch {
      // a root that does not exist holds no files
    }
  }
  if (roots.length === 0)
    throw new ToolError(
      `no dataset directory is configured for connection "${config.name}": set ${config.rootsEnv} to the directories (separated by ':') whose files may be read`,
    );
  return roots;
}

function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Where `file` really is: inside one of the roots, a regular file with a known extension. Relative names are
 * tried against each root in order. Errors name the file as given and the allowed roots (never other paths).
 */
export async function resolveDatasetFile(
  config: Pick<DatasetConnectionConfig, 'rootsEnv' | 'name'>,
  file: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DatasetFile> {
  if (typeof file !== 'string' || file.trim() === '' || file.includes('\0'))
    throw new ToolError('the dataset file must be a non-empty path');
  if (file.length > 4096) throw new ToolError('the dataset path is too long');
  const format = datasetFormat(file);
  const roots = await datasetRoots(config, env);
  const allowed = `allowed directories (${config.rootsEnv}): ${roots.join(', ')}`;
  const candidates = isAbsolute(file) ? [file] : roots.map((root) => resolve(root, file));
  let found: string | undefined;
  let denied = false;
  for (const candidate of candidates) {
    try {
      found = await realpath(candidate);
      break;
    } catch (error) {
      // try the next root
      if ((error as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  if (found === undefined)
    throw new ToolError(
      denied
        ? `dataset file ${JSON.stringify(file)} cannot be read: permission denied for the server's user (uid ${process.getuid?.() ?? '?'}); make the file and its directories readable by it; ${allowed}`
        : `dataset file ${JSON.stringify(file)} not found; ${allowed}`,
    );
  if (!roots.some((root) => within(found, root)))
    throw new ToolError(`dataset file ${JSON.stringify(file)} is outside the ${allowed}`);
  const info = await stat(found);
  if (!info.isFile()) throw new ToolError(`dataset file ${JSON.stringify(file)} is not a regular file`);
  return { path: found, shown: file, format };
}

/** A SQL string literal: single quotes doubled. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
