/**
 * The Docker Engine client behind the docker target (target.ts): builds a server's image from its generated
 * Dockerfile and runs it through the Docker Engine API (dockerode). Secrets are injected at run time from the
 * deployment's environment and never baked into the image; containers carry labels so they can be found,
 * adopted and cleaned up; the root file system is read-only, capabilities are dropped and memory/CPU are limited.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { FactoryError } from '../../../core/errors/index.js';
import { loadConfig } from '../../../platform/config.js';

export const LABEL = {
  managed: 'dev.mcp-factory.managed',
  server: 'dev.mcp-factory.server',
  revision: 'dev.mcp-factory.revision',
  version: 'dev.mcp-factory.version',
} as const;

export interface DockerEngineOptions {
  /** Engine connection; default: DOCKER_HOST or the local socket. */
  docker?: Docker;
  /** Base image for `ARG NODE_IMAGE` (default MCP_FACTORY_NODE_IMAGE or node:22-alpine). */
  baseImage?: string;
}

export interface DockerRunOptions {
  name: string;
  revision: number;
  version: string;
  /** Host port the server is published on (127.0.0.1 only), or its port with host networking. */
  port: number;
  /** Values for the spec's environment references: passed to the container, never stored in the image. */
  env?: Record<string, string>;
  /** `bridge` publishes 127.0.0.1:port; `host` shares the host's network (tests, no bridge available). */
  network?: 'bridge' | 'host';
  memoryMb?: number;
  cpus?: number;
  /** OCI runtime registered with the engine, e.g. `runsc` (gVisor); default: the engine's default (runc). */
  runtime?: string | undefined;
  /**
   * A host folder mounted read-write at CONTAINER_STATE_DIR (the root file system is read-only): where the
   * server's triggers keep their history, idempotency keys and dead letters across container restarts.
   */
  stateDir?: string | undefined;
}

/** Where a container sees its state folder (DockerRunOptions.stateDir). */
export const CONTAINER_STATE_DIR = '/var/lib/mcp-state';

export interface ContainerState {
  id: string;
  name: string;
  server: string;
  revision: number;
  running: boolean;
  status: string;
  health?: string;
  exitCode?: number;
  startedAt?: string;
}

function dockerError(
  code: 'DOCKER_UNAVAILABLE' | 'DOCKER_BUILD_FAILED' | 'DOCKER_RUN_FAILED',
  message: string,
  hint: string,
  cause?: unknown,
): FactoryError {
  return new FactoryError(code, message, {
    issues: [{ code, message, path: '', hint }],
    ...(cause ? { cause } : {}),
  });
}

export function imageTag(name: string, revision: number): string {
  return `mcp-factory/${name}:r${revision}`;
}

export function containerName(name: string): string {
  return `mcp-factory-${name}`;
}

/** Files of a generated project that go into the build context (what the Dockerfile copies). */
function contextFiles(projectDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(projectDir, full));
    }
  };
  for (const top of ['Dockerfile', 'package.json', 'dist', 'data', 'assets']) {
    const full = join(projectDir, top);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) walk(full);
    else out.push(top);
  }
  return out;
}

async function followProgress(docker: Docker, stream: Readable): Promise<string[]> {
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string; stream?: string }>) => {
        const failed = error?.message ?? output?.find((o) => o.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const line = (event.stream ?? event.status ?? '').trim();
        if (line) log.push(line);
      },
    );
  });
  return log;
}

export class DockerEngine {
  readonly docker: Docker;
  readonly baseImage: string;

  constructor(options: DockerEngineOptions = {}) {
    this.docker = options.docker ?? new Docker();
    this.baseImage = options.baseImage ?? loadConfig().docker.nodeImage;
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw dockerError(
        'DOCKER_UNAVAILABLE',
        `the Docker engine is not reachable: ${(error as Error).message}`,
        'Start dockerd (or set DOCKER_HOST) and try again.',
        error,
      );
    }
  }

  /** The OCI runtimes registered with the engine (`docker info` → Runtimes), e.g. runc, runsc. */
  async runtimes(): Promise<string[]> {
    await this.ping();
    const info = (await this.docker.info()) as { Runtimes?: Record<string, unknown> };
    return Object.keys(info.Runtimes ?? {}).sort();
  }

  /** Refuse a runtime the engine does not know, with how to register it (DEPLOY_RUNTIME_UNAVAILABLE). */
  async ensureRuntime(runtime: string): Promise<void> {
    const known = await this.runtimes();
    if (known.includes(runtime)) return;
    throw new FactoryError(
      'DEPLOY_RUNTIME_UNAVAILABLE',
      `the Docker engine has no runtime ${JSON.stringify(runtime)} (registered: ${known.join(', ') || 'none'})`,
      { details: { runtime, registered: known } },
    );
  }

  /** Build the image of one revision from its generated project; returns the tag. */
  async build(
    projectDir: string,
    name: string,
    revision: number,
    version: string,
  ): Promise<{ tag: string; log: string[] }> {
    await this.ping();
    const tag = imageTag(name, revision);
    try {
      const stream = await this.docker.buildImage({ context: projectDir, src: contextFiles(projectDir) }, {
        t: tag,
        buildargs: { NODE_IMAGE: this.baseImage },
        labels: {
          [LABEL.managed]: 'true',
          [LABEL.server]: name,
          [LABEL.revision]: String(revision),
          [LABEL.version]: version,
        },
        pull: false,
      } as Docker.ImageBuildOptions);
      const log = await followProgress(this.docker, stream as unknown as Readable);
      return { tag, log };
    } catch (error) {
      throw dockerError(
        'DOCKER_BUILD_FAILED',
        `building ${tag} failed: ${(error as Error).message}`,
        `Check that the base image ${this.baseImage} exists locally (set MCP_FACTORY_NODE_IMAGE to another Node image) and that the project has a bundle (dist/server.mjs).`,
        error,
      );
    }
  }

  /** Start the server's container, replacing any earlier one of the same server (never two at once). */
  async run(options: DockerRunOptions): Promise<ContainerState> {
    await this.ping();
    await this.remove(options.name);
    const network = options.network ?? 'bridge';
    const env = {
      ...options.env,
      MCP_TRANSPORT: 'http',
      PORT: String(options.port),
      HOST: network === 'host' ? '127.0.0.1' : '0.0.0.0',
      ...(options.stateDir ? { MCP_TRIGGER_STATE_DIR: CONTAINER_STATE_DIR } : {}),
    };
    try {
      const container = await this.docker.createContainer({
        name: containerName(options.name),
        Image: imageTag(options.name, options.revision),
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: {
          [LABEL.managed]: 'true',
          [LABEL.server]: options.name,
          [LABEL.revision]: String(options.revision),
          [LABEL.version]: options.version,
        },
        ExposedPorts: { [`${options.port}/tcp`]: {} },
        HostConfig: {
          NetworkMode: network,
          ...(network === 'bridge'
            ? {
                PortBindings: {
                  [`${options.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(options.port) }],
                },
              }
            : {}),
          ...(options.runtime ? { Runtime: options.runtime } : {}),
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
          ...(options.stateDir
            ? { Mounts: [{ Type: 'bind' as const, Source: options.stateDir, Target: CONTAINER_STATE_DIR }] }
            : {}),
          Memory: (options.memoryMb ?? 256) * 1024 * 1024,
          NanoCpus: Math.round((options.cpus ?? 1) * 1e9),
          PidsLimit: 256,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          // The engine restores the server after a daemon or machine restart unless it was stopped on purpose.
          RestartPolicy: { Name: 'unless-stopped' },
        },
      });
      await container.start();
      return await this.inspect(options.name);
    } catch (error) {
      if (error instanceof FactoryError) throw error;
      throw dockerError(
        'DOCKER_RUN_FAILED',
        `starting ${options.name} failed: ${(error as Error).message}`,
        'Check the port is free and the image was built (mcp-deploy builds it).',
        error,
      );
    }
  }

  async inspect(name: string): Promise<ContainerState> {
    const info = await this.docker.getContainer(containerName(name)).inspect();
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      server: info.Config.Labels?.[LABEL.server] ?? name,
      revision: Number(info.Config.Labels?.[LABEL.revision] ?? 0),
      running: info.State.Running,
      status: info.State.Status,
      ...(info.State.Health?.Status ? { health: info.State.Health.Status } : {}),
      ...(info.State.Running ? {} : { exitCode: info.State.ExitCode }),
      ...(info.State.StartedAt ? { startedAt: info.State.StartedAt } : {}),
    };
  }

  async stop(name: string, timeoutSeconds = 10): Promise<void> {
    try {
      await this.docker.getContainer(containerName(name)).stop({ t: timeoutSeconds });
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  async start(name: string): Promise<void> {
    await this.docker.getContainer(containerName(name)).start();
  }

  /** Remove the server's container (stopping it first); a missing container is not an error. */
  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(containerName(name)).remove({ force: true });
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  /** Every container this factory manages (label filter). */
  async list(): Promise<Array<{ id: string; server: string; revision: number; state: string }>> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managed}=true`] },
    });
    return containers.map((c) => ({
      id: c.Id,
      server: c.Labels[LABEL.server] ?? '',
      revision: Number(c.Labels[LABEL.revision] ?? 0),
      state: c.State,
    }));
  }

  /** Remove managed containers whose server is not in `keep` (orphans after a registry removal). */
  async removeOrphans(keep: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const c of await this.list()) {
      if (keep.has(c.server)) continue;
      await this.docker.getContainer(c.id).remove({ force: true });
      removed.push(c.server);
    }
    return removed;
  }

  async logs(name: string, tail = 200): Promise<string[]> {
    const buffer = (await this.docker
      .getContainer(containerName(name))
      .logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demux(buffer).split('\n').filter(Boolean);
  }

  async removeImages(name: string): Promise<void> {
    const images = await this.docker.listImages({ filters: { label: [`${LABEL.server}=${name}`] } });
    for (const image of images)
      await this.docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

function isGone(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 304;
}

/** Docker multiplexes stdout/stderr in 8-byte framed chunks when the container has no TTY. */
function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : out;
}

/**
 * Build a minimal Node base image from this machine's own node binary and its shared libraries
 * (for air-gapped machines and CI, where nothing can be pulled). Linux only.
 */
export async function importLocalNodeImage(docker: Docker, tag: string): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync, realpathSync, chmodSync } =
    await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { dirname } = await import('node:path');
  const root = mkdtempSync(join(tmpdir(), 'mcpf-node-root-'));
  try {
    const node = realpathSync(process.execPath);
    const place = (file: string) => {
      mkdirSync(join(root, dirname(file)), { recursive: true });
      copyFileSync(realpathSync(file), join(root, file));
    };
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(node, join(root, 'usr/local/bin/node'));
    chmodSync(join(root, 'usr/local/bin/node'), 0o755);
    const libs = execFileSync('ldd', [node], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const lib of libs) place(lib);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0::/root:/sbin/nologin\nnode:x:1000:1000::/tmp:/sbin/nologin\n',
    );
    mkdirSync(join(root, 'tmp'), { recursive: true });
    // As in every base image: world-writable and sticky (mkdir's mode is cut by the umask). A container's /tmp
    // tmpfs takes this mode.
    chmodSync(join(root, 'tmp'), 0o1777);
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 512 * 1024 * 1024 });
    const [repo, version = 'latest'] = tag.split(':');
    const stream = await docker.importImage(
      Object.assign(new (await import('node:stream')).PassThrough().end(tar), {}) as unknown as string,
      { repo, tag: version, changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin'] } as object,
    );
    await followProgress(docker, stream as unknown as Readable);
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** True when a Docker engine answers (tests use this to gate). */
export async function dockerAvailable(docker = new Docker()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

export function readProjectVersion(projectDir: string): string {
  return (JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { version: string }).version;
}
