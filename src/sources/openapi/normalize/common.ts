/**
 * The small readers every normalisation step shares: untrusted document values are checked before use,
 * text is capped at MAX_TEXT, and each step reports through the same two callbacks.
 */
import type { JsonSchema, ReportEntry } from '../model.js';

/** Longest description/summary/title kept from the document. */
const MAX_TEXT = 20_000;

export type Obj = Record<string, unknown>;

/** Records a problem on the operation being read (default severity: warning). */
export type ProblemSink = (reason: string, severity?: ReportEntry['severity']) => void;

/** Resolves a schema node found at `base`; `where` names it in problems. */
export type SchemaReader = (node: unknown, base: string, where: string) => JsonSchema;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A string value, capped at MAX_TEXT; anything else is undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? (v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v) : undefined;
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function firstNonEmpty(...lists: string[][]): string[] {
  return lists.find((l) => l.length > 0) ?? [];
}
