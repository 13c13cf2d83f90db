/**
 * Database trigger (PostgreSQL LISTEN/NOTIFY) inside a generated server, checked by effect: a NOTIFY runs the
 * tool with the payload; after the listener's backend is killed (pg_terminate_backend) the trigger reconnects,
 * delivers one `{ reconnected: true }` event, and NOTIFYs run the tool again. A channel name needing quotes is
 * listened to as named. Needs MCP_FACTORY_TEST_PG_URL (skips visibly without it, unless services are required).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { type HttpServerProcess, startHttp } from '../helpers/mcp.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { RECORD_TOOL, runLines, until } from './server-helpers.js';

const gate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
const CHANNEL = `trig_${process.pid}_Orders`;

let work: string;
let out: string;
let http: HttpServerProcess | undefined;
let admin: pg.Client;

const ends = () => runLines(out).filter((l) => l.phase === 'end');
const notify = (payload: string) => admin.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
const listeners = async () =>
  (
    await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'mcp-trigger-listener' AND datname = current_database()",
    )
  ).rows.map((r) => r.pid);

describe.skipIf(!gate.url && !REQUIRE_SERVICES)('database trigger (LISTEN/NOTIFY)', () => {
  beforeAll(async () => {
    if (!gate.url) throw new Error(gate.missing);
    admin = new pg.Client({ connectionString: gate.url });
    await admin.connect();
    work = mkdtempSync(join(tmpdir(), 'mcpf-trigdb-'));
    out = join(work, 'runs.jsonl');
    const result = validateSpec({
      name: 'triggers-database',
      transport: 'http',
      connections: [{ name: 'main', type: 'postgresql', envVar: 'PG_URL' }],
      tools: [RECORD_TOOL],
      triggers: [
        {
          type: 'database',
          connection: 'main',
          channel: CHANNEL,
          tool: 'record',
          arguments: { source: 'notify', value: '{{event.payload.order}}' },
          retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 50 },
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
    http = await startHttp(created.bundle.file, {
      OUT_FILE: out,
      PG_URL: gate.url,
      MCP_TRIGGER_STATE_DIR: join(work, 'state'),
    });
  }, 180_000);

  afterAll(async () => {
    await http?.stop();
    await admin?.end().catch(() => undefined);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a NOTIFY runs the tool with its payload', async () => {
    // The listener connects after the transport is up: notify until it has heard one.
    const deadline = Date.now() + 20_000;
    while (!ends().some((l) => l.value === 'o-1') && Date.now() < deadline) {
      if ((await listeners()).length) await notify(JSON.stringify({ order: 'o-1' }));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(ends().some((l) => l.value === 'o-1')).toBe(true);
  });

  it('survives pg_terminate_backend of its listener, with one reconnected event', async () => {
    const before = await listeners();
    expect(before.length).toBe(1);
    await admin.query('SELECT pg_terminate_backend($1)', [before[0]]);
    // The catch-up event: the tool runs with no order (the payload is { reconnected: true }).
    await until(() => ends().some((l) => l.value === null), 30_000, 'the reconnected event');
    const after = await listeners();
    expect(after.length).toBe(1);
    expect(after[0]).not.toBe(before[0]);
    await notify(JSON.stringify({ order: 'o-2' }));
    await until(() => ends().some((l) => l.value === 'o-2'), 20_000, 'the NOTIFY after reconnecting');
    expect(ends().filter((l) => l.value === null)).toHaveLength(1);
    expect(ends().map((l) => l.value)).toEqual(expect.arrayContaining(['o-1', 'o-2']));
  }, 60_000);

  it('a NOTIFY on another channel (same name without the quotes) runs nothing', async () => {
    const count = ends().length;
    await admin.query(`NOTIFY ${CHANNEL.toLowerCase()}, '{"order":"wrong"}'`);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ends().length).toBe(count);
  });
});
