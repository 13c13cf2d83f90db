/**
 * A throw-away database per dialect for tests that run the same checks on PostgreSQL, MariaDB and SQLite:
 * created from a few DDL/DML statements, queried directly (the reference for effects), dropped afterwards.
 * PostgreSQL and MariaDB come from MCP_FACTORY_TEST_PG_URL / MCP_FACTORY_TEST_MYSQL_URL (skipped visibly
 * without them, see helpers/services.ts); SQLite is always there.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { type ServiceGate, serviceGate } from '../helpers/services.js';

export type ScratchDialect = 'postgresql' | 'mariadb' | 'sqlite';

export interface ScratchDb {
  dialect: ScratchDialect;
  /** What `create --db` / importDatabase takes. */
  url: string;
  /** The environment a generated server over it needs. */
  env: Record<string, string>;
  /** SQLite: the database file. */
  file?: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export const GATES: Record<ScratchDialect, ServiceGate> = {
  postgresql: serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL'),
  mariadb: serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB'),
  sqlite: { url: 'sqlite', missing: undefined },
};

/** Whether to skip a dialect's tests (never when MCP_FACTORY_REQUIRE_SERVICES turns a skip into a failure). */
export const skipDialect = (d: ScratchDialect): boolean =>
  Boolean(GATES[d].missing) && !process.env.MCP_FACTORY_REQUIRE_SERVICES;

/** `sqliteDir`: where the SQLite file goes (default a new folder in the temp dir); made world-readable. */
export async function createScratchDb(
  dialect: ScratchDialect,
  statements: string[],
  options: { sqliteDir?: string } = {},
): Promise<ScratchDb> {
  const gate = GATES[dialect];
  if (gate.missing) throw new Error(gate.missing);
  const name = `mcpf_ks_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(options.sqliteDir ?? tmpdir(), 'mcpf-scratch-'));
    const file = join(dir, `${name}.db`);
    const db = new Database(file);
    for (const s of statements) db.exec(s);
    db.close();
    // Generated tests may read it as another user (the sandbox's own uid).
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);
    return {
      dialect,
      url: `sqlite:${file}`,
      env: { DATABASE_PATH: file },
      file,
      async query(sql) {
        const reader = new Database(file, { readonly: true });
        try {
          return reader.prepare(sql).all() as Record<string, unknown>[];
        } finally {
          reader.close();
        }
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const u = new URL(gate.url!);
  u.pathname = `/${name}`;
  const url = u.toString();
  if (dialect === 'postgresql') {
    const admin = new pg.Client({ connectionString: gate.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const run = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    };
    await run(async (c) => {
      for (const s of statements) await c.query(s);
    });
    return {
      dialect,
      url,
      env: { DATABASE_URL: url },
      query: (sql) => run(async (c) => (await c.query(sql)).rows),
      async drop() {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const admin = await mysql.createConnection({ uri: gate.url! });
  await admin.query(`CREATE DATABASE ${name}`);
  const run = async <T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true });
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  await run(async (c) => {
    for (const s of statements) await c.query(s);
  });
  return {
    dialect,
    url,
    env: { DATABASE_URL: url },
    query: (sql) => run(async (c) => (await c.query(sql))[0] as Record<string, unknown>[]),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
