/**
 * The trigger runner without a server: retries with exponential backoff and jitter, dead letters after
 * maxAttempts (and at once for arguments the tool's schema refuses), idempotency across a restart (keys read back
 * from the history), concurrent deliveries of one key run once, the concurrency bound, stop semantics, event
 * templates (type kept, own properties only) and history rotation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import { openTriggerHistory, TRIGGER_DEAD_LETTER_FILE } from '../../runtime/triggers/history.js';
import {
  backoffMs,
  createTriggerRunner,
  type RunnerOptions,
  RunnerStopping,
  type TriggerTool,
} from '../../runtime/triggers/runner.js';
import { lookup, renderEventValue } from '../../runtime/triggers/template.js';
import {
  TRIGGER_HISTORY_FILE,
  type TriggerEvent,
  type TriggerRunRecord,
} from '../../runtime/triggers/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpf-runner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const log = createLogger('error');
const event = (id: string, payload: unknown = {}): TriggerEvent => ({ id, payload, receivedAt: Date.now() });
const historyLines = (): TriggerRunRecord[] =>
  readFileSync(join(dir, TRIGGER_HISTORY_FILE), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TriggerRunRecord);

/** A tool that records its calls and fails the first `failures` of them. */
function fakeTool(failures = 0, delayMs = 0) {
  const calls: unknown[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const tool: TriggerTool = {
    input: {
      '~standard': {
        validate: (data) =>
          typeof (data as { n?: unknown }).n === 'number' || (data as { n?: unknown }).n === undefined
            ? {}
            : { issues: [{ message: 'n must be a number' }] },
      },
    },
    async handler(args) {
      calls.push(args);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      inFlight--;
      return calls.length <= failures
        ? { isError: true, content: [{ type: 'text', text: `failure ${calls.length}` }] }
        : { content: [{ type: 'text', text: 'ok' }] };
    },
  };
  return { tool, calls, maxInFlight: () => maxInFlight };
}

function runner(tool: TriggerTool, extra: Partial<RunnerOptions> = {}) {
  const waits: number[] = [];
  const r = createTriggerRunner({
    trigger: 2,
    type: 'webhook',
    toolName: 't',
    tool,
    history: openTriggerHistory(dir),
    log,
    metrics: () => NO_METRICS,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { r, waits };
}

describe('retries and dead letters', () => {
  it('retries with capped exponential backoff and jitter, then succeeds', async () => {
    const { tool, calls } = fakeTool(3);
    const { r, waits } = runner(tool, { retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 300 } });
    expect(await r.deliver(event('e1'))).toBe('succeeded');
    expect(calls).toHaveLength(4);
    // Equal jitter at random 0.5: 3/4 of 100, 200, then the 300 cap.
    expect(waits).toEqual([75, 150, 225]);
    expect(historyLines().map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'succeeded'],
    ]);
    expect(historyLines()[0]!.error).toBe('failure 1');
    expect(new Set(historyLines().map((h) => h.inputHash)).size).toBe(1);
  });

  it('backoff stays within [d/2, d] and never passes maxDelayMs', () => {
    const policy = { maxAttempts: 50, initialDelayMs: 500, maxDelayMs: 60_000 };
    for (const attempt of [1, 2, 5, 10, 40]) {
      const cap = Math.min(60_000, 500 * 2 ** (attempt - 1));
      expect(backoffMs(policy, attempt, () => 0)).toBe(Math.round(cap / 2));
      expect(backoffMs(policy, attempt, () => 0.999999)).toBeLessThanOrEqual(cap);
    }
  });

  it('dead-letters after maxAttempts, holding the event', async () => {
    const { tool, calls } = fakeTool(99);
    const { r } = runner(tool, { retry: { maxAttempts: 3 } });
    expect(await r.deliver(event('e2', { n: 1 }))).toBe('dead-lettered');
    expect(calls).toHaveLength(3);
    expect(historyLines().map((h) => h.outcome)).toEqual(['failed', 'failed', 'dead-lettered']);
    const dead = JSON.parse(readFileSync(join(dir, TRIGGER_DEAD_LETTER_FILE), 'utf8').trim());
    expect(dead).toMatchObject({
      trigger: 2,
      key: '2:e2',
      attempts: 3,
      event: { id: 'e2', payload: { n: 1 } },
    });
  });

  it('arguments the tool schema refuses are dead-lettered without running the tool', async () => {
    const { tool, calls } = fakeTool();
    const { r } = runner(tool, { arguments: { n: '{{event.payload.text}}' } });
    expect(await r.deliver(event('e3', { text: 'not a number' }))).toBe('dead-lettered');
    expect(calls).toHaveLength(0);
    expect(historyLines()[0]).toMatchObject({ outcome: 'dead-lettered', attempt: 1 });
    expect(historyLines()[0]!.error).toContain('n must be a number');
  });

  it('a tool that throws counts as a failed attempt', async () => {
    const tool: TriggerTool = {
      input: { '~standard': { validate: () => ({}) } },
      handler: async () => {
        throw new Error('boom');
      },
    };
    const { r } = runner(tool, { retry: { maxAttempts: 2 } });
    expect(await r.deliver(event('e4'))).toBe('dead-lettered');
    expect(historyLines().map((h) => h.error)).toEqual(['boom', 'boom']);
  });
});

describe('idempotency', () => {
  it('a key that succeeded is not run again, also after a restart (keys read from the history)', async () => {
    const first = fakeTool();
    expect(await runner(first.tool).r.deliver(event('same'))).toBe('succeeded');
    expect(await runner(first.tool).r.deliver(event('same'))).toBe('duplicate');
    expect(first.calls).toHaveLength(1);
    // A different trigger index with the same event id is a different key.
    expect(await runner(first.tool, { trigger: 3 }).r.deliver(event('same'))).toBe('succeeded');
    expect(first.calls).toHaveLength(2);
  });

  it('a dead-lettered key runs again when redelivered (only success is final)', async () => {
    const { tool, calls } = fakeTool(1);
    const { r } = runner(tool, { retry: { maxAttempts: 1 } });
    expect(await r.deliver(event('x'))).toBe('dead-lettered');
    expect(await r.deliver(event('x'))).toBe('succeeded');
    expect(calls).toHaveLength(2);
  });

  it('the key may be a template over the payload', async () => {
    const { tool, calls } = fakeTool();
    const { r } = runner(tool, { idempotencyKey: 'order-{{event.payload.order}}' });
    expect(await r.deliver(event('a', { order: 7 }))).toBe('succeeded');
    expect(await r.deliver(event('b', { order: 7 }))).toBe('duplicate');
    expect(await r.deliver(event('c', { order: 8 }))).toBe('succeeded');
    expect(calls).toHaveLength(2);
    expect(historyLines().map((h) => h.key)).toEqual(['2:order-7', '2:order-7', '2:order-8']);
  });

  it('concurrent deliveries of one key run the tool once', async () => {
    const { tool, calls } = fakeTool(0, 50);
    const { r } = runner(tool);
    const outcomes = await Promise.all([1, 2, 3].map(() => r.deliver(event('dup'))));
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'succeeded']);
    expect(calls).toHaveLength(1);
  });
});

describe('concurrency and stop', () => {
  it('runs at most `concurrency` at once', async () => {
    const fake = fakeTool(0, 30);
    const { r } = runner(fake.tool, { concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => r.deliver(event(`c${i}`))));
    expect(fake.calls).toHaveLength(8);
    expect(fake.maxInFlight()).toBe(2);
  });

  it('stop refuses new events, cancels waiting ones, and lets the running one finish', async () => {
    const fake = fakeTool(0, 200);
    const { r } = runner(fake.tool, { concurrency: 1 });
    const running = r.deliver(event('s1'));
    // Settled into a value at once: the rejection is expected, not unhandled.
    const waiting = r.deliver(event('s2')).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await r.stop(5_000);
    expect(await running).toBe('succeeded');
    expect(await waiting).toBeInstanceOf(RunnerStopping);
    await expect(r.deliver(event('s3'))).rejects.toBeInstanceOf(RunnerStopping);
    expect(fake.calls).toHaveLength(1);
  });

  it('stop interrupts the wait between attempts (the event stays unacknowledged)', async () => {
    const fake = fakeTool(99);
    const r = createTriggerRunner({
      trigger: 0,
      type: 'queue',
      toolName: 't',
      tool: fake.tool,
      retry: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      history: openTriggerHistory(dir),
      log,
      metrics: () => NO_METRICS,
    });
    const run = r.deliver(event('w')).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await r.stop(1_000);
    expect(await run).toBeInstanceOf(RunnerStopping);
    expect(Date.now() - started).toBeLessThan(5_000); // not the 60 s retry delay
    expect(fake.calls).toHaveLength(1);
  });
});

describe('history file', () => {
  it('rotates past its bound and still knows the keys of both generations; a torn line is skipped', async () => {
    const history = openTriggerHistory(dir, 2_048);
    const record = (key: string): TriggerRunRecord => ({
      trigger: 0,
      type: 'cron',
      tool: 't',
      key,
      inputHash: 'h',
      attempt: 1,
      outcome: 'succeeded',
      startedAt: new Date().toISOString(),
      durationMs: 1,
    });
    for (let i = 0; i < 30; i++) history.record(record(`k${i}`));
    const current = readFileSync(join(dir, TRIGGER_HISTORY_FILE));
    expect(current.length).toBeLessThanOrEqual(2_048);
    expect(existsSync(join(dir, `${TRIGGER_HISTORY_FILE}.1`))).toBe(true);
    // A process killed mid-write leaves a torn last line.
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(dir, TRIGGER_HISTORY_FILE), '{"trigger":0,"key":"torn","outc');
    const reopened = openTriggerHistory(dir, 2_048);
    expect(reopened.succeeded('k29')).toBe(true);
    expect(reopened.succeeded('k20')).toBe(true);
    expect(reopened.succeeded('torn')).toBe(false);
    expect(reopened.lastRun(0)).toBeGreaterThan(0);
    expect(reopened.lastRun(1)).toBeUndefined();
  });
});

describe('event templates', () => {
  it('a whole placeholder keeps its type; text placeholders become text; missing keys are left out', () => {
    const scope = { event: { id: 'e', payload: { n: 3, tags: ['a', 'b'], obj: { x: 1 } } } };
    expect(
      renderEventValue(
        {
          n: '{{event.payload.n}}',
          t: 'tag {{ event.payload.tags.1 }}',
          o: '{{event.payload.obj}}',
          gone: '{{event.payload.none}}',
        },
        scope,
      ),
    ).toEqual({ n: 3, t: 'tag b', o: { x: 1 } });
  });

  it('reads own properties only: no prototype chain, no constructor', () => {
    const scope = { event: { payload: JSON.parse('{"__proto__":{"polluted":true},"a":1}') } };
    expect(lookup(scope, 'event.payload.constructor')).toBeUndefined();
    expect(lookup(scope, 'event.payload.toString')).toBeUndefined();
    expect(lookup(scope, 'event.payload.a.constructor')).toBeUndefined();
    const rendered = renderEventValue({ __proto__: '{{event.payload.__proto__}}' }, scope) as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
  });
});
