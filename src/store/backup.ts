/**
 * Backup and inspection of a SQLite registry, without opening it as a registry (no migration, never creating
 * a file). A backup uses SQLite's online backup API: a consistent copy while the supervisor and the CLI keep
 * writing, committed transactions only (the WAL included), never a torn file as `cp` of a live database can
 * give. The copy is written beside its destination and renamed into place once its integrity check passes.
 *
 * Restoring (README, "Backup and restore"): stop the supervisor, move the backup over registry.db (removing
 * registry.db-wal and registry.db-shm), start again.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FactoryError } from '../core/errors/index.js';
import { registryTarget, type StoreOptions } from './connect.js';
import { isCorrupt, toRegistryError } from './db-errors.js';

/** The SQLite file of a registry configuration; PostgreSQL registries are backed up with pg_dump. */
export function registrySqliteFile(options: StoreOptions): string {
  const t = registryTarget(options);
  if (t.backend === 'postgres') {
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      'the registry is a PostgreSQL database: back it up with pg_dump',
      {
        details: { hint: 'pg_dump --format=custom --file registry.dump "$MCP_FACTORY_REGISTRY_URL"' },
      },
    );
  }
  return t.file;
}

export interface IntegrityReport {
  ok: boolean;
  /** `ok`, or the problems SQLite found (first few). */
  messages: string[];
}

/** Open an existing SQLite file read-only (REGISTRY_NOT_FOUND when it does not exist). */
function openExisting(file: string): Database.Database {
  if (!existsSync(file)) {
    throw new FactoryError('REGISTRY_NOT_FOUND', `there is no registry at ${file}`, {
      details: {
        file,
        hint: 'Check --home / MCP_FACTORY_HOME; a registry is created by the first create or deploy.',
      },
    });
  }
  try {
    return new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (error) {
    throw toRegistryError(error, `Opening ${file}`);
  }
}

/** PRAGMA quick_check of `file` (REGISTRY_CORRUPT is reported as ok: false, not thrown). */
export function checkIntegrity(file: string): IntegrityReport {
  const db = openExisting(file);
  try {
    const rows = db.pragma('quick_check(5)') as Array<{ quick_check: string }>;
    const messages = rows.map((r) => String(r.quick_check));
    return { ok: messages.length === 1 && messages[0] === 'ok', messages };
  } catch (error) {
    if (isCorrupt(error)) return { ok: false, messages: [(error as Error).message] };
    throw toRegistryError(error, `Checking ${file}`);
  } finally {
    db.close();
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  ms: number;
}

/** Copy the registry `source` to `destination` (0600), consistently, then verify the copy. */
export async function backupSqlite(
  source: string,
  destination: string,
  options: { force?: boolean } = {},
): Promise<BackupResult> {
  const t0 = performance.now();
  const to = resolve(destination);
  if (to === resolve(source) || to.startsWith(`${resolve(source)}-`)) {
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `the backup cannot be written over the registry itself (${to})`,
    );
  }
  if (existsSync(to) && !options.force) {
    throw new FactoryError('INVALID_ARGUMENTS', `${to} already exists`, {
      details: { hint: 'Choose another file name, or pass --force to replace it.' },
    });
  }
  if (!existsSync(dirname(to))) {
    throw new FactoryError('INVALID_ARGUMENTS', `the folder ${dirname(to)} does not exist`, {
      details: { hint: 'Create the folder first, or name a file in an existing one.' },
    });
  }
  const partial = join(dirname(to), `.${basename(to)}.partial-${randomBytes(4).toString('hex')}`);
  const db = openExisting(source);
  try {
    await db.backup(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw toRegistryError(error, `Backing up ${source}`);
  } finally {
    db.close();
  }
  try {
    chmodSync(partial, 0o600);
    const check = checkIntegrity(partial);
    if (!check.ok) {
      throw new FactoryError(
        'REGISTRY_CORRUPT',
        `the copy of ${source} fails its integrity check: ${check.messages.join('; ')}`,
      );
    }
    renameSync(partial, to);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return { file: to, bytes: statSync(to).size, ms: performance.now() - t0 };
}
