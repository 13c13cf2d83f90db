/**
 * SQLite driver: node:sqlite where the runtime has it (Node >= 22.13), else better-sqlite3 with the native
 * binding shipped in dist/native, so the bundle starts without npm install.
 *
 * Statements run off the event loop, in child processes that re-run this very bundle in "SQLite child" mode
 * (one database connection each, a small pool per connection). A native sqlite step cannot be interrupted from
 * JavaScript (neither driver exposes sqlite3_interrupt, and a worker thread cannot be terminated mid-step), so a
 * statement past its timeout is stopped by killing its child; other calls keep being answered by the others.
 * Children cache prepared statements and stop reading rows at the row and byte limits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireEnv, ToolError } from './errors.js';
import { type SqlDriver, type SqlResult, wrapDbError } from './sql.js';
import { type SqliteReply, type SqliteRequest, serveSqliteChild } from './sql-sqlite-child.js';

/** Set in a child's environment: the bundle then serves SQLite requests instead of starting the server. */
const CHILD_ENV = 'MCP_FACTORY_SQLITE_CHILD';
const DEFAULT_CHILDREN = 4;

if (process.env[CHILD_ENV]) await serveSqliteChild(process.env[CHILD_ENV]);

interface Child {
  proc: ChildProcess;
  pending?: { resolve(r: SqlResult): void; reject(e: Error): void } | undefined;
  /** Counted out of the pool already (killed, exited or closed). */
  gone?: boolean;
}

export const sqliteDriver: SqlDriver = (config, projectRoot) => {
  const max = Math.max(2, config.poolMax ?? DEFAULT_CHILDREN);
  const idle: Child[] = [];
  const waiting: Array<(child: Child) => void> = [];
  let total = 0;
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

  const spawnChild = (file: string): Child => {
    total++;
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: {
        ...process.env,
        [CHILD_ENV]: JSON.stringify({ file, readOnly: config.readOnly ?? false, projectRoot }),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const child: Child = { proc };
    proc.on('message', (reply: SqliteReply) => {
      const pending = child.pending;
      child.pending = undefined;
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(wrapDbError({ message: reply.message, code: reply.code }));
    });
    proc.on('exit', () => {
      child.pending?.reject(new ToolError('the SQLite worker process stopped unexpectedly; retry the call'));
      child.pending = undefined;
      forget(child);
    });
    proc.on('error', () => undefined); // surfaced by 'exit'
    setRef(child, false);
    return child;
  };

  /** Idle children must not keep the server process alive; a busy one must (its answer is awaited). */
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

  const forget = (child: Child) => {
    const at = idle.indexOf(child);
    if (at >= 0) idle.splice(at, 1);
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    if (child.gone) return;
    child.gone = true;
    total--;
    const next = waiting.shift();
    if (next && !closed) next(spawnChild(databaseFile()));
  };

  const acquire = async (): Promise<Child> => {
    const file = databaseFile();
    const child =
      idle.pop() ??
      (total < max
        ? spawnChild(file)
        : await new Promise<Child>((resolveChild) => waiting.push(resolveChild)));
    // Keep one warm spare, so a call arriving during a long statement does not wait for a process start.
    if (idle.length === 0 && total < max) idle.push(spawnChild(file));
    setRef(child, true);
    return child;
  };

  const giveBack = (child: Child) => {
    setRef(child, false);
    const next = waiting.shift();
    if (next) next(child);
    else idle.push(child);
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
      const onAbort = () => stop('the SQLite query was cancelled by the caller');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await new Promise<SqlResult>((resolveResult, reject) => {
          child.pending = { resolve: resolveResult, reject };
          child.proc.send(request);
        });
        giveBack(child);
        return result;
      } catch (error) {
        if (child.proc.exitCode === null && child.proc.signalCode === null && !stopped) giveBack(child);
        throw stopped ?? wrapDbError(error);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      closed = true;
      for (const child of [...idle]) forget(child);
    },
  };
};
