/**
 * The control plane over the registry and the local target.
 *
 * Every management action is a registry write of the desired state (audited, with the actor), followed by a
 * nudge to the target's runtime and a wait for the reported state: the registry stays the source of truth, so
 * an action survives a supervisor that is down (it converges when one starts — the control plane starts one on
 * demand) and concurrent actions from several CLIs or the API serialise in the registry.
 *
 * Secrets: `DeployRequest.env` values go to the target's secret store (local: `<home>/secrets/<name>.env`, mode
 * 0600) and never into the registry, which records the variable names as secret references only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { createServerProject, type ProgressEvent } from '../build/create.js';
import { collectEnv } from '../build/generator/env.js';
import type { Severity } from '../build/security/index.js';
import { FactoryError } from '../core/errors/index.js';
import type { ServerSpec } from '../core/spec/model.js';
import type { ExecutionLog } from '../platform/execution-log.js';
import { type HomeLayout, homeLayout } from '../platform/home.js';
import { type CaseOutcome, runAllCases, type ServerSession } from '../platform/mcp-client/call-tool.js';
import { authHeaders, connectMcp } from '../platform/mcp-client/health.js';
import { checkEnvName } from '../platform/secrets.js';
import {
  type DeploymentRecord,
  defaultHome,
  openRegistry,
  type Registry,
  type SecretRef,
  type ServerRecord,
} from '../store/index.js';
import { hashArtifacts, linkRevision, removeDeadStaging, stagingName } from './artifacts.js';
import { type DeploymentTarget, LocalTarget } from './target.js';
import { DockerDeploymentTarget } from './targets/docker/target.js';
import { SupervisorLink } from './targets/local/link.js';
import { tailLines } from './targets/local/logs.js';
import type { SupervisorInfo } from './targets/local/supervisor.js';
import type {
  ControlPlane,
  CreateOutcome,
  CreateRequest,
  DeployRequest,
  HealthReport,
  LogQuery,
  ServerStatusReport,
  TargetName,
  ToolCallResult,
} from './types.js';

/** The source recorded in the registry for variables kept in the local secret store. */
export const LOCAL_SECRET_SOURCE = 'mcp-factory local secret store';
const LOCAL_SECRET_DESCRIPTION =
  'given at deploy time; the value is kept by the local target (mode 0600), not here';

export interface ControlPlaneOptions {
  /** The factory home (default MCP_FACTORY_HOME or ~/.mcp-factory). */
  home?: string | undefined;
  /** Registry URL (PostgreSQL or sqlite:); default: registry.db in the home. */
  registryUrl?: string | undefined;
  /** An already open registry (not closed by close()). */
  registry?: Registry | undefined;
  /** Start a supervisor on demand when a local deployment needs one (default true). */
  autoStartSupervisor?: boolean | undefined;
  /** Environment of a supervisor started on demand (default process.env): its MCP_FACTORY_* tuning. */
  supervisorEnv?: NodeJS.ProcessEnv | undefined;
  /** How long deploy/start/stop/remove wait for the reported state (default 90 s). */
  waitTimeoutMs?: number | undefined;
}

/** CreateRequest plus generation knobs the local control plane understands. */
export interface LocalCreateRequest extends CreateRequest {
  /** An execution log to continue (natural-language creation: it already holds the LLM calls). */
  log?: ExecutionLog;
  /** Environment for the generated tests only. */
  testEnv?: NodeJS.ProcessEnv;
  /** Run the generated tests in the sandbox (code written by an LLM). */
  sandboxTests?: boolean;
  typecheck?: boolean;
  securityThreshold?: Severity;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ToolSummary {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isNotFound(error: unknown): boolean {
  return error instanceof FactoryError && error.code === 'REGISTRY_NOT_FOUND';
}

function resultText(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`))
    .join('\n');
}

export class LocalControlPlane implements ControlPlane {
  readonly layout: HomeLayout;
  readonly supervisor: SupervisorLink;
  readonly #options: ControlPlaneOptions;
  #registry: Registry | undefined;
  #opening: Promise<Registry> | undefined;
  readonly #targets: Record<TargetName, DeploymentTarget>;

  constructor(options: ControlPlaneOptions = {}) {
    this.#options = options;
    this.layout = homeLayout(options.home ?? defaultHome());
    this.supervisor = new SupervisorLink(this.layout, {
      autoStart: options.autoStartSupervisor ?? true,
      env: options.supervisorEnv,
      registryUrl: options.registryUrl,
    });
    this.#targets = {
      local: new LocalTarget(this.layout, this.supervisor),
      docker: new DockerDeploymentTarget({
        layout: this.layout,
        registry: () => this.registry(),
        projectDir: (server, revision) => this.projectDir(server, revision),
      }),
    };
    this.#registry = options.registry;
  }

  /** The registry (opened on first use). */
  registry(): Promise<Registry> {
    if (this.#registry) return Promise.resolve(this.#registry);
    this.#opening ??= openRegistry({ home: this.layout.home, url: this.#options.registryUrl }).then((r) => {
      this.#registry = r;
      return r;
    });
    return this.#opening;
  }

  #target(name: string): DeploymentTarget {
    const target = (this.#targets as Record<string, DeploymentTarget | undefined>)[name];
    if (!target) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `unknown deployment target ${JSON.stringify(name)}: local or docker`,
      );
    }
    return target;
  }

  // ---- create

  async create(request: LocalCreateRequest): Promise<CreateOutcome> {
    const registry = await this.registry();
    const { spec } = request;
    const name = spec.name;
    let existing: ServerRecord | undefined;
    try {
      existing = await registry.getServer(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (existing && existing.status !== 'removed' && !request.force) {
      throw new FactoryError(
        'SERVER_EXISTS',
        `server ${name} is already registered (revision ${existing.currentRevision}); pass --force to record a new revision`,
        { details: { server: name, revision: existing.currentRevision } },
      );
    }
    const serverDir = this.layout.serverDir(name);
    await mkdir(serverDir, { recursive: true, mode: 0o700 });
    await removeDeadStaging(serverDir);
    const staging = join(serverDir, stagingName(randomBytes(4).toString('hex')));
    let projectDir: string;
    let artifactHash: string;
    let steps: CreateOutcome['steps'];
    try {
      const result = await createServerProject({
        spec,
        specDir: request.specDir,
        outDir: staging,
        force: false,
        typecheck: request.typecheck ?? true,
        runTests: request.runTests ?? true,
        ...(request.securityThreshold ? { securityThreshold: request.securityThreshold } : {}),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
        ...(request.log ? { log: request.log } : {}),
        ...(request.testEnv ? { testEnv: request.testEnv } : {}),
        ...(request.sandboxTests ? { sandboxTests: true } : {}),
      });
      steps = result.log.steps.map((s) => ({ step: s.step, status: s.status, durationMs: s.durationMs }));
      artifactHash = await hashArtifacts(staging);
      projectDir = this.layout.projectDir(name, artifactHash);
      if (existsSync(projectDir)) await rm(staging, { recursive: true, force: true });
      else await rename(staging, projectDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    // The only registry write, one transaction: after it, the version and its complete files both exist.
    const { version } = await registry.createServerVersion({
      name,
      version: spec.version,
      spec,
      artifactHash,
      tools: spec.tools.map((t) => ({
        name: t.name,
        title: t.title ?? null,
        description: t.description,
        annotations: t.annotations ?? {},
      })),
      actor: request.actor,
    });
    await linkRevision(serverDir, version.revision, basename(projectDir));
    return { name, revision: version.revision, version: spec.version, projectDir, artifactHash, steps };
  }

  // ---- deploy and lifecycle

  /** Every deployment of a server (NOT_DEPLOYED when there is none), local ones first. */
  async #deployments(name: string): Promise<DeploymentRecord[]> {
    const registry = await this.registry();
    await registry.getServer(name); // REGISTRY_NOT_FOUND for an unknown name
    const all = (await registry.listDeployments({ server: name })).filter((d) => d.target in this.#targets);
    if (all.length === 0) {
      throw new FactoryError('NOT_DEPLOYED', `server ${name} is not deployed`, {
        details: { server: name, hint: `mcp-deploy ${name} --target local` },
      });
    }
    return all.sort((a, b) => Number(b.target === 'local') - Number(a.target === 'local'));
  }

  /** Ask each deployment's target to converge on the desired state now. */
  async #apply(deployments: DeploymentRecord[]): Promise<void> {
    const byTarget = new Map<string, DeploymentRecord[]>();
    for (const d of deployments) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
    for (const [target, ds] of byTarget) await this.#target(target).apply(ds);
  }

  async #spec(name: string, revision?: number): Promise<ServerSpec> {
    const registry = await this.registry();
    return (await registry.getVersion(name, revision)).spec as ServerSpec;
  }

  /** Directory of a registered revision's generated project (default: the current revision). */
  async projectDir(name: string, revision?: number): Promise<string> {
    const registry = await this.registry();
    const v = await registry.getVersion(name, revision);
    return this.layout.projectDir(name, v.artifactHash);
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const registry = await this.registry();
    const { name, actor } = request;
    const server = await registry.getServer(name);
    if (server.status === 'removed') {
      throw new FactoryError(
        'REGISTRY_CONFLICT',
        `server ${name} has been removed; create it again to deploy it`,
      );
    }
    const version = await registry.getVersion(name, server.currentRevision);
    const projectDir = this.layout.projectDir(name, version.artifactHash);
    const target = this.#target(request.target);
    await target.ensureAvailable({ server: name, projectDir });
    if (!existsSync(join(projectDir, 'dist', 'server.mjs'))) {
      throw new FactoryError(
        'DEPLOY_FAILED',
        `the generated project of ${name} revision ${version.revision} is missing (${projectDir})`,
        { details: { hint: `Create it again: mcp-factory create --spec … --register --force` } },
      );
    }
    if (
      request.port !== undefined &&
      (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535)
    ) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `invalid port ${request.port}: 1-65535, or 0 for a free one`,
      );
    }
    const given = request.env ?? {};
    for (const key of Object.keys(given)) checkEnvName(key);
    const stored = target.readEnv(name);
    const env = { ...stored, ...given };
    let required: string[] = [];
    try {
      required = collectEnv(version.spec as ServerSpec)
        .filter((v) => v.required)
        .map((v) => v.name);
    } catch {
      // a spec of another model version: the server reports what it misses at start
    }
    const missing = required.filter((v) => !env[v]);
    if (missing.length > 0) {
      throw new FactoryError('DEPLOY_MISSING_ENV', `${name} needs ${missing.join(', ')} to run`, {
        details: {
          server: name,
          missing,
          hint: `mcp-deploy ${name} ${missing.map((m) => `--env ${m}=…`).join(' ')}`,
        },
      });
    }
    if (Object.keys(given).length > 0) {
      target.writeEnv(name, env);
      await this.#recordSecretRefs(registry, name, Object.keys(env), actor);
    }
    let d = await registry.upsertDeployment({
      server: name,
      target: request.target,
      revision: version.revision,
      desired: 'running',
      ...(request.port !== undefined ? { port: request.port === 0 ? null : request.port } : {}),
      actor,
    });
    // `pending` = "apply this now": a failed deployment gets a fresh set of attempts, a running one is
    // replaced if what it runs differs from what is wanted.
    d = await registry.updateDeployment(d.id, { status: 'pending', lastError: null }, { actor });
    await this.#serverStatus(registry, name, 'deploying', actor);
    await target.apply([d]);
    d = await this.#awaitRunning(d.id, name);
    if (d.status === 'running') await this.#serverStatus(registry, name, 'running', actor);
    return d;
  }

  async #recordSecretRefs(registry: Registry, name: string, names: string[], actor: string): Promise<void> {
    const existing = await registry.listSecretRefs(name);
    const others = existing.filter((r) => !names.includes(r.envVar) && r.source !== LOCAL_SECRET_SOURCE);
    const ours: SecretRef[] = names.map((envVar) => ({
      envVar,
      source: LOCAL_SECRET_SOURCE,
      description: LOCAL_SECRET_DESCRIPTION,
    }));
    await registry.setSecretRefs(name, [...others, ...ours], { actor });
  }

  /** The server-level summary of its deployment (the supervisor derives it too; this settles it now). */
  async #serverStatus(
    registry: Registry,
    name: string,
    status: 'deploying' | 'running' | 'stopped',
    actor: string,
  ): Promise<void> {
    try {
      const server = await registry.getServer(name);
      if (server.status === status || server.status === 'removed') return;
      await registry.setStatus(name, status, { actor, expect: [server.status] });
    } catch (error) {
      if (!(error instanceof FactoryError && error.code === 'REGISTRY_CONFLICT')) throw error;
    }
  }

  async #waitFor(
    id: number,
    name: string,
    what: string,
    check: (d: DeploymentRecord) => 'done' | 'failed' | undefined,
  ): Promise<DeploymentRecord> {
    const registry = await this.registry();
    const deadline = Date.now() + (this.#options.waitTimeoutMs ?? 90_000);
    let d = await registry.getDeployment(id);
    let checked = Date.now();
    for (;;) {
      if (d.target === 'local' && Date.now() - checked > 3000) {
        // The supervisor may have died while we wait: the desired state is in the registry, a new one resumes.
        checked = Date.now();
        await this.supervisor.ensure().catch(() => undefined);
      }
      const verdict = check(d);
      if (verdict === 'done') return d;
      if (verdict === 'failed') {
        throw new FactoryError('DEPLOY_FAILED', `${name}: ${d.lastError ?? `deployment ${d.status}`}`, {
          details: {
            server: name,
            deployment: d.id,
            status: d.status,
            output: tailLines(this.layout.logFile(name), 20).join('\n'),
          },
        });
      }
      if (Date.now() > deadline) {
        throw new FactoryError(
          'DEPLOY_TIMEOUT',
          `${name} is still ${d.status} after ${Math.round((this.#options.waitTimeoutMs ?? 90_000) / 1000)} s (wanted: ${what})${d.lastError ? `: ${d.lastError}` : ''}`,
          { details: { server: name, deployment: d.id, status: d.status } },
        );
      }
      await sleep(150);
      d = await registry.getDeployment(id);
    }
  }

  #awaitRunning(id: number, name: string): Promise<DeploymentRecord> {
    return this.#waitFor(id, name, 'running', (d) =>
      d.desired !== 'running'
        ? 'done' // someone stopped it meanwhile: report what is
        : d.status === 'running'
          ? 'done'
          : d.status === 'failed'
            ? 'failed'
            : undefined,
    );
  }

  #awaitStopped(id: number, name: string): Promise<DeploymentRecord> {
    return this.#waitFor(id, name, 'stopped', (d) =>
      d.status === 'stopped' || (d.desired === 'running' && d.status !== 'stopping') ? 'done' : undefined,
    );
  }

  /** Stop every deployment of a server (they stay recorded, desired state `stopped`). */
  async stop(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    const deployments = await this.#deployments(name);
    for (const d of deployments) {
      await registry.updateDeployment(d.id, { desired: 'stopped' }, { actor: options.actor });
    }
    await this.#apply(deployments);
    let stopped = true;
    for (const d of deployments)
      stopped = (await this.#awaitStopped(d.id, name)).status === 'stopped' && stopped;
    if (stopped) await this.#serverStatus(registry, name, 'stopped', options.actor);
  }

  /** Start every deployment of a server again (a failed one gets a fresh set of attempts). */
  async start(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    const deployments = await this.#deployments(name);
    for (const d of deployments) {
      await registry.updateDeployment(
        d.id,
        { desired: 'running', status: 'pending', lastError: null },
        { actor: options.actor },
      );
    }
    await this.#serverStatus(registry, name, 'deploying', options.actor);
    await this.#apply(deployments);
    let running = true;
    for (const d of deployments)
      running = (await this.#awaitRunning(d.id, name)).status === 'running' && running;
    if (running) await this.#serverStatus(registry, name, 'running', options.actor);
  }

  /**
   * Remove a server: registry tombstone (versions, audit and secret references stay, so it can be revived or
   * rolled back), its deployments stopped, and its stored environment values deleted.
   */
  async remove(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    await registry.removeServer(name, options);
    const deployments = (await registry.listDeployments({ server: name })).filter(
      (d) => d.target in this.#targets,
    );
    const active = deployments.filter((d) => d.status !== 'stopped');
    if (active.length > 0) {
      await this.#apply(active);
      for (const d of active) await this.#awaitStopped(d.id, name);
    }
    for (const target of new Set(['local', ...deployments.map((d) => d.target)]))
      this.#target(target).removeEnv(name);
  }

  // ---- reading

  async list(): Promise<ServerRecord[]> {
    return (await this.registry()).listServers();
  }

  /** Every deployment (all targets; removed servers' too), for tables. */
  async listDeployments(): Promise<DeploymentRecord[]> {
    return (await this.registry()).listDeployments();
  }

  async status(name: string): Promise<ServerStatusReport> {
    const registry = await this.registry();
    const server = await registry.getServer(name);
    const versions = await registry.listVersions(name);
    const current = await registry.getVersion(name);
    const deployments = await registry.listDeployments({ server: name });
    const health = new Map<number, HealthReport>();
    for (const target of new Set(deployments.map((d) => d.target))) {
      if (!(target in this.#targets)) continue;
      const ds = deployments.filter((d) => d.target === target);
      for (const [id, h] of await this.#target(target).health(ds, (d) => this.#spec(name, d.revision))) {
        health.set(id, h);
      }
    }
    return {
      server,
      versions,
      deployments: deployments.map((d) => {
        const h = health.get(d.id);
        return h ? { ...d, health: h } : d;
      }),
      tools: current.tools.map((t) => ({ name: t.name, description: t.description })),
    };
  }

  logs(name: string, query: LogQuery = {}): AsyncIterable<string> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const registry = await self.registry();
        await registry.getServer(name);
        const [d] = (await registry.listDeployments({ server: name }))
          .filter((x) => x.target in self.#targets)
          .sort((a, b) => Number(b.target === 'local') - Number(a.target === 'local'));
        yield* self.#target(d?.target ?? 'local').logs(name, query);
      },
    };
  }

  // ---- talking to a deployed server

  async #connect(name: string): Promise<{ client: Client; deployment: DeploymentRecord }> {
    const deployments = await this.#deployments(name);
    const d = deployments.find((x) => x.status === 'running' && x.endpoint) ?? deployments[0]!;
    if (d.status !== 'running' || !d.endpoint) {
      throw new FactoryError(
        'DEPLOYMENT_NOT_RUNNING',
        `${name} is ${d.status === 'running' ? 'running without an endpoint' : d.status}${d.lastError ? ` (${d.lastError})` : ''}`,
        { details: { server: name, status: d.status, desired: d.desired } },
      );
    }
    const spec = await this.#spec(name, d.revision);
    const headers = authHeaders(spec, this.#target(d.target).readEnv(name));
    try {
      const client = await connectMcp(d.endpoint, {
        headers,
        timeoutMs: 10_000,
        name: 'mcp-factory-control',
      });
      return { client, deployment: d };
    } catch (error) {
      throw new FactoryError(
        'DEPLOYMENT_NOT_RUNNING',
        `${name} does not answer at ${d.endpoint}: ${(error as Error).message}`,
        { details: { server: name, endpoint: d.endpoint }, cause: error },
      );
    }
  }

  async listTools(name: string): Promise<ToolSummary[]> {
    const { client } = await this.#connect(name);
    try {
      const { tools } = await client.listTools();
      return tools.map((t) => ({ name: t.name, title: t.title, description: t.description }));
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  async callTool(name: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const registry = await this.registry();
    const { client } = await this.#connect(name);
    try {
      const { tools } = await client.listTools();
      if (!tools.some((t) => t.name === tool)) {
        throw new FactoryError(
          'TOOL_NOT_FOUND',
          `no tool "${tool}" on ${name}; it has: ${tools.map((t) => t.name).join(', ') || '(none)'}`,
        );
      }
      const t0 = performance.now();
      let ok = false;
      try {
        const result = await client.callTool({ name: tool, arguments: args });
        ok = !result.isError;
        return {
          isError: Boolean(result.isError),
          text: resultText(result),
          ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
          durationMs: performance.now() - t0,
        };
      } finally {
        await registry
          .recordCalls([{ server: name, tool, ok, latencyMs: performance.now() - t0 }])
          .catch(() => undefined);
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  /** Run the planned test cases of the deployed revision (test/cases.json) against the deployment. */
  async testDeployed(
    name: string,
  ): Promise<{ protocolVersion: string | undefined; outcomes: CaseOutcome[] }> {
    const registry = await this.registry();
    const { client, deployment } = await this.#connect(name);
    const session: ServerSession = {
      client,
      protocolVersion: (
        client as unknown as { getNegotiatedProtocolVersion?: () => string | undefined }
      ).getNegotiatedProtocolVersion?.(),
      close: () => client.close(),
    };
    try {
      const dir = await this.projectDir(name, deployment.revision);
      const outcomes = await runAllCases(dir, session, this.#target(deployment.target).readEnv(name));
      const calls = outcomes.flatMap((o) =>
        o.outcome
          ? [{ server: name, tool: o.outcome.tool, ok: !o.outcome.isError, latencyMs: o.outcome.durationMs }]
          : [],
      );
      await registry.recordCalls(calls).catch(() => undefined);
      return { protocolVersion: session.protocolVersion, outcomes };
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  // ---- the supervisor

  supervisorInfo(): Promise<SupervisorInfo | undefined> {
    return this.supervisor.ping();
  }

  async close(): Promise<void> {
    if (this.#registry && !this.#options.registry) await this.#registry.close();
    this.#registry = undefined;
    this.#opening = undefined;
  }
}

export function createControlPlane(options: ControlPlaneOptions = {}): LocalControlPlane {
  return new LocalControlPlane(options);
}
