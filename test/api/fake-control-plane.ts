/**
 * A small in-test ControlPlane for the HTTP-layer and MCP-layer unit tests: it records servers, versions and
 * deployments in a real registry (so listing, search and audit behave as in production) but generates and
 * runs nothing. End-to-end tests use the real control plane (createControlPlane).
 */
import { createHash } from 'node:crypto';
import { FactoryError } from '../../src/core/errors/index.js';
import type {
  ControlPlane,
  CreateOutcome,
  CreateRequest,
  DeployRequest,
  LogQuery,
  ServerStatusReport,
  ToolCallResult,
} from '../../src/deploy/types.js';
import type { DeploymentRecord, Registry, ServerRecord } from '../../src/store/index.js';

export class FakeControlPlane implements ControlPlane {
  readonly calls: Array<{ method: string; args: unknown }> = [];
  readonly logLines = new Map<string, string[]>();
  /** Lines pushed after a follow started. */
  readonly #followers = new Set<(line: string) => void>();
  /** Delay of create, to test concurrency limits. */
  createDelayMs = 0;

  constructor(readonly registry: Registry) {}

  async create(request: CreateRequest): Promise<CreateOutcome> {
    this.calls.push({
      method: 'create',
      args: { name: request.spec.name, actor: request.actor, force: request.force },
    });
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    const artifactHash = createHash('sha256').update(JSON.stringify(request.spec)).digest('hex');
    const { version } = await this.registry.createServerVersion({
      name: request.spec.name,
      version: request.spec.version,
      spec: request.spec,
      artifactHash,
      tools: request.spec.tools.map((t) => ({
        name: t.name,
        title: t.title ?? null,
        description: t.description,
        annotations: (t.annotations as Record<string, unknown> | undefined) ?? {},
      })),
      actor: request.actor,
    });
    return {
      name: request.spec.name,
      revision: version.revision,
      version: version.version,
      projectDir: `/tmp/fake/${request.spec.name}`,
      artifactHash,
      steps: [{ step: 'generate', status: 'done', durationMs: 1 }],
    };
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    this.calls.push({ method: 'deploy', args: { ...request } });
    const server = await this.registry.getServer(request.name);
    if (server.status === 'removed')
      throw new FactoryError('REGISTRY_NOT_FOUND', `no server ${request.name}`);
    const port = request.port ?? 40_000;
    const d = await this.registry.upsertDeployment({
      server: request.name,
      target: request.target,
      port,
      endpoint: `http://127.0.0.1:${port}/mcp`,
      actor: request.actor,
    });
    return this.registry.updateDeployment(d.id, { status: 'running', processId: '4242' });
  }

  list(): Promise<ServerRecord[]> {
    return this.registry.listServers();
  }

  async status(name: string): Promise<ServerStatusReport> {
    const server = await this.registry.getServer(name);
    if (server.status === 'removed')
      throw new FactoryError('REGISTRY_NOT_FOUND', `server ${name} was removed`);
    const version = await this.registry.getVersion(name);
    return {
      server,
      versions: await this.registry.listVersions(name),
      deployments: (await this.registry.listDeployments({ server: name })).map((d) => ({
        ...d,
        health: { health: 'healthy', responseMs: 3, checkedAt: new Date().toISOString() },
      })),
      tools: version.tools.map((t) => ({ name: t.name, description: t.description })),
    };
  }

  async #setDesired(name: string, desired: 'running' | 'stopped', actor: string): Promise<void> {
    await this.status(name);
    for (const d of await this.registry.listDeployments({ server: name }))
      await this.registry.updateDeployment(
        d.id,
        { desired, status: desired === 'running' ? 'running' : 'stopped' },
        { actor },
      );
  }

  async stop(name: string, options: { actor: string }): Promise<void> {
    this.calls.push({ method: 'stop', args: { name, ...options } });
    await this.#setDesired(name, 'stopped', options.actor);
  }

  async start(name: string, options: { actor: string }): Promise<void> {
    this.calls.push({ method: 'start', args: { name, ...options } });
    await this.#setDesired(name, 'running', options.actor);
  }

  async remove(name: string, options: { actor: string }): Promise<void> {
    this.calls.push({ method: 'remove', args: { name, ...options } });
    await this.status(name);
    await this.registry.removeServer(name, options);
  }

  /** Append a log line (delivered to followers). */
  pushLog(name: string, line: string): void {
    const lines = this.logLines.get(name) ?? [];
    lines.push(line);
    this.logLines.set(name, lines);
    for (const f of this.#followers) f(`${name}\u0000${line}`);
  }

  async *logs(name: string, query: LogQuery = {}): AsyncIterable<string> {
    await this.status(name);
    const lines = this.logLines.get(name) ?? [];
    const tail = query.tail ? lines.slice(-query.tail) : [...lines];
    if (!query.follow) {
      yield* tail;
      return;
    }
    const queue: string[] = tail;
    let wake: (() => void) | undefined;
    const follower = (entry: string) => {
      const [server, line] = entry.split('\u0000') as [string, string];
      if (server !== name) return;
      queue.push(line);
      wake?.();
    };
    this.#followers.add(follower);
    const aborted = new Promise<void>((resolve) => {
      if (query.signal?.aborted) resolve();
      query.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (query.signal?.aborted) return;
        await Promise.race([new Promise<void>((r) => (wake = r)), aborted]);
        if (query.signal?.aborted && !queue.length) return;
      }
    } finally {
      this.#followers.delete(follower);
    }
  }

  async callTool(name: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const status = await this.status(name);
    if (!status.tools.some((t) => t.name === tool))
      // The real control plane's form (deploy/deployed-server.ts): it names the server's tools.
      throw new FactoryError(
        'TOOL_NOT_FOUND',
        `no tool "${tool}" on ${name}; it has: ${status.tools.map((t) => t.name).join(', ')}`,
      );
    if (tool === 'fail') return { isError: true, text: 'it failed', durationMs: 1 };
    return {
      isError: false,
      text: JSON.stringify({ echo: args }),
      structuredContent: { echo: args },
      durationMs: 1,
    };
  }

  async close(): Promise<void> {}
}
