/**
 * The docker target: converges docker deployments recorded in the registry by building the revision's image
 * (once) and running its container through the Docker Engine client (engine.ts). Environment values live in the
 * local secret store (0600 files, `<home>/secrets/<name>.docker.env`) and reach the container at run time only;
 * the registry holds their names.
 */
import { createServer } from 'node:net';
import { FactoryError } from '../../../core/errors/index.js';
import { loadConfig } from '../../../platform/config.js';
import type { HomeLayout } from '../../../platform/home.js';
import { authHeaders } from '../../../platform/mcp-client/client.js';
import { probeMcp } from '../../../platform/mcp-client/probe.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../../../platform/secrets.js';
import type { DeploymentRecord, Registry } from '../../../store/index.js';
import { probeDeployments, sampleReport } from '../../health.js';
import type {
  DeploymentHealth,
  DeploymentTarget,
  TargetContext,
  TargetFactoryContext,
} from '../../target.js';
import type { LogQuery } from '../../types.js';
import { DockerEngine, imageTag } from './engine.js';

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
const ACTOR = 'docker-target';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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

  #envFile(server: string): string {
    return this.#options.layout.envFile(`${server}.docker`);
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
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
        const state = await this.engine.run({
          name: d.server,
          revision: d.revision,
          version: version.version,
          port,
          env,
          network: this.#network,
        });
        const endpoint = `http://127.0.0.1:${port}/mcp`;
        const headers = authHeaders(version.spec as Parameters<typeof authHeaders>[0], env);
        let sample = await probeMcp(endpoint, { headers, timeoutMs: 2000 });
        for (let i = 0; i < 60 && !sample.ok; i++) {
          await new Promise((r) => setTimeout(r, 250));
          sample = await probeMcp(endpoint, { headers, timeoutMs: 2000 });
        }
        if (!sample.ok)
          throw new Error(`the container did not answer MCP at ${endpoint}: ${sample.error ?? 'no answer'}`);
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
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown }>,
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
  async *logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    const first = await this.engine.logs(server, query.tail ?? 100).catch(() => [] as string[]);
    for (const line of first) yield line;
    let last = first[first.length - 1];
    while (query.follow && !query.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 1000));
      const lines = await this.engine.logs(server, 1000).catch(() => [] as string[]);
      const from = last === undefined ? 0 : lines.lastIndexOf(last) + 1;
      for (const line of lines.slice(from)) yield line;
      if (lines.length) last = lines[lines.length - 1];
    }
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    return this.engine.logs(server, lines).catch(() => [] as string[]);
  }
}
