/**
 * Failover in a factory cluster (docs/cluster.md): which of a gone node's deployments this node takes over.
 * Pure: the supervisor reads the registry, asks planFailover, then moves each planned deployment with a
 * compare-and-set (store/cluster.ts move), so when several live nodes plan from slightly different snapshots only
 * one of them wins each deployment.
 *
 * - A node is gone once silent for MCP_FACTORY_NODE_FAILOVER_AFTER_MS (never less than the dead-after time):
 *   longer than "dead", because a move restarts the server elsewhere while a node that only paused would have
 *   kept it.
 * - Its deployments that should run go to the live nodes, least loaded first (ties by name), one at a time with
 *   the load counted as it grows. The load is counted from the same placements snapshot (not read apart, which
 *   another node's moves could change in between): every live node computes the same plan from the same
 *   registry, so each takes its own share without talking to the others, and a snapshot taken part-way through
 *   another node's moves still gives the rest to this one.
 * - A deployment still stranded long after (three failover periods: the node meant to take it is not acting)
 *   is offered to every live node; the compare-and-set picks one.
 */
import type { NodeRecord } from '../store/index.js';

export interface FailoverInput {
  /** This node. */
  me: string;
  nodes: readonly NodeRecord[];
  /** Deployment id → node. */
  placements: ReadonlyMap<number, string>;
  /** Local deployments (id, desired state). */
  deployments: ReadonlyArray<{ id: number; desired: string }>;
  deadAfterMs: number;
  /** 0: never move. */
  failoverAfterMs: number;
}

export interface PlannedMove {
  deploymentId: number;
  from: string;
  /** How long the node it leaves has been silent. */
  silentMs: number;
}

/** How long a node is silent before its deployments move (never less than dead-after); undefined: never. */
export function failoverDelayMs(failoverAfterMs: number, deadAfterMs: number): number | undefined {
  return failoverAfterMs > 0 ? Math.max(failoverAfterMs, deadAfterMs) : undefined;
}

/** The gone nodes' deployments that this node should take over now (by id). */
export function planFailover(input: FailoverInput): PlannedMove[] {
  const { me, nodes, placements, deployments, deadAfterMs } = input;
  const goneAfter = failoverDelayMs(input.failoverAfterMs, deadAfterMs);
  if (goneAfter === undefined) return [];
  const silence = new Map(nodes.map((n) => [n.name, n.silentMs] as const));
  const live = nodes.filter((n) => n.silentMs <= deadAfterMs).map((n) => n.name);
  if (!live.includes(me)) live.push(me); // this node is acting, so it is live whatever its last heartbeat says
  const stranded = deployments
    .filter((d) => d.desired === 'running')
    .flatMap((d) => {
      const from = placements.get(d.id);
      if (from === undefined || from === me) return [];
      const silentMs = silence.get(from);
      // A node that never heartbeat (no record) is not known to be gone: a supervisor about to start.
      return silentMs !== undefined && silentMs > goneAfter ? [{ deploymentId: d.id, from, silentMs }] : [];
    })
    .sort((a, b) => a.deploymentId - b.deploymentId);
  const load = new Map<string, number>(live.map((n) => [n, 0]));
  for (const d of deployments) {
    const on = placements.get(d.id);
    if (d.desired === 'running' && on !== undefined && load.has(on)) load.set(on, (load.get(on) ?? 0) + 1);
  }
  const mine: PlannedMove[] = [];
  for (const move of stranded) {
    const to = [...load.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]![0];
    load.set(to, (load.get(to) ?? 0) + 1);
    if (to === me || move.silentMs > goneAfter * 3) mine.push(move);
  }
  return mine;
}
