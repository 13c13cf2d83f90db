/**
 * Report entries of a mapping: one entry per distinct problem of an operation, and a cap on the total that
 * keeps errors and warnings before notes.
 */
import type { ReportEntry } from '../model.js';

export const MAX_REPORT_ENTRIES = 2000;

/** Drops repeated (severity, reason) pairs, keeping the first. */
export function dedupe(list: ReportEntry[]): ReportEntry[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.severity}|${e.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function capEntries(entries: ReportEntry[]): ReportEntry[] {
  if (entries.length <= MAX_REPORT_ENTRIES) return entries;
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const kept = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank[a.e.severity] - rank[b.e.severity] || a.i - b.i)
    .slice(0, MAX_REPORT_ENTRIES - 1)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.e);
  kept.push({ operation: '', reason: `…and ${entries.length - kept.length} more entries`, severity: 'info' });
  return kept;
}
