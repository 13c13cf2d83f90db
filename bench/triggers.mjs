#!/usr/bin/env node
/**
 * Trigger latency benchmark (docs/triggers.md): event → tool start, p50/p99, for a signed webhook and a
 * PostgreSQL NOTIFY, against a baseline measured in the same run on the same server and tool: a direct MCP
 * `tools/call` over HTTP (SDK client, 2026-07-28). The tool (a code tool) appends `performance.timeOrigin +
 * performance.now()` to a file as its first statement; the sender notes the same clock just before it sends, so
 * the figure is the one-way time from "event sent" to "tool body running" (both processes read the same wall
 * clock at sub-millisecond resolution). Events are sequential (the next is sent once the previous tool started);
 * variants alternate per round (call, webhook, notify, call, …) so background load hits all alike; figures are
 * medians over rounds, ratios are variant / baseline. Nothing is asserted on time.
 *
 *   npm run build && node bench/triggers.mjs            # NOTIFY too when MCP_FACTORY_TEST_PG_URL is set
 *   node bench/triggers.mjs --quick
 *
 * Knobs: BENCH_TRIGGER_EVENTS (events per variant per round, 200; quick 40), BENCH_TRIGGER_ROUNDS (3; quick 1).
 * The scratch folder .tmp/bench-triggers-<pid>/ is removed at the end. The last line is `BENCH_JSON {…}`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { killAll, median, pct, ROOT, r2, sleep, startHttpServer, stopChild, table } from './lib.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' } } });
const quick = args.quick === true;
const EVENTS = Number(process.env.BENCH_TRIGGER_EVENTS ?? (quick ? 40 : 200));
const ROUNDS = Number(process.env.BENCH_TRIGGER_ROUNDS ?? (quick ? 1 : 3));
const PG_URL = process.env.MCP_FACTORY_TEST_PG_URL;
const CHANNEL = `bench_trig_${process.pid}`;
const now = () => performance.timeOrigin + performance.now();
const watchdog = setTimeout(() => {
  process.stderr.write('trigger bench: watchdog (10 min) fired\n');
  killAll();
  process.exit(2);
}, 600_000);
watchdog.unref();

const work = join(ROOT, '.tmp', `bench-triggers-${process.pid}`);
const marks = join(work, 'marks.txt');
const secret = `whsec_${randomBytes(32).toString('base64')}`;

function spec() {
  return {
    name: 'bench-triggers',
    transport: 'http',
    production: { logLevel: 'warn', metrics: true },
    connections: PG_URL ? [{ name: 'main', type: 'postgresql', envVar: 'PG_URL' }] : [],
    tools: [
      {
        name: 'mark',
        description: 'Notes when it started.',
        parameters: { tag: { type: 'string', required: true } },
        code: {
          source: [
            'const t = performance.timeOrigin + performance.now();',
            "const fs = await import('node:fs');",
            "fs.appendFileSync(ctx.env('MARKS_FILE'), args.tag + ' ' + t + '\\n');",
            "return 'ok';",
          ].join('\n'),
          hostAccess: { modules: ['fs'], reason: 'the benchmark reads when each run started' },
        },
      },
    ],
    triggers: [
      {
        type: 'webhook',
        path: '/bench',
        secretEnv: 'BENCH_HOOK_SECRET',
        tool: 'mark',
        arguments: { tag: '{{event.payload.tag}}' },
        concurrency: 1,
      },
      ...(PG_URL
        ? [
            {
              type: 'database',
              connection: 'main',
              channel: CHANNEL,
              tool: 'mark',
              arguments: { tag: '{{event.payload.tag}}' },
              concurrency: 1,
            },
          ]
        : []),
    ],
  };
}

/** Waits (polling the marks file) until `tag` has started; returns its start time. */
async function startedAt(tag, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs;
  const needle = `${tag} `;
  for (;;) {
    if (existsSync(marks)) {
      const text = readFileSync(marks, 'utf8');
      const at = text.lastIndexOf(needle);
      if (at >= 0) return Number(text.slice(at + needle.length, text.indexOf('\n', at)));
    }
    if (Date.now() > until) throw new Error(`event ${tag} never ran the tool`);
    await sleep(1);
  }
}

async function main() {
  await mkdir(work, { recursive: true });
  const api = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
  const { Webhook } = await import('standardwebhooks');
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const checked = api.validateSpec(spec());
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  const created = await api.createServerProject({
    spec: checked.spec,
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  const server = await startHttpServer('generated', {
    bundle: created.bundle.file,
    env: {
      MARKS_FILE: marks,
      BENCH_HOOK_SECRET: secret,
      MCP_TRIGGER_STATE_DIR: join(work, 'state'),
      ...(PG_URL ? { PG_URL } : {}),
    },
  });
  const hook = new URL('/bench', server.url).toString();
  const signer = new Webhook(secret);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  let pgClient;
  if (PG_URL) {
    const { default: pg } = await import('pg');
    pgClient = new pg.Client({ connectionString: PG_URL });
    await pgClient.connect();
  }

  let seq = 0;
  const variants = {
    'tools/call (baseline)': async (tag) => {
      const t0 = now();
      await client.callTool({ name: 'mark', arguments: { tag } });
      return (await startedAt(tag)) - t0;
    },
    webhook: async (tag) => {
      const body = JSON.stringify({ tag });
      const id = `msg_${tag}`;
      const at = new Date();
      const headers = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(id, at, body),
      };
      const t0 = now();
      const res = await fetch(hook, { method: 'POST', body, headers });
      await res.arrayBuffer();
      if (res.status === 503) return undefined; // still starting: not a sample
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      return (await startedAt(tag)) - t0;
    },
    ...(pgClient
      ? {
          notify: async (tag) => {
            const t0 = now();
            await pgClient.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ tag })]);
            return (await startedAt(tag)) - t0;
          },
        }
      : {}),
  };

  // Warm-up: every path once (JIT, the listener connected, the validator compiled).
  for (const [name, run] of Object.entries(variants)) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await run(`warm-${name.replace(/\W/g, '')}-${seq++}`)) !== undefined) break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await sleep(100);
    }
  }

  const rounds = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const samples = [];
      while (samples.length < EVENTS) {
        const ms = await run(`r${round}-${seq++}`);
        if (ms !== undefined) samples.push(ms);
      }
      samples.sort((a, b) => a - b);
      rounds[name].push({ p50: pct(samples, 0.5), p99: pct(samples, 0.99) });
    }
  }

  const figures = Object.fromEntries(
    Object.entries(rounds).map(([name, rs]) => [
      name,
      { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) },
    ]),
  );
  const base = figures['tools/call (baseline)'];
  table(
    `Trigger latency: event sent → tool started (ms; median over ${ROUNDS} round(s) of ${EVENTS} sequential events)`,
    ['path', 'p50', 'p99', 'p50 / baseline', 'p99 / baseline'],
    Object.entries(figures).map(([name, f]) => [
      name,
      r2(f.p50),
      r2(f.p99),
      r2(f.p50 / base.p50),
      r2(f.p99 / base.p99),
    ]),
  );
  if (!pgClient) process.stderr.write('[skip] notify: MCP_FACTORY_TEST_PG_URL is not set\n');

  await client.close();
  await pgClient?.end();
  await stopChild(server.child);
  process.stdout.write(
    `BENCH_JSON ${JSON.stringify({ events: EVENTS, rounds: ROUNDS, figures, perRound: rounds })}\n`,
  );
}

main()
  .catch((error) => {
    process.stderr.write(`trigger bench failed: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    killAll();
    await rm(work, { recursive: true, force: true });
  });
