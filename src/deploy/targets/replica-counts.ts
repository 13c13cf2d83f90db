/**
 * Replica counts in the registry, shared by the multi-replica targets (swarm, kubernetes): desired is what the
 * target was asked for, actual what it last saw running. Health checks run often, so the row is written only
 * when a count changed (an unchanged report leaves `updated_at` alone).
 */
import type { DeploymentRecord, Registry } from '../../store/index.js';

export interface ReplicaCounts {
  desired?: number | undefined;
  actual?: number | undefined;
}

/** Write the counts that differ from `d`'s; returns the record as it is now. */
export async function recordReplicas(
  registry: Registry,
  d: DeploymentRecord,
  counts: ReplicaCounts,
): Promise<DeploymentRecord> {
  const patch = {
    ...(counts.desired !== undefined && counts.desired !== d.replicasDesired
      ? { replicasDesired: counts.desired }
      : {}),
    ...(counts.actual !== undefined && counts.actual !== d.replicasActual
      ? { replicasActual: counts.actual }
      : {}),
  };
  if (Object.keys(patch).length === 0) return d;
  return registry.updateDeployment(d.id, patch);
}

/** `replicas 2/3` (actual/desired; `?` before the first report), or undefined for a single-instance target. */
export function describeReplicaCounts(d: {
  replicasDesired: number | null;
  replicasActual: number | null;
}): string | undefined {
  if (d.replicasDesired === null) return undefined;
  return `replicas ${d.replicasActual ?? '?'}/${d.replicasDesired}`;
}
