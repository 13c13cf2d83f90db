/**
 * Shared pieces of the queue trigger tests: service gates for the brokers (skip visibly, fail under
 * MCP_FACTORY_REQUIRE_SERVICES=1), a recording logger (to prove no URL/password is ever logged), a scriptable fake
 * `deliver`, polling, and private broker processes on free loopback ports that a test may kill and restart
 * without touching the shared brokers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../runtime/logger.js';
import type { TriggerDeliver, TriggerEvent, TriggerOutcome } from '../../runtime/triggers/types.js';
import { serviceGate } from '../helpers/services.js';

export const gates = {
  redis: () => serviceGate('MCP_FACTORY_TEST_REDIS_URL', 'Redis'),
  rabbitmq: () => serviceGate('MCP_FACTORY_TEST_RABBITMQ_URL', 'RabbitMQ'),
  nats: () => serviceGate('MCP_FACTORY_TEST_NATS_URL', 'NATS'),
  mqtt: () => serviceGate('MCP_FACTORY_TEST_MQTT_URL', 'MQTT'),
};

/** A unique name per test run (pid + time + counter), so parallel runs never share a stream/queue/topic. */
let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export interface RecordingLogger extends Logger {
  /** Every line logged (message + fields, JSON). */
  lines: string[];
}

export function recordingLogger(lines: string[] = []): RecordingLogger {
  const make = (base: Record<string, unknown>): Logger => {
    const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
      lines.push(JSON.stringify({ level, msg, ...base, ...fields }));
    };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return Object.assign(make({}), { lines });
}

export type Behaviour = (event: TriggerEvent, nth: number) => Promise<TriggerOutcome>;

/** A fake runner: records every event, answers with `behaviour` (default: succeeded at once). */
export function fakeDeliver(behaviour: Behaviour = async () => 'succeeded'): {
  deliver: TriggerDeliver;
  events: TriggerEvent[];
  payloads: () => unknown[];
} {
  const events: TriggerEvent[] = [];
  const deliver: TriggerDeliver = async (event) => {
    events.push(event);
    return behaviour(event, events.length);
  };
  return { deliver, events, payloads: () => events.map((event) => event.payload) };
}

/**
 * Stops every source, but waits at most `ms`: a test that failed while holding a delivery open must not keep its
 * cleanup (deleting streams, queues, sessions) from running.
 */
export async function stopAll(sources: { stop(): Promise<void> }[], ms = 10_000): Promise<void> {
  await Promise.race([Promise.allSettled(sources.map((s) => s.stop())), sleep(ms)]);
}

/** Polls `condition` until it holds; generous deadline for a loaded machine. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A deferred promise: lets a test hold a delivery open and decide later. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A broker process of our own on a free loopback port, killed/restarted at will; its data dir survives restarts. */
export interface PrivateBroker {
  url: string;
  port: number;
  /** SIGKILL (or SIGTERM when the broker persists only on shutdown) and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same port and data dir; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kill and remove the data dir. */
  dispose(): Promise<void>;
}

export async function privateBroker(kind: 'redis' | 'nats' | 'mqtt'): Promise<PrivateBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `mcpf-${kind}-`));
  let command: string;
  let args: string[];
  let signal: NodeJS.Signals = 'SIGKILL';
  let url: string;
  if (kind === 'redis') {
    command = 'redis-server';
    // Append-only with fsync on every write: a SIGKILL loses nothing that was acknowledged.
    args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'];
    args.push('--appendfsync', 'always');
    url = `redis://127.0.0.1:${port}`;
  } else if (kind === 'nats') {
    command = '/usr/sbin/nats-server';
    args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
    url = `nats://127.0.0.1:${port}`;
  } else {
    command = 'mosquitto';
    const config = join(dir, 'mosquitto.conf');
    writeFileSync(
      config,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'user root',
        '',
      ].join('\n'),
    );
    args = ['-c', config];
    // Mosquitto writes its sessions to disk on shutdown: a graceful stop is a restart that keeps them.
    signal = 'SIGTERM';
    url = `mqtt://127.0.0.1:${port}`;
  }
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(command, args, { stdio: 'ignore' });
    child = proc;
    await waitFor(() => canConnect(port), 20_000, `${kind} on port ${port}`);
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  await start();
  return {
    url,
    port,
    kill,
    start,
    dispose: async () => {
      const proc = child;
      child = undefined;
      if (proc && proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
