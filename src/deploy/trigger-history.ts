/**
 * Imports a deployed server's trigger history into the registry. A server appends one JSON line per attempt to
 * `<state dir>/trigger-runs.jsonl` (runtime/triggers/history.ts), which rotates to `trigger-runs.jsonl.1`; the
 * factory reads from where it stopped (file identity + byte position, kept in the registry), so each line is
 * imported once, and a rotation between two imports loses nothing: the rest of the old file is read from `.1`.
 *
 * The folder belongs to a sandboxed server, so its content is untrusted: the folder is opened without following
 * a symlink and the file is read through that descriptor (a server cannot point the factory at another file),
 * only regular files are read, at most MAX_IMPORT_BYTES per import, and a line is imported only when it is a
 * well-formed record within bounds (anything else is counted and skipped).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { HomeLayout } from '../platform/home.js';
import type { TriggerHistoryStore, TriggerReadPosition, TriggerRun } from '../store/index.js';
import { dataDir } from './targets/local/sandbox-launch.js';
import type { TriggerHistoryLine } from './trigger-history-line.js';

/** As in runtime/triggers/types.ts (generated servers cannot import src/; a test keeps them equal). */
export const TRIGGER_STATE_DIR_ENV = 'MCP_TRIGGER_STATE_DIR';
export const TRIGGER_HISTORY_FILE = 'trigger-runs.jsonl';
/** Bytes one import reads at most; the rest waits for the next import. */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_CHARS = 2000;

/** Where a local deployment's triggers keep their state: beside its data, so it outlives revisions. */
export function triggerStateDir(layout: HomeLayout, server: string): string {
  return join(dataDir(layout, server), 'triggers');
}

export interface ImportReport {
  imported: number;
  /** Lines that were not well-formed records (skipped). */
  rejected: number;
  /** Whether more is left to read (the byte cap was reached). */
  more: boolean;
}

interface OpenedFile {
  fd: number;
  id: string;
  size: number;
}

/** Open `name` inside `dir` without following symlinks at either level; undefined when absent or not regular. */
function openInside(dir: string, name: string): OpenedFile | undefined {
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    // Resolved against the opened folder, not its path: a swapped-in symlink folder is not followed.
    const fd = openSync(
      `/proc/self/fd/${dirFd}/${name}`,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { fd, id: `${stat.dev}:${stat.ino}`, size: stat.size };
  } catch {
    return undefined;
  } finally {
    closeSync(dirFd);
  }
}

/** Complete lines of `file` from `from`, at most `budget` bytes; `end` is the byte after the last one read. */
function readLines(file: OpenedFile, from: number, budget: number): { lines: string[]; end: number } {
  const length = Math.max(0, Math.min(file.size - from, budget));
  if (length === 0) return { lines: [], end: from };
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(file.fd, buffer, got, length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  const last = buffer.lastIndexOf(0x0a, got - 1);
  if (last < 0) return { lines: [], end: from };
  return { lines: buffer.subarray(0, last).toString('utf8').split('\n'), end: from + last + 1 };
}

function parse(lines: string[], server: string, into: TriggerRun[], Line: TriggerHistoryLine): number {
  let rejected = 0;
  for (const text of lines) {
    if (!text) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      rejected++;
      continue;
    }
    const r = Line.safeParse(value);
    if (!r.success) {
      rejected++;
      continue;
    }
    into.push({
      server,
      trigger: r.data.trigger,
      type: r.data.type,
      tool: r.data.tool,
      key: r.data.key,
      inputHash: r.data.inputHash,
      attempt: r.data.attempt,
      outcome: r.data.outcome,
      startedAt: r.data.startedAt,
      durationMs: r.data.durationMs,
      error: r.data.error === undefined ? null : r.data.error.slice(0, MAX_ERROR_CHARS),
    });
  }
  return rejected;
}

/**
 * Read what is new in `dir`'s history since the last import of `server` and add it to the registry. Safe to
 * call from several processes at once: the position moves by compare-and-set (a loser imports nothing).
 */
export async function importTriggerHistory(
  store: TriggerHistoryStore,
  server: string,
  dir: string,
  budget = MAX_IMPORT_BYTES,
): Promise<ImportReport> {
  const current = openInside(dir, TRIGGER_HISTORY_FILE);
  if (!current) return { imported: 0, rejected: 0, more: false };
  const rotated = openInside(dir, `${TRIGGER_HISTORY_FILE}.1`);
  try {
    // The line schema (zod) is loaded only when there is a history to read: a cheap `status` without one.
    const { TriggerHistoryLine: Line } = await import('./trigger-history-line.js');
    const from = await store.position(server);
    const runs: TriggerRun[] = [];
    let rejected = 0;
    let left = budget;
    let start = 0;
    if (from && from.fileId === current.id) {
      // The same file; a shorter one was truncated by hand: start over (the unique key absorbs repeats).
      start = current.size >= from.bytesRead ? from.bytesRead : 0;
    } else if (rotated && (!from || from.fileId === rotated.id)) {
      // The file we were reading was rotated (or this is the first import): finish the older generation first.
      const old = readLines(rotated, from?.bytesRead ?? 0, left);
      rejected += parse(old.lines, server, runs, Line);
      left -= old.end - (from?.bytesRead ?? 0);
      if (old.end < rotated.size && left <= 0) {
        const to: TriggerReadPosition = { fileId: rotated.id, bytesRead: old.end };
        const ok = await store.import(server, from, to, runs);
        return { imported: ok ? runs.length : 0, rejected, more: true };
      }
    }
    const fresh = readLines(current, start, left);
    rejected += parse(fresh.lines, server, runs, Line);
    const to: TriggerReadPosition = { fileId: current.id, bytesRead: fresh.end };
    if (from && from.fileId === to.fileId && from.bytesRead === to.bytesRead && runs.length === 0)
      return { imported: 0, rejected, more: false };
    const ok = await store.import(server, from, to, runs);
    return { imported: ok ? runs.length : 0, rejected, more: fresh.end < current.size };
  } finally {
    closeSync(current.fd);
    if (rotated) closeSync(rotated.fd);
  }
}
