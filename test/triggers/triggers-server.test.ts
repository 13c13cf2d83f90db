/**
 * Triggers inside a generated server over HTTP, checked by effect (the `record` tool appends a line per run):
 * a signed webhook runs the tool once; a replayed webhook-id, a wrong signature, an old timestamp, an oversized
 * body and a payload failing the schema run nothing and the server keeps answering; cron fires every second
 * without overlapping runs; a file trigger fires for a new file in its folder and never for a symlink pointing
 * outside; a failing tool is retried then dead-lettered with one history line per attempt; after a SIGKILL the
 * restarted server does not run again an event whose key succeeded, but does run the one that was cut off, and
 * the startup trigger ran once per process start. With MCP_TRIGGERS=off nothing runs and webhook paths are 404.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, type HttpServerProcess, startHttp, textOf } from '../helpers/mcp.js';
import {
  FLAKY_TOOL,
  jsonLines,
  newWebhookSecret,
  RECORD_TOOL,
  runLines,
  signedHeaders,
  until,
} from './server-helpers.js';

let work: string;
let bundle: string;
let http: HttpServerProcess | undefined;
const secret = newWebhookSecret();
let env: Record<string, string>;
let out: string;
let stateDir: string;
let fileRoot: string;
let outside: string;

const hookUrl = (path: string) => new URL(path, http!.url).toString();
const lines = () => runLines(out);
const ends = (source: string) => lines().filter((l) => l.phase === 'end' && l.source === source);

async function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(hookUrl(path), { method: 'POST', body, headers });
  await res.arrayBuffer();
  return res.status;
}

/** As a Standard Webhooks sender does: retry while the server answers 503 (starting up). */
async function postRetrying(
  path: string,
  body: string,
  headers: () => Record<string, string>,
): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await post(path, body, headers());
    if (status !== 503 || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stillAnswers(): Promise<void> {
  const client = await connectHttp(http!.url, '2026-07-28');
  expect(textOf(await client.callTool({ name: 'record', arguments: { source: 'direct' } }))).toBe('ok');
  await client.close();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-trig-'));
  out = join(work, 'runs.jsonl');
  stateDir = join(work, 'state');
  fileRoot = join(work, 'files');
  outside = join(work, 'outside');
  mkdirSync(join(fileRoot, 'inbox'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'not for triggers');
  const result = validateSpec({
    name: 'triggers-server',
    transport: 'http',
    tools: [RECORD_TOOL, FLAKY_TOOL],
    triggers: [
      {
        type: 'webhook',
        path: '/hook',
        secretEnv: 'HOOK_SECRET',
        schema: { type: 'object', required: ['sku'], properties: { sku: { type: 'string', maxLength: 20 } } },
        maxBodyBytes: 2048,
        tool: 'record',
        arguments: { source: 'webhook', value: '{{event.payload.sku}}' },
      },
      {
        type: 'cron',
        schedule: '* * * * * *',
        tool: 'record',
        arguments: { source: 'cron', sleepMs: 1500 },
      },
      {
        type: 'file',
        path: 'inbox',
        glob: '**/*.txt',
        debounceMs: 100,
        tool: 'record',
        arguments: { source: 'file', value: '{{event.payload.path}}' },
      },
      {
        type: 'webhook',
        path: '/fail',
        unsigned: true,
        tool: 'flaky',
        arguments: { value: '{{event.payload.n}}' },
        retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
      },
      {
        type: 'webhook',
        path: '/slow',
        secretEnv: 'HOOK_SECRET',
        tool: 'record',
        idempotencyKey: '{{event.payload.order}}',
        arguments: { source: 'slow', value: '{{event.payload.order}}', sleepMs: 2500 },
      },
      {
        type: 'startup',
        tool: 'record',
        arguments: { source: 'startup', value: 'pid {{event.payload.pid}}' },
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
    OUT_FILE: out,
    HOOK_SECRET: secret,
    MCP_TRIGGER_STATE_DIR: stateDir,
    MCP_TRIGGER_FILE_ROOT: fileRoot,
  };
  http = await startHttp(bundle, env);
}, 180_000);

afterAll(async () => {
  await http?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('webhook trigger', () => {
  it('a signed webhook runs the tool once, with the payload mapped into its arguments', async () => {
    const body = JSON.stringify({ sku: 'SKU-1' });
    expect(await post('/hook', body, signedHeaders(secret, 'msg_ok_1', body))).toBe(202);
    await until(() => ends('webhook').length === 1, 20_000, 'the webhook run');
    expect(ends('webhook')[0]!.value).toBe('SKU-1');
  });

  it('refused requests run nothing and the server keeps answering', async () => {
    const body = JSON.stringify({ sku: 'SKU-BAD' });
    const longSku = JSON.stringify({ sku: 'z'.repeat(30) });
    const statuses = {
      // The same webhook-id again, validly signed: a replay.
      replay: await post(
        '/hook',
        JSON.stringify({ sku: 'SKU-1' }),
        signedHeaders(secret, 'msg_ok_1', JSON.stringify({ sku: 'SKU-1' })),
      ),
      wrongSecret: await post('/hook', body, signedHeaders(newWebhookSecret(), 'msg_bad_1', body)),
      unsigned: await post('/hook', body, { 'content-type': 'application/json' }),
      tamperedBody: await post(
        '/hook',
        JSON.stringify({ sku: 'SKU-EVIL' }),
        signedHeaders(secret, 'msg_bad_2', body),
      ),
      oldTimestamp: await post(
        '/hook',
        body,
        signedHeaders(secret, 'msg_bad_3', body, new Date(Date.now() - 3_600_000)),
      ),
      futureTimestamp: await post(
        '/hook',
        body,
        signedHeaders(secret, 'msg_bad_4', body, new Date(Date.now() + 3_600_000)),
      ),
      oversized: await post(
        '/hook',
        JSON.stringify({ sku: 'x', pad: 'y'.repeat(4096) }),
        signedHeaders(secret, 'msg_bad_5', JSON.stringify({ sku: 'x', pad: 'y'.repeat(4096) })),
      ),
      schemaMissingField: await post(
        '/hook',
        '{"nosku":1}',
        signedHeaders(secret, 'msg_bad_6', '{"nosku":1}'),
      ),
      schemaTooLong: await post('/hook', longSku, signedHeaders(secret, 'msg_bad_7', longSku)),
      notJson: await post('/hook', '{"sku":', signedHeaders(secret, 'msg_bad_8', '{"sku":')),
      protoPayload: await post(
        '/hook',
        '{"__proto__":{"sku":"p"}}',
        signedHeaders(secret, 'msg_bad_9', '{"__proto__":{"sku":"p"}}'),
      ),
    };
    expect(statuses).toEqual({
      replay: 409,
      wrongSecret: 401,
      unsigned: 401,
      tamperedBody: 401,
      oldTimestamp: 401,
      futureTimestamp: 401,
      oversized: 413,
      schemaMissingField: 422,
      schemaTooLong: 422,
      notJson: 400,
      protoPayload: 422,
    });
    await stillAnswers();
    // Give any wrongly accepted event time to run: still exactly the one run of the first test.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ends('webhook').map((l) => l.value)).toEqual(['SKU-1']);
    const res = await fetch(new URL('/health', http!.url));
    expect(res.status).toBe(200);
  });

  it('the MCP endpoint is not reachable through a webhook route, nor a webhook through a wrong method', async () => {
    const body = JSON.stringify({ sku: 'SKU-2' });
    const res = await fetch(hookUrl('/hook'), {
      method: 'PUT',
      body,
      headers: signedHeaders(secret, 'msg_put', body),
    });
    expect(res.status).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    expect(ends('webhook').map((l) => l.value)).toEqual(['SKU-1']);
  });
});

describe('cron trigger', () => {
  it('fires every second and never overlaps a running run', async () => {
    await until(() => ends('cron').length >= 2, 20_000, 'two cron runs');
    const starts = lines().filter((l) => l.source === 'cron');
    // Each start is followed by its own end before the next start: no two runs at once.
    for (let i = 0; i + 1 < starts.length; i += 2) {
      expect(starts[i]!.phase).toBe('start');
      expect(starts[i + 1]!.phase).toBe('end');
    }
  });
});

describe('file trigger', () => {
  it('fires for a new file in its folder, and never for a symlink pointing outside', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(fileRoot, 'inbox', 'evil.txt'));
    symlinkSync(outside, join(fileRoot, 'inbox', 'evil-dir'));
    writeFileSync(join(outside, 'later.txt'), 'outside, reached through the linked folder');
    writeFileSync(join(fileRoot, 'inbox', 'ignored.csv'), 'not matching the glob');
    writeFileSync(join(fileRoot, 'inbox', 'order.txt'), 'hello');
    await until(() => ends('file').length >= 1, 20_000, 'the file run');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ends('file').map((l) => l.value)).toEqual(['order.txt']);
  });
});

describe('retries and dead letters', () => {
  it('a tool that keeps failing is tried maxAttempts times, then dead-lettered with the event', async () => {
    // A web page cannot trigger the unsigned webhook (browsers send Origin): nothing runs.
    const fromBrowser = await post('/fail', JSON.stringify({ n: 'browser' }), {
      'content-type': 'text/plain',
      origin: 'https://evil.example',
    });
    expect(fromBrowser).toBe(403);
    const status = await post('/fail', JSON.stringify({ n: 'x1' }), { 'content-type': 'application/json' });
    expect(status).toBe(202);
    await until(
      () => jsonLines(join(stateDir, 'trigger-dead-letters.jsonl')).length === 1,
      20_000,
      'the dead letter',
    );
    expect(lines().filter((l) => l.source === 'flaky')).toHaveLength(3);
    const history = jsonLines<{ trigger: number; attempt: number; outcome: string; error?: string }>(
      join(stateDir, 'trigger-runs.jsonl'),
    ).filter((r) => r.trigger === 3);
    expect(history.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'dead-lettered'],
    ]);
    expect(history[0]!.error).toContain('flaky failed on purpose');
    const [dead] = jsonLines<{ event: { payload: unknown }; attempts: number }>(
      join(stateDir, 'trigger-dead-letters.jsonl'),
    );
    expect(dead!.attempts).toBe(3);
    expect(dead!.event.payload).toEqual({ n: 'x1' });
  });
});

describe('metrics', () => {
  it('exports trigger runs by outcome and their duration', async () => {
    const text = await (await fetch(new URL('/metrics', http!.url))).text();
    expect(text).toMatch(/mcp_trigger_runs_total\{trigger="0",type="webhook",outcome="succeeded"\} 1/);
    expect(text).toMatch(/mcp_trigger_runs_total\{trigger="3",type="webhook",outcome="dead-lettered"\} 1/);
    expect(text).toContain('mcp_trigger_run_duration_seconds_bucket');
  });
});

describe('crash and restart', () => {
  it('after SIGKILL, a key that succeeded is not run again; the cut-off one runs', async () => {
    const first = JSON.stringify({ order: 'o-1' });
    expect(await post('/slow', first, signedHeaders(secret, 'msg_slow_1', first))).toBe(202);
    await until(() => ends('slow').length === 1, 20_000, 'the first slow run');
    const second = JSON.stringify({ order: 'o-2' });
    expect(await post('/slow', second, signedHeaders(secret, 'msg_slow_2', second))).toBe(202);
    await until(
      () => lines().some((l) => l.source === 'slow' && l.value === 'o-2' && l.phase === 'start'),
      20_000,
      'o-2 started',
    );
    http!.child.kill('SIGKILL');
    await new Promise<void>((r) =>
      http!.child.exitCode !== null ? r() : http!.child.once('exit', () => r()),
    );
    http = await startHttp(bundle, env);
    // The sender retries both (new delivery ids): o-1 already succeeded, o-2 never finished.
    expect(await postRetrying('/slow', first, () => signedHeaders(secret, 'msg_slow_1b', first))).toBe(202);
    expect(await postRetrying('/slow', second, () => signedHeaders(secret, 'msg_slow_2b', second))).toBe(202);
    await until(() => ends('slow').some((l) => l.value === 'o-2'), 20_000, 'o-2 run after restart');
    await new Promise((r) => setTimeout(r, 500));
    expect(ends('slow').map((l) => l.value)).toEqual(['o-1', 'o-2']);
    // The startup trigger ran once per process start.
    await until(() => ends('startup').length === 2, 20_000, 'the second startup run');
    const history = jsonLines<{ trigger: number; key: string; outcome: string }>(
      join(stateDir, 'trigger-runs.jsonl'),
    );
    expect(history.filter((r) => r.trigger === 4 && r.outcome === 'duplicate').map((r) => r.key)).toEqual([
      '4:o-1',
    ]);
  }, 60_000);
});

describe('MCP_TRIGGERS=off', () => {
  it('runs no trigger: no startup or cron run, and webhook paths answer 404', async () => {
    const offOut = join(work, 'off-runs.jsonl');
    const off = await startHttp(bundle, {
      ...env,
      OUT_FILE: offOut,
      MCP_TRIGGERS: 'off',
      MCP_TRIGGER_STATE_DIR: join(work, 'off-state'),
    });
    try {
      const body = JSON.stringify({ sku: 'SKU-OFF' });
      const deadline = Date.now() + 10_000;
      let status = 503;
      // 503 while starting, then 404 once the (disabled) triggers released their paths.
      while (status === 503 && Date.now() < deadline) {
        const res = await fetch(new URL('/hook', off.url), {
          method: 'POST',
          body,
          headers: signedHeaders(secret, 'msg_off', body),
        });
        await res.arrayBuffer();
        status = res.status;
        if (status === 503) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(404);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(runLines(offOut)).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});
