/**
 * A table of a connection the factory already knows, as a toolsmith dataset: `server:<server>/<connection>/<table>`
 * (e.g. `server:shop-mcp/main/orders`). The server is a registry server; the connection is one of its spec's SQL
 * connections; its URL is the value of the connection's variable in the factory's secret store for that server
 * (what was given at deploy time, `<home>/secrets/<server>.env`), else in the process environment — only the local
 * user may name a table (remote callers are refused). A SQLite connection without a set variable is the database
 * file copied into the server's project (`data/…`).
 *
 * The table must be one the connection has (introspected), and only that introspected name is quoted into SQL —
 * never the caller's text. It is read with one read-only `SELECT *` (a read-only transaction; SQLite opened
 * read-only), streamed into an NDJSON file in the datasets store: dates as ISO text, 64-bit integers as numbers
 * when exact (else text), binary as base64. Past `maxBytes` the read stops with TOOLSMITH_DATASET_INVALID and
 * nothing is kept; otherwise the partial file is renamed to `<sha256>.ndjson`, content-addressed like a kept file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { basename } from 'node:path/posix';
import { pathToFileURL } from 'node:url';
import { FactoryError } from '../core/errors/index.js';
import { IDENTIFIER, SERVER_NAME } from '../core/spec/primitives.js';
import type { HomeLayout } from '../platform/home.js';
import { readEnvFile } from '../platform/secrets.js';
import {
  introspect,
  parseDatabaseUrl,
  quoteIdent,
  redactUrl,
  type SqlDialectName,
  type TableInfo,
} from '../sources/database/index.js';
import { scrubSecrets } from '../sources/database/url.js';
import type { Registry } from '../store/index.js';
import { jsonInteger } from './dataset.js';
import type { DatasetRef } from './types.js';

/** The prefix that names a table instead of a file. */
export const TABLE_PREFIX = 'server:';
const SYNTAX = 'server:<server>/<connection>/<table>';

export function isTableDataset(given: unknown): given is string {
  return typeof given === 'string' && given.startsWith(TABLE_PREFIX);
}

export interface TableAccess {
  registry: Registry;
  layout: HomeLayout;
  /** Largest NDJSON file written; past it the read stops. */
  maxBytes: number;
  /** The local user (CLI, MCP over stdio): the only caller who may name a table for now. */
  local: boolean;
  /** Where a variable the secret store does not hold is looked up (default: process.env). */
  env?: Record<string, string | undefined>;
}

function invalid(message: string, details: Record<string, unknown>, hint?: string): FactoryError {
  return new FactoryError('TOOLSMITH_DATASET_INVALID', message, {
    details: { ...details, ...(hint ? { hint } : {}) },
  });
}

interface TableName {
  server: string;
  connection: string;
  table: string;
}

/** Split `server:<server>/<connection>/<table>`; the table part may be `schema.table` and is only ever compared. */
export function parseTableDataset(given: string): TableName {
  const m = /^server:([^/]*)\/([^/]*)\/(.*)$/s.exec(given);
  const shown = given.slice(0, 300);
  if (!m)
    throw invalid(
      `the dataset ${JSON.stringify(shown)} does not name a table`,
      { given: shown },
      `Name a table as ${SYNTAX}, e.g. server:shop-mcp/main/orders.`,
    );
  const [, server, connection, table] = m as unknown as [string, string, string, string];
  if (!SERVER_NAME.test(server))
    throw invalid(`${JSON.stringify(server.slice(0, 100))} is not a server name`, { given: shown }, SYNTAX);
  if (!IDENTIFIER.test(connection))
    throw invalid(
      `${JSON.stringify(connection.slice(0, 100))} is not a connection name`,
      { given: shown },
      SYNTAX,
    );
  // Any text may name a table (it is matched against the introspected names, never put into SQL).
  if (table.length === 0 || table.length > 256 || /[\0-\x1f]/.test(table))
    throw invalid(
      'the table name is empty, too long or contains control characters',
      { given: shown },
      SYNTAX,
    );
  return { server, connection, table };
}

interface Source {
  dialect: SqlDialectName;
  /** What introspect() takes; SQLite: a file: URL. */
  url: string;
  /** Safe to print. */
  redacted: string;
  /** SQLite: the database file. */
  file?: string;
}

/**
 * Read the named table into `<storeDir>/<sha256>.ndjson` and return it as a dataset. TOOLSMITH_DATASET_INVALID for
 * a remote caller, a malformed name, an unknown server/connection/table, an unset or unusable URL, a database that
 * cannot be read, an empty table or one past `maxBytes` — with nothing left in the store.
 */
export async function keepTable(given: string, storeDir: string, access: TableAccess): Promise<DatasetRef> {
  if (!access.local)
    throw invalid(
      'only the local user may name a table of a registered server as a dataset',
      { given: String(given).slice(0, 300) },
      'Run the question with the local CLI (mcp-factory analyze --data server:…), or export the table to a file in one of the policy’s dataRoots.',
    );
  const name = parseTableDataset(given);
  const source = await resolveSource(name, access);
  const table = await findTable(name, source);
  return readTable(
    given,
    `${name.server}/${name.connection}/${table.name}`,
    table,
    source,
    storeDir,
    access.maxBytes,
  );
}

async function resolveSource(name: TableName, access: TableAccess): Promise<Source> {
  const { server, connection } = name;
  let spec: { connections?: unknown } | undefined;
  let artifactHash: string;
  try {
    const record = await access.registry.getServer(server);
    if (record.status === 'removed') throw new FactoryError('REGISTRY_NOT_FOUND', 'removed', {});
    const version = await access.registry.getVersion(server);
    spec = version.spec as typeof spec;
    artifactHash = version.artifactHash;
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'REGISTRY_NOT_FOUND')
      throw invalid(
        `no registered server ${JSON.stringify(server)}`,
        { server },
        'List the servers with `mcp-factory list`.',
      );
    throw error;
  }
  const connections = (Array.isArray(spec?.connections) ? spec.connections : []) as Array<
    Record<string, unknown>
  >;
  const sql = connections.filter((c) =>
    ['postgresql', 'mysql', 'mariadb', 'sqlite'].includes(String(c.type)),
  );
  const c = connections.find((x) => x.name === connection);
  if (!c)
    throw invalid(
      `server ${server} has no connection ${JSON.stringify(connection)}`,
      { server, connection, connections: sql.map((x) => String(x.name)) },
      sql.length > 0
        ? `Its database connections: ${sql.map((x) => String(x.name)).join(', ')}.`
        : `Server ${server} has no database connection.`,
    );
  const type = String(c.type);
  if (!sql.includes(c))
    throw invalid(`connection ${connection} of ${server} is a ${type} connection, not a database`, {
      server,
      connection,
      type,
    });
  const envVar = typeof c.envVar === 'string' ? c.envVar : undefined;
  const lookup = (): string | undefined => {
    if (!envVar) return undefined;
    const stored = readEnvFile(access.layout.envFile(server))[envVar];
    if (stored) return stored;
    const env = access.env ?? process.env;
    return env[envVar] || undefined;
  };
  const value = lookup();

  if (type === 'sqlite') {
    let file: string | undefined;
    if (value) {
      const projectDir = access.layout.projectDir(server, artifactHash);
      file = /^(sqlite3?|file):/i.test(value)
        ? parseUrlOr(value, server, connection, envVar)
        : isAbsolute(value)
          ? value
          : resolve(projectDir, value);
    } else if (typeof c.path === 'string') {
      file = join(
        access.layout.projectDir(server, artifactHash),
        shippedSqlitePath(connections, connection)!,
      );
    }
    if (!file)
      throw invalid(
        `connection ${connection} of ${server} has no database file: ${envVar ?? 'its variable'} is not set`,
        { server, connection, ...(envVar ? { envVar } : {}) },
        envVar ? `Deploy ${server} with --env ${envVar}=<file>, or export ${envVar}.` : undefined,
      );
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
    } catch {
      throw invalid(`the SQLite database of ${server}/${connection} (${file}) cannot be read`, {
        server,
        connection,
        file,
      });
    }
    return { dialect: 'sqlite', url: pathToFileURL(file).href, redacted: `sqlite:${file}`, file };
  }

  if (!value)
    throw invalid(
      `the URL of connection ${connection} of ${server} is not set: ${envVar} is neither in the factory's secret store for ${server} nor in the environment`,
      { server, connection, envVar },
      `Deploy ${server} with --env ${envVar}=<url>, or export ${envVar} before running the CLI.`,
    );
  let dialect: SqlDialectName;
  let redacted: string;
  try {
    ({ dialect, redacted } = parseDatabaseUrl(value));
  } catch {
    throw invalid(`${envVar} of ${server} is not a database URL: ${redactUrl(value)}`, {
      server,
      connection,
      envVar,
    });
  }
  const expected: SqlDialectName = type === 'postgresql' ? 'postgresql' : 'mysql';
  if (dialect !== expected)
    throw invalid(
      `${envVar} of ${server} is a ${dialect} URL (${redacted}) but connection ${connection} is ${type}`,
      { server, connection, envVar, url: redacted },
    );
  return { dialect, url: value.trim(), redacted };
}

function parseUrlOr(value: string, server: string, connection: string, envVar: string | undefined): string {
  try {
    return parseDatabaseUrl(value).file!;
  } catch {
    throw invalid(`${envVar} of ${server} does not name a SQLite file: ${redactUrl(value)}`, {
      server,
      connection,
    });
  }
}

/** Where the generator copied a SQLite connection's `path` in the project (src/build/generator/index.ts). */
function shippedSqlitePath(
  connections: Array<Record<string, unknown>>,
  connection: string,
): string | undefined {
  const used = new Set<string>();
  for (const c of connections) {
    if (c.type !== 'sqlite' || typeof c.path !== 'string' || !c.path) continue;
    let target = `data/${basename(c.path.replace(/\\/g, '/')) || 'database.db'}`;
    for (let i = 2; used.has(target); i++) target = target.replace(/(\.[^./]*)?$/, `-${i}$1`);
    used.add(target);
    if (c.name === connection) return target;
  }
  return undefined;
}

/** The introspected table the caller named: `table` in the default schema (or alone by that name), or `schema.table`. */
async function findTable(name: TableName, source: Source): Promise<TableInfo> {
  let schema: Awaited<ReturnType<typeof introspect>>;
  try {
    schema = await introspect(source.url, { connectTimeoutMs: 10_000 });
  } catch (error) {
    const e = error as FactoryError;
    throw invalid(
      `cannot read the tables of ${name.server}/${name.connection}: ${scrubSecrets(e.message ?? String(error), source.url)}`,
      {
        server: name.server,
        connection: name.connection,
        url: source.redacted,
        ...(e.code ? { cause: e.code } : {}),
      },
      e.issues?.[0]?.hint,
    );
  }
  const byName = schema.tables.filter((t) => t.name === name.table);
  const found =
    byName.find((t) => t.schema === schema.defaultSchema) ??
    (byName.length === 1 ? byName[0] : undefined) ??
    schema.tables.find((t) => `${t.schema}.${t.name}` === name.table);
  if (!found) {
    const known = schema.tables.map((t) =>
      t.schema === schema.defaultSchema ? t.name : `${t.schema}.${t.name}`,
    );
    throw invalid(
      `connection ${name.connection} of ${name.server} has no table ${JSON.stringify(name.table.slice(0, 200))}`,
      { server: name.server, connection: name.connection, tables: known.slice(0, 50) },
      known.length > 0
        ? `Its tables: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}.`
        : 'It has no table the connection may read.',
    );
  }
  return found;
}

// ---- reading

/** pg text parsers: exact integers, ISO timestamps (as the generated servers' runtime/sql-postgres.ts). */
const exactInteger = (t: string): unknown => (Number.isSafeInteger(Number(t)) ? Number(t) : t);
const localTimestamp = (t: string): unknown => t.replace(/^(\d{4,}-\d\d-\d\d) (?=\d)/, '$1T');
const utcTimestamp = (t: string): unknown => {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/.exec(
    t,
  );
  if (!m) return t;
  const [, y, mo, d, h, mi, s, frac = '', sign, oh, om = '0', os = '0'] = m;
  const offsetMs = (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os)) * 1000;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMs;
  return `${new Date(utc).toISOString().slice(0, 19)}${frac}Z`;
};
/** A decimal as a number when it keeps its digits (15 significant), else its text. */
const exactDecimal = (t: string): unknown => {
  const digits = t.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return /^-?\d+(\.\d+)?$/.test(t) && digits.length <= 15 ? Number(t) : t;
};
const PG_PARSERS: Record<number, (t: string) => unknown> = {
  20: exactInteger,
  1700: exactDecimal,
  1082: (t) => t,
  1083: (t) => t,
  1266: (t) => t,
  1114: localTimestamp,
  1184: utcTimestamp,
};

/** A JSON-safe cell: dates as ISO text, bigint as a number when exact, bytes as base64. */
export function tableCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return jsonInteger(value);
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(tableCell);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return tableCell(json.call(value));
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, tableCell(v)]));
}

/** NDJSON lines into a partial file, hashed and counted as written; stops past the limit. */
class NdjsonWriter {
  readonly partial: string;
  readonly #out: WriteStream;
  readonly #hash = createHash('sha256');
  #columns: string[] = [];
  bytes = 0;
  rows = 0;

  constructor(
    storeDir: string,
    private readonly maxBytes: number,
    private readonly tooBig: () => Error,
  ) {
    this.partial = join(storeDir, `.partial-${randomBytes(6).toString('hex')}.ndjson`);
    this.#out = createWriteStream(this.partial, { mode: 0o644, flags: 'wx' });
    this.#out.on('error', () => {
      /* surfaces on the next write or at the end */
    });
  }

  set columns(names: string[]) {
    this.#columns = names.map((n) => JSON.stringify(n));
  }

  /** Write one row (values in column order); resolves when the file can take more. */
  async row(values: readonly unknown[]): Promise<void> {
    const cells = this.#columns.map((key, i) => `${key}:${JSON.stringify(tableCell(values[i]))}`);
    const line = Buffer.from(`{${cells.join(',')}}\n`, 'utf8');
    this.bytes += line.length;
    if (this.bytes > this.maxBytes) throw this.tooBig();
    this.rows++;
    this.#hash.update(line);
    if (!this.#out.write(line)) {
      // A stream that already failed emits neither 'drain' nor 'error' again.
      if (this.#out.destroyed) throw this.#out.errored ?? new Error('the dataset file was closed');
      await once(this.#out, 'drain');
    }
  }

  async finish(): Promise<string> {
    if (this.#out.errored) throw this.#out.errored;
    await new Promise<void>((ok, fail) =>
      this.#out.end((error?: Error | null) => (error ? fail(error) : ok())),
    );
    return this.#hash.digest('hex');
  }

  async discard(): Promise<void> {
    await new Promise<void>((ok) => {
      if (this.#out.closed) ok();
      else {
        this.#out.once('close', () => ok());
        this.#out.destroy();
      }
    });
    await rm(this.partial, { force: true });
  }
}

function qualified(dialect: SqlDialectName, table: TableInfo): string {
  return `${quoteIdent(dialect, table.schema)}.${quoteIdent(dialect, table.name)}`;
}

async function readTable(
  given: string,
  where: string,
  table: TableInfo,
  source: Source,
  storeDir: string,
  maxBytes: number,
): Promise<DatasetRef> {
  await mkdir(storeDir, { recursive: true, mode: 0o755 });
  const writer = new NdjsonWriter(storeDir, maxBytes, () =>
    invalid(
      `the table ${where} is over the limit of ${maxBytes} bytes as NDJSON`,
      { given, maxBytes },
      'Raise `maxDatasetBytes` in the toolsmith policy, or analyse a smaller table or view.',
    ),
  );
  const sql = `SELECT * FROM ${qualified(source.dialect, table)}`;
  try {
    try {
      if (source.dialect === 'sqlite') await readSqlite(source.file!, sql, writer);
      else if (source.dialect === 'postgresql') await readPostgres(source.url, sql, writer);
      else await readMysql(source.url, sql, writer);
    } catch (error) {
      if (error instanceof FactoryError) throw error;
      const e = error as { message?: string; code?: unknown };
      throw invalid(
        `cannot read the table ${where}: ${scrubSecrets(String(e.message ?? error), source.url).slice(0, 500)}`,
        { given, url: source.redacted, ...(e.code !== undefined ? { driverCode: String(e.code) } : {}) },
      );
    }
    if (writer.rows === 0)
      throw invalid(`the table ${where} has no rows`, { given }, 'Analyse a table with data in it.');
    const sha256 = await writer.finish();
    const path = join(storeDir, `${sha256}.ndjson`);
    if (await exists(path)) await rm(writer.partial, { force: true });
    else await rename(writer.partial, path);
    return { given, path, sha256, format: 'ndjson', bytes: writer.bytes };
  } catch (error) {
    await writer.discard();
    throw error;
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

interface SqliteStatement {
  raw(on: boolean): SqliteStatement;
  safeIntegers(on: boolean): SqliteStatement;
  columns(): Array<{ name: string }>;
  iterate(): IterableIterator<unknown[]>;
}
interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

async function readSqlite(file: string, sql: string, writer: NdjsonWriter): Promise<void> {
  const mod = (await import('better-sqlite3')) as unknown as {
    default: new (file: string, options: object) => SqliteHandle;
  };
  const db = new mod.default(file, { readonly: true, fileMustExist: true });
  try {
    const statement = db.prepare(sql).raw(true).safeIntegers(true);
    writer.columns = statement.columns().map((c) => c.name);
    const rows = statement.iterate();
    try {
      for (const row of rows) await writer.row(row);
    } finally {
      rows.return?.();
    }
  } finally {
    db.close();
  }
}

async function readPostgres(url: string, sql: string, writer: NdjsonWriter): Promise<void> {
  const pg = (await import('pg')).default;
  const Cursor = ((await import('pg-cursor')) as unknown as { default: typeof import('pg-cursor') }).default;
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      (format ?? 'text') === 'text' && PG_PARSERS[oid]
        ? PG_PARSERS[oid]
        : pg.types.getTypeParser(oid, format as 'text'),
  };
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: 'mcp-factory-toolsmith',
  });
  client.on('error', () => {
    /* a dropped connection surfaces on the next read */
  });
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const cursor = client.query(new Cursor(sql, [], { rowMode: 'array', types: types as never }));
    try {
      for (let first = true; ; first = false) {
        const batch = (await cursor.read(first ? 100 : 1000)) as unknown[][];
        if (first) {
          const fields = (cursor as unknown as { _result: { fields: Array<{ name: string }> } })._result
            .fields;
          writer.columns = fields.map((f) => f.name);
        }
        if (batch.length === 0) break;
        for (const row of batch) await writer.row(row);
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface MysqlField {
  type: string;
  name: string;
  string(): string | null;
}

async function readMysql(url: string, sql: string, writer: NdjsonWriter): Promise<void> {
  const mysql = (await import('mysql2')).default;
  const conn = mysql.createConnection({ uri: url, connectTimeout: 10_000 });
  conn.on('error', () => {
    /* surfaces on the next read */
  });
  let complete = false;
  try {
    await conn.promise().query('START TRANSACTION READ ONLY');
    const typeCast = (field: MysqlField, next: () => unknown): unknown => {
      switch (field.type) {
        case 'LONGLONG': {
          const t = field.string();
          return t === null ? null : exactInteger(t);
        }
        case 'NEWDECIMAL':
        case 'DECIMAL': {
          const t = field.string();
          return t === null ? null : exactDecimal(t);
        }
        case 'DATE':
        case 'TIME':
          return field.string();
        case 'DATETIME':
        case 'TIMESTAMP': {
          const t = field.string();
          return t === null ? null : localTimestamp(t);
        }
        default:
          return next();
      }
    };
    const query = conn.query({ sql, rowsAsArray: true, typeCast: typeCast as never });
    query.on('fields', (fields: Array<{ name: string }>) => {
      writer.columns = fields.map((f) => f.name);
    });
    const rows = query.stream({ highWaterMark: 500 });
    try {
      for await (const row of rows) await writer.row(row as unknown[]);
    } finally {
      rows.destroy();
    }
    await conn.promise().query('COMMIT');
    complete = true;
  } finally {
    // A result read only in part leaves the connection busy: it is destroyed rather than ended.
    if (complete)
      await conn
        .promise()
        .end()
        .catch(() => undefined);
    else conn.destroy();
  }
}
