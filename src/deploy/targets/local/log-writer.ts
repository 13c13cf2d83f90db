/**
 * The log writer of one server: a tiny detached Node process that reads the server's stdout/stderr from a pipe
 * and appends it to the log file under a hard size cap (see logs.ts). Before every write it looks at the file's
 * real size (fstat; other writers such as the supervisor append too) and, when the next piece would take the
 * file over `maxBytes`, rotates by rename first: `.K-2` → `.K-1`, …, file → `.1`. A piece is cut at its last
 * newline that fits, and a read that ends inside a line holds its tail until the newline arrives, so lines stay
 * whole unless a single line is longer than the limit. When the file was
 * renamed under it (rotated by someone else), it reopens the path.
 *
 * The program is plain JavaScript run with `node -e`, so it works the same from dist/ and from the sources
 * under test, and it needs nothing but node:fs. It carries none of the server's environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { keptFiles } from './logs.js';

const WRITER_PROGRAM = `
const fs = require('node:fs');
const path = require('node:path');
const [file, maxText, keepText] = process.argv.slice(1);
const max = Number(maxText);
const keep = Number(keepText);
let fd = -1;
let ino = -1;
function reopen() {
  if (fd >= 0) try { fs.closeSync(fd); } catch {}
  fd = fs.openSync(file, 'a', 0o600);
  ino = fs.fstatSync(fd).ino;
}
function size() {
  let current;
  try { current = fs.statSync(file).ino; } catch { current = -1; }
  if (current !== ino) reopen();
  return fs.fstatSync(fd).size;
}
function rotate() {
  const dir = path.dirname(file);
  const prefix = path.basename(file) + '.';
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const n = Number(name.slice(prefix.length));
    if (Number.isInteger(n) && n >= keep) fs.rmSync(path.join(dir, name), { force: true });
  }
  for (let i = keep - 2; i >= 1; i--) {
    try { fs.renameSync(file + '.' + i, file + '.' + (i + 1)); } catch {}
  }
  if (keep > 1) fs.renameSync(file, file + '.1');
  else fs.rmSync(file, { force: true });
  reopen();
}
function writeAll(bytes) {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}
function put(chunk) {
  let rest = chunk;
  while (rest.length > 0) {
    if (!(max > 0)) { size(); writeAll(rest); return; }
    const used = size();
    const room = max - used;
    if (rest.length <= room) { writeAll(rest); return; }
    const cut = room > 0 ? rest.lastIndexOf(10, room - 1) : -1;
    if (cut >= 0) { writeAll(rest.subarray(0, cut + 1)); rest = rest.subarray(cut + 1); rotate(); continue; }
    if (used > 0) { rotate(); continue; }
    writeAll(rest.subarray(0, max));
    rest = rest.subarray(max);
    rotate();
  }
}
// A read can end inside a line; its tail waits for the newline (or a short timeout, or a size cap) so that a
// rotation never splits a line between two files.
const HOLD = max > 0 ? Math.min(max, 65536) : 65536;
let pending = null;
let timer = null;
function flushPending() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (pending) { const p = pending; pending = null; put(p); }
}
function accept(chunk) {
  const data = pending ? Buffer.concat([pending, chunk]) : chunk;
  pending = null;
  const nl = data.lastIndexOf(10);
  if (nl >= 0) put(data.subarray(0, nl + 1));
  const tail = nl >= 0 ? data.subarray(nl + 1) : data;
  if (tail.length === 0) { if (timer) { clearTimeout(timer); timer = null; } return; }
  if (tail.length >= HOLD) { if (timer) { clearTimeout(timer); timer = null; } put(tail); return; }
  pending = Buffer.from(tail);
  if (!timer) timer = setTimeout(() => { timer = null; try { flushPending(); } catch {} }, 250);
}
reopen();
process.stdin.on('data', (chunk) => { try { accept(chunk); } catch {} });
process.stdin.on('end', () => { try { flushPending(); fs.closeSync(fd); } catch {} process.exit(0); });
process.stdin.on('error', () => process.exit(0));
`;

/**
 * Start the log writer of `file` (detached: it outlives the caller). Hand its `stdin` to the server's spawn as
 * stdout and stderr, then call `release` so that only the server holds the pipe's write end.
 */
export function startLogWriter(
  file: string,
  limits: { maxBytes: number; keep: number },
): { writer: ChildProcess; release: () => void } {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const writer = spawn(
    process.execPath,
    [
      '-e',
      WRITER_PROGRAM,
      file,
      String(Math.max(0, Math.floor(limits.maxBytes))),
      String(keptFiles(limits.keep)),
    ],
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: {} },
  );
  writer.on('error', () => undefined);
  writer.stdin?.on('error', () => undefined);
  return {
    writer,
    release: () => {
      writer.stdin?.destroy();
      writer.unref();
    },
  };
}
