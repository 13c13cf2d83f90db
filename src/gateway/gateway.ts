/**
 * The gateway: one set of upstreams (the registry's running servers, followed live, plus the configured ones),
 * one catalog built from them, and the tool calls routed through it. Surfaces (MCP over HTTP or stdio, the REST
 * routes) are projections of this object: `listTools`, `searchTools`, `describeTool`, `callTool`, `health`.
 *
 * Registry upstreams come from `source()` (the control plane's running endpoints), re-read every `refreshMs`
 * and on `refresh()`; an upstream whose endpoint or revision changed is reconnected, one that stopped is closed.
 * When the catalog changes, `onChange` listeners run (the MCP surface sends tools/list_changed).
 * Every call is counted in the registry's call metrics and audited (who, tool, outcome, duration) in batches.
 * A call is first checked against the rate limits (limits.ts), then looked up in the result cache of read-only
 * tools (cache.ts), and only then sent upstream; its result is stored when cacheable. Both live in memory, or in
 * Redis when `redis` is configured; the cache of an upstream is dropped when its tools change or its revision does.
 */
import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { Span } from '@opentelemetry/api';
import { FactoryError } from '../core/errors/index.js';
import { createSearchIndex, type SearchIndex } from '../core/search/index.js';
import { type AllowList, allowsServer, allowsTool } from '../core/text/patterns.js';
import type { ServerEndpoint } from '../deploy/types.js';
import type { Registry } from '../store/index.js';
import { type CachePolicy, type CacheStats, RedisLink, ResultCache } from './cache.js';
import { buildCatalog, type Catalog, type CatalogEntry, type ToolRules } from './catalog.js';
import {
  type GatewayConfig,
  type HttpUpstreamConfig,
  isStdio,
  parseGatewayConfig,
  type UpstreamConfig,
} from './config.js';
import {
  buildContent,
  type ContentCatalog,
  findPrompt,
  findResource,
  type GetPromptResult,
  notFoundContent,
  type PromptEntry,
  type ReadResourceResult,
  type ResourceEntry,
  type TemplateEntry,
} from './content.js';
import { CallLimiter } from './limits.js';
import { CallRecorder } from './recorder.js';
import { currentRequest, failSpan, traceIdOf, tracer } from './tracing.js';
import { Upstream, type UpstreamDefinition, type UpstreamHealth } from './upstream.js';

/** A running server of the registry, as the control plane reaches it. */
export type RegistryEndpoint = ServerEndpoint;

/** Who calls (the seam for identity: tokens today, users and roles as they land). */
export interface GatewayCaller {
  name: string;
  /** Upstream servers this caller may use (undefined: all). */
  servers?: ReadonlySet<string> | undefined;
  /** False: the caller may list and search tools but not call them (its role lacks servers.call). */
  mayCall?: boolean | undefined;
  /**
   * The caller's token allow-list (undefined: none): narrows `servers` further, by upstream name patterns, and
   * the tools, by patterns of `<upstream>__<tool>` or the plain tool name (core/text/patterns.ts). A tool
   * outside it is invisible and answers like an unknown one.
   */
  allow?: AllowList | undefined;
}

/** Whether the caller may see upstream `name` (its registry servers and its allow-list; no caller: all). */
export function callerSees(caller: GatewayCaller | undefined, name: string): boolean {
  return (!caller?.servers || caller.servers.has(name)) && allowsServer(caller?.allow, name);
}

/** What `onCall` listeners learn about one routed call (logs, metrics). */
export interface GatewayCallEvent {
  /** The HTTP request's id (x-request-id), when the call came through one. */
  requestId: string | undefined;
  /** The trace it belongs to, when a tracer provider is registered. */
  traceId: string | undefined;
  caller: string;
  /** The tool's public name (as the client called it). */
  tool: string;
  upstream: string;
  /** The tool's name at the upstream. */
  upstreamTool: string;
  ok: boolean;
  /** Answered from the result cache. */
  cached: boolean;
  ms: number;
  /** The error code when the call failed without a result (unavailable, timeout, …). */
  error: string | undefined;
}

export type GatewayCallListener = (upstream: string, seconds: number, event: GatewayCallEvent) => void;

export interface GatewayOptions {
  config?: GatewayConfig | undefined;
  registry?: Registry | undefined;
  /** The registry's running servers (typically `controlPlane.endpoints()`). */
  source?: (() => Promise<RegistryEndpoint[]>) | undefined;
  /** How often registry upstreams are re-read (default 5 s; 0: only on refresh()). */
  refreshMs?: number | undefined;
  blockFlagged?: boolean | undefined;
  /** Upstreams that may be added at runtime over the REST API, at most (default 100). */
  maxRuntimeUpstreams?: number | undefined;
}

/** An upstream added over the REST API, as GET /api/v1/servers shows it: header values never shown. */
export interface RuntimeUpstreamView {
  name: string;
  /** Scheme, host and path: the query and fragment may carry secrets. */
  url: string;
  transport: 'streamable-http' | 'sse';
  /** Header names, each with the value `[redacted]`. */
  headers: Record<string, string>;
  addedBy: string;
  addedAt: string;
}

export const REDACTED = '[redacted]';

export interface ToolView {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  annotations?: Record<string, unknown> | undefined;
  upstream: string;
}

function view(entry: CatalogEntry): ToolView {
  return {
    name: entry.name,
    ...(entry.tool.title !== undefined ? { title: entry.tool.title } : {}),
    ...(entry.description !== undefined ? { description: entry.description } : {}),
    inputSchema: entry.tool.inputSchema,
    ...(entry.tool.outputSchema ? { outputSchema: entry.tool.outputSchema } : {}),
    ...(entry.tool.annotations ? { annotations: entry.tool.annotations } : {}),
    upstream: entry.upstream,
  };
}

function configDefinition(u: UpstreamConfig, source: 'config' | 'api' = 'config'): UpstreamDefinition {
  const common = {
    name: u.name,
    source,
    timeoutMs: u.timeoutMs,
    maxConcurrency: u.maxConcurrency,
    retries: u.retries,
    circuitFailures: u.circuitFailures,
    circuitHalfOpenMs: u.circuitHalfOpenMs,
  };
  if (isStdio(u))
    return {
      ...common,
      target: { kind: 'stdio', command: u.command, args: u.args, env: u.env, cwd: u.cwd },
      idleTtlMs: u.idleTtlMs,
      fingerprint: JSON.stringify([u.command, u.args, u.env, u.cwd]),
    };
  return {
    ...common,
    target: { kind: 'http', url: u.url, headers: u.headers, transport: u.transport },
    idleTtlMs: 0,
    fingerprint: JSON.stringify([u.url, u.headers, u.transport]),
  };
}

function registryDefinition(e: RegistryEndpoint): UpstreamDefinition {
  return {
    name: e.name,
    source: 'registry',
    target: {
      kind: 'http',
      url: e.endpoint,
      headers: e.headers,
      ...(e.auth ? { auth: e.auth } : {}),
      // A swarm service: one upstream, calls spread across its replicas (upstream.ts).
      ...(e.replicas && e.replicas.length > 1 ? { replicas: e.replicas } : {}),
    },
    timeoutMs: 30_000,
    maxConcurrency: 32,
    retries: 2,
    idleTtlMs: 0,
    circuitFailures: 5,
    circuitHalfOpenMs: 5_000,
    fingerprint: createHash('sha256')
      .update(
        JSON.stringify([
          e.endpoint,
          e.revision,
          e.headers,
          ...(e.replicas && e.replicas.length > 1 ? [e.replicas] : []),
        ]),
      )
      .digest('hex'),
  };
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly #options: GatewayOptions;
  readonly #upstreams = new Map<string, Upstream>();
  /**
   * Upstreams added at runtime over the REST API (http/sse only, see addUpstream). In memory only: they are gone
   * when the gateway restarts; the config file is never written.
   */
  readonly #runtime = new Map<string, { config: HttpUpstreamConfig; view: RuntimeUpstreamView }>();
  readonly #listeners = new Set<() => void>();
  readonly #callListeners = new Set<GatewayCallListener>();
  readonly #recorder: CallRecorder | undefined;
  readonly #redis: RedisLink | undefined;
  readonly #cache: ResultCache;
  readonly #limiter: CallLimiter;
  #catalog: Catalog | undefined;
  #building: Promise<Catalog> | undefined;
  #index: SearchIndex<{ key: string; entry: CatalogEntry; fields: Record<string, string> }> | undefined;
  #stale = true;
  #content: Promise<ContentCatalog> | undefined;
  #builtAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: GatewayOptions = {}) {
    this.config = options.config ?? parseGatewayConfig({});
    this.#options = options;
    this.#recorder = options.registry ? new CallRecorder(options.registry) : undefined;
    this.#redis = this.config.redis ? new RedisLink(this.config.redis) : undefined;
    this.#cache = new ResultCache((name) => this.#cachePolicy(name), this.#redis);
    this.#limiter = new CallLimiter(this.config.limits, this.#redis);
    for (const u of this.config.servers)
      if (u.enabled)
        this.#upstreams.set(u.name, new Upstream(configDefinition(u), () => this.#toolsChanged(u.name)));
  }

  /** Read the registry's running servers now and start following them. */
  async start(): Promise<void> {
    await this.refresh();
    const every = this.#options.refreshMs ?? 5_000;
    if (every > 0 && this.#options.source) {
      this.#timer = setInterval(() => void this.refresh().catch(() => undefined), every);
      this.#timer.unref();
    }
  }

  /** Re-read registry upstreams; reconnect changed ones, close stopped ones. */
  async refresh(): Promise<void> {
    if (!this.#options.source || !this.config.registry) return;
    const endpoints = await this.#options.source();
    const seen = new Set<string>();
    let changed = false;
    for (const e of endpoints) {
      if (this.config.servers.some((s) => s.name === e.name)) continue; // configured upstreams win a name
      if (this.#runtime.has(e.name)) continue; // and so do upstreams added over the REST API
      if (this.config.serverRules?.[e.name]?.enabled === false) continue;
      seen.add(e.name);
      const def = registryDefinition(e);
      const current = this.#upstreams.get(e.name);
      if (current && current.definition.fingerprint === def.fingerprint) continue;
      await current?.close();
      if (current) await this.#cache.invalidate(e.name);
      this.#upstreams.set(e.name, new Upstream(def, () => this.#toolsChanged(e.name)));
      changed = true;
    }
    for (const [name, u] of this.#upstreams)
      if (u.definition.source === 'registry' && !seen.has(name)) {
        this.#upstreams.delete(name);
        await u.close();
        await this.#cache.invalidate(name);
        changed = true;
      }
    if (changed) this.#invalidate();
  }

  /** Called when the catalog may have changed. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called after every routed call with its upstream, duration (metrics) and the call's details (logs). */
  onCall(listener: GatewayCallListener): () => void {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  async catalog(): Promise<Catalog> {
    if (this.#catalog && !this.#stale) {
      // An upstream that could not be listed (down while the catalog was built) is tried again, in the
      // background, at most every INCOMPLETE_RETRY_MS; without this it stayed out until some other change.
      if (
        this.#catalog.report.upstreams.some((u) => u.error !== undefined) &&
        Date.now() - this.#builtAt >= INCOMPLETE_RETRY_MS
      )
        void this.#build(true).catch(() => undefined);
      return this.#catalog;
    }
    return this.#build(false);
  }

  #build(retry: boolean): Promise<Catalog> {
    this.#building ??= (async () => {
      this.#stale = false;
      const before = this.#catalog;
      const catalog = await buildCatalog([...this.#upstreams.values()], {
        separator: this.config.separator,
        rules: (name) => this.#rules(name),
        blockFlagged: this.#options.blockFlagged,
      });
      this.#catalog = catalog;
      this.#builtAt = Date.now();
      this.#index = undefined;
      // A retry that brought an upstream back changed what clients see: tell them (tools/list_changed).
      if (retry && before && listed(before) !== listed(catalog)) for (const l of this.#listeners) l();
      return catalog;
    })().finally(() => {
      this.#building = undefined;
    });
    return this.#building;
  }

  /** Whether clients should see meta-tools instead of the catalog. */
  async metaMode(): Promise<boolean> {
    if (this.config.metaTools !== 'auto') return this.config.metaTools === 'always';
    return (await this.catalog()).size > this.config.metaThreshold;
  }

  async listTools(caller?: GatewayCaller): Promise<ToolView[]> {
    return (await this.catalog()).entries.filter((e) => this.#may(caller, e)).map(view);
  }

  /** Prompts and resources of the upstreams (content.ts), built on first use and dropped when the catalog changes. */
  async content(): Promise<ContentCatalog> {
    this.#content ??= buildContent([...this.#upstreams.values()], this.config.separator).catch((error) => {
      this.#content = undefined;
      throw error;
    });
    return this.#content;
  }

  async listPrompts(caller?: GatewayCaller): Promise<Array<PromptEntry['prompt'] & { name: string }>> {
    return (await this.content()).prompts
      .filter((p) => callerSees(caller, p.upstream))
      .map((p) => ({ ...p.prompt, name: p.name }));
  }

  async getPrompt(
    name: string,
    args: Record<string, string>,
    caller?: GatewayCaller,
  ): Promise<GetPromptResult> {
    const entry = findPrompt(await this.content(), name);
    const upstream =
      entry && callerSees(caller, entry.upstream) ? this.#upstreams.get(entry.upstream) : undefined;
    if (!entry || !upstream) throw notFoundContent('prompt', name);
    const result = await upstream.request('prompts', (c) =>
      c.getPrompt({ name: entry.prompt.name, arguments: args }),
    );
    if (!result) throw notFoundContent('prompt', name);
    return result;
  }

  async listResources(
    caller?: GatewayCaller,
  ): Promise<{ resources: ResourceEntry['resource'][]; templates: TemplateEntry['template'][] }> {
    const content = await this.content();
    const visible = (u: string) => callerSees(caller, u);
    return {
      resources: content.resources.filter((r) => visible(r.upstream)).map((r) => r.resource),
      templates: content.templates.filter((t) => visible(t.upstream)).map((t) => t.template),
    };
  }

  async readResource(uri: string, caller?: GatewayCaller): Promise<ReadResourceResult> {
    const name = findResource(await this.content(), uri);
    const upstream = name && callerSees(caller, name) ? this.#upstreams.get(name) : undefined;
    if (!upstream) throw notFoundContent('resource', uri);
    const result = await upstream.request('resources', (c) => c.readResource({ uri }));
    if (!result) throw notFoundContent('resource', uri);
    return result;
  }

  async describeTool(name: string, caller?: GatewayCaller): Promise<ToolView> {
    return view(await this.#entry(name, caller));
  }

  /** Keyword search over the catalog (the one search of the codebase). */
  async searchTools(
    query: string,
    limit = 10,
    caller?: GatewayCaller,
  ): Promise<Array<ToolView & { score: number }>> {
    const catalog = await this.catalog();
    this.#index ??= createSearchIndex(
      catalog.entries.map((entry) => ({
        key: entry.name,
        entry,
        fields: {
          name: `${entry.tool.name} ${entry.name}`,
          title: entry.tool.title ?? '',
          description: entry.description ?? '',
          params: paramText(entry.tool.inputSchema),
          server: entry.upstream,
        },
      })),
      { name: 10, title: 5, description: 2, params: 1, server: 1 },
      { english: true },
    );
    return this.#index
      .search(query.slice(0, 2_000), { limit: limit * 4, maxTerms: 64 })
      .filter((h) => this.#may(caller, h.document.entry))
      .slice(0, limit)
      .map((h) => ({ ...view(h.document.entry), score: h.score }));
  }

  /** Route one call (span `gateway.tools/call`); `requestId` defaults to the HTTP request's in scope. */
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: {
      caller?: GatewayCaller | undefined;
      signal?: AbortSignal | undefined;
      requestId?: string | undefined;
    } = {},
  ): Promise<CallToolResult> {
    return tracer().startActiveSpan(
      'gateway.tools/call',
      { attributes: { 'mcp.tool.name': name, 'gateway.caller': options.caller?.name ?? 'anonymous' } },
      (span) =>
        this.#callTool(name, args, options, span)
          .catch((error: unknown) => {
            span.setAttribute('gateway.outcome', 'error');
            failSpan(span, error);
            throw error;
          })
          .finally(() => span.end()),
    );
  }

  async #callTool(
    name: string,
    args: Record<string, unknown>,
    options: {
      caller?: GatewayCaller | undefined;
      signal?: AbortSignal | undefined;
      requestId?: string | undefined;
    },
    span: Span,
  ): Promise<CallToolResult> {
    const entry = await this.#entry(name, options.caller);
    if (options.caller?.mayCall === false)
      throw new FactoryError('API_FORBIDDEN', `${options.caller.name} may not call tools (servers.call)`, {
        details: { permission: 'servers.call', subject: options.caller.name },
      });
    span.setAttribute('gateway.upstream', entry.upstream);
    const upstream = this.#upstreams.get(entry.upstream);
    if (!upstream) throw notFound(name);
    await this.#limiter.take(options.caller?.name ?? 'anonymous', name);
    const requestId = options.requestId ?? currentRequest()?.requestId;
    const started = performance.now();
    let ok = false;
    let cachedHit = false;
    let failure: string | undefined;
    try {
      const cached = await this.#cache.lookup(
        { name: entry.upstream, fingerprint: upstream.definition.fingerprint },
        entry.tool.name,
        entry.readOnly,
        args,
      );
      if (cached.hit) {
        ok = cached.hit.isError !== true;
        cachedHit = true;
        return cached.hit;
      }
      const result = await upstream.call(entry.tool.name, args, {
        readOnly: entry.readOnly,
        signal: options.signal,
        requestId,
      });
      ok = result.isError !== true;
      await this.#cache.store(entry.upstream, cached.ticket, result);
      return result;
    } catch (error) {
      failure = error instanceof FactoryError ? error.code : 'INTERNAL';
      throw error;
    } finally {
      const ms = performance.now() - started;
      span.setAttribute('gateway.cache.hit', cachedHit);
      if (failure === undefined) span.setAttribute('gateway.outcome', ok ? 'ok' : 'tool_error');
      if (this.#callListeners.size > 0) {
        const event: GatewayCallEvent = {
          requestId,
          traceId: traceIdOf(span),
          caller: options.caller?.name ?? 'anonymous',
          tool: name,
          upstream: entry.upstream,
          upstreamTool: entry.tool.name,
          ok,
          cached: cachedHit,
          ms,
          error: failure,
        };
        for (const l of this.#callListeners) l(entry.upstream, ms / 1000, event);
      }
      this.#recorder?.record({
        caller: options.caller?.name ?? 'anonymous',
        upstream: entry.upstream,
        tool: entry.tool.name,
        publicName: name,
        ok,
        latencyMs: ms,
      });
    }
  }

  /** Result-cache hits, misses and stores per upstream (metrics). */
  cacheStats(): CacheStats[] {
    return this.#cache.stats();
  }

  /** Calls refused by the rate limits so far (metrics). */
  get rateLimited(): number {
    return this.#limiter.refused;
  }

  /** The upstreams added over the REST API (redacted: no header values, no query string). */
  runtimeUpstreams(): RuntimeUpstreamView[] {
    return [...this.#runtime.values()].map((r) => r.view);
  }

  /**
   * Add an http/sse upstream at runtime (the REST API's POST /api/v1/servers; `config` from
   * parseRuntimeUpstream, which refuses stdio and `${VAR}` references). In memory only. A name already used by a
   * configured upstream (enabled or not), a registry server (running or not) or another runtime upstream is
   * GATEWAY_UPSTREAM_EXISTS; past `maxRuntimeUpstreams`, GATEWAY_UPSTREAM_LIMIT. The catalog is rebuilt on next
   * use and listeners told (tools/list_changed); audited as `gateway.upstream.add`.
   */
  async addUpstream(config: HttpUpstreamConfig, actor: string): Promise<RuntimeUpstreamView> {
    const name = config.name;
    const exists = () =>
      new FactoryError('GATEWAY_UPSTREAM_EXISTS', `an upstream named "${name}" already exists`, {
        details: { upstream: name },
      });
    const taken = () => this.#upstreams.has(name) || this.config.servers.some((s) => s.name === name);
    if (taken()) throw exists();
    // A registry server of that name, even one not running now, keeps it: it would shadow the server once started.
    if (this.#options.registry && (await this.#options.registry.identity.serverScope(name)) !== undefined)
      throw exists();
    // Checked again after the await, and set before the next one: two concurrent adds cannot both pass.
    if (this.#closed) throw new FactoryError('GATEWAY_UPSTREAM_UNAVAILABLE', 'the gateway is closing');
    if (taken()) throw exists();
    const max = this.#options.maxRuntimeUpstreams ?? 100;
    if (this.#runtime.size >= max)
      throw new FactoryError(
        'GATEWAY_UPSTREAM_LIMIT',
        `the gateway holds ${this.#runtime.size} upstreams added over the REST API, the most it may (${max})`,
        { details: { max } },
      );
    const url = new URL(config.url);
    const view: RuntimeUpstreamView = {
      name,
      url: `${url.protocol}//${url.host}${url.pathname}`,
      transport: config.transport,
      headers: Object.fromEntries(Object.keys(config.headers ?? {}).map((h) => [h, REDACTED])),
      addedBy: actor,
      addedAt: new Date().toISOString(),
    };
    this.#runtime.set(name, { config, view });
    this.#upstreams.set(name, new Upstream(configDefinition(config, 'api'), () => this.#toolsChanged(name)));
    this.#invalidate();
    await this.#audit(actor, 'gateway.upstream.add', name, {
      url: view.url,
      transport: view.transport,
      headers: Object.keys(view.headers),
    });
    return view;
  }

  /**
   * Remove an upstream added over the REST API: out of the catalog (listeners told), its connection closed, its
   * cached results dropped; audited as `gateway.upstream.remove`. A configured or registry upstream is
   * GATEWAY_UPSTREAM_NOT_REMOVABLE, an unknown name GATEWAY_UPSTREAM_NOT_FOUND.
   */
  async removeUpstream(name: string, actor: string): Promise<void> {
    const upstream = this.#upstreams.get(name);
    if (!this.#runtime.has(name)) {
      if (upstream || this.config.servers.some((s) => s.name === name))
        throw new FactoryError(
          'GATEWAY_UPSTREAM_NOT_REMOVABLE',
          `upstream "${name}" comes from the ${upstream?.definition.source === 'registry' ? 'registry' : 'gateway config file'}; only upstreams added over the REST API can be removed over it`,
          { details: { upstream: name, source: upstream?.definition.source ?? 'config' } },
        );
      throw new FactoryError('GATEWAY_UPSTREAM_NOT_FOUND', `no upstream named "${name}"`, {
        details: { upstream: name },
      });
    }
    this.#runtime.delete(name);
    this.#upstreams.delete(name);
    this.#invalidate();
    await upstream?.close();
    await this.#cache.invalidate(name);
    await this.#audit(actor, 'gateway.upstream.remove', name, {});
  }

  /** An audit entry of a management action (best effort, like the call audit: never fails the action). */
  async #audit(
    actor: string,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.#options.registry?.audit({ actor, action, target, details }).catch(() => undefined);
  }

  health(): UpstreamHealth[] {
    return [...this.#upstreams.values()].map((u) => u.health()).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all([...this.#upstreams.values()].map((u) => u.close()));
    this.#upstreams.clear();
    this.#runtime.clear();
    await this.#recorder?.close();
    await this.#redis?.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #rules(upstream: string): ToolRules | undefined {
    const runtime = this.#runtime.get(upstream);
    if (runtime) return runtime.config.tools;
    return (
      this.config.servers.find((s) => s.name === upstream)?.tools ??
      this.config.serverRules?.[upstream]?.tools
    );
  }

  #cachePolicy(upstream: string): CachePolicy | undefined {
    const runtime = this.#runtime.get(upstream);
    if (runtime) return runtime.config.cache;
    return (
      this.config.servers.find((s) => s.name === upstream)?.cache ??
      this.config.serverRules?.[upstream]?.cache
    );
  }

  /** An upstream said its tool list changed: its cached results may be stale, the catalog is. */
  #toolsChanged(upstream: string): void {
    void this.#cache.invalidate(upstream);
    this.#invalidate();
  }

  /** The one check of tool visibility: listing, search, describe and every call path go through it. */
  #may(caller: GatewayCaller | undefined, entry: CatalogEntry): boolean {
    return callerSees(caller, entry.upstream) && allowsTool(caller?.allow, entry.upstream, entry.tool.name);
  }

  async #entry(name: string, caller: GatewayCaller | undefined): Promise<CatalogEntry> {
    const entry = (await this.catalog()).get(name);
    if (!entry || !this.#may(caller, entry)) throw notFound(name);
    return entry;
  }

  #invalidate(): void {
    this.#stale = true;
    this.#content = undefined;
    for (const l of this.#listeners) l();
  }
}

/** How often a catalog missing an upstream that could not be listed tries that upstream again. */
const INCOMPLETE_RETRY_MS = 1_000;

/** The upstreams a catalog could list, as a comparable string. */
function listed(catalog: Catalog): string {
  return catalog.report.upstreams
    .filter((u) => u.error === undefined)
    .map((u) => `${u.name}:${u.tools}`)
    .join(',');
}

function notFound(name: string): FactoryError {
  return new FactoryError(
    'GATEWAY_TOOL_NOT_FOUND',
    `no tool "${name.slice(0, 128)}" in the gateway catalog`,
    {
      details: { tool: name.slice(0, 128) },
    },
  );
}

/** Parameter names and descriptions of a JSON Schema's top-level properties, for search. */
function paramText(schema: Record<string, unknown>): string {
  const props = schema.properties;
  if (!props || typeof props !== 'object') return '';
  return Object.entries(props as Record<string, { description?: unknown }>)
    .map(([k, v]) => `${k} ${typeof v?.description === 'string' ? v.description.slice(0, 300) : ''}`)
    .join(' ')
    .slice(0, 4_000);
}
