/**
 * The docker target: converges docker deployments recorded in the registry by building the revision's image
 * (once) and running its container through the Docker Engine client (engine.ts). Environment values live in the
 * local secret store (0600 files, `<home>/secrets/<name>.docker.env`) and reach the container at run time only;
 * the registry holds their names. A deploy may ask for another OCI runtime per server (`--runtime runsc`: gVisor,
 * a user-space kernel between the server and the host); it must be registered with the engine, and the choice is
 * kept in `<home>/servers/<name>/docker-runtime` for every later (re)start.
 */
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../../core/errors/index.js';
import { loadConfig } from '../../../platform/config.js';
import type { HomeLayout } from '../../../platform/home.js';
import { serverProcessEnv, upstreamCredentials } from '../../../platform/mcp-client/oauth.js';
import { probeMcp } from '../../../platform/mcp-client/probe.js';
import { freePort, portIsFree } from '../../../platform/ports.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../../../platform/secrets.js';
import type { DeploymentRecord, Registry } from '../../../store/index.js';
import { expectedServer, probeDeployments, sampleReport } from '../../health.js';
import type {
  DeploymentHealth,
  DeploymentTarget,
  TargetContext,
  TargetFactoryContext,
} from '../../target.js';
import { triggerStateDir } from '../../trigger-history.js';
import type { LogQuery } from '../../types.js';
import { followLines } from '../follow-lines.js';

/** The least time a container gets from start to its first MCP answer. */
const CONTAINER_START_MS = 60_000;

import { DockerEngine, imageTag } from './engine.js';

/** The uid and gid generated images run as (build/generator/project-files.ts dockerfile()). */
const CONTAINER_USER = 1000;

function triggersOf(spec: unknown): boolean {
  const triggers = (spec as { triggers?: unknown[] }).triggers;
  return Array.isArray(triggers) && triggers.length > 0;
}

export interface DockerDeploymentOptions {
  layout: HomeLayout;
  registry: () => Promise<Registry>;
  projectDir: (server: string, revision: number) => Promise<string>;
  /** `bridge` publishes 127.0.0.1:port (default); `host` where the engine has no bridge (MCP_FACTORY_DOCKER_NETWORK). */
  network?: 'bridge' | 'host';
  engine?: DockerEngine;
}

/** Answers slower than this make a container `degraded`. */
const SLOW_MS = 1000;
/** An OCI runtime name as dockerd registers them. */
const RUNTIME_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ACTOR = 'docker-target';

export class DockerDeploymentTarget implements DeploymentTarget {
  readonly name = 'docker' as const;
  readonly engine: DockerEngine;
  readonly #options: DockerDeploymentOptions;
  readonly #network: 'bridge' | 'host';

  constructor(options: DockerDeploymentOptions) {
    this.#options = options;
    this.engine = options.engine ?? new DockerEngine();
    this.#network = options.network ?? loadConfig().docker.network;
  }

  static create(context: TargetFactoryContext): DockerDeploymentTarget {
    return new DockerDeploymentTarget({
      layout: context.layout,
      registry: context.registry,
      projectDir: context.projectDir,
    });
  }

  /**
   * The server's trigger state on the host (the same folder as on the local target, so the factory imports
   * its history the same way), owned by the image's user (1000, see the generated Dockerfile) when we can.
   */
  #stateDir(server: string): string {
    const dir = triggerStateDir(this.#options.layout, server);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.getuid?.() === 0) chownSync(dir, CONTAINER_USER, CONTAINER_USER);
    return dir;
  }

  #envFile(server: string): string {
    return this.#options.layout.envFile(`${server}.docker`);
  }

  /** Where a server's container runtime choice is kept (the registry has no field for it). */
  #runtimeFile(server: string): string {
    return join(this.#options.layout.serverDir(server), 'docker-runtime');
  }

  /** The OCI runtime recorded for a server by its last deploy (undefined: the engine's default). */
  runtimeOf(server: string): string | undefined {
    try {
      const name = readFileSync(this.#runtimeFile(server), 'utf8').trim();
      return RUNTIME_NAME.test(name) ? name : undefined;
    } catch {
      return undefined;
    }
  }

  async #recordRuntime(context: TargetContext): Promise<void> {
    const runtime = context.runtime;
    if (runtime === undefined) {
      rmSync(this.#runtimeFile(context.server), { force: true });
      return;
    }
    if (!RUNTIME_NAME.test(runtime)) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `--runtime ${JSON.stringify(runtime)} is not a runtime name`,
      );
    }
    await this.engine.ensureRuntime(runtime);
    mkdirSync(this.#options.layout.serverDir(context.server), { recursive: true, mode: 0o700 });
    writeFileSync(this.#runtimeFile(context.server), `${runtime}\n`, { mode: 0o600 });
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
    await this.#ping(context);
    await this.#recordRuntime(context);
  }

  async #ping(context: TargetContext): Promise<void> {
    try {
      await this.engine.ping();
    } catch (error) {
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `the docker target needs a running Docker engine: ${(error as Error).message}`,
        {
          details: {
            hint: `Start dockerd (or set DOCKER_HOST), or deploy ${context.server} with --target local.`,
          },
          cause: error,
        },
      );
    }
  }

  readEnv(server: string): Record<string, string> {
    return readEnvFile(this.#envFile(server));
  }

  writeEnv(server: string, env: Record<string, string>): void {
    writeEnvFile(this.#envFile(server), env);
  }

  removeEnv(server: string): void {
    removeEnvFile(this.#envFile(server));
  }

  async apply(deployments: DeploymentRecord[]): Promise<void> {
    const registry = await this.#options.registry();
    for (const given of deployments) {
      if (given.target !== this.name) continue;
      // The registry is the source of truth: the caller's copy may predate its own update of the desired state.
      const d = await registry.getDeployment(given.id);
      if (d.desired === 'stopped') {
        await this.engine.remove(d.server);
        await registry.updateDeployment(d.id, { status: 'stopped' }, { actor: ACTOR });
        continue;
      }
      try {
        const version = await registry.getVersion(d.server, d.revision);
        const dir = await this.#options.projectDir(d.server, d.revision);
        const tag = imageTag(d.server, d.revision);
        const built = await this.engine.docker
          .getImage(tag)
          .inspect()
          .then(() => true)
          .catch(() => false);
        if (!built) await this.engine.build(dir, d.server, d.revision, version.version);
        const port = d.port ?? (await freePort());
        const env = this.readEnv(d.server);
        // A port held by something else makes the container crash-loop while the health check reaches the
        // other program: refuse up front (after removing this server's own earlier container, which may hold it).
        await this.engine.remove(d.server);
        if (!(await portIsFree(port))) {
          throw new FactoryError(
            'DEPLOY_PORT_IN_USE',
            `port ${port} is already in use by another program: ${d.server} was not started`,
            { details: { port } },
          );
        }
        const state = await this.engine.run({
          name: d.server,
          revision: d.revision,
          version: version.version,
          port,
          env: serverProcessEnv(version.spec as Parameters<typeof serverProcessEnv>[0], env),
          network: this.#network,
          runtime: this.runtimeOf(d.server),
          stateDir: triggersOf(version.spec) ? this.#stateDir(d.server) : undefined,
        });
        const endpoint = `http://127.0.0.1:${port}/mcp`;
        const headers = upstreamCredentials(
          version.spec as Parameters<typeof upstreamCredentials>[0],
          env,
          endpoint,
        );
        const expect = expectedServer(d, { version: version.version });
        // By a deadline, not a count of probes: a refused connection fails at once, and a container (gVisor
        // more so) on a loaded machine can take far longer to start than a local process.
        const deadline = Date.now() + Math.max(loadConfig().supervisor.startTimeoutMs, CONTAINER_START_MS);
        let sample = await probeMcp(endpoint, { headers, timeoutMs: 2000, expect });
        while (!sample.ok && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          sample = await probeMcp(endpoint, { headers, timeoutMs: 2000, expect });
        }
        if (!sample.ok) {
          // Say whether it is still starting or has died: the two need different fixes.
          const seen = await this.engine.inspect(d.server).catch(() => undefined);
          const where = seen ? (seen.running ? 'still running' : `not running: ${seen.status}`) : 'gone';
          throw new Error(
            `the container did not answer MCP at ${endpoint} (container ${where}): ${sample.error ?? 'no answer'}`,
          );
        }
        // Answering is not enough: the container itself must be up (not restarting between crashes).
        const now = await this.engine.inspect(d.server);
        if (!now.running || now.id !== state.id)
          throw new Error(`the container is not running (${now.status}) although ${endpoint} answers`);
        await registry.updateDeployment(
          d.id,
          { status: 'running', port, endpoint, processId: state.id, lastError: null },
          { actor: ACTOR },
        );
      } catch (error) {
        await registry.updateDeployment(
          d.id,
          { status: 'failed', lastError: (error as Error).message.slice(0, 2000) },
          { actor: ACTOR },
        );
      }
    }
  }

  async health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>,
  ): Promise<Map<number, DeploymentHealth>> {
    return probeDeployments(
      deployments.filter((d) => d.target === this.name),
      {
        spec,
        env: (d) => this.readEnv(d.server),
        classify: (sample) => sampleReport(sample, { slowMs: SLOW_MS }),
      },
    );
  }

  /** The container's output; with `follow`, new lines are polled every second (after the last line seen). */
  logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    return followLines((n) => this.recentOutput(server, n), query);
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    return this.engine.logs(server, lines).catch(() => [] as string[]);
  }
}
