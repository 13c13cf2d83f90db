/**
 * Local deployments while no supervisor runs. Servers outlive their supervisor (they are detached), so after it
 * dies the registry still records them as running while nobody restarts a crash. This module tells which
 * recorded servers are really alive and stops them from the registry alone (`supervisor stop --stop-servers`
 * without a supervisor).
 *
 * Identity is proven exactly as the supervisor proves it (proc.ts): a process counts only when it carries this
 * home's markers in /proc/<pid>/environ and runs a bundle below `<home>/servers/`; when the registry recorded
 * `<pid>:<start ticks>`, the start time must match too. A reused pid is never signalled (terminate() re-checks
 * the start time before every signal).
 */

import type { HomeLayout } from '../../../platform/home.js';
import type { DeploymentRecord, Registry } from '../../../store/index.js';
import { clusterSettings } from '../../cluster.js';
import { findMarkedProcesses, type MarkedProcess, parseProcessId, terminate } from './proc.js';

/** Statuses in which a local deployment needs a supervisor watching it. */
const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['pending', 'starting', 'running', 'stopping']);

/** Local deployments the registry records as active: a supervisor should be watching them. */
export function activeLocalDeployments(deployments: readonly DeploymentRecord[]): DeploymentRecord[] {
  return deployments.filter((d) => d.target === 'local' && ACTIVE_STATUSES.has(d.status));
}

/**
 * The live, proven process of a deployment among `marked` (findMarkedProcesses of its home): the recorded
 * `<pid>:<start ticks>` when there is one, else any process carrying the deployment's marker.
 */
export function liveProcessOf(
  d: DeploymentRecord,
  marked: readonly MarkedProcess[],
): MarkedProcess | undefined {
  const recorded = parseProcessId(d.processId);
  return marked.find(
    (p) =>
      p.deploymentId === d.id &&
      (!recorded ||
        (p.pid === recorded.pid &&
          (recorded.startTicks === undefined || p.startTicks === recorded.startTicks))),
  );
}

export interface StoppedServer {
  pid: number;
  deployment: number;
  server: string | null;
  outcome: 'not-running' | 'terminated' | 'killed';
}

/**
 * Stop every server process of this home without a supervisor: each process proven ours (markers + bundle
 * path; see the module comment) gets SIGTERM, then SIGKILL after `graceMs`. Then the registry records the
 * home's active local deployments as stopped (desired state unchanged: the next supervisor starts them again,
 * as after `supervisor stop --stop-servers` with a supervisor). Call it only when no supervisor answers.
 */
export async function stopUnsupervisedServers(
  layout: HomeLayout,
  registry: Registry,
  options: { graceMs: number; actor: string },
): Promise<StoppedServer[]> {
  const deployments = (await registry.listDeployments()).filter((d) => d.target === 'local');
  const byId = new Map(deployments.map((d) => [d.id, d]));
  const marked = findMarkedProcesses(layout.home);
  const stopped = await Promise.all(
    marked.map(async (p) => ({
      pid: p.pid,
      deployment: p.deploymentId,
      server: byId.get(p.deploymentId)?.server ?? null,
      // A sandbox goes as a whole: bwrap's group, or the group an orphaned namespace init is left in.
      outcome: await terminate(p.pid, p.startTicks, options.graceMs, { sandboxed: p.sandboxed }),
    })),
  );
  await markStopped(layout, registry, deployments, options.actor);
  return stopped;
}

/** Record as stopped the active local deployments whose process is gone (a live one keeps its record). */
export async function markStopped(
  layout: HomeLayout,
  registry: Registry,
  deployments: readonly DeploymentRecord[],
  actor: string,
): Promise<void> {
  const remaining = findMarkedProcesses(layout.home);
  // In a cluster only this node's deployments: another node's are running there, not gone from here.
  const cluster = clusterSettings();
  const placements = cluster ? await registry.cluster.placements() : undefined;
  const ours = (d: DeploymentRecord) => !cluster || placements?.get(d.id) === cluster.node;
  for (const d of activeLocalDeployments(deployments).filter(ours)) {
    if (remaining.some((p) => p.deploymentId === d.id)) continue;
    await registry.updateDeployment(d.id, { status: 'stopped', processId: null }, { actor });
  }
}
