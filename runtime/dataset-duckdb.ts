/**
 * The DuckDB engine of dataset connections (runtime/dataset.ts): each query runs in a fresh in-memory DuckDB
 * instance that can read exactly one file, so nothing a query does (tables, macros, settings) outlives it or
 * reaches another caller.
 *
 * Per query, in this order: an instance with extension auto-install/auto-load off, the connection's memory
 * limit and threads, and no spilling to disk; `SET allowed_paths=['<file>']`; the view `dataset` over
 * read_csv/read_json/read_parquet of the file; `SET enable_external_access=false` (no other file, no network,
 * no COPY TO, ATTACH, INSTALL or LOAD); `SET lock_configuration=true` (none of that can be undone). Then the
 * caller's SQL — exactly one statement — runs prepared, with `values` bound to $1, $2, …, streamed chunk by
 * chunk until the row cap (the connection's maxRows) or the result byte cap, and the instance is closed.
 *
 * The abort signal (the tool's timeout, the client's cancellation) interrupts the running statement. At most
 * MAX_CONCURRENT queries run per connection at once (each may use its memory limit); others wait their turn.
 * Values come back JSON-safe (see `jsonValue`); DuckDB errors become ToolErrors with DuckDB's message, where the
 * host path of the file is replaced by the name the caller gave.
 */
import {
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  type DatasetConnectionConfig,
  type DatasetEngine,
  type DatasetFile,
  type DatasetFormat,
  type DatasetResult,
  sqlString,
} from './dataset.js';
import { ToolError } from './errors.js';
import { DEFAULT_MAX_RESULT_BYTES, RowBudget } from './sql.js';

/** Queries of one connection running at once; more wait (each instance may use the whole memory limit). */
export const MAX_CONCURRENT = 2;
/** Longest SQL text accepted. */
const MAX_SQL_CHARS = 100_000;
const MAX_VALUES = 1000;
/** DuckDB's StatementType.SELECT (duckdb_statement_type): what every reading statement prepares as. */
const SELECT_STATEMENT = 1;

const READERS: Record<DatasetFormat, (path: string) => string> = {
  csv: (p) => `read_csv(${p})`,
  tsv: (p) => `read_csv(${p}, delim = '\t')`,
  json: (p) => `read_json(${p})`,
  ndjson: (p) => `read_json(${p}, format = 'newline_delimited')`,
  parquet: (p) => `read_parquet(${p})`,
};

/** The statements that confine a fresh instance to `file` (exported for tests: the order matters). */
export function confinementStatements(file: DatasetFile): string[] {
  const path = sqlString(file.path);
  return [
    `SET allowed_paths = [${path}]`,
    `CREATE VIEW dataset AS SELECT * FROM ${READERS[file.format](path)}`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

/** A counting semaphore per connection name. */
const slots = new Map<string, { running: number; waiting: Array<() => void> }>();

async function acquire(name: string, signal: AbortSignal | undefined): Promise<() => void> {
  let slot = slots.get(name);
  if (!slot) {
    slot = { running: 0, waiting: [] };
    slots.set(name, slot);
  }
  const s = slot;
  if (s.running >= MAX_CONCURRENT) {
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        const i = s.waiting.indexOf(go);
        if (i >= 0) s.waiting.splice(i, 1);
        reject(signal?.reason ?? new ToolError('the query was cancelled'));
      };
      s.waiting.push(go);
      signal?.addEventListener('abort', stop, { once: true });
    });
  } else s.running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = s.waiting.shift();
    if (next)
      next(); // the slot passes on
    else s.running--;
  };
}

export const duckdbDatasets: DatasetEngine = (config, file, signal) => ({
  async query(sql, values = []) {
    if (typeof sql !== 'string' || sql.trim() === '') throw new ToolError('the query must be SQL text');
    if (sql.length > MAX_SQL_CHARS)
      throw new ToolError(`the query is longer than ${MAX_SQL_CHARS} characters`);
    if (!Array.isArray(values)) throw new ToolError('query values must be an array (bound to $1, $2, …)');
    if (values.length > MAX_VALUES) throw new ToolError(`at most ${MAX_VALUES} query values`);
    const bound = values.map((v, i) => bindable(v, i));
    throwIfAborted(signal);
    const target = await file();
    throwIfAborted(signal);
    const release = await acquire(config.name, signal);
    try {
      return await runQuery(config, target, sql, bound, signal);
    } finally {
      release();
    }
  },
});

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new ToolError('cancelled');
}

async function runQuery(
  config: DatasetConnectionConfig,
  file: DatasetFile,
  sql: string,
  values: DuckDBValue[],
  signal: AbortSignal | undefined,
): Promise<DatasetResult> {
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  const interrupt = () => connection?.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: `${config.memoryMb}MB`,
      threads: String(config.threads),
      temp_directory: '',
    });
    connection = await instance.connect();
    for (const statement of confinementStatements(file)) await connection.run(statement);
    throwIfAborted(signal);
    const extracted = await connection.extractStatements(sql);
    if (extracted.count !== 1)
      throw new ToolError(
        `the query must be exactly one SQL statement (found ${extracted.count}); run several queries one by one${/\bpivot\b/i.test(sql) ? ' (a PIVOT without an IN list counts as two: name the values, ON col IN (…))' : ''}`,
      );
    const prepared = await extracted.prepare(0);
    // Reading statements only: COPY … TO the dataset file itself (allowed_paths lets it through, with
    // USE_TMP_FILE false) would overwrite it; EXPLAIN ANALYZE runs what it explains.
    if (prepared.statementType !== SELECT_STATEMENT)
      throw new ToolError(
        'the query must be a reading statement (SELECT, WITH … SELECT, FROM …, VALUES, DESCRIBE, SUMMARIZE, SHOW); it cannot write, copy, attach, load or change settings',
      );
    if (prepared.parameterCount !== values.length)
      throw new ToolError(
        `the query has ${prepared.parameterCount} parameter(s) ($1, $2, …) but ${values.length} value(s) were given`,
      );
    if (values.length) prepared.bind(values);
    const result = await prepared.stream();
    const names = result.deduplicatedColumnNames();
    const columns = result.columnTypes().map((type, i) => ({ name: names[i]!, type: type.toString() }));
    const budget = new RowBudget(config.maxRows, DEFAULT_MAX_RESULT_BYTES);
    for (;;) {
      throwIfAborted(signal);
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      let more = true;
      for (const row of chunk.getRows()) {
        const object: Record<string, unknown> = {};
        row.forEach((value, i) => {
          object[names[i]!] = jsonValue(value);
        });
        if (!budget.add(object)) {
          more = false;
          break;
        }
      }
      if (!more) break;
    }
    throwIfAborted(signal);
    return { rows: budget.rows, columns, truncated: budget.truncated };
  } catch (error) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new ToolError('cancelled');
    if (error instanceof ToolError) throw error;
    throw new ToolError(duckdbMessage(error, file));
  } finally {
    signal?.removeEventListener('abort', interrupt);
    try {
      connection?.closeSync();
    } finally {
      instance?.closeSync();
    }
  }
}

/** DuckDB's message without the host path of the file (the caller's own name for it instead). */
function duckdbMessage(error: unknown, file: DatasetFile): string {
  const message = (error instanceof Error ? error.message : String(error)).trim() || 'the query failed';
  const shown = message.split(file.path).join(file.shown);
  return shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown;
}

/** A query value as DuckDB binds it: text, numbers, booleans, null, bigint, and lists of them. */
function bindable(value: unknown, index: number): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ToolError(`query value $${index + 1} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return new DuckDBListValue(value.map((v) => bindable(v, index)));
  throw new ToolError(
    `query value $${index + 1} must be text, a number, a boolean, null or a list of them (got ${typeof value})`,
  );
}

const SAFE = (n: bigint): number | string => {
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : n.toString();
};

/**
 * A DuckDB value as JSON: BIGINT/HUGEINT → number when a safe integer, else its decimal text; DECIMAL →
 * number; DATE → 'YYYY-MM-DD'; TIMESTAMP → 'YYYY-MM-DDTHH:MM:SS[.ffffff]' (TIMESTAMPTZ with 'Z', in UTC);
 * LIST/ARRAY → arrays; STRUCT → objects; MAP → an object (keys as text), or [{ key, value }] when a key is not
 * text or a number; BLOB → base64; non-finite doubles → 'NaN'/'Infinity'/'-Infinity'; the rest as DuckDB
 * prints it (TIME, INTERVAL, UUID, BIT, ENUM…).
 */
export function jsonValue(value: DuckDBValue): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return SAFE(value);
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBTimestampValue) return isoTimestamp(value.micros, 1_000_000n, false, value);
  if (value instanceof DuckDBTimestampTZValue) return isoTimestamp(value.micros, 1_000_000n, true, value);
  if (value instanceof DuckDBTimestampSecondsValue) return isoTimestamp(value.seconds, 1n, false, value);
  if (value instanceof DuckDBTimestampMillisecondsValue)
    return isoTimestamp(value.millis, 1_000n, false, value);
  if (value instanceof DuckDBTimestampNanosecondsValue)
    return isoTimestamp(value.nanos, 1_000_000_000n, false, value);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(jsonValue);
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value.entries)) out[k] = jsonValue(v);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const keys = value.entries.map((e) => jsonValue(e.key));
    if (keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
      const out: Record<string, unknown> = {};
      value.entries.forEach((e, i) => {
        out[String(keys[i])] = jsonValue(e.value);
      });
      return out;
    }
    return value.entries.map((e, i) => ({ key: keys[i], value: jsonValue(e.value) }));
  }
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBUnionValue) return jsonValue(value.value);
  if (value instanceof DuckDBIntervalValue || value instanceof DuckDBBitValue) return value.toString();
  return String(value);
}

/** ISO 8601 from a count of `perSecond` units since the epoch; infinities and out-of-range as DuckDB prints. */
function isoTimestamp(units: bigint, perSecond: bigint, utc: boolean, value: { toString(): string }): string {
  let seconds = units / perSecond;
  let fraction = units % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime()) || seconds > 253_402_300_799n || seconds < -62_135_596_800n)
    return value.toString(); // infinity, or a year outside 1…9999 (ISO needs four digits)
  let text = date.toISOString().slice(0, 19);
  if (fraction !== 0n) {
    const digits = perSecond.toString().length - 1;
    text += `.${fraction.toString().padStart(digits, '0').replace(/0+$/, '')}`;
  }
  return utc ? `${text}Z` : text;
}
