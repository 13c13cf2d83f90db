/**
 * The control plane's side of the supervisor: find it, start it on demand (detached, with its own log file,
 * so it outlives the CLI that started it), nudge it, ask it for live health, shut it down.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FactoryError } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import { callChannel, ensureToken } from './channel.js';
import { startLogWriter } from './log-writer.js';
import { configuredLimits, tailLines } from './logs.js';
import type { DeploymentRuntime, SupervisorInfo } from './supervisor.js';

/** The supervisor's process entry (dist/surfaces/cli/supervisor-daemon.js), also when this module runs from src/. */
export function supervisorEntry(): string {
  const sibling = fileURLToPath(new URL('../../../surfaces/cli/supervisor-daemon.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL('../../../../dist/surfaces/cli/supervisor-daemon.js', import.meta.url));
}

export interface SupervisorLinkOptions {
  /** Start a supervisor when none runs (default true). */
  autoStart?: boolean | undefined;
  /** Environment of a supervisor started on demand (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  registryUrl?: string | undefined;
  /** Override the command (tests); default: this Node binary running supervisorEntry(). */
  command?: string[] | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SupervisorLink {
  readonly #layout: HomeLayout;
  readonly #options: SupervisorLinkOptions;
  #token: string | undefined;
  #ensuring: Promise<SupervisorInfo> | undefined;

  constructor(layout: HomeLayout, options: SupervisorLinkOptions = {}) {
    this.#layout = layout;
    this.#options = options;
  }

  #request<T>(op: 'ping' | 'reconcile' | 'health' | 'shutdown', timeoutMs: number, extra = {}): Promise<T> {
    this.#token ??= ensureToken(this.#layout.tokenFile);
    return callChannel<T>(this.#layout.socketAddress, { token: this.#token, op, ...extra }, timeoutMs);
  }

  /** The running supervisor, or undefined. */
  async ping(): Promise<SupervisorInfo | undefined> {
    try {
      return await this.#request<SupervisorInfo>('ping', 3000);
    } catch {
      return undefined;
    }
  }

  /** The running supervisor, started (detached) when there is none and autoStart allows it. */
  ensure(): Promise<SupervisorInfo> {
    // Concurrent callers share one attempt (a race between processes is settled by the supervisor's lock).
    this.#ensuring ??= this.#ensure().finally(() => {
      this.#ensuring = undefined;
    });
    return this.#ensuring;
  }

  async #ensure(): Promise<SupervisorInfo> {
    const running = await this.ping();
    if (running) return running;
    if (this.#options.autoStart === false) {
      throw new FactoryError('SUPERVISOR_UNAVAILABLE', 'no supervisor is running for this factory home', {
        details: { home: this.#layout.home, hint: 'Start one: mcp-factory supervisor' },
      });
    }
    return this.#spawn();
  }

  async #spawn(): Promise<SupervisorInfo> {
    const [command, ...args] = this.#options.command ?? [process.execPath, supervisorEntry()];
    if (!this.#options.command && !existsSync(args[0]!)) {
      throw new FactoryError('SUPERVISOR_UNAVAILABLE', `the supervisor entry ${args[0]} does not exist`, {
        details: { hint: 'Build MCP Factory first (npm run build).' },
      });
    }
    // Its output goes through the capped log writer, like a server's: the file never grows past the limit
    // between two reconcile passes, whatever the supervisor prints.
    const log = startLogWriter(this.#layout.supervisorLog, configuredLimits());
    let exited = false;
    try {
      const env: NodeJS.ProcessEnv = {
        ...(this.#options.env ?? process.env),
        MCP_FACTORY_HOME: this.#layout.home,
      };
      if (this.#options.registryUrl) env.MCP_FACTORY_REGISTRY_URL = this.#options.registryUrl;
      else delete env.MCP_FACTORY_REGISTRY_URL;
      const child = spawn(command!, [...args, '--home', this.#layout.home], {
        cwd: this.#layout.home,
        detached: true,
        stdio: ['ignore', log.writer.stdin ?? 'ignore', log.writer.stdin ?? 'ignore'],
        env,
      });
      child.on('error', () => {
        exited = true;
      });
      child.once('exit', () => {
        exited = true;
      });
      child.unref();
    } finally {
      log.release();
    }
    const deadline = Date.now() + 20_000;
    let exitedAt = 0;
    while (Date.now() < deadline) {
      await sleep(100);
      const info = await this.ping();
      if (info) return info;
      // It may have lost the race to another supervisor starting at the same time: give that one a moment.
      if (exited) {
        exitedAt ||= Date.now();
        if (Date.now() - exitedAt > 2000) break;
      }
    }
    throw new FactoryError('SUPERVISOR_UNAVAILABLE', 'the supervisor did not start', {
      details: {
        log: this.#layout.supervisorLog,
        output: tailLines(this.#layout.supervisorLog, 20).join('\n'),
      },
    });
  }

  /** Make the supervisor reconcile now and wait for that pass. */
  async nudge(): Promise<void> {
    await this.#request('reconcile', 60_000);
  }

  async health(): Promise<DeploymentRuntime[] | undefined> {
    try {
      return await this.#request<DeploymentRuntime[]>('health', 5000);
    } catch {
      return undefined;
    }
  }

  /** Ask the supervisor to exit (and with `stopServers` to stop every server first); false when none ran. */
  async shutdown(stopServers: boolean, timeoutMs = 60_000): Promise<boolean> {
    const info = await this.ping();
    if (!info) return false;
    await this.#request('shutdown', 5000, { stopServers });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.ping())) return true;
      await sleep(100);
    }
    throw new FactoryError('SUPERVISOR_UNAVAILABLE', `the supervisor (pid ${info.pid}) did not stop in time`);
  }
}
