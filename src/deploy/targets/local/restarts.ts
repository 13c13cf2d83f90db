/**
 * The supervisor's restart policy. An exit the supervisor did not ask for is a crash. Before the server first
 * answered MCP it is a failed start: `maxStartFailures` in a row mark the deployment `failed`, and it is not
 * restarted until a management action (start, deploy) sets it `pending` again. After it answered, it is
 * restarted with exponential backoff; the crash counter resets once it stayed up `stableAfterMs`.
 */
import { backoffMs } from './config.js';
import { appendSupervisorLine } from './logs.js';
import type { Instance, Slot, SupervisorContext, WriteDeployment } from './state.js';

/** Record the exit of `inst` (not asked for) and schedule the restart, or give up. */
export async function crashed(
  ctx: SupervisorContext,
  slot: Slot,
  inst: Instance,
  write: WriteDeployment,
): Promise<void> {
  const uptimeMs = Date.now() - inst.spawnedAt;
  const reason = inst.killReason ?? inst.exitText ?? 'exited';
  appendSupervisorLine(ctx.layout.logFile(slot.name), 'server exited', { pid: inst.pid, reason, uptimeMs });
  ctx.log('server exited', { server: slot.name, deployment: slot.id, pid: inst.pid, reason, uptimeMs });
  if (!inst.everHealthy) {
    await startFailed(ctx, slot, reason, write);
    return;
  }
  if (uptimeMs >= ctx.config.stableAfterMs) slot.crashes = 0;
  slot.crashes++;
  slot.startFailures = 0;
  slot.restarts++;
  const delay = backoffMs(ctx.config, slot.crashes);
  slot.nextStartAt = Date.now() + delay;
  ctx.wakeAt(slot.nextStartAt);
  await write({
    status: 'starting',
    processId: null,
    lastError: `${reason}; restarting in ${delay} ms (crash ${slot.crashes} in a row)`,
  });
}

/** A start that did not reach a healthy server: retry after a backoff, or mark the deployment failed. */
export async function startFailed(
  ctx: SupervisorContext,
  slot: Slot,
  reason: string,
  write: WriteDeployment,
): Promise<void> {
  slot.startFailures++;
  if (slot.startFailures >= ctx.config.maxStartFailures) {
    slot.failed = true;
    const message = `failed to start ${slot.startFailures} times in a row (last: ${reason}); not restarted until mcp-start or mcp-deploy — see mcp-logs ${slot.name}`;
    appendSupervisorLine(ctx.layout.logFile(slot.name), 'giving up: deployment marked failed', {
      attempts: slot.startFailures,
    });
    ctx.log('deployment failed', { server: slot.name, deployment: slot.id, reason });
    await write({ status: 'failed', processId: null, lastError: message });
    return;
  }
  slot.restarts++;
  const delay = backoffMs(ctx.config, slot.startFailures);
  slot.nextStartAt = Date.now() + delay;
  ctx.wakeAt(slot.nextStartAt);
  await write({
    status: 'starting',
    processId: null,
    lastError: `${reason}; retrying in ${delay} ms (failed start ${slot.startFailures} of ${ctx.config.maxStartFailures})`,
  });
}
