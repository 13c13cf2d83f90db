/**
 * The microvm target: every server in its own QEMU `microvm` virtual machine, booted from a guest image that
 * holds only that server (image.ts), on its own kernel, with its own memory and vCPU limits, and on a network
 * that reaches nothing (vmm.ts): the only way in is 127.0.0.1:<port>, forwarded to the server's MCP endpoint.
 *
 * The image of a revision is built once (`<home>/servers/<name>/microvm/r<revision>.cpio`); environment values
 * live in the secret store (`<home>/secrets/<name>.microvm.env`, 0600) and reach the guest in the boot image of
 * each start (0600, in the server's directory, removed on stop). The VM's console is the server's log.
 *
 * With a warm pool (pool.ts, MCP_FACTORY_MICROVM_POOL or `deploy --pool N`), a start hands the server to a VM
 * booted ahead of time from a generic image instead (agent.ts) and falls back to the above when none is ready.
 *
 * No supervisor watches the VMs: a VM that dies (its server crashed, or it ran out of memory) shows as `down`
 * in health and status until it is started again. Data the server writes lives in the VM's memory only: each
 * start begins from the revision's shipped data.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import type { LogQuery } from '../../types.js';
import { followLines } from '../follow-lines.js';
import { configuredLimits, tailLines } from '../local/logs.js';
import { handOver, poolImageKey, writeHandover } from './agent.js';
import { findMicroVmHost, type MicroVmHost } from './host.js';
import { buildGuestImage, writeBootImage } from './image.js';
import {
  claimVm,
  discard,
  forwardPort,
  poolLogFile,
  poolRoot,
  poolSize,
  refillPool,
  releaseClaim,
  removeMonitor,
} from './pool.js';
import { startVm, stopVm, vmRunning } from './vmm.js';

export interface MicroVmOptions {
  layout: HomeLayout;
  registry: () => Promise<Registry>;
  projectDir: (server: string, revision: number) => Promise<string>;
}

const ACTOR = 'microvm-target';
/** Answers slower than this make a VM `degraded`. */
const SLOW_MS = 1000;

export class MicroVmTarget implements DeploymentTarget {
  readonly name = 'microvm' as const;
  readonly #options: MicroVmOptions;
  #host: MicroVmHost | undefined;

  constructor(options: MicroVmOptions) {
    this.#options = options;
  }

  static create(context: TargetFactoryContext): MicroVmTarget {
    return new MicroVmTarget({
      layout: context.layout,
      registry: context.registry,
      projectDir: context.projectDir,
    });
  }

  #settings() {
    return loadConfig().microvm;
  }

  /** QEMU, kernel, busybox and accelerator, looked up once per target (DEPLOY_TARGET_UNAVAILABLE when missing). */
  host(): MicroVmHost {
    this.#host ??= findMicroVmHost(this.#settings());
    return this.#host;
  }

  #vmDir(server: string): string {
    return join(this.#options.layout.serverDir(server), 'microvm');
  }

  /** The cached guest image of a revision. */
  imageFile(server: string, revision: number): string {
    return join(this.#vmDir(server), `r${revision}.cpio`);
  }

  #bootFile(server: string): string {
    return join(this.#vmDir(server), 'boot.cpio');
  }

  #logFile(server: string): string {
    const alias = this.alias(server);
    return alias
      ? poolLogFile(this.#options.layout, alias)
      : this.#options.layout.logFile(`${server}.microvm`);
  }

  #aliasFile(server: string): string {
    return join(this.#vmDir(server), 'pool-vm');
  }

  /** The pool VM this server was last handed to (pool.ts: `pool.<id>`), undefined when it booted its own. */
  alias(server: string): string | undefined {
    try {
      const alias = readFileSync(this.#aliasFile(server), 'utf8').trim();
      return /^pool\.[0-9a-f]+$/.test(alias) ? alias : undefined;
    } catch {
      return undefined;
    }
  }

  #envFile(server: string): string {
    return this.#options.layout.envFile(`${server}.microvm`);
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
    if (context.runtime !== undefined) {
      throw new FactoryError('INVALID_ARGUMENTS', '--runtime is a docker target option', {
        details: {
          hint: 'Leave --runtime out: the microvm target runs every server on its own kernel already.',
        },
      });
    }
    this.host();
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
        await this.#stopVm(d);
        rmSync(this.#bootFile(d.server), { force: true });
        await registry.updateDeployment(d.id, { status: 'stopped' }, { actor: ACTOR });
        continue;
      }
      try {
        const fields = await this.#start(d, registry);
        await registry.updateDeployment(
          d.id,
          { ...fields, status: 'running', lastError: null },
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
    await this.keepConverging().catch(() => undefined);
  }

  /** Stop the deployment's VM (its own, or the pool VM it was handed to, whose monitor socket goes too). */
  async #stopVm(d: DeploymentRecord): Promise<void> {
    const alias = this.alias(d.server);
    await stopVm(d.processId, d.server, 5000, alias);
    if (alias && !vmRunning(d.processId, d.server, alias)) removeMonitor(this.#options.layout, alias);
  }

  /** Keep the warm pool at its size (boots replacements for claimed VMs; stops extra ones). */
  async keepConverging(): Promise<void> {
    const layout = this.#options.layout;
    const size = poolSize(layout, this.#settings().pool);
    if (size === 0 && !existsSync(join(poolRoot(layout), 'pool', 'vms'))) return;
    const { memoryMb, cpus } = this.#settings();
    await refillPool(layout, this.host(), { memoryMb, cpus }, size);
  }

  async #start(
    d: DeploymentRecord,
    registry: Registry,
  ): Promise<{ port: number; endpoint: string; processId: string }> {
    const host = this.host();
    const settings = this.#settings();
    const version = await registry.getVersion(d.server, d.revision);
    mkdirSync(this.#vmDir(d.server), { recursive: true, mode: 0o700 });
    // A new start replaces this server's earlier VM (which may hold the port).
    await this.#stopVm(d);
    const pooled = await this.#fromPool(d, registry);
    if (pooled) return pooled;
    rmSync(this.#aliasFile(d.server), { force: true });
    const image = this.imageFile(d.server, d.revision);
    if (!existsSync(image))
      buildGuestImage(host, await this.#options.projectDir(d.server, d.revision), image);
    const port = d.port ?? (await freePort());
    if (!(await portIsFree(port))) {
      throw new FactoryError(
        'DEPLOY_PORT_IN_USE',
        `port ${port} is already in use by another program: ${d.server} was not started`,
        { details: { port } },
      );
    }
    const env = this.#serverEnv(d.server, version.spec, port);
    const boot = this.#bootFile(d.server);
    writeBootImage(image, env, boot);
    const processId = startVm(
      host,
      { server: d.server, bootImage: boot, port, memoryMb: settings.memoryMb, cpus: settings.cpus },
      this.#logFile(d.server),
      configuredLimits(),
    );
    return this.#awaitServer(d, version, port, processId);
  }

  #serverEnv(server: string, spec: unknown, port: number): Record<string, string> {
    return {
      ...serverProcessEnv(spec as Parameters<typeof serverProcessEnv>[0], this.readEnv(server)),
      NODE_ENV: 'production',
      MCP_TRANSPORT: 'http',
      HOST: '0.0.0.0',
      PORT: String(port),
    };
  }

  /**
   * Hand the server to a ready pool VM: its project and environment go to the VM's agent, which starts it on
   * the deployment's port (forwarded at claim) or, for a deployment without one, the VM's own. Undefined when
   * the pool has no ready VM (then the VM boots cold); a VM whose hand-over fails is killed, and the start goes
   * the cold way too.
   */
  async #fromPool(
    d: DeploymentRecord,
    registry: Registry,
  ): Promise<{ port: number; endpoint: string; processId: string } | undefined> {
    const layout = this.#options.layout;
    const settings = this.#settings();
    if (poolSize(layout, settings.pool) === 0) return undefined;
    // A port of its own must be free (else the cold path reports DEPLOY_PORT_IN_USE); none: the VM's own port.
    if (d.port !== null && !(await portIsFree(d.port))) return undefined;
    // Pool VMs of an older generic image are not taken (the refill replaces them).
    const image = poolImageKey(this.host());
    const vm = await claimVm(layout, { memoryMb: settings.memoryMb, cpus: settings.cpus }, image);
    if (!vm) return undefined;
    const version = await registry.getVersion(d.server, d.revision);
    const port = d.port ?? vm.port;
    const archive = join(this.#vmDir(d.server), 'handover.cpio');
    try {
      writeHandover(
        await this.#options.projectDir(d.server, d.revision),
        this.#serverEnv(d.server, version.spec, port),
        archive,
      );
      await handOver(vm.port, vm.secret, archive);
      if (port !== vm.port) await forwardPort(vm, port);
      // From here the VM is this server's: its identity (`-name mcpf-pool.<id>`) and console log go with it.
      writeFileSync(this.#aliasFile(d.server), `${vm.alias}\n`, { mode: 0o600 });
    } catch {
      await discard(layout, vm);
      return undefined;
    } finally {
      releaseClaim(layout, vm);
      rmSync(archive, { force: true });
    }
    return this.#awaitServer(d, version, port, vm.processId);
  }

  /** Wait for the VM's server to answer MCP as this deployment's server; stop the VM when it does not. */
  async #awaitServer(
    d: DeploymentRecord,
    version: { version: string; spec: unknown },
    port: number,
    processId: string,
  ): Promise<{ port: number; endpoint: string; processId: string }> {
    const settings = this.#settings();
    const alias = this.alias(d.server);
    const endpoint = `http://127.0.0.1:${port}/mcp`;
    const spec = version.spec as Parameters<typeof upstreamCredentials>[0];
    const headers = upstreamCredentials(spec, this.readEnv(d.server), endpoint);
    const expect = expectedServer(d, { version: version.version });
    const deadline = Date.now() + settings.startTimeoutMs;
    for (;;) {
      const sample = await probeMcp(endpoint, { headers, timeoutMs: 2000, expect });
      if (sample.ok) break;
      const exited = !vmRunning(processId, d.server, alias);
      if (exited || Date.now() > deadline) {
        await stopVm(processId, d.server, 5000, alias);
        const output = await this.recentOutput(d.server, 20);
        const why = exited
          ? 'the VM exited before its server answered'
          : `no MCP answer within ${settings.startTimeoutMs} ms`;
        throw new Error(
          `${why} (${endpoint}: ${sample.error ?? 'no answer'})${output.length ? `; console:\n${output.join('\n')}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return { port, endpoint, processId };
  }

  async health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>,
  ): Promise<Map<number, DeploymentHealth>> {
    const mine = deployments.filter((d) => d.target === this.name);
    const reports = await probeDeployments(mine, {
      spec,
      env: (d) => this.readEnv(d.server),
      classify: (sample) => sampleReport(sample, { slowMs: SLOW_MS }),
    });
    const out = new Map<number, DeploymentHealth>();
    for (const [id, report] of reports) {
      const d = mine.find((m) => m.id === id);
      const up = d !== undefined && vmRunning(d.processId, d.server, this.alias(d.server));
      const runtime = { vm: up ? 'running' : 'not running', accel: this.#host?.accel };
      out.set(
        id,
        up
          ? { ...report, runtime }
          : {
              ...report,
              health: 'unhealthy',
              detail: `the VM has exited (its console: mcp-factory logs ${d?.server ?? ''})`,
              runtime,
            },
      );
    }
    return out;
  }

  /** The VM's console; with `follow`, new lines are polled every second. */
  logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    return followLines((n) => this.recentOutput(server, n), query);
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    try {
      return tailLines(this.#logFile(server), lines).map((l) => l.replace(/\r$/, ''));
    } catch {
      return [];
    }
  }
}
