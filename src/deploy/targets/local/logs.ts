/**
 * Server log files. Servers write their stdout and stderr straight into `<home>/logs/<name>.log` through file
 * descriptors opened O_APPEND (no pipe through the supervisor), so their output keeps flowing while the
 * supervisor is down or restarting, and a dying supervisor never breaks a server's stderr.
 *
 * Rotation is size-based and copy-truncate (as logrotate's `copytruncate`): the supervisor copies the file to
 * `.1` (shifting `.1…` up to `.K`) and truncates it; writers holding O_APPEND descriptors simply continue at
 * the new end. Lines written in the instant between copy and truncate can be lost — the price of rotating
 * without the writer's cooperation.
 */
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { dirname } from 'node:path';

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** Rotate when larger than `maxBytes`; keeps `keep` old files (`.1` newest). Returns whether it rotated. */
export function rotateIfNeeded(file: string, maxBytes: number, keep: number): boolean {
  if (fileSize(file) <= maxBytes) return false;
  if (keep > 0) {
    rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    copyFileSync(file, `${file}.1`);
  }
  truncateSync(file, 0);
  return true;
}

/** Open for a child's stdout/stderr: append-only, private. The caller closes its copy after spawning. */
export function openLogForChild(file: string): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return openSync(file, 'a', 0o600);
}

/** A line from the supervisor itself, in the same JSON-lines shape as the servers' own logs. */
export function appendSupervisorLine(file: string, msg: string, fields: Record<string, unknown> = {}): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(
      file,
      `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, source: 'supervisor', ...fields })}\n`,
      { mode: 0o600 },
    );
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
export function tailLines(file: string, n: number, keep = 9): string[] {
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
