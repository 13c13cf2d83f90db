/**
 * Opening a registry store: SQLite (better-sqlite3) in a data directory, or PostgreSQL (pg Pool) from a URL,
 * both behind one Kysely instance, migrated to the latest schema.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { loadConfig } from '../platform/config.js';
import { toRegistryError, withRetry } from './db-errors.js';
import { type FileIdentity, prepareOpen, recordIdentity } from './file-identity.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrationProvider, migrations } from './migrations.js';
import type { Backend, RegistryDatabase } from './schema.js';

export const REGISTRY_FILE = 'registry.db';

/** `MCP_FACTORY_HOME`, else `~/.mcp-factory`. */
export function defaultHome(env: Record<string, string | undefined> = process.env): string {
  return loadConfig(env).home;
}

/**
 * SQLite transactions start with BEGIN IMMEDIATE: the write lock is taken up front (waiting up to busy_timeout),
 * so a transaction never fails half-way when it upgrades from reading to writing — with a plain (deferred) BEGIN,
 * two processes that both read first deadlock and one gets SQLITE_BUSY at once, without waiting.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite has transactional DDL; saying so makes the Migrator run each migration run in one transaction. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class RegistrySqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

export interface Store {
  db: Kysely<RegistryDatabase>;
  backend: Backend;
  /** Where the data is: the SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  /** SQLite only: the journal mode actually in effect (`wal` unless the file system cannot do WAL). */
  journalMode: string | undefined;
  /** Whether the SQLite build has FTS5 and the index table exists (PostgreSQL always uses tsvector). */
  fts: boolean;
  /** SQLite only: the file opened (device + inode), checked before every operation (file-identity.ts). */
  identity: FileIdentity | undefined;
}

export interface StoreOptions {
  url?: string | undefined;
  home?: string | undefined;
  busyTimeoutMs?: number | undefined;
  poolSize?: number | undefined;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Resolve options to a backend: a PostgreSQL URL, a `sqlite:`/`file:` URL or path, or the data directory. */
export function registryTarget(
  options: StoreOptions,
): { backend: 'postgres'; url: string } | { backend: 'sqlite'; file: string } {
  const url = options.url?.trim();
  if (url) {
    if (/^postgres(?:ql)?:\/\//i.test(url)) return { backend: 'postgres', url };
    const m = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(url);
    if (m?.[1] && isAbsolute(m[1])) return { backend: 'sqlite', file: m[1] };
    throw new FactoryError(
      'REGISTRY_INVALID',
      `Unsupported registry URL ${redactUrl(url)}: use postgres://… or sqlite:/absolute/path/registry.db`,
    );
  }
  if (!options.home) {
    throw new FactoryError('REGISTRY_INVALID', 'openRegistry needs a url or a home directory', {
      details: { hint: 'Pass { home: defaultHome(process.env) } for the default data directory.' },
    });
  }
  return { backend: 'sqlite', file: join(resolve(options.home), REGISTRY_FILE) };
}

async function openSqlite(file: string, busyTimeoutMs: number): Promise<Store> {
  const dir = resolve(file, '..');
  let raw: Database.Database;
  let created = false;
  /** Ends the takeover of a replaced file (file-identity.ts) once its identity is recorded. */
  let opened: () => void = () => undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    opened = prepareOpen(file);
    created = !existsSync(file);
    raw = new Database(file, { timeout: busyTimeoutMs });
  } catch (error) {
    opened();
    if (error instanceof FactoryError) throw error;
    throw new FactoryError(
      'REGISTRY_UNAVAILABLE',
      `Cannot open the registry at ${file}: ${(error as Error).message}`,
      {
        details: { file },
        cause: error,
      },
    );
  }
  let journalMode: string | undefined;
  try {
    // busy_timeout first: the following pragmas may wait for another process that is opening the file too.
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    journalMode = await withRetry('Opening the registry', async () =>
      String(raw.pragma('journal_mode = WAL', { simple: true })).toLowerCase(),
    );
    // Durability: WAL never corrupts the database when a process is killed mid-write (an unfinished transaction
    // is simply absent after recovery), with synchronous NORMAL or FULL alike. NORMAL would still lose the last
    // acknowledged commits on an OS crash or power loss; FULL fsyncs the WAL at every commit so an acknowledged
    // version, deployment or audit entry is never lost. Registry writes are management-rate and metrics are
    // batched, so one fsync per commit is cheap enough.
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    // Bound the WAL file left behind after checkpoints (it otherwise keeps its largest size).
    raw.pragma('journal_size_limit = 67108864');
    if (created) chmodSync(file, 0o600);
  } catch (error) {
    raw.close();
    opened();
    throw toRegistryError(error, `Opening the registry at ${file}`);
  }
  // Taken after the pragmas: the file certainly exists now, and this connection holds it.
  let identity: FileIdentity | undefined;
  try {
    identity = recordIdentity(file);
  } finally {
    opened();
  }
  const db = new Kysely<RegistryDatabase>({ dialect: new RegistrySqliteDialect({ database: raw }) });
  return { db, backend: 'sqlite', location: file, journalMode, fts: false, identity };
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  // Loaded only for a PostgreSQL registry: a SQLite home's commands do not pay for the driver.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'mcp-factory-registry',
  });
  // An idle client losing its connection (server restart) is reported here; the pool discards it and the
  // next query connects again. Without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<RegistryDatabase>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    backend: 'postgres',
    location: redactUrl(url),
    journalMode: undefined,
    fts: true,
    identity: undefined,
  };
}

/** Apply pending migrations. A fast path skips the Migrator (and its write lock) when the schema is current. */
async function migrate(store: Store): Promise<void> {
  const known = Object.keys(migrations(store.backend));
  const applied = await withRetry('Reading the registry schema version', async () => {
    try {
      const rows = await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)}`.execute(
        store.db,
      );
      return rows.rows.map((r) => r.name);
    } catch (error) {
      if (/no such table|does not exist/i.test((error as Error).message)) return [];
      throw error;
    }
  });
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new FactoryError(
      'REGISTRY_INCOMPATIBLE',
      `The registry at ${store.location} has schema migrations this version does not know: ${unknown.join(', ')}`,
      { details: { unknownMigrations: unknown } },
    );
  }
  if (known.every((name) => applied.includes(name))) return;
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider(store.backend),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  await withRetry('Migrating the registry', async () => {
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  });
}

/** Open and migrate a store; on failure nothing stays open. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const t = registryTarget(options);
  const store =
    t.backend === 'postgres'
      ? await openPostgres(t.url, options.poolSize ?? 10)
      : await openSqlite(t.file, options.busyTimeoutMs ?? 5000);
  try {
    await migrate(store);
    if (store.backend === 'sqlite') {
      const fts = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM sqlite_master WHERE name = 'mcpf_tools_fts'`
        .execute(store.db)
        .then((r) => Number(r.rows[0]?.n ?? 0) > 0);
      store.fts = fts;
    }
    return store;
  } catch (error) {
    await store.db.destroy().catch(() => undefined);
    throw toRegistryError(error, `Opening the registry at ${store.location}`);
  }
}
