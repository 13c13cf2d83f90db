/**
 * The playground's history of calls for this browser tab (sessionStorage: gone when the tab closes). Values of
 * secret-looking arguments (password, token, key…) are never kept; long results are cut. Pure apart from the
 * storage handed in, so it is unit-tested with a fake one.
 */
import { SECRET_NAME } from '../../components/schema-form/model.ts';

export interface CallResult {
  isError: boolean;
  text: string;
  structuredContent?: unknown;
  durationMs: number;
}

export interface HistoryEntry {
  id: string;
  at: string;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  result?: CallResult;
  /** The API's error (code and message) when the call itself failed. */
  failure?: { code: string; message: string };
  /** Milliseconds the browser waited for the answer (request and all). */
  roundTripMs: number;
}

export const HISTORY_KEY = 'mcpf.playground.history';
export const MAX_ENTRIES = 50;
const MAX_TEXT = 20_000;
const MAX_STRUCTURED = 50_000;
export const REDACTED = '[not kept: secret]';

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

/** Arguments with the values of secret-looking keys replaced, at any depth. */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactArguments(v, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      SECRET_NAME.test(key) ? REDACTED : redactArguments(v, depth + 1),
    ]),
  );
}

/** Arguments of a history entry to load back into the form: the values that were not kept are left empty. */
export function restorableArguments(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== REDACTED).map(restorableArguments);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== REDACTED)
      .map(([k, v]) => [k, restorableArguments(v)]),
  );
}

/** A result small enough to keep: text cut, structured content dropped when its JSON is too large. */
function compact(result: CallResult): CallResult {
  const out: CallResult = {
    isError: result.isError,
    text: result.text.length > MAX_TEXT ? `${result.text.slice(0, MAX_TEXT)}… (cut)` : result.text,
    durationMs: result.durationMs,
  };
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    if (json !== undefined && json.length <= MAX_STRUCTURED) out.structuredContent = result.structuredContent;
  }
  return out;
}

export function readHistory(storage: Storage | undefined): HistoryEntry[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(HISTORY_KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isEntry).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
}

/** The history with `entry` first (redacted and compacted), capped; written to storage when it fits. */
export function addToHistory(
  storage: Storage | undefined,
  history: HistoryEntry[],
  entry: HistoryEntry,
): HistoryEntry[] {
  const kept: HistoryEntry = {
    ...entry,
    arguments: redactArguments(entry.arguments) as Record<string, unknown>,
    ...(entry.result ? { result: compact(entry.result) } : {}),
  };
  const next = [kept, ...history].slice(0, MAX_ENTRIES);
  try {
    storage?.setItem(HISTORY_KEY, JSON.stringify(next));
  } catch {
    // Quota exceeded: the history still lives in memory for this page.
  }
  return next;
}

function isEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.id === 'string' &&
    typeof e.at === 'string' &&
    typeof e.server === 'string' &&
    typeof e.tool === 'string' &&
    typeof e.arguments === 'object' &&
    e.arguments !== null &&
    typeof e.roundTripMs === 'number'
  );
}
