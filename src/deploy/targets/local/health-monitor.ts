/**
 * The supervisor's health monitor: probes each managed server through MCP (platform/mcp-client/probe.ts) and
 * feeds its HealthTracker. A check answered by another server (serverInfo is not this deployment's name and
 * version: the port was taken) is a failed check, never a start. While a server starts it is polled every `startPollMs` until it first answers (then
 * it counts as started) or `startTimeoutMs` passes (then it is killed: a failed start). Once healthy it is
 * checked every `healthIntervalMs`; `unhealthyRestartAfter` failures in a row kill it as a crash. Adopted
 * processes are not the supervisor's children, so their exit is noticed by polling /proc (watchAdopted).
 * Every change the reconcile loop must act on wakes it. Each verdict goes to the registry's health history
 * (HealthHistoryRecorder: on change, at most one a minute otherwise).
 */
import { probeMcp } from '../../../platform/mcp-client/probe.js';
import { HealthHistoryRecorder } from '../../health.js';
import { appendSupervisorLine } from './logs.js';
import { isRunning, terminate } from './proc.js';
import type { Instance, Slot, SupervisorContext } from './state.js';

/** Start probes get at most this long: a starting server is polled often. */
const START_PROBE_TIMEOUT_MS = 2000;

export class HealthMonitor {
  readonly #ctx: SupervisorContext;
  readonly #history: HealthHistoryRecorder;

  constructor(ctx: SupervisorContext) {
    this.#ctx = ctx;
    this.#history = new HealthHistoryRecorder((error) =>
      ctx.log('could not record health', { error: String(error) }),
    );
  }

  #done(inst: Instance): boolean {
    return (
      this.#ctx.closing() || inst.exited || inst.stopReason !== undefined || inst.killReason !== undefined
    );
  }

  /** Check `inst` after `delayMs` (and keep checking until it exits or is stopped). */
  schedule(slot: Slot, inst: Instance, delayMs: number): void {
    if (this.#done(inst)) return;
    inst.timer = setTimeout(() => void this.#check(slot, inst), delayMs);
  }

  async #check(slot: Slot, inst: Instance): Promise<void> {
    const { config, layout } = this.#ctx;
    inst.timer = undefined;
    if (this.#done(inst)) return;
    const starting = !inst.healthy;
    const sample = await probeMcp(inst.endpoint, {
      headers: inst.headers,
      expect: inst.expect,
      timeoutMs: starting ? Math.min(config.healthTimeoutMs, START_PROBE_TIMEOUT_MS) : config.healthTimeoutMs,
    });
    if (this.#done(inst)) return;
    if (starting) {
      if (sample.ok) {
        inst.tracker.record(sample);
        inst.healthy = true;
        inst.everHealthy = true;
        inst.lastHealth = 'healthy';
        appendSupervisorLine(layout.logFile(slot.name), 'server is healthy', {
          pid: inst.pid,
          startMs: Date.now() - inst.spawnedAt,
        });
        this.#ctx.wake();
        await this.#history.record(
          this.#ctx.registry().health,
          { id: slot.id, server: slot.name, target: 'local' },
          inst.tracker.report(),
        );
      } else if (Date.now() - inst.spawnedAt > config.startTimeoutMs) {
        this.kill(
          inst,
          sample.wrongServer
            ? `never answered itself within ${config.startTimeoutMs} ms: ${sample.error}`
            : `did not answer MCP within ${config.startTimeoutMs} ms of starting`,
        );
        return;
      } else if (sample.wrongServer && inst.lastHealth !== 'wrong-server') {
        // Not healthy: the answer came from whatever else holds the port. Said once per instance.
        appendSupervisorLine(layout.logFile(slot.name), 'another server answers on this port', {
          pid: inst.pid,
          error: sample.error,
        });
        inst.lastHealth = 'wrong-server';
      }
    } else {
      inst.tracker.record(sample);
      const health = inst.tracker.report().health;
      if (health !== inst.lastHealth) {
        appendSupervisorLine(layout.logFile(slot.name), `health: ${health}`, {
          pid: inst.pid,
          ...(sample.error ? { error: sample.error } : { responseMs: Math.round(sample.ms) }),
        });
        inst.lastHealth = health;
        this.#ctx.wake();
      }
      await this.#history.record(
        this.#ctx.registry().health,
        { id: slot.id, server: slot.name, target: 'local' },
        inst.tracker.report(),
      );
      const failures = inst.tracker.consecutiveFailures;
      if (config.unhealthyRestartAfter > 0 && failures >= config.unhealthyRestartAfter) {
        this.kill(inst, `unhealthy: ${failures} health checks in a row failed (${sample.error ?? ''})`);
        return;
      }
    }
    this.schedule(slot, inst, inst.healthy ? config.healthIntervalMs : config.startPollMs);
  }

  /** Kill a server that does not work: its exit counts as a crash, with `reason`. */
  kill(inst: Instance, reason: string): void {
    inst.killReason = reason;
    void terminate(inst.pid, inst.startTicks, this.#ctx.config.stopGraceMs).then(() => {
      inst.exited = true;
      inst.exitText ??= reason;
      this.#ctx.wake();
    });
  }

  /** Adopted processes are not our children: poll them. */
  watchAdopted(slots: Iterable<Slot>): void {
    for (const slot of slots) {
      const inst = slot.instance;
      if (!inst || inst.exited || inst.child) continue;
      if (!isRunning(inst.pid, inst.startTicks)) {
        inst.exited = true;
        inst.exitText = 'exited (an adopted process: exit status unknown)';
        if (inst.timer) clearTimeout(inst.timer);
        this.#ctx.wake();
      }
    }
  }
}
