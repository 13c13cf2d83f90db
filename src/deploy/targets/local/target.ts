/**
 * The local target: supervised Node processes on this machine. The supervisor (supervisor.ts, a separate
 * long-running process per factory home) converges the registry's desired state; this side starts it on demand
 * and nudges it (link.ts). Environment values live in the local secret store (`<home>/secrets/<name>.env`,
 * 0600), output in `<home>/logs/<name>.log`.
 */
import { FactoryError } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import { requireSandbox } from '../../../platform/sandbox/index.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../../../platform/secrets.js';
import type { DeploymentRecord } from '../../../store/index.js';
import type {
  DeploymentHealth,
  DeploymentTarget,
  TargetContext,
  TargetFactoryContext,
} from '../../target.js';
import type { HealthReport, LogQuery } from '../../types.js';
import { SupervisorLink } from './link.js';
import { readLog, tailLines } from './logs.js';
import { setUnsafeNoSandbox } from './sandbox-launch.js';
import type { DeploymentRuntime } from './supervisor.js';

export class LocalTarget implements DeploymentTarget {
  readonly name = 'local' as const;
  readonly #layout: HomeLayout;
  /** The control plane's handle on this home's supervisor (also behind `mcp-factory supervisor …`). */
  readonly link: SupervisorLink;

  constructor(layout: HomeLayout, link: SupervisorLink) {
    this.#layout = layout;
    this.link = link;
  }

  static create(context: TargetFactoryContext): LocalTarget {
    const link = new SupervisorLink(context.layout, {
      autoStart: context.options.autoStart ?? true,
      env: context.options.env,
      registryUrl: context.options.registryUrl,
    });
    return new LocalTarget(context.layout, link);
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
    if (process.platform !== 'linux') {
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        'the local target needs Linux in this build (its supervisor verifies processes through /proc)',
      );
    }
    if (context.runtime !== undefined) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `--runtime ${context.runtime} applies to the docker target; local servers run in the bubblewrap sandbox`,
      );
    }
    // Every local server runs in the sandbox; without one, only an explicit opt-out lets it run (recorded for
    // the supervisor in the server's directory, cleared by any deploy that does not ask for it).
    const support = requireSandbox(`${context.server}`, { unsafeNoSandbox: context.unsafeNoSandbox });
    setUnsafeNoSandbox(this.#layout, context.server, !support.available && context.unsafeNoSandbox === true);
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
    await this.link.ensure();
    await this.link.nudge();
  }

  /** The desired state is in the registry: a supervisor that died while the control plane waits is replaced. */
  async keepConverging(): Promise<void> {
    await this.link.ensure();
  }

  async health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>,
  ): Promise<Map<number, DeploymentHealth>> {
    const out = new Map<number, HealthReport & { runtime?: DeploymentRuntime }>();
    if (deployments.length === 0) return out;
    const live = await this.link.health();
    if (live) {
      for (const runtime of live) out.set(runtime.id, { ...runtime.health, runtime });
      return out;
    }
    // No supervisor: check what the registry says is running, once, from here. The MCP client is loaded only
    // when there is something to probe (start-up time of `status`).
    if (!deployments.some((d) => d.status === 'running' && d.endpoint)) return out;
    const { probeDeployments, sampleReport } = await import('../../health.js');
    return probeDeployments(deployments, {
      spec,
      env: (d) => this.readEnv(d.server),
      classify: (sample) =>
        sampleReport(sample, {
          detail: `supervisor not running: one-off check${sample.error ? ` (${sample.error})` : ''}`,
        }),
    });
  }

  logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    return readLog(this.#layout.logFile(server), {
      tail: query.tail ?? 100,
      follow: query.follow ?? false,
      ...(query.signal ? { signal: query.signal } : {}),
    });
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    return tailLines(this.#layout.logFile(server), lines);
  }
}
