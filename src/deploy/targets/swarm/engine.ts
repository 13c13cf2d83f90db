/**
 * The Docker Engine side of the swarm target (target.ts): swarm mode (initialised on a single node when
 * inactive, never left), the swarm image of a revision (its docker image plus the entrypoint of entrypoint.ts),
 * the server's environment as a content-addressed Docker secret, and one replicated service per server.
 *
 * Networking: the factory's engine runs without a bridge or iptables, so the routing mesh cannot publish ports.
 * Services run on the `host` network and each replica listens on PORT_BASE + slot - 1 (slot = {{.Task.Slot}}),
 * so the factory knows every replica's endpoint. Two tasks of one slot cannot listen at once, hence rolling
 * updates are stop-first (one replica at a time: the others keep serving).
 *
 * Everything created carries the labels of LABEL (docker/engine.ts) so a restarted factory adopts it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { FactoryError } from '../../../core/errors/index.js';
import { DockerEngine, imageTag, LABEL } from '../docker/engine.js';
import {
  ENTRYPOINT_PATH,
  ENTRYPOINT_SOURCE,
  PORT_BASE_ENV,
  SECRET_FILE,
  SLOT_ENV,
  swarmDockerfile,
} from './entrypoint.js';

/** Labels of swarm objects, beyond docker/engine.ts's. */
export const SWARM_LABEL = { secret: 'dev.mcp-factory.env-hash' } as const;

export interface ServiceSettings {
  server: string;
  revision: number;
  version: string;
  replicas: number;
  /** First replica's port; replica `slot` listens on portBase + slot - 1. */
  portBase: number;
  /** Per replica. */
  cpus: number;
  memoryMb: number;
  /** Placement constraints as Docker writes them, e.g. `node.role==manager`. */
  constraints: string[];
  /** The server's environment (values): a Docker secret, never in the spec. */
  env: Record<string, string>;
}

export interface ServiceState {
  id: string;
  revision: number;
  replicas: number;
  portBase: number;
  /** Docker's UpdateStatus.State: updating, completed, rollback_started, rollback_completed, paused … */
  update?: string | undefined;
  updateMessage?: string | undefined;
  /** When the last update started (epoch ms). */
  updateStartedAt?: number | undefined;
  /** The secret the service's spec mounts now. */
  secret?: string | undefined;
}

export interface TaskState {
  id: string;
  slot: number;
  state: string;
  desired: string;
  containerId?: string | undefined;
  error?: string | undefined;
  revision: number;
  /** Hash of the environment the task was started with. */
  envHash: string;
}

const short = (text: string, n: number) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** DNS-safe prefix of a server name plus a hash of the whole name (distinct names never collide). */
function objectStem(server: string, keep: number): string {
  return `mcpf-${server.replace(/[^a-z0-9-]/g, '-').slice(0, keep)}-${short(server, 8)}`;
}

export function serviceName(server: string): string {
  return objectStem(server, 44);
}

/** The secret of one environment content: a new content is a new secret (secrets are immutable). */
export function secretName(server: string, envHash: string): string {
  return `${objectStem(server, 24)}-env-${envHash}`;
}

export function swarmImageTag(server: string, revision: number): string {
  return `${imageTag(server, revision)}-swarm`;
}

function envContent(env: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b))));
}

function isGone(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

async function followProgress(docker: Docker, stream: Readable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
      const failed = error?.message ?? output?.find((o) => o.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    });
  });
}

export class SwarmEngine {
  readonly images: DockerEngine;
  readonly docker: Docker;

  constructor(images: DockerEngine = new DockerEngine()) {
    this.images = images;
    this.docker = images.docker;
  }

  /** Whether an engine answers and is a swarm manager (never throws). */
  async isManager(): Promise<boolean> {
    try {
      const info = (await this.docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
      return info.Swarm?.ControlAvailable === true;
    } catch {
      return false;
    }
  }

  /** Make this engine a swarm manager (single node, loopback) when swarm mode is inactive; never leaves it. */
  async ensureSwarm(): Promise<void> {
    await this.images.ping();
    const state = (
      (await this.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }
    ).Swarm;
    if (state?.LocalNodeState === 'active') {
      if (state.ControlAvailable) return;
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        'this Docker engine is a swarm worker: the swarm target needs a manager',
        { details: { hint: 'Point DOCKER_HOST at a swarm manager, or promote this node.' } },
      );
    }
    try {
      await this.docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
    } catch (error) {
      // Another process initialised it meanwhile: fine.
      const now = ((await this.docker.info()) as { Swarm?: { LocalNodeState?: string } }).Swarm;
      if (now?.LocalNodeState !== 'active') {
        throw new FactoryError(
          'DEPLOY_TARGET_UNAVAILABLE',
          `swarm mode could not be initialised: ${(error as Error).message}`,
          {
            details: { hint: 'Run `docker swarm init --advertise-addr 127.0.0.1` and deploy again.' },
            cause: error,
          },
        );
      }
    }
  }

  async #imageExists(tag: string): Promise<boolean> {
    return this.docker
      .getImage(tag)
      .inspect()
      .then(() => true)
      .catch(() => false);
  }

  /** The swarm image of a revision (its docker image built first when missing). */
  async buildImage(projectDir: string, server: string, revision: number, version: string): Promise<string> {
    const tag = swarmImageTag(server, revision);
    if (await this.#imageExists(tag)) return tag;
    const base = imageTag(server, revision);
    if (!(await this.#imageExists(base))) await this.images.build(projectDir, server, revision, version);
    const context = mkdtempSync(join(tmpdir(), 'mcpf-swarm-image-'));
    try {
      writeFileSync(join(context, 'Dockerfile'), swarmDockerfile(base));
      writeFileSync(join(context, 'swarm-entry.mjs'), ENTRYPOINT_SOURCE);
      const stream = await this.docker.buildImage({ context, src: ['Dockerfile', 'swarm-entry.mjs'] }, {
        t: tag,
        labels: {
          [LABEL.managed]: 'true',
          [LABEL.server]: server,
          [LABEL.revision]: String(revision),
          [LABEL.version]: version,
        },
        pull: false,
      } as Docker.ImageBuildOptions);
      await followProgress(this.docker, stream as unknown as Readable);
    } catch (error) {
      throw new FactoryError('DOCKER_BUILD_FAILED', `building ${tag} failed: ${(error as Error).message}`, {
        issues: [
          {
            code: 'DOCKER_BUILD_FAILED',
            message: `building ${tag} failed`,
            path: '',
            hint: `The revision's image ${base} must exist or be buildable (mcp-deploy builds it).`,
          },
        ],
        cause: error,
      });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    return tag;
  }

  /** The secret holding `env` (created once per content); returns its id and name. */
  async ensureSecret(
    server: string,
    env: Record<string, string>,
  ): Promise<{ id: string; name: string; hash: string }> {
    const content = envContent(env);
    const hash = short(content, 16);
    const name = secretName(server, hash);
    const existing = await this.docker.listSecrets({ filters: { name: [name] } });
    const found = existing.find((s) => s.Spec?.Name === name);
    if (found) return { id: found.ID, name, hash };
    const created = (await this.docker.createSecret({
      Name: name,
      Labels: { [LABEL.managed]: 'true', [LABEL.server]: server, [SWARM_LABEL.secret]: hash },
      Data: Buffer.from(content, 'utf8').toString('base64'),
    })) as { id?: string; ID?: string };
    return { id: created.id ?? created.ID ?? '', name, hash };
  }

  /** This server's secrets (by label). */
  async secrets(server: string): Promise<Array<{ id: string; name: string }>> {
    const all = await this.docker.listSecrets({ filters: { label: [`${LABEL.server}=${server}`] } });
    return all
      .filter((s) => s.Spec?.Labels?.[LABEL.managed] === 'true' && s.Spec.Labels[LABEL.server] === server)
      .map((s) => ({ id: s.ID, name: s.Spec?.Name ?? '' }));
  }

  /** Remove this server's secrets except `keep`; one still used by a service (a rollback) stays. */
  async pruneSecrets(server: string, keep?: string): Promise<void> {
    for (const s of await this.secrets(server)) {
      if (s.name === keep) continue;
      await this.docker
        .getSecret(s.id)
        .remove()
        .catch(() => undefined);
    }
  }

  #spec(
    settings: ServiceSettings,
    image: string,
    secret: { id: string; name: string; hash: string },
  ): object {
    const labels = {
      [LABEL.managed]: 'true',
      [LABEL.server]: settings.server,
      [LABEL.revision]: String(settings.revision),
      [LABEL.version]: settings.version,
    };
    return {
      Name: serviceName(settings.server),
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: image,
          Labels: { ...labels, [SWARM_LABEL.secret]: secret.hash },
          // Only the replica's slot and the port base: the server's values come from the secret.
          Env: [`${SLOT_ENV}={{.Task.Slot}}`, `${PORT_BASE_ENV}=${settings.portBase}`],
          Secrets: [
            {
              SecretID: secret.id,
              SecretName: secret.name,
              File: { Name: SECRET_FILE, UID: '0', GID: '0', Mode: 0o444 },
            },
          ],
          ReadOnly: true,
          Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } }],
          CapabilityDrop: ['ALL'],
          Privileges: { NoNewPrivileges: true },
          StopGracePeriod: 10_000_000_000,
          // Each check starts a node process: every 3 s is what a loaded 2-core machine bears with 10+ replicas,
          // and a timeout of 10 s keeps a slow check under load from killing a healthy replica. Swarm counts a
          // task as running only once healthy, so the interval is also the least start time of a replica.
          Healthcheck: {
            Test: ['CMD', 'node', ENTRYPOINT_PATH, '--health'],
            Interval: 3_000_000_000,
            Timeout: 10_000_000_000,
            Retries: 3,
            StartPeriod: 60_000_000_000,
          },
        },
        Resources: {
          Limits: {
            NanoCPUs: Math.round(settings.cpus * 1e9),
            MemoryBytes: settings.memoryMb * 1024 * 1024,
            Pids: 256,
          },
        },
        RestartPolicy: { Condition: 'any', Delay: 1_000_000_000 },
        Placement: { Constraints: settings.constraints },
        Networks: [{ Target: 'host' }],
      },
      Mode: { Replicated: { Replicas: settings.replicas } },
      // One replica at a time, the old one stopped first (it holds the slot's port); a replica that fails or
      // is unhealthy within the monitor window rolls the whole service back to its previous spec.
      UpdateConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: 'rollback',
        Monitor: 5_000_000_000,
        MaxFailureRatio: 0,
        Order: 'stop-first',
      },
      RollbackConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: 'pause',
        Monitor: 5_000_000_000,
        MaxFailureRatio: 0,
        Order: 'stop-first',
      },
    };
  }

  async inspect(server: string): Promise<ServiceState | undefined> {
    try {
      const info = (await this.docker.getService(serviceName(server)).inspect()) as {
        ID: string;
        Spec: {
          Labels?: Record<string, string>;
          Mode?: { Replicated?: { Replicas?: number } };
          TaskTemplate?: { ContainerSpec?: { Env?: string[]; Secrets?: Array<{ SecretName?: string }> } };
        };
        UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
      };
      if (info.Spec.Labels?.[LABEL.server] !== server) return undefined; // not ours (a name collision)
      const baseEnv = info.Spec.TaskTemplate?.ContainerSpec?.Env?.find((e) =>
        e.startsWith(`${PORT_BASE_ENV}=`),
      );
      return {
        id: info.ID,
        revision: Number(info.Spec.Labels?.[LABEL.revision] ?? 0),
        replicas: info.Spec.Mode?.Replicated?.Replicas ?? 0,
        portBase: Number(baseEnv?.split('=')[1] ?? 0),
        update: info.UpdateStatus?.State,
        updateMessage: info.UpdateStatus?.Message,
        updateStartedAt: info.UpdateStatus?.StartedAt ? Date.parse(info.UpdateStatus.StartedAt) : undefined,
        secret: info.Spec.TaskTemplate?.ContainerSpec?.Secrets?.[0]?.SecretName,
      };
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  /** Create the service, or update it to `settings` (a rolling update when the image changes). */
  async deploy(
    settings: ServiceSettings,
    image: string,
  ): Promise<{ id: string; created: boolean; envHash: string }> {
    const secret = await this.ensureSecret(settings.server, settings.env);
    const spec = this.#spec(settings, image, secret);
    const service = this.docker.getService(serviceName(settings.server));
    try {
      const info = (await service.inspect()) as { ID: string; Version: { Index: number } };
      await service.update({ ...spec, version: info.Version.Index } as never);
      return { id: info.ID, created: false, envHash: secret.hash };
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    const created = (await this.docker.createService(spec as never)) as { id?: string; ID?: string };
    return { id: created.id ?? created.ID ?? '', created: true, envHash: secret.hash };
  }

  /** Set the replica count only (stop: 0, start: the configured count); no-op without a service. */
  async scale(server: string, replicas: number): Promise<boolean> {
    const service = this.docker.getService(serviceName(server));
    let info: { Spec: Record<string, unknown>; Version: { Index: number } };
    try {
      info = (await service.inspect()) as typeof info;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
    await service.update({
      ...info.Spec,
      Mode: { Replicated: { Replicas: replicas } },
      version: info.Version.Index,
    } as never);
    return true;
  }

  /** The service's tasks that should run now (desired state running), newest per slot. */
  async tasks(server: string): Promise<TaskState[]> {
    const tasks = (await this.docker.listTasks({
      filters: { service: [serviceName(server)], 'desired-state': ['running'] },
    })) as Array<{
      ID: string;
      Slot?: number;
      DesiredState?: string;
      Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
      Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
    }>;
    return tasks
      .map((t) => ({
        id: t.ID,
        slot: t.Slot ?? 0,
        state: t.Status?.State ?? 'unknown',
        desired: t.DesiredState ?? 'unknown',
        containerId: t.Status?.ContainerStatus?.ContainerID,
        error: t.Status?.Err,
        revision: Number(t.Spec?.ContainerSpec?.Labels?.[LABEL.revision] ?? 0),
        envHash: t.Spec?.ContainerSpec?.Labels?.[SWARM_LABEL.secret] ?? '',
      }))
      .sort((a, b) => a.slot - b.slot);
  }

  /**
   * The containers of the server's service: running ones, or (`all`) also the exited ones swarm keeps as task
   * history, which it removes some time after the service.
   */
  async containers(server: string, options: { all?: boolean } = {}): Promise<string[]> {
    const found = await this.docker.listContainers({
      all: options.all ?? false,
      filters: { label: [`com.docker.swarm.service.name=${serviceName(server)}`] },
    });
    return found.map((c) => c.Id);
  }

  /** Remove the service, wait for its containers to go, and remove every secret of the server. */
  async remove(server: string): Promise<void> {
    try {
      await this.docker.getService(serviceName(server)).remove();
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    const deadline = Date.now() + 60_000;
    while ((await this.containers(server, { all: true })).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 300));
    await this.pruneSecrets(server);
    const left = await this.secrets(server);
    if (left.length > 0)
      throw new FactoryError(
        'DOCKER_RUN_FAILED',
        `the secrets ${left.map((s) => s.name).join(', ')} of ${server} could not be removed`,
        { details: { hint: 'docker secret rm them once nothing uses them.' } },
      );
  }

  /** The service's last `tail` lines (all replicas, each line prefixed with its task by the engine). */
  async logs(server: string, tail = 200): Promise<string[]> {
    const buffer = (await this.docker.getService(serviceName(server)).logs({
      stdout: true,
      stderr: true,
      tail,
      follow: false,
    } as never)) as unknown as Buffer;
    return demux(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)))
      .split('\n')
      .filter(Boolean);
  }
}

/** Docker multiplexes stdout/stderr in 8-byte framed chunks when the container has no TTY. */
function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[0]! <= 2) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : out;
}
