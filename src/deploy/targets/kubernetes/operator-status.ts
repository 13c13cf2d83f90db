/**
 * The status an MCPServer gets after a reconcile, with no I/O: conditions Ready / Progressing / Degraded (each
 * keeps its lastTransitionTime while its status stays the same, so an unchanged outcome is an unchanged status and
 * no patch), observedGeneration, replicas, readyReplicas, endpoint and revision. A refused or failed reconcile
 * leaves endpoint, revision and replica counts as they were: nothing was applied, so what ran keeps running.
 */
import type { DeploymentStatus } from './cluster.js';
import type { McpServerCondition, McpServerStatus } from './operator-api.js';

export type Outcome =
  | { kind: 'invalid'; reason: string; messages: string[] }
  | { kind: 'failed'; reason: 'ApplyConflict' | 'ApplyFailed'; message: string }
  | {
      kind: 'applied';
      revision: string;
      image: string;
      endpoint: string;
      deployment: DeploymentStatus | undefined;
    };

/** Status messages are read by people in `kubectl describe`; the CRD allows 32 KiB. */
const MAX_MESSAGE = 4000;

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

/** Whether a rollout of `image` is complete: every replica updated and available. */
export function rolloutComplete(deployment: DeploymentStatus | undefined, image: string): boolean {
  if (!deployment || deployment.image !== image || deployment.replicas < 1) return false;
  return (
    deployment.updatedReplicas >= deployment.replicas && deployment.availableReplicas >= deployment.replicas
  );
}

export function nextStatus(
  previous: McpServerStatus | undefined,
  generation: number,
  outcome: Outcome,
  now: string,
): McpServerStatus {
  const conditions: McpServerCondition[] = [];
  const set = (type: McpServerCondition['type'], status: 'True' | 'False', reason: string, message = '') => {
    const before = previous?.conditions?.find((c) => c.type === type);
    conditions.push({
      type,
      status,
      reason,
      message: clip(message),
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
      observedGeneration: generation,
    });
  };
  const kept = {
    ...(previous?.replicas === undefined ? {} : { replicas: previous.replicas }),
    ...(previous?.readyReplicas === undefined ? {} : { readyReplicas: previous.readyReplicas }),
    ...(previous?.endpoint === undefined ? {} : { endpoint: previous.endpoint }),
    ...(previous?.revision === undefined ? {} : { revision: previous.revision }),
  };
  if (outcome.kind === 'invalid') {
    const message = outcome.messages.join('\n');
    set('Ready', 'False', outcome.reason, 'the resource was refused; nothing was applied');
    set('Progressing', 'False', outcome.reason);
    set('Degraded', 'True', outcome.reason, message);
    return { conditions, observedGeneration: generation, ...kept };
  }
  if (outcome.kind === 'failed') {
    set('Ready', 'False', outcome.reason, 'the objects could not be applied');
    set('Progressing', 'False', outcome.reason);
    set('Degraded', 'True', outcome.reason, outcome.message);
    return { conditions, observedGeneration: generation, ...kept };
  }
  const d = outcome.deployment;
  const complete = rolloutComplete(d, outcome.image);
  const detail = d
    ? `${d.availableReplicas}/${d.replicas} available, ${d.updatedReplicas} updated (${d.image})`
    : 'the Deployment does not exist yet';
  if (complete) {
    set('Ready', 'True', 'Available', detail);
    set('Progressing', 'False', 'RolloutComplete', detail);
  } else {
    set('Ready', 'False', d ? 'RollingOut' : 'DeploymentMissing', detail);
    set('Progressing', 'True', 'RollingOut', `rolling out ${outcome.image}: ${detail}`);
  }
  set('Degraded', 'False', 'AsExpected');
  return {
    conditions,
    observedGeneration: generation,
    replicas: d?.replicas ?? 0,
    readyReplicas: d?.availableReplicas ?? 0,
    endpoint: outcome.endpoint,
    revision: outcome.revision,
  };
}
