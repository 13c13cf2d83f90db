/**
 * The trigger history and dead letters in the state folder: `trigger-runs.jsonl` (one TriggerRunRecord per
 * attempt) and `trigger-dead-letters.jsonl` (one line per event given up on, holding the event). Lines are
 * appended synchronously, so a run recorded as succeeded survives a SIGKILL right after. Each file is bounded:
 * past `maxBytes` it is renamed to `<file>.1` (replacing the previous one) and a new file starts. At start the
 * succeeded idempotency keys and each trigger's last run are read back from both generations, so the duplicate
 * window is the last two files (documented in docs/triggers.md).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TRIGGER_HISTORY_FILE, type TriggerEvent, type TriggerRunRecord } from './types.js';

export const TRIGGER_DEAD_LETTER_FILE = 'trigger-dead-letters.jsonl';
/** Default bound of each file before it rotates (MCP_TRIGGER_HISTORY_MAX_BYTES overrides). */
export const DEFAULT_HISTORY_MAX_BYTES = 16 * 1024 * 1024;
/** Succeeded keys kept in memory (oldest forgotten first). */
const MAX_KEYS = 200_000;

export interface DeadLetter {
  trigger: number;
  type: string;
  tool: string;
  key: string;
  attempts: number;
  error: string;
  at: string;
  event: TriggerEvent;
}

export interface TriggerHistory {
  readonly dir: string;
  /** Whether a run with this key already succeeded (in this process or a recorded earlier one). */
  succeeded(key: string): boolean;
  /** When the trigger last started a run (ms since epoch), from the history; undefined if never. */
  lastRun(trigger: number): number | undefined;
  record(record: TriggerRunRecord): void;
  deadLetter(entry: DeadLetter): void;
}

/** A JSONL file that rotates to `<path>.1` once it would grow past `maxBytes`. */
class RotatingFile {
  private size: number;
  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.size = existsSync(path) ? statSync(path).size : 0;
  }
  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      renameSync(this.path, `${this.path}.1`);
      this.size = 0;
    }
    appendFileSync(this.path, line, { mode: 0o600 });
    this.size += bytes;
  }
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n');
}

export function historyMaxBytes(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n >= 1024
    ? n
    : DEFAULT_HISTORY_MAX_BYTES;
}

export function openTriggerHistory(dir: string, maxBytes = DEFAULT_HISTORY_MAX_BYTES): TriggerHistory {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const runs = new RotatingFile(join(dir, TRIGGER_HISTORY_FILE), maxBytes);
  const dead = new RotatingFile(join(dir, TRIGGER_DEAD_LETTER_FILE), maxBytes);
  const keys = new Set<string>();
  const last = new Map<number, number>();
  const remember = (key: string) => {
    keys.delete(key);
    keys.add(key);
    if (keys.size > MAX_KEYS) keys.delete(keys.values().next().value as string);
  };
  const noteStart = (trigger: number, startedAt: string) => {
    const ms = Date.parse(startedAt);
    if (Number.isFinite(ms) && ms > (last.get(trigger) ?? 0)) last.set(trigger, ms);
  };
  // Older generation first, so the newest lines win; a torn last line (killed mid-write) is skipped.
  for (const line of [...readLines(`${runs.path}.1`), ...readLines(runs.path)]) {
    if (!line) continue;
    let r: Partial<TriggerRunRecord>;
    try {
      r = JSON.parse(line) as Partial<TriggerRunRecord>;
    } catch {
      continue;
    }
    if (typeof r.trigger !== 'number' || typeof r.key !== 'string') continue;
    if (r.outcome === 'succeeded') remember(r.key);
    if (typeof r.startedAt === 'string') noteStart(r.trigger, r.startedAt);
  }
  return {
    dir,
    succeeded: (key) => keys.has(key),
    lastRun: (trigger) => last.get(trigger),
    record(record) {
      runs.append(`${JSON.stringify(record)}\n`);
      if (record.outcome === 'succeeded') remember(record.key);
      noteStart(record.trigger, record.startedAt);
    },
    deadLetter(entry) {
      dead.append(`${JSON.stringify(entry)}\n`);
    },
  };
}
