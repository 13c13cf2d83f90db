/**
 * The two registry backends for describe.each: SQLite in a temporary data directory, and PostgreSQL in a
 * database of its own (`mcpf_registry_test_<random>`, created on the server of MCP_FACTORY_TEST_PG_URL and
 * dropped afterwards). PostgreSQL is gated like the other service tests (test/helpers/services.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { FactoryError } from '../../src/core/errors/index.js';
import type { OpenRegistryOptions } from '../../src/store/index.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';

export interface BackendHandle {
  options: OpenRegistryOptions;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  create(): Promise<BackendHandle>;
}

export const pgGate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL registry');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createPgDatabase(baseUrl: string): Promise<BackendHandle> {
  const name = `mcpf_registry_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    options: { url: withDatabase(baseUrl, name) },
    async cleanup() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function createSqliteHome(): BackendHandle {
  const home = mkdtempSync(join(tmpdir(), 'mcpf-registry-'));
  return {
    options: { home },
    async cleanup() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const SQLITE: Backend = { name: 'sqlite', create: async () => createSqliteHome() };

/** The backends this machine can test; registers a skip (or, with REQUIRE_SERVICES, a failure) for PostgreSQL. */
export function availableBackends(): Backend[] {
  const backends: Backend[] = [SQLITE];
  const url = pgGate.url;
  if (url) backends.push({ name: 'postgres', create: () => createPgDatabase(url) });
  else if (REQUIRE_SERVICES)
    it('postgres: required service is configured', () => expect.fail(pgGate.missing));
  else it.skip(`postgres: ${pgGate.missing}`, () => undefined);
  return backends;
}

/** The FactoryError a promise rejects with (fails the test when it resolves or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).name).toBe('FactoryError');
    return error as FactoryError;
  }
  return expect.fail('expected a FactoryError');
}

/** A deterministic sha256-like hex string. */
export function hash(seed: string | number): string {
  let h = '';
  let x = 0;
  for (const ch of String(seed)) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  while (h.length < 64) {
    x = (x * 1103515245 + 12345) >>> 0;
    h += x.toString(16).padStart(8, '0');
  }
  return h.slice(0, 64);
}
