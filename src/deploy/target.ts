/**
 * Deployment targets: where a registered server runs. The control plane records the desired state in the
 * registry and asks the target to converge; the target owns the runtime side (processes, containers), the
 * storage of environment values (never the registry), health and logs.
 *
 * `local` (supervised processes on this machine, below) and `docker` (docker-target.ts) are implemented;
 * Kubernetes and microVM targets plug in here by implementing DeploymentTarget.
 */

import { FactoryError } from '../core/errors/index.js';
import type { HomeLayout } from '../platform/home.js';
import { authHeaders, probeMcp } from '../platform/mcp-client/health.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../platform/secrets.js';
import type { DeploymentRecord } from '../store/index.js';
import type { SupervisorLink } from './targets/local/link.js';
import { readLog } from './targets/local/logs.js';
import type { DeploymentRuntime } from './targets/local/supervisor.js';
import type { HealthReport, LogQuery, TargetName } from './types.js';

export interface TargetContext {
  server: string;
  /** The generated project of the revision being deployed. */
  projectDir: string;
}

export interface DeploymentTarget {
  readonly name: TargetName;
  /** Throws (DEPLOY_TARGET_UNAVAILABLE, …) when this target cannot run the deployment; before anything is recorded. */
  ensureAvailable(context: TargetContext): Promise<void>;
  /** The environment values stored for a server's deployment on this target. */
  readEnv(server: string): Record<string, string>;
  /** Replace them (the registry only gets the names, as secret references). */
  writeEnv(server: string, env: Record<string, string>): void;
  removeEnv(server: string): void;
  /**
   * Converge these deployments on the desired state recorded in the registry now (local: make sure the
   * supervisor runs and nudge it). Targets report what actually runs back into the registry (status, process or
   * container id, port, endpoint, last error); the control plane waits for that.
   */
  apply(deployments: DeploymentRecord[]): Promise<void>;
  /** Live health of deployments on this target, by deployment id (missing: unknown). */
  health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown }>,
  ): Promise<Map<number, HealthReport & { runtime?: DeploymentRuntime }>>;
  logs(server: string, query?: LogQuery): AsyncIterable<string>;
}

/** Supervised Node processes on this machine (see src/supervisor). */
export class LocalTarget implements DeploymentTarget {
  readonly name = 'local' as const;
  readonly #layout: HomeLayout;
  readonly #link: SupervisorLink;

  constructor(layout: HomeLayout, link: SupervisorLink) {
    this.#layout = layout;
    this.#link = link;
  }

  async ensureAvailable(): Promise<void> {
    if (process.platform !== 'linux') {
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        'the local target needs Linux in this build (its supervisor verifies processes through /proc)',
      );
    }
  }

  readEnv(server: string): Record<string, string> {
    return readEnvFile(this.#layout.envFile(server));
  }

  writeEnv(server: string, env: Record<string, string>): void {
    writeEnvFile(this.#layout.envFile(server), env);
  }

  removeEnv(server: string): void {
    removeEnvFile(this.#layout.envFile(server));
  }

  async apply(): Promise<void> {
    await this.#link.ensure();
    await this.#link.nudge();
  }

  async health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown }>,
  ): Promise<Map<number, HealthReport & { runtime?: DeploymentRuntime }>> {
    const out = new Map<number, HealthReport & { runtime?: DeploymentRuntime }>();
    if (deployments.length === 0) return out;
    const live = await this.#link.health();
    if (live) {
      for (const runtime of live) out.set(runtime.id, { ...runtime.health, runtime });
      return out;
    }
    // No supervisor: check what the registry says is running, once, from here.
    for (const d of deployments) {
      if (d.status !== 'running' || !d.endpoint) continue;
      const headers = authHeaders(
        (await spec(d)) as Parameters<typeof authHeaders>[0],
        this.readEnv(d.server),
      );
      const sample = await probeMcp(d.endpoint, { headers, timeoutMs: 3000 });
      out.set(d.id, {
        health: sample.ok ? 'healthy' : 'unhealthy',
        ...(sample.ok ? { responseMs: Math.round(sample.ms * 10) / 10 } : {}),
        checkedAt: new Date(sample.at).toISOString(),
        detail: `supervisor not running: one-off check${sample.error ? ` (${sample.error})` : ''}`,
      });
    }
    return out;
  }

  logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    return readLog(this.#layout.logFile(server), {
      tail: query.tail ?? 100,
      follow: query.follow ?? false,
      ...(query.signal ? { signal: query.signal } : {}),
    });
  }
}
