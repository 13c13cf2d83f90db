/**
 * The trigger runner: turns one TriggerEvent into a call of the trigger's tool through the same handler a client
 * call reaches (rate limit, timeout, metrics, logging), after validating the mapped arguments with the tool's own
 * input schema. Failed attempts are retried with exponential backoff and jitter; after `maxAttempts` the event is
 * dead-lettered. Arguments the schema refuses are dead-lettered at once (a retry would map them the same way).
 * A key that already succeeded is not run again; at most `concurrency` runs are in flight, the rest wait.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RetryPolicy } from './definitions.js';
import type { TriggerHistory } from './history.js';
import { renderEventText, renderEventValue } from './template.js';
import type { TriggerDeliver, TriggerEvent, TriggerOutcome, TriggerRunRecord } from './types.js';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 60_000 };
export const DEFAULT_CONCURRENCY = 4;
/** Error texts kept in history lines and dead letters. */
const ERROR_CAP = 2_000;

/** What the runner needs of a tool: its input validator and its wrapped handler (generated server.ts). */
export interface TriggerTool {
  input: {
    '~standard': {
      validate(
        data: unknown,
      ):
        | { issues?: ReadonlyArray<{ message: string }> }
        | Promise<{ issues?: ReadonlyArray<{ message: string }> }>;
    };
  };
  handler(
    args: unknown,
  ): Promise<{ isError?: boolean; content?: ReadonlyArray<{ type: string; text?: string }> }>;
}

export interface RunnerOptions {
  /** The trigger's index in the spec's `triggers`, its type and its tool. */
  trigger: number;
  type: string;
  toolName: string;
  tool: TriggerTool;
  arguments?: Record<string, unknown>;
  idempotencyKey?: string;
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  history: TriggerHistory;
  log: Logger;
  /** Read per run: the HTTP transport swaps in Prometheus metrics after the runtime was created. */
  metrics: () => Metrics;
  /** Injected by tests: randomness of the jitter and the wait between attempts. */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface TriggerRunner {
  deliver: TriggerDeliver;
  /** Runs started or waiting now. */
  readonly active: number;
  /** Refuses new events, cancels waits between attempts, and waits up to `graceMs` for running attempts. */
  stop(graceMs: number): Promise<void>;
}

/** The wait before attempt `attempt + 1`: exponential, capped, with equal jitter (half fixed, half random). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** sha256 of the canonical JSON (object keys sorted) of a value. */
export function canonicalHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)) ?? 'null')
    .digest('hex');
}

export class RunnerStopping extends Error {
  constructor() {
    super('the trigger runner is stopping; the event was not run');
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RunnerStopping());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RunnerStopping());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const errorText = (result: { content?: ReadonlyArray<{ type: string; text?: string }> }): string =>
  (result.content ?? [])
    .map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`))
    .join(' ')
    .slice(0, ERROR_CAP) || 'the tool answered with an error';

export function createTriggerRunner(options: RunnerOptions): TriggerRunner {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const limit = options.concurrency ?? DEFAULT_CONCURRENCY;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const { history, trigger, type, toolName } = options;
  const log = options.log.child({ trigger, triggerType: type, tool: toolName });
  const stopping = new AbortController();
  let running = 0;
  const waiting: Array<() => void> = [];
  /** Runs by key: a second delivery of a key in flight waits for the first instead of running twice. */
  const byKey = new Map<string, Promise<TriggerOutcome>>();
  const settledWaiters = new Set<() => void>();

  const scope = (event: TriggerEvent) => ({ event });
  const keyOf = (event: TriggerEvent): string => {
    const custom = options.idempotencyKey ? renderEventText(options.idempotencyKey, scope(event)) : '';
    return `${trigger}:${custom || event.id}`;
  };
  const note = (record: TriggerRunRecord) => {
    try {
      history.record(record);
    } catch (error) {
      log.error('could not write the trigger history', { error: (error as Error).message });
    }
    options.metrics().observeTrigger(String(trigger), type, record.outcome, record.durationMs / 1000);
  };

  async function acquire(): Promise<void> {
    if (running < limit) {
      running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        stopping.signal.removeEventListener('abort', onStop);
        running++;
        resolve();
      };
      const onStop = () => {
        const i = waiting.indexOf(go);
        if (i >= 0) waiting.splice(i, 1);
        reject(new RunnerStopping());
      };
      waiting.push(go);
      stopping.signal.addEventListener('abort', onStop, { once: true });
    });
  }
  function release(): void {
    running--;
    const next = waiting.shift();
    if (next) next();
    if (running === 0) for (const wake of [...settledWaiters]) wake();
  }

  async function run(event: TriggerEvent, key: string): Promise<TriggerOutcome> {
    await acquire();
    try {
      if (stopping.signal.aborted) throw new RunnerStopping();
      if (history.succeeded(key)) return duplicate(key, '');
      const args = renderEventValue(options.arguments ?? {}, scope(event));
      const inputHash = canonicalHash(args);
      const base = { trigger, type, tool: toolName, key, inputHash };
      const started = Date.now();
      const verdict = await options.tool.input['~standard'].validate(args);
      if (verdict.issues?.length) {
        const error = `invalid arguments: ${verdict.issues.map((i) => i.message).join('; ')}`.slice(
          0,
          ERROR_CAP,
        );
        note({
          ...base,
          attempt: 1,
          outcome: 'dead-lettered',
          startedAt: new Date(started).toISOString(),
          durationMs: Date.now() - started,
          error,
        });
        return deadLetter(event, key, 1, error);
      }
      for (let attempt = 1; ; attempt++) {
        const startedAt = Date.now();
        let error: string | undefined;
        try {
          const result = await options.tool.handler(args);
          if (result.isError) error = errorText(result);
        } catch (thrown) {
          error = (thrown instanceof Error ? thrown.message : String(thrown)).slice(0, ERROR_CAP);
        }
        const record = {
          ...base,
          attempt,
          startedAt: new Date(startedAt).toISOString(),
          durationMs: Date.now() - startedAt,
        };
        if (error === undefined) {
          note({ ...record, outcome: 'succeeded' });
          return 'succeeded';
        }
        if (attempt >= policy.maxAttempts) {
          note({ ...record, outcome: 'dead-lettered', error });
          return deadLetter(event, key, attempt, error);
        }
        note({ ...record, outcome: 'failed', error });
        log.warn('trigger run failed; retrying', { attempt, error });
        await sleep(backoffMs(policy, attempt, random), stopping.signal);
      }
    } finally {
      release();
    }
  }

  function duplicate(key: string, inputHash: string): TriggerOutcome {
    note({
      trigger,
      type,
      tool: toolName,
      key,
      inputHash,
      attempt: 0,
      outcome: 'duplicate',
      startedAt: new Date().toISOString(),
      durationMs: 0,
    });
    return 'duplicate';
  }

  function deadLetter(event: TriggerEvent, key: string, attempts: number, error: string): TriggerOutcome {
    log.error('trigger run dead-lettered', { key, attempts, error });
    try {
      history.deadLetter({
        trigger,
        type,
        tool: toolName,
        key,
        attempts,
        error,
        at: new Date().toISOString(),
        event,
      });
    } catch (failure) {
      log.error('could not write the dead letter', { error: (failure as Error).message });
    }
    return 'dead-lettered';
  }

  return {
    get active() {
      return running + waiting.length;
    },
    async deliver(event) {
      if (stopping.signal.aborted) throw new RunnerStopping();
      const key = keyOf(event);
      if (history.succeeded(key)) return duplicate(key, '');
      const earlier = byKey.get(key);
      if (earlier) {
        const outcome = await earlier;
        return outcome === 'succeeded' ? duplicate(key, '') : outcome;
      }
      const promise = run(event, key);
      byKey.set(key, promise);
      try {
        return await promise;
      } finally {
        byKey.delete(key);
      }
    },
    async stop(graceMs) {
      stopping.abort();
      if (running === 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          settledWaiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, graceMs);
        settledWaiters.add(done);
      });
    },
  };
}
