/**
 * Severities of security findings, in ascending order, and how to compare them. Pure.
 */

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** All severities, in ascending order. */
export const SEVERITIES: readonly Severity[] = Object.freeze(['info', 'low', 'medium', 'high', 'critical']);

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for `info` up to 4 for `critical`. Throws a TypeError for an unknown severity. */
export function severityRank(s: Severity): number {
  const rank = SEVERITIES.indexOf(s);
  if (rank < 0)
    throw new TypeError(`Unknown severity ${JSON.stringify(s)}; expected one of ${SEVERITIES.join(', ')}`);
  return rank;
}

export function isAtLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}
