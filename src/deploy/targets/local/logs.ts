/**
 * Server log files, `<home>/logs/<name>.log[.1 … .K-1]`: at most K files (MCP_FACTORY_LOG_KEEP, the current one
 * included) of at most MCP_FACTORY_LOG_MAX_BYTES each, so a server's logs never take more than K × max bytes.
 *
 * The cap holds as bytes are written: a server's stdout/stderr go into a pipe read by a small detached log
 * writer (log-writer.ts), which checks the file's size before every write and rotates (rename) first when the
 * next piece would not fit. Writer and server are detached from the supervisor, so output keeps flowing while
 * the supervisor is down or restarting; the writer ends when the server closes its end of the pipe.
 *
 * The supervisor's own lines (appendSupervisorLine) and its periodic sweep (rotateIfNeeded) use copy-truncate
 * instead of rename, which is also safe for a server adopted from an older supervisor that still writes to the
 * file through an O_APPEND descriptor of its own.
 */
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadConfig } from '../../../platform/config.js';

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** Files of one log that are kept, the current one included (0 and 1 both mean: only the current file). */
export function keptFiles(keep: number): number {
  return Math.max(1, Math.floor(keep));
}

/** Rotated files of `file` numbered `from` or higher (left by a larger MCP_FACTORY_LOG_KEEP) are removed. */
export function pruneRotated(file: string, from: number): void {
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const n = Number(name.slice(prefix.length));
    if (Number.isInteger(n) && n >= from) rmSync(join(dirname(file), name), { force: true });
  }
}

/**
 * Copy-truncate rotation when `file` is larger than `maxBytes`, keeping `keep` files in all (`.1` newest).
 * Returns whether it rotated.
 */
export function rotateIfNeeded(file: string, maxBytes: number, keep: number): boolean {
  if (fileSize(file) <= maxBytes) return false;
  const files = keptFiles(keep);
  pruneRotated(file, files);
  if (files > 1) {
    for (let i = files - 2; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    copyFileSync(file, `${file}.1`);
  }
  truncateSync(file, 0);
  return true;
}

/** Size limits of server logs, from the configuration table (the supervisor's view reads the same variables). */
export function configuredLimits(): { maxBytes: number; keep: number } {
  const settings = loadConfig(process.env, { onInvalid: 'default' }).supervisor;
  return { maxBytes: settings.logMaxBytes, keep: settings.logKeep };
}

/**
 * A line from the supervisor itself, in the same JSON-lines shape as the servers' own logs. The file is rotated
 * first when the line would take it over the size limit.
 */
export function appendSupervisorLine(
  file: string,
  msg: string,
  fields: Record<string, unknown> = {},
  limits: { maxBytes: number; keep: number } = configuredLimits(),
): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const line = `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, source: 'supervisor', ...fields })}\n`;
    const size = fileSize(file);
    if (limits.maxBytes > 0 && size > 0 && size + Buffer.byteLength(line) > limits.maxBytes) {
      rotateIfNeeded(file, 0, limits.keep);
    }
    appendFileSync(file, line, { mode: 0o600 });
  } catch {
    // logging must never break supervision
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.max(0, end - start));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of one file (reads backwards in chunks; never the whole of a large file). */
function tailOf(file: string, n: number): string[] {
  const size = fileSize(file);
  if (size <= 0 || n <= 0) return [];
  const chunk = 64 * 1024;
  let start = size;
  let text = '';
  while (start > 0) {
    const from = Math.max(0, start - chunk);
    text = readRange(file, from, start).toString('utf8') + text;
    start = from;
    if (text.split('\n').length > n + 1) break;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (start > 0) lines.shift(); // possibly a partial first line
  return lines.slice(-n);
}

/** The last `n` lines of a log, reaching into rotated files (`.1`, `.2`, …) when the current one is short. */
export function tailLines(file: string, n: number, keep = 10): string[] {
  let lines = tailOf(file, n);
  for (let i = 1; i <= keep && lines.length < n; i++) {
    if (!existsSync(`${file}.${i}`)) break;
    lines = [...tailOf(`${file}.${i}`, n - lines.length), ...lines];
  }
  return lines;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * The last `tail` lines, then (with `follow`) every new line until `signal` aborts. A rotation (the file
 * shrinking) restarts reading from the beginning of the new file.
 */
export async function* readLog(
  file: string,
  options: { tail?: number; follow?: boolean; signal?: AbortSignal; pollMs?: number } = {},
): AsyncGenerator<string> {
  const { signal } = options;
  let offset = Math.max(0, fileSize(file));
  for (const line of tailLines(file, options.tail ?? 100)) yield line;
  if (!options.follow) return;
  let partial = Buffer.alloc(0);
  while (!signal?.aborted) {
    await sleep(options.pollMs ?? 200, signal);
    if (signal?.aborted) break;
    const size = fileSize(file);
    if (size < 0) continue;
    if (size < offset) {
      offset = 0;
      partial = Buffer.alloc(0);
    }
    if (size === offset) continue;
    // Split on newline bytes before decoding, so a multi-byte character is never cut in two.
    const bytes = Buffer.concat([partial, readRange(file, offset, size)]);
    offset = size;
    const end = bytes.lastIndexOf(0x0a);
    if (end < 0) {
      partial = bytes;
      continue;
    }
    partial = bytes.subarray(end + 1);
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) yield line;
  }
}
