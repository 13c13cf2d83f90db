/**
 * Tool-call metrics. Calls are aggregated per (server, tool, minute): counts, errors, latency sum/min/max, and a
 * sparse log-scale latency histogram (bucket → count). Storage is bounded by minutes × tools, not by calls;
 * recording a batch is two upsert statements in one transaction. Percentiles are estimated from the merged
 * histogram by linear interpolation inside the bucket, clamped to the observed min/max: buckets are √2 wide,
 * so an estimate is within about ±20 % of the true value (exact for a single distinct latency).
 */

import type { ToolStatsReport } from './types.js';

/** Buckets: 0 = [0, 1 ms), k = [2^((k-1)/2), 2^(k/2)) ms for 1 ≤ k ≤ 30, 31 = [32.768 s, ∞). */
export const LATENCY_BUCKETS = 32;
const LAST = LATENCY_BUCKETS - 1;

export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(LAST, Math.floor(2 * Math.log2(ms)) + 1);
}

function bucketLower(k: number): number {
  return k === 0 ? 0 : 2 ** ((k - 1) / 2);
}

function bucketUpper(k: number): number {
  return k >= LAST ? Number.POSITIVE_INFINITY : 2 ** (k / 2);
}

export const MINUTE_MS = 60_000;

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** One call to record. */
export interface CallRecord {
  server: string;
  tool: string;
  ok: boolean;
  latencyMs: number;
  /** When the call happened (default: now). */
  at?: Date | number | string | undefined;
}

export interface MinuteAggregate {
  server: string;
  tool: string;
  minute: number;
  calls: number;
  errors: number;
  latencySum: number;
  latencyMin: number;
  latencyMax: number;
  histogram: Map<number, number>;
}

/** Group calls into per-minute aggregates, sorted by key (a fixed lock order for concurrent writers). */
export function aggregateCalls(
  calls: readonly CallRecord[],
  atOf: (c: CallRecord) => number,
): MinuteAggregate[] {
  const groups = new Map<string, MinuteAggregate>();
  for (const call of calls) {
    const minute = minuteOf(atOf(call));
    const key = JSON.stringify([call.server, call.tool, minute]);
    let g = groups.get(key);
    if (!g) {
      g = {
        server: call.server,
        tool: call.tool,
        minute,
        calls: 0,
        errors: 0,
        latencySum: 0,
        latencyMin: Number.POSITIVE_INFINITY,
        latencyMax: 0,
        histogram: new Map(),
      };
      groups.set(key, g);
    }
    const ms = call.latencyMs;
    g.calls++;
    if (!call.ok) g.errors++;
    g.latencySum += ms;
    g.latencyMin = Math.min(g.latencyMin, ms);
    g.latencyMax = Math.max(g.latencyMax, ms);
    const b = latencyBucket(ms);
    g.histogram.set(b, (g.histogram.get(b) ?? 0) + 1);
  }
  return [...groups.values()].sort(
    (a, b) => compare(a.server, b.server) || compare(a.tool, b.tool) || a.minute - b.minute,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Estimate the q-quantile (0 < q ≤ 1) from a histogram. */
export function quantile(
  histogram: ReadonlyMap<number, number>,
  q: number,
  min: number,
  max: number,
): number {
  let total = 0;
  for (const n of histogram.values()) total += n;
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  const buckets = [...histogram.keys()].sort((a, b) => a - b);
  for (const k of buckets) {
    const n = histogram.get(k) ?? 0;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = Math.max(bucketLower(k), min);
      const upper = Math.min(bucketUpper(k), max);
      const estimate = lower + ((rank - seen) / n) * (upper - lower);
      return round(Math.min(max, Math.max(min, estimate)));
    }
    seen += n;
  }
  return round(max);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export interface CallStats {
  calls: number;
  errors: number;
  /** errors / calls (0 when there were no calls). */
  errorRate: number;
  /** Latency statistics in milliseconds; null when there were no calls. */
  meanMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface StatsAccumulator {
  calls: number;
  errors: number;
  latencySum: number;
  latencyMin: number;
  latencyMax: number;
  histogram: Map<number, number>;
}

export function emptyAccumulator(): StatsAccumulator {
  return {
    calls: 0,
    errors: 0,
    latencySum: 0,
    latencyMin: Number.POSITIVE_INFINITY,
    latencyMax: 0,
    histogram: new Map(),
  };
}

export function mergeInto(into: StatsAccumulator, from: StatsAccumulator): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.latencySum += from.latencySum;
  into.latencyMin = Math.min(into.latencyMin, from.latencyMin);
  into.latencyMax = Math.max(into.latencyMax, from.latencyMax);
  for (const [k, n] of from.histogram) into.histogram.set(k, (into.histogram.get(k) ?? 0) + n);
}

export function finishStats(acc: StatsAccumulator): CallStats {
  if (acc.calls === 0) {
    return {
      calls: 0,
      errors: 0,
      errorRate: 0,
      meanMs: null,
      minMs: null,
      maxMs: null,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    };
  }
  const { latencyMin: min, latencyMax: max } = acc;
  return {
    calls: acc.calls,
    errors: acc.errors,
    errorRate: acc.errors / acc.calls,
    meanMs: round(acc.latencySum / acc.calls),
    minMs: round(min),
    maxMs: round(max),
    p50Ms: quantile(acc.histogram, 0.5, min, max),
    p95Ms: quantile(acc.histogram, 0.95, min, max),
    p99Ms: quantile(acc.histogram, 0.99, min, max),
  };
}

/** The report of a server's per-tool accumulators over minutes `from`..`to`: per tool by name, and in total. */
export function statsReport(
  server: string,
  from: number,
  to: number,
  perTool: ReadonlyMap<string, StatsAccumulator>,
): ToolStatsReport {
  const total = emptyAccumulator();
  const tools = [...perTool.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([tool, acc]) => {
      mergeInto(total, acc);
      return { tool, ...finishStats(acc) };
    });
  return {
    server,
    since: new Date(from * MINUTE_MS).toISOString(),
    until: new Date((to + 1) * MINUTE_MS).toISOString(),
    total: finishStats(total),
    tools,
  };
}
