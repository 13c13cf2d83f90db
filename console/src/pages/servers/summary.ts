/** The servers list's per-server figures, from one GET /mcp/deployments instead of a request per row. Pure. */
import type { Deployment, ServerRecord, ServerSummary, StoredHealthCheck } from '../../api/types.ts';

const LIVE = new Set(['running', 'starting', 'deploying', 'pending']);

/** Per server, the deployment that represents it: the newest live one, else the newest of any. */
export function leadDeployments(deployments: readonly Deployment[]): Map<string, Deployment> {
  const lead = new Map<string, Deployment>();
  for (const d of deployments) {
    const current = lead.get(d.server);
    if (!current) {
      lead.set(d.server, d);
      continue;
    }
    const liveNew = LIVE.has(d.status);
    const liveOld = LIVE.has(current.status);
    if ((liveNew && !liveOld) || (liveNew === liveOld && d.id > current.id)) lead.set(d.server, d);
  }
  return lead;
}

/** The record's own summary (when the API sends one) completed with its lead deployment. */
export function withSummaries(
  servers: readonly ServerRecord[],
  deployments: readonly Deployment[] | undefined,
): ServerRecord[] {
  if (!deployments) return servers as ServerRecord[];
  const lead = leadDeployments(deployments);
  return servers.map((server) => {
    const d = lead.get(server.name);
    if (!d && !server.summary) return server;
    const summary: ServerSummary = {
      target: server.summary?.target ?? d?.target ?? null,
      endpoint: server.summary?.endpoint ?? (d && LIVE.has(d.status) ? d.endpoint : null),
      health: server.summary?.health ?? d?.health?.health ?? null,
      startedAt: server.summary?.startedAt ?? (d && LIVE.has(d.status) ? d.startedAt : null),
      ...(server.summary?.calls !== undefined ? { calls: server.summary.calls } : {}),
      ...(server.summary?.errors !== undefined ? { errors: server.summary.errors } : {}),
    };
    return { ...server, summary };
  });
}

export interface HealthSample {
  /** Deployment and check time: the same check seen on two refreshes counts once. */
  key: string;
  checkedAt: string;
  health: string;
  responseMs?: number;
}

export const HEALTH_SAMPLE_CAP = 500;

/** `samples` plus the deployments' latest checks not seen yet, oldest first, at most `cap`. */
export function mergeHealthSamples(
  samples: readonly HealthSample[],
  deployments: readonly Deployment[],
  cap = HEALTH_SAMPLE_CAP,
): HealthSample[] {
  const seen = new Set(samples.map((s) => s.key));
  const added: HealthSample[] = [];
  for (const d of deployments) {
    if (!d.health) continue;
    const key = `${d.id}:${d.health.checkedAt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    added.push({
      key,
      checkedAt: d.health.checkedAt,
      health: d.health.health,
      ...(d.health.responseMs !== undefined ? { responseMs: d.health.responseMs } : {}),
    });
  }
  if (added.length === 0) return samples as HealthSample[];
  const all = [...samples, ...added].sort((a, b) => Date.parse(a.checkedAt) - Date.parse(b.checkedAt));
  return all.length > cap ? all.slice(-cap) : all;
}

/** One slot of the health timeline: the worst state the server was in during it, or null (no data yet). */
export interface TimelineSlot {
  from: number;
  to: number;
  health: string | null;
  checks: number;
}

const SEVERITY: Record<string, number> = { healthy: 0, unknown: 1, degraded: 2, unhealthy: 3 };
const worse = (a: string | null, b: string) =>
  a === null || (SEVERITY[b] ?? 1) > (SEVERITY[a] ?? 1) ? b : a;

/**
 * Stored checks (oldest first) as `slots` equal slots over [since, until]. A state lasts until the next stored
 * check (the factory stores changes, plus one steady check a minute), so a slot without a check of its own
 * carries the state before it; slots before the first check have no data.
 */
export function healthTimeline(
  checks: readonly StoredHealthCheck[],
  since: number,
  until: number,
  slots: number,
): TimelineSlot[] {
  const width = (until - since) / slots;
  const out: TimelineSlot[] = [];
  let i = 0;
  let current: string | null = null;
  // Checks before the window set the state it starts in.
  while (i < checks.length && Date.parse(checks[i]!.checkedAt) < since) current = checks[i++]!.health;
  for (let k = 0; k < slots; k++) {
    const from = since + k * width;
    const to = k === slots - 1 ? until : from + width;
    let health = current;
    let count = 0;
    while (i < checks.length && Date.parse(checks[i]!.checkedAt) < to) {
      current = checks[i++]!.health;
      health = worse(health, current);
      count++;
    }
    out.push({ from, to, health, checks: count });
  }
  return out;
}
