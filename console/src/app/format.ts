/** Pure formatting helpers shared by the pages (unit-tested in test/console/unit/format.test.ts). */

const UNITS: Array<[limit: number, size: number, unit: string]> = [
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86_400, 3600, 'h'],
  [86_400 * 30, 86_400, 'd'],
  [86_400 * 365, 86_400 * 30, 'mo'],
  [Number.POSITIVE_INFINITY, 86_400 * 365, 'y'],
];

/** "just now", "3 min ago", "in 2 h": coarse on purpose, the exact time is in the title. */
export function formatRelative(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  for (const [limit, size, unit] of UNITS) {
    if (abs < limit) {
      const count = Math.floor(abs / size);
      return seconds >= 0 ? `${count} ${unit} ago` : `in ${count} ${unit}`;
    }
  }
  return new Date(at).toISOString();
}

/** A duration in seconds as "3d 4h", "5h 12m", "42s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** Milliseconds with a sensible precision: "0.42 ms", "12 ms", "1.3 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A count with thousands grouped: 12 345. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** A ratio (0..1) as a percentage: "0%", "0.4%", "12%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 1) return `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** errors / calls, or undefined when there were no calls (an error rate of nothing is not 0%). */
export function errorRate(calls: number | undefined, errors: number | undefined): number | undefined {
  if (!calls || errors === undefined) return undefined;
  return errors / calls;
}

/** Whether every whitespace-separated word of the query occurs (case-insensitively) in one of the fields. */
export function matchesFilter(
  query: string,
  fields: ReadonlyArray<string | number | null | undefined>,
): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = fields
    .filter((f) => f !== null && f !== undefined)
    .join('\u0000')
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}
