/**
 * SQLite driver: node:sqlite where the runtime has all of it (Node >= 22.16, see usableNodeSqlite), else
 * better-sqlite3 with the native binding shipped in dist/native, so the bundle starts without npm install.
 *
 * Statements run off the event loop, in child processes that re-run this very bundle in "SQLite child" mode
 * (one database connection each, a small pool per connection). A native sqlite step cannot be interrupted from
 * JavaScript (neither driver exposes sqlite3_interrupt, and a worker thread cannot be terminated mid-step), so a
 * statement past its timeout is stopped by killing its child; other calls keep being answered by the others.
 * Children cache prepared statements and stop reading rows at the row and byte limits.
 *
 * Each child holds a whole Node process (tens of MB), so the pool is lazy: no child before the first query,
 * one child for sequential calls, another only when a call finds every child busy or a statement runs long
 * (then a spare is started, so a call arriving during a long statement need not wait for a process start),
 * and a child idle for MCP_FACTORY_SQLITE_IDLE_MS (60 s) exits: an idle server holds no child at all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireEnv, ToolError } from './errors.js';
import { type SqlDriver, type SqlResult, wrapDbError } from './sql.js';
import { type SqliteMessage, type SqliteRequest, serveSqliteChild } from './sql-sqlite-child.js';

/** Set in a child's environment: the bundle then serves SQLite requests instead of starting the server. */
const CHILD_ENV = 'MCP_FACTORY_SQLITE_CHILD';
const DEFAULT_CHILDREN = 4;
const IDLE_ENV = 'MCP_FACTORY_SQLITE_IDLE_MS';
const DEFAULT_IDLE_MS = 60_000;
/**
 * A statement still running after this long starts a spare child (if none is idle or starting and the pool has
 * room): about what a process start costs, so a shorter statement is cheaper to wait for than a spare.
 */
const SPARE_AFTER_MS = 250;

/** How long an idle child is kept warm: MCP_FACTORY_SQLITE_IDLE_MS when it is a whole number ≥ 100, else 60 s. */
export function sqliteIdleMs(text = process.env[IDLE_ENV]): number {
  const ms = Number(text);
  return text && /^\d+$/.test(text.trim()) && ms >= 100 ? ms : DEFAULT_IDLE_MS;
}

if (process.env[CHILD_ENV]) await serveSqliteChild(process.env[CHILD_ENV]);

interface Child {
  proc: ChildProcess;
  pending?: { resolve(r: SqlResult): void; reject(e: Error): void } | undefined;
  /** Counted out of the pool already (killed, exited or closed). */
  gone?: boolean;
  /** Said it is ready (its process start is behind it). */
  ready?: boolean;
  /** Ends the child once it has been idle for the idle time. */
  idleTimer?: ReturnType<typeof setTimeout> | undefined;
}

interface Waiter {
  resolve(child: Child): void;
  reject(error: Error): void;
}

export const sqliteDriver: SqlDriver = (config, projectRoot) => {
  const max = Math.max(2, config.poolMax ?? DEFAULT_CHILDREN);
  const idleMs = sqliteIdleMs();
  /** Ready children nobody uses, most recently used last (taken first, so the others reach the idle time). */
  const idle: Child[] = [];
  /** Every child not yet gone: close() ends the busy ones too. */
  const children = new Set<Child>();
  /** Calls waiting for a child: served by whichever comes first, a starting child or a busy one finishing. */
  const waiting: Waiter[] = [];
  let total = 0;
  let starting = 0;
  let nextId = 1;
  let closed = false;

  const databaseFile = (): string => {
    const configured =
      (config.envVar ? process.env[config.envVar] : undefined) ||
      config.path ||
      requireEnv(config.envVar ?? 'SQLITE_PATH');
    const file = isAbsolute(configured) ? configured : resolve(projectRoot, configured);
    if (!existsSync(file) && config.readOnly) throw new ToolError(`SQLite database ${file} does not exist`);
    return file;
  };

  const spawnChild = (file: string): void => {
    total++;
    starting++;
    // node:sqlite warns that it is experimental on every start; the server's stderr is its log.
    const proc = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url)],
      {
        env: {
          ...process.env,
          [CHILD_ENV]: JSON.stringify({ file, readOnly: config.readOnly ?? false, projectRoot }),
        },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        serialization: 'advanced',
      },
    );
    const child: Child = { proc };
    children.add(child);
    proc.on('message', (message: SqliteMessage) => {
      if ('ready' in message) {
        if (child.ready) return;
        child.ready = true;
        starting--;
        release(child);
        return;
      }
      const pending = child.pending;
      child.pending = undefined;
      if (!pending) return;
      if (message.ok) pending.resolve(message.result);
      else pending.reject(wrapDbError({ message: message.message, code: message.code }));
    });
    proc.on('exit', (code, signal) => {
      child.pending?.reject(new ToolError('the SQLite worker process stopped unexpectedly; retry the call'));
      child.pending = undefined;
      const failedToStart = !child.ready && !child.gone;
      if (failedToStart) starting--;
      forget(child);
      // No respawn loop for a child that cannot start: the calls no other starting child will serve fail.
      if (failedToStart) {
        const error = new ToolError(
          `the SQLite worker process did not start (${signal ?? `exit code ${code}`}); see the server log`,
        );
        while (waiting.length > starting) waiting.pop()?.reject(error);
      }
    });
    proc.on('error', () => undefined); // surfaced by 'exit'
  };

  /** Idle children must not keep the server process alive; a busy or starting one must. */
  const setRef = (child: Child, on: boolean) => {
    const channel = child.proc.channel as { ref?(): void; unref?(): void } | null | undefined;
    if (on) {
      child.proc.ref();
      channel?.ref?.();
    } else {
      child.proc.unref();
      channel?.unref?.();
    }
  };

  const alive = (child: Child) => child.proc.exitCode === null && child.proc.signalCode === null;

  /** Takes a child out of the pool: `kill` stops a running statement; otherwise it closes its database and exits. */
  const forget = (child: Child, how: 'kill' | 'close' = 'kill') => {
    clearTimeout(child.idleTimer);
    const at = idle.indexOf(child);
    if (at >= 0) idle.splice(at, 1);
    if (alive(child)) {
      if (how === 'kill' || !child.proc.connected) child.proc.kill('SIGKILL');
      else child.proc.disconnect(); // the child exits on 'disconnect'
    }
    if (child.gone) return;
    child.gone = true;
    children.delete(child);
    total--;
    // A killed (timed-out) child leaves calls waiting for the full pool: start its replacement.
    if (child.ready && !closed && waiting.length > starting && total < max) {
      try {
        spawnChild(databaseFile());
      } catch (error) {
        waiting.shift()?.reject(wrapDbError(error));
      }
    }
  };

  /** A ready child with nothing to do: to the first waiting call, else idle until the idle time. */
  const release = (child: Child) => {
    if (closed) {
      forget(child, 'close');
      return;
    }
    const next = waiting.shift();
    if (next) {
      next.resolve(child);
      return;
    }
    setRef(child, false);
    idle.push(child);
    clearTimeout(child.idleTimer);
    child.idleTimer = setTimeout(() => forget(child, 'close'), idleMs);
    child.idleTimer.unref();
  };

  const acquire = async (): Promise<Child> => {
    const file = databaseFile();
    let child = idle.pop();
    if (!child) {
      const handed = new Promise<Child>((resolveChild, reject) =>
        waiting.push({ resolve: resolveChild, reject }),
      );
      if (total < max && starting < waiting.length) spawnChild(file);
      child = await handed;
    }
    clearTimeout(child.idleTimer);
    setRef(child, true);
    return child;
  };

  /** Called while a statement runs long: start one spare unless a child is idle or starting, or the pool is full. */
  const startSpare = () => {
    if (closed || idle.length > 0 || starting > 0 || total >= max) return;
    try {
      spawnChild(databaseFile());
    } catch {
      // no file: the next query reports it
    }
  };

  return {
    async query(text, values, options = {}) {
      if (closed) throw new ToolError('the database connection is closed');
      const child = await acquire().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      const request: SqliteRequest = {
        id: nextId++,
        sql: text,
        values: values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v)),
        queryOnly: Boolean(options.readOnly && !config.readOnly),
        ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
        ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
      };
      let stopped: ToolError | undefined;
      const stop = (why: string) => {
        stopped = new ToolError(why);
        child.proc.kill('SIGKILL'); // the only way to end a running native sqlite step
      };
      const timer = options.timeoutMs
        ? setTimeout(
            () =>
              stop(
                `the SQLite query was stopped after its ${options.timeoutMs} ms timeout; ` +
                  'narrow it (WHERE, LIMIT) or raise the tool timeoutMs',
              ),
            options.timeoutMs,
          )
        : undefined;
      const spare = setTimeout(startSpare, SPARE_AFTER_MS);
      const onAbort = () => stop('the SQLite query was cancelled by the caller');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await new Promise<SqlResult>((resolveResult, reject) => {
          child.pending = { resolve: resolveResult, reject };
          child.proc.send(request);
        });
        release(child);
        return result;
      } catch (error) {
        if (alive(child) && !stopped) release(child);
        throw stopped ?? wrapDbError(error);
      } finally {
        clearTimeout(timer);
        clearTimeout(spare);
        options.signal?.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      closed = true;
      // Idle children close their database; a busy one's statement has no one left to answer.
      for (const child of [...children]) forget(child, idle.includes(child) ? 'close' : 'kill');
      const error = new ToolError('the database connection is closed');
      for (const waiter of waiting.splice(0)) waiter.reject(error);
    },
  };
};
