/**
 * The cache and breaker summary the console shows, read from the gateway's Prometheus text (`/metrics`): per
 * upstream, result-cache hits and misses (and the hit rate), and the circuit breaker's state. Pure; lines that
 * are not one of the few series read here are ignored, so a gateway with more metrics parses the same.
 */

export type BreakerState = 'closed' | 'half-open' | 'open';

export interface UpstreamCacheSummary {
  upstream: string;
  hits: number;
  misses: number;
  /** hits / (hits + misses); null before any cacheable call. */
  hitRate: number | null;
  breaker: BreakerState | null;
}

const SERIES = {
  mcpf_gateway_cache_hits_total: 'hits',
  mcpf_gateway_cache_misses_total: 'misses',
  mcpf_gateway_circuit_open: 'circuit',
} as const;

// name{upstream="…"} value — label values are Prometheus-escaped (\\, \", \n).
const SAMPLE = /^([a-z_]+)\{upstream="((?:[^"\\]|\\.)*)"\}\s+([0-9.eE+-]+|NaN)$/;

export function cacheSummary(metricsText: string): UpstreamCacheSummary[] {
  const byUpstream = new Map<string, { hits: number; misses: number; circuit: number | null }>();
  for (const line of metricsText.split('\n')) {
    const match = SAMPLE.exec(line.trim());
    if (!match) continue;
    const field = SERIES[match[1] as keyof typeof SERIES];
    if (!field) continue;
    const upstream = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const entry = byUpstream.get(upstream) ?? { hits: 0, misses: 0, circuit: null };
    entry[field] = value;
    byUpstream.set(upstream, entry);
  }
  return [...byUpstream.entries()]
    .map(([upstream, e]) => ({
      upstream,
      hits: e.hits,
      misses: e.misses,
      hitRate: e.hits + e.misses > 0 ? e.hits / (e.hits + e.misses) : null,
      breaker: e.circuit === null ? null : e.circuit >= 1 ? 'open' : e.circuit > 0 ? 'half-open' : 'closed',
    }))
    .sort((a, b) => a.upstream.localeCompare(b.upstream)) as UpstreamCacheSummary[];
}
