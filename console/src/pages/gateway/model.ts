/**
 * The gateway's GET /health/detailed answer, and what the page derives from it (a breaker's tone and words,
 * an upstream's error rate). Pure.
 */
import type { Tone } from '../../components/Badge.tsx';

export interface ReplicaHealth {
  endpoint: string;
  connected: boolean;
  breaker: Breaker;
  benched: boolean;
  inFlight: number;
  calls: number;
  failures: number;
  lastError: string | null;
}

export type Breaker = 'closed' | 'open' | 'half-open' | 'isolated';

export interface UpstreamHealth {
  name: string;
  source: 'registry' | 'config' | 'api';
  connected: boolean;
  breaker: Breaker;
  tools: number | null;
  lastError: string | null;
  calls: number;
  failures: number;
  replicas?: ReplicaHealth[];
}

export interface GatewayHealth {
  status: string;
  tools: number;
  upstreams: UpstreamHealth[];
  report: { flagged: Array<{ tool: string; upstream: string; flags: string[]; blocked: boolean }> };
}

/** Closed is healthy; half-open is probing; open and isolated refuse calls. */
export function breakerTone(breaker: Breaker): Tone {
  return breaker === 'closed' ? 'ok' : breaker === 'half-open' ? 'warn' : 'bad';
}

export function breakerWords(breaker: Breaker): string {
  switch (breaker) {
    case 'closed':
      return 'closed (calls flow)';
    case 'half-open':
      return 'half-open (probing)';
    case 'open':
      return 'open (calls refused)';
    case 'isolated':
      return 'isolated (taken out)';
  }
}

export function errorRateText(calls: number, failures: number): string {
  if (calls <= 0) return '—';
  return `${((failures / calls) * 100).toFixed(failures / calls < 0.1 ? 1 : 0)}%`;
}

/** Upstreams needing attention first (open breaker, disconnected), then by name. */
export function sortUpstreams(upstreams: readonly UpstreamHealth[]): UpstreamHealth[] {
  const rank = (u: UpstreamHealth) => (u.breaker !== 'closed' ? 0 : u.connected ? 2 : 1);
  return [...upstreams].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** The gateway base the console may call: a same-origin absolute path only (no scheme, no host). */
export function gatewayBase(url: string | undefined): string | undefined {
  if (!url || !/^\/[A-Za-z0-9/_.-]*$/.test(url) || url.includes('..') || url.startsWith('//'))
    return undefined;
  return url.replace(/\/+$/, '');
}

/** GET {gateway}/cache (served by the factory from the gateway's metrics): per upstream. */
export interface UpstreamCache {
  upstream: string;
  hits: number;
  misses: number;
  hitRate: number | null;
  breaker: 'closed' | 'half-open' | 'open' | null;
}

/** A hit rate as the page shows it: a percentage, or a dash before any cacheable call. */
export function hitRateText(hitRate: number | null): string {
  if (hitRate === null || !Number.isFinite(hitRate)) return '—';
  return `${(hitRate * 100).toFixed(hitRate < 0.1 && hitRate > 0 ? 1 : 0)}%`;
}
