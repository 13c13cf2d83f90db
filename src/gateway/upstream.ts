/**
 * One upstream MCP server of the gateway and the one connection to it that every gateway client shares:
 * Streamable HTTP, legacy SSE, or a stdio process started on first use. The connection is opened lazily, kept,
 * and opened again after it drops (a crashed stdio process is started again on the next call, with backoff
 * after repeated failures); a stdio process idle for `idleTtlMs` is stopped. The tool list is cached and
 * refreshed when the upstream says it changed (`listChanged`), which tells the catalog.
 *
 * Calls go through, in order: a bulkhead (at most `maxConcurrency` at once, a bounded queue), a circuit breaker
 * (cockatiel: open after `circuitFailures` consecutive failures, one trial call after `circuitHalfOpenMs`), a timeout, and — for tools the upstream
 * marks read-only only — retries with exponential backoff after a transport failure. A tool that answers with
 * `isError` is a successful call as far as the breaker is concerned: the upstream works.
 *
 * An http upstream with several `replicas` (a swarm service: one endpoint per replica) is one upstream to the
 * catalog, its tool list read once from whichever replica answers; underneath it keeps one Upstream per replica
 * endpoint — its own connection, bulkhead and breaker — and spreads calls across them (replicas.ts).
 */
import {
  type CallToolResult,
  Client,
  ProtocolError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { type Context, context, SpanKind, trace } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
} from 'cockatiel';
import { FactoryError } from '../core/errors/index.js';
import { sdkAuthProvider, type UpstreamAuth } from '../platform/mcp-client/oauth.js';
import {
  createFastCaller,
  FAST_PROTOCOL,
  type FastCaller,
  toolAnswer,
  UpstreamHttpError,
} from './fast-call.js';
import { connectionRefused, markUndelivered, ReplicaSelector } from './replicas.js';
import {
  currentRequest,
  failSpan,
  REQUEST_ID_HEADER,
  traceHeaders,
  traceMeta,
  tracer,
  withRequest,
} from './tracing.js';

export interface UpstreamTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  annotations?: Record<string, unknown> | undefined;
}

export type UpstreamTarget =
  | {
      kind: 'http';
      url: string;
      headers?: Record<string, string> | undefined;
      /** OAuth client credentials for an OAuth-protected upstream (src/platform/mcp-client/oauth.ts). */
      auth?: UpstreamAuth | undefined;
      transport?: 'streamable-http' | 'sse';
      /** Every replica's endpoint, `url` among them; two or more spread calls across replicas. */
      replicas?: string[] | undefined;
    }
  | {
      kind: 'stdio';
      command: string;
      args: string[];
      env?: Record<string, string> | undefined;
      cwd?: string | undefined;
    };

export interface UpstreamDefinition {
  name: string;
  /** Where it came from: a running server of the registry, the gateway configuration, or the REST API (runtime). */
  source: UpstreamSource;
  target: UpstreamTarget;
  timeoutMs: number;
  maxConcurrency: number;
  retries: number;
  idleTtlMs: number;
  circuitFailures: number;
  circuitHalfOpenMs: number;
  /** Changes when the upstream must be reconnected (a new revision or endpoint of a registry server). */
  fingerprint: string;
}

export type UpstreamSource = 'registry' | 'config' | 'api';

export interface UpstreamHealth {
  name: string;
  source: UpstreamSource;
  connected: boolean;
  breaker: 'closed' | 'open' | 'half-open' | 'isolated';
  tools: number | null;
  lastError: string | null;
  calls: number;
  failures: number;
  /** Per replica endpoint, for an upstream with several (see the file comment). */
  replicas?: ReplicaHealth[] | undefined;
}

export interface ReplicaHealth {
  endpoint: string;
  connected: boolean;
  breaker: UpstreamHealth['breaker'];
  /** Skipped for now after a call could not be delivered to it. */
  benched: boolean;
  inFlight: number;
  calls: number;
  failures: number;
  lastError: string | null;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** The per-endpoint upstreams of a replicated upstream and the selector that spreads calls across them. */
interface ReplicaSet {
  upstreams: Upstream[];
  selector: ReplicaSelector;
}

function unavailable(name: string, why: string, retryAfterSeconds?: number): FactoryError {
  return new FactoryError('GATEWAY_UPSTREAM_UNAVAILABLE', `upstream "${name}" is unavailable: ${why}`, {
    details: { upstream: name, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) },
  });
}

export class Upstream {
  readonly definition: UpstreamDefinition;
  readonly #onToolsChanged: () => void;
  #client: Client | undefined;
  /** The hot path for tools/call when the upstream speaks 2026-07-28 over Streamable HTTP (fast-call.ts). */
  #fast: FastCaller | undefined;
  #connecting: Promise<Client> | undefined;
  #tools: UpstreamTool[] | undefined;
  #lastError: string | null = null;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #calls = 0;
  #failures = 0;
  readonly #breaker;
  readonly #bulkhead;
  readonly #retry;
  /** One Upstream per replica endpoint, and how calls are spread across them; absent for one endpoint. */
  readonly #replicas: ReplicaSet | undefined;

  constructor(definition: UpstreamDefinition, onToolsChanged: () => void) {
    this.definition = definition;
    this.#onToolsChanged = onToolsChanged;
    const t = definition.target;
    if (t.kind === 'http' && t.replicas && new Set(t.replicas).size > 1) {
      const endpoints = [...new Set(t.replicas)];
      const changed = () => {
        this.#tools = undefined;
        this.#onToolsChanged();
      };
      this.#replicas = {
        upstreams: endpoints.map(
          (url) => new Upstream({ ...definition, target: { ...t, url, replicas: undefined } }, changed),
        ),
        selector: new ReplicaSelector(endpoints.length),
      };
    }
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: definition.circuitHalfOpenMs,
      breaker: new ConsecutiveBreaker(definition.circuitFailures),
    });
    this.#bulkhead = bulkhead(definition.maxConcurrency, definition.maxConcurrency * 16);
    this.#retry = retry(handleAll, {
      maxAttempts: definition.retries,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
    });
  }

  get name(): string {
    return this.definition.name;
  }

  /** The upstream's tools (connecting if needed); cached until it reports a change. */
  async tools(): Promise<UpstreamTool[]> {
    if (this.#tools) return this.#tools;
    if (this.#replicas) {
      const { upstreams, selector } = this.#replicas;
      this.#tools = await selector.run((i) => upstreams[i]!.tools(), { replay: true });
      return this.#tools;
    }
    const client = await this.#connect();
    const result = await client.listTools(undefined, { timeout: this.definition.timeoutMs });
    this.#tools = result.tools.map((t) => ({
      name: t.name,
      ...(t.title !== undefined ? { title: t.title } : {}),
      ...(t.description !== undefined ? { description: t.description } : {}),
      inputSchema: t.inputSchema as Record<string, unknown>,
      ...(t.outputSchema ? { outputSchema: t.outputSchema as Record<string, unknown> } : {}),
      ...(t.annotations ? { annotations: t.annotations as Record<string, unknown> } : {}),
    }));
    return this.#tools;
  }

  /**
   * Call a tool; `readOnly` tools are retried after transport failures. Span `upstream.call` (client); its
   * context goes upstream as the `traceparent` header and in `_meta`, the request id as `x-request-id`.
   */
  call(
    tool: string,
    args: Record<string, unknown>,
    options: { readOnly: boolean; signal?: AbortSignal | undefined; requestId?: string | undefined },
  ): Promise<CallToolResult> {
    if (this.#replicas) return this.#replicaCall(this.#replicas, tool, args, options);
    const span = tracer().startSpan('upstream.call', {
      kind: SpanKind.CLIENT,
      attributes: { 'gateway.upstream': this.name, 'mcp.tool.name': tool },
    });
    const ctx = trace.setSpan(context.active(), span);
    return this.#call(tool, args, options, ctx).then(
      (result) => {
        span.setAttribute('gateway.outcome', result.isError === true ? 'tool_error' : 'ok');
        span.end();
        return result;
      },
      (error: unknown) => {
        span.setAttribute('gateway.outcome', 'error');
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** A call on the replica the selector picks (each replica's Upstream makes the span and counts). */
  async #replicaCall(
    replicas: ReplicaSet,
    tool: string,
    args: Record<string, unknown>,
    options: { readOnly: boolean; signal?: AbortSignal | undefined; requestId?: string | undefined },
  ): Promise<CallToolResult> {
    this.#calls++;
    try {
      return await replicas.selector.run((i) => replicas.upstreams[i]!.call(tool, args, options), {
        replay: options.readOnly,
        // A timeout already took the caller's patience; an aborted call is over.
        mayMoveOn: (error) =>
          !options.signal?.aborted &&
          !(error instanceof FactoryError && error.code === 'GATEWAY_UPSTREAM_TIMEOUT'),
      });
    } catch (error) {
      this.#failures++;
      throw error;
    }
  }

  async #call(
    tool: string,
    args: Record<string, unknown>,
    options: { readOnly: boolean; signal?: AbortSignal | undefined; requestId?: string | undefined },
    ctx: Context,
  ): Promise<CallToolResult> {
    this.#calls++;
    const once = async () => {
      const client = await this.#connect();
      try {
        if (this.#fast) return await this.#fastCall(tool, args, options.signal, ctx, options.requestId);
        // The trace context in _meta (2026-07-28) and, through the transport's fetch, as headers.
        const meta = traceMeta(ctx);
        const send = () =>
          context.with(ctx, () =>
            client.callTool(
              { name: tool, arguments: args, ...(meta ? { _meta: meta } : {}) },
              { timeout: this.definition.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
            ),
          );
        return toolAnswer(
          (await (options.requestId
            ? withRequest({ requestId: options.requestId }, send)
            : send())) as CallToolResult,
        );
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // The upstream answered with a JSON-RPC error (unknown tool, bad arguments): it works; the call failed.
        if (error instanceof ProtocolError)
          return {
            isError: true,
            content: [
              { type: 'text', text: `upstream error ${error.code}: ${error.message.slice(0, 2000)}` },
            ],
          } satisfies CallToolResult;
        // A transport failure: drop the connection so the next attempt opens a new one.
        this.#drop(error);
        throw error;
      }
    };
    try {
      return await this.#bulkhead.execute(() =>
        this.#breaker.execute(() =>
          options.readOnly && this.definition.retries > 0 ? this.#retry.execute(once) : once(),
        ),
      );
    } catch (error) {
      this.#failures++;
      if (error instanceof BrokenCircuitError)
        throw markUndelivered(unavailable(this.name, 'its circuit is open after repeated failures', 5));
      if (error instanceof BulkheadRejectedError)
        throw markUndelivered(unavailable(this.name, 'too many calls are waiting for it', 1));
      if (error instanceof FactoryError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (connectionRefused(error)) throw markUndelivered(unavailable(this.name, message.slice(0, 300)));
      if (/timed? ?out/i.test(message))
        throw new FactoryError(
          'GATEWAY_UPSTREAM_TIMEOUT',
          `upstream "${this.name}" did not answer ${tool} within ${this.definition.timeoutMs} ms`,
          {
            details: { upstream: this.name, tool },
          },
        );
      throw unavailable(this.name, message.slice(0, 300));
    } finally {
      this.#touch();
    }
  }

  /** The hot path, with a fresh token once when an OAuth upstream answers 401. */
  async #fastCall(
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
    ctx: Context,
    requestId: string | undefined,
  ) {
    const fast = this.#fast!;
    const auth = this.definition.target.kind === 'http' ? this.definition.target.auth : undefined;
    const propagated = traceHeaders(ctx);
    const meta = traceMeta(ctx);
    const call = async () =>
      fast.call(tool, args, {
        timeoutMs: this.definition.timeoutMs,
        signal,
        headers: {
          ...propagated,
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
          ...(auth ? await auth.headers() : {}),
        },
        meta,
      });
    try {
      return await call();
    } catch (error) {
      if (!auth || !(error instanceof UpstreamHttpError) || error.status !== 401) throw error;
      const challenge = new Response(null, {
        status: 401,
        headers: error.challenge ? { 'www-authenticate': error.challenge } : {},
      });
      if (!(await auth.onUnauthorized(challenge))) throw error;
      return call();
    }
  }

  /**
   * A request of the upstream's other features (prompts, resources) on the shared connection. A JSON-RPC error
   * is the upstream's answer and passes through; a transport failure drops the connection like a failed call.
   */
  async request<T>(
    what: 'prompts' | 'resources',
    run: (client: Client) => Promise<T>,
  ): Promise<T | undefined> {
    if (this.#replicas) {
      const { upstreams, selector } = this.#replicas;
      // Reads only: another replica may answer; a JSON-RPC error is the upstream's answer and stays.
      return selector.run((i) => upstreams[i]!.request(what, run), {
        replay: true,
        mayMoveOn: (error) => !(error instanceof ProtocolError),
      });
    }
    const client = await this.#connect();
    if (!client.getServerCapabilities()?.[what]) return undefined;
    try {
      return await run(client);
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      this.#drop(error);
      throw unavailable(this.name, error instanceof Error ? error.message.slice(0, 300) : String(error));
    }
  }

  health(): UpstreamHealth {
    if (this.#replicas) return this.#replicaHealth(this.#replicas);
    const state = this.#breaker.state;
    return {
      name: this.name,
      source: this.definition.source,
      connected: this.#client !== undefined,
      breaker:
        state === CircuitState.Open
          ? 'open'
          : state === CircuitState.HalfOpen
            ? 'half-open'
            : state === CircuitState.Isolated
              ? 'isolated'
              : 'closed',
      tools: this.#tools?.length ?? null,
      lastError: this.#lastError,
      calls: this.#calls,
      failures: this.#failures,
    };
  }

  #replicaHealth(replicas: ReplicaSet): UpstreamHealth {
    const each: ReplicaHealth[] = replicas.upstreams.map((u, i) => {
      const h = u.health();
      return {
        endpoint: u.definition.target.kind === 'http' ? u.definition.target.url : u.name,
        connected: h.connected,
        breaker: h.breaker,
        benched: replicas.selector.isBenched(i),
        inFlight: replicas.selector.inFlight(i),
        calls: h.calls,
        failures: h.failures,
        lastError: h.lastError,
      };
    });
    // The upstream is as good as its best replica.
    const breaker = (['closed', 'half-open', 'open', 'isolated'] as const).find((b) =>
      each.some((r) => r.breaker === b),
    )!;
    return {
      name: this.name,
      source: this.definition.source,
      connected: each.some((r) => r.connected),
      breaker,
      tools: this.#tools?.length ?? null,
      lastError: each.find((r) => r.lastError !== null)?.lastError ?? null,
      calls: this.#calls,
      failures: this.#failures,
      replicas: each,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#replicas) {
      await Promise.all(this.#replicas.upstreams.map((u) => u.close()));
      return;
    }
    // Awaited first: a connection being opened sets its fast path and idle timer, released below too.
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    clearTimeout(this.#idleTimer);
    this.#fast?.close();
    this.#fast = undefined;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
  }

  #touch(): void {
    if (this.definition.target.kind !== 'stdio' || this.definition.idleTtlMs <= 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      const client = this.#client;
      this.#client = undefined;
      void client?.close().catch(() => undefined);
    }, this.definition.idleTtlMs);
    this.#idleTimer.unref();
  }

  #drop(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message.slice(0, 300) : String(error);
    const client = this.#client;
    this.#client = undefined;
    this.#fast?.close();
    this.#fast = undefined;
    void client?.close().catch(() => undefined);
  }

  async #connect(): Promise<Client> {
    if (this.#closed) throw unavailable(this.name, 'the gateway is closing');
    if (this.#client) return this.#client;
    this.#connecting ??= (async () => {
      const client = new Client(
        { name: 'mcp-factory-gateway', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      const changed = () => {
        this.#tools = undefined;
        this.#onToolsChanged();
      };
      // 2025-11-25 upstreams send the notification on their connection; 2026-07-28 ones on a listen stream,
      // opened below without waiting for it (an upstream that never acknowledges must not hold up the catalog).
      client.setNotificationHandler('notifications/tools/list_changed', changed);
      client.onclose = () => {
        if (this.#client === client) this.#client = undefined;
      };
      try {
        await client.connect(this.#transport(), { timeout: CONNECT_TIMEOUT_MS });
      } catch (error) {
        await client.close().catch(() => undefined);
        this.#lastError = error instanceof Error ? error.message.slice(0, 300) : String(error);
        throw markUndelivered(unavailable(this.name, `cannot connect: ${this.#lastError}`));
      }
      this.#client = client;
      this.#lastError = null;
      this.#touch();
      const t = this.definition.target;
      if (
        t.kind === 'http' &&
        t.transport !== 'sse' &&
        client.getNegotiatedProtocolVersion() === FAST_PROTOCOL
      )
        this.#fast = createFastCaller(t.url, t.headers ?? {}, this.definition.maxConcurrency);
      if (
        client.getServerCapabilities()?.tools?.listChanged &&
        client.getNegotiatedProtocolVersion() === FAST_PROTOCOL
      )
        void client.listen({ toolsListChanged: true }).catch(() => undefined);
      return client;
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #transport() {
    const t = this.definition.target;
    if (t.kind === 'stdio')
      return new StdioClientTransport({
        command: t.command,
        args: t.args,
        env: { ...getDefaultEnvironment(), ...(t.env ?? {}) },
        ...(t.cwd ? { cwd: t.cwd } : {}),
        stderr: 'ignore',
      });
    const init = {
      requestInit: { headers: t.headers ?? {} },
      fetch: tracedFetch,
      ...(t.auth ? { authProvider: sdkAuthProvider(t.auth) } : {}),
    };
    return t.transport === 'sse'
      ? new SSEClientTransport(new URL(t.url), init)
      : new StreamableHTTPClientTransport(new URL(t.url), init);
  }
}

/** fetch for the SDK transports: the active trace context and request id as headers, when there are any. */
function tracedFetch(url: string | URL, init?: RequestInit): Promise<Response> {
  const extra = traceHeaders();
  const requestId = currentRequest()?.requestId;
  if (requestId) extra[REQUEST_ID_HEADER] = requestId;
  if (Object.keys(extra).length === 0) return fetch(url, init);
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return fetch(url, { ...init, headers });
}
