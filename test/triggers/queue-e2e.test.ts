/**
 * End to end: a generated server with a Redis Streams queue trigger whose `sql` tool inserts one row per message
 * into a PostgreSQL table keyed by the event id (the idempotency key, `ON CONFLICT DO NOTHING`). The server is
 * SIGKILLed while runs are in flight and started again: the new process reclaims the dead one's pending entries,
 * and every message ends as exactly one row (at-least-once delivery + idempotency keys = no lost message and no
 * duplicate side effect); every entry is acknowledged in the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { type HttpServerProcess, startHttp } from '../helpers/mcp.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { gates, uniqueName, waitFor } from './queue-helpers.js';

const redisGate = gates.redis();
const pgGate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
const MESSAGES = 30;

describe.skipIf((!redisGate.url || !pgGate.url) && !REQUIRE_SERVICES)(
  'queue trigger end to end (Redis → PostgreSQL)',
  () => {
    const table = uniqueName('mcpf_qt')
      .replace(/[^a-z0-9_]/gi, '_')
      .toLowerCase();
    const stream = uniqueName('mcpf-qt-e2e');
    let work: string;
    let bundle: string;
    let env: Record<string, string>;
    let server: HttpServerProcess | undefined;
    let redis: Redis;
    let db: pg.Client;

    const rows = async () =>
      (await db.query<{ key: string; n: number }>(`SELECT key, n FROM ${table} ORDER BY n`)).rows;

    beforeAll(async () => {
      if (!redisGate.url) throw new Error(redisGate.missing);
      if (!pgGate.url) throw new Error(pgGate.missing);
      redis = new Redis(redisGate.url);
      db = new pg.Client({ connectionString: pgGate.url });
      await db.connect();
      await db.query(
        `CREATE TABLE ${table} (key text PRIMARY KEY, n int NOT NULL, at timestamptz DEFAULT now())`,
      );
      work = mkdtempSync(join(tmpdir(), 'mcpf-qt-e2e-'));
      const result = validateSpec({
        name: 'queue-e2e',
        transport: 'http',
        connections: [{ name: 'db', type: 'postgresql', envVar: 'ORDERS_DB_URL' }],
        tools: [
          {
            name: 'record_order',
            description: 'Records an order once per idempotency key.',
            parameters: {
              key: { type: 'string', required: true },
              n: { type: 'integer', required: true },
            },
            sql: {
              connection: 'db',
              result: 'exec',
              // The pause keeps runs in flight long enough for the SIGKILL to land mid-run.
              statement: `INSERT INTO ${table} (key, n) SELECT :key, CAST(:n AS int) FROM pg_sleep(0.1) ON CONFLICT (key) DO NOTHING`,
            },
          },
        ],
        triggers: [
          {
            type: 'queue',
            broker: 'redis',
            urlEnv: 'ORDERS_QUEUE_URL',
            topic: stream,
            claimIdleMs: 1000,
            tool: 'record_order',
            arguments: { key: '{{event.id}}', n: '{{event.payload.n}}' },
          },
        ],
      });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      const created = await createServerProject({
        spec: result.spec!,
        specDir: work,
        outDir: join(work, 'server'),
        runTests: false,
      });
      bundle = created.bundle.file;
      env = {
        ORDERS_DB_URL: pgGate.url,
        ORDERS_QUEUE_URL: redisGate.url,
        MCP_TRIGGER_STATE_DIR: join(work, 'state'),
      };
    }, 180_000);

    afterAll(async () => {
      await server?.stop();
      await redis?.del(stream, `${stream}:dead`).catch(() => undefined);
      redis?.disconnect();
      await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await db?.end();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('SIGKILL mid-run, restart: every message is exactly one row and every entry is acknowledged', async () => {
      server = await startHttp(bundle, env);
      for (let n = 0; n < MESSAGES; n += 1) await redis.xadd(stream, '*', 'payload', JSON.stringify({ n }));
      await waitFor(async () => (await rows()).length >= 5, 30_000, 'the first rows');
      const child = server.child;
      child.kill('SIGKILL');
      await new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      server = undefined;
      const atKill = (await rows()).length;
      expect(atKill, 'the kill landed while messages were still to be run').toBeLessThan(MESSAGES);
      // Entries the dead process had read but not acknowledged: only a reclaim (XAUTOCLAIM) can bring them back.
      const pendingAtKill = ((await redis.xpending(stream, 'mcp-triggers')) as [number])[0];
      expect(pendingAtKill).toBeGreaterThan(0);

      server = await startHttp(bundle, env);
      await waitFor(async () => (await rows()).length === MESSAGES, 45_000, `all ${MESSAGES} rows`);
      await waitFor(
        async () => ((await redis.xpending(stream, 'mcp-triggers')) as [number])[0] === 0,
        30_000,
        'every entry acknowledged',
      );
      const final = await rows();
      expect(final.map((r) => r.n)).toEqual(Array.from({ length: MESSAGES }, (_, n) => n));
      expect(new Set(final.map((r) => r.key)).size).toBe(MESSAGES);
      expect(await redis.xlen(`${stream}:dead`)).toBe(0);
    });
  },
);
