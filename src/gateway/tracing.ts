/**
 * Tracing and request ids for the gateway, on the OpenTelemetry API only: spans and propagation go through the
 * globally registered tracer provider and propagator, which are no-ops until an SDK is registered (the CLI does,
 * tests and embedders may). So every helper here costs next to nothing without an SDK.
 *
 * - `traceRequest` wraps one HTTP request to the gateway in a `gateway.request` server span, continuing the
 *   caller's trace from its `traceparent` header or, without one, from the `_meta` trace context of the JSON-RPC
 *   request (TRACEPARENT_META_KEY, the 2026-07-28 way); it accepts or makes an `x-request-id` and sets it on
 *   the response.
 * - The request id travels with the call in an AsyncLocalStorage scope (`withRequest` / `currentRequest`), so
 *   the gateway and its upstreams see it without every layer passing it on.
 * - `traceHeaders` / `traceMeta` write the active trace context for an upstream: W3C headers and `_meta` keys.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

export const TRACER_NAME = 'mcp-factory-gateway';
/** `_meta` keys of W3C trace context (the SDK's TRACEPARENT_META_KEY / TRACESTATE_META_KEY). */
export const TRACEPARENT_META_KEY = 'traceparent';
export const TRACESTATE_META_KEY = 'tracestate';
export const REQUEST_ID_HEADER = 'x-request-id';

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

export interface RequestInfo {
  requestId: string;
}

const requests = new AsyncLocalStorage<RequestInfo>();

/** Run `fn` with this request's id visible to `currentRequest()` below it. */
export function withRequest<T>(info: RequestInfo, fn: () => T): T {
  return requests.run(info, fn);
}

export function currentRequest(): RequestInfo | undefined {
  return requests.getStore();
}

const SANE_ID = /^[\w.:@+=/-]{1,128}$/;

/** An incoming request id when it is a sane token (≤ 128 characters of [A-Za-z0-9_.:@+=/-]), else a new one. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
}

/** The trace id of a span, when it is a real one (an SDK is registered). */
export function traceIdOf(span: Span | undefined): string | undefined {
  const sc = span?.spanContext();
  return sc && isSpanContextValid(sc) ? sc.traceId : undefined;
}

const headersGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/** Trace context from a `_meta` object (2026-07-28 `traceparent` / `tracestate` keys), on top of `base`. */
export function contextFromMeta(meta: unknown, base: Context = ROOT_CONTEXT): Context | undefined {
  if (!meta || typeof meta !== 'object') return undefined;
  const m = meta as Record<string, unknown>;
  const parent = m[TRACEPARENT_META_KEY];
  if (typeof parent !== 'string' || parent.length > 128) return undefined;
  const carrier: Record<string, string> = { traceparent: parent };
  const state = m[TRACESTATE_META_KEY];
  if (typeof state === 'string' && state.length <= 512) carrier.tracestate = state;
  const ctx = propagation.extract(base, carrier);
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`); empty without an SDK. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The active trace context as `_meta` entries for a 2026-07-28 request; undefined when there is none. */
export function traceMeta(ctx: Context = context.active()): Record<string, string> | undefined {
  const h = traceHeaders(ctx);
  if (!h.traceparent) return undefined;
  return {
    [TRACEPARENT_META_KEY]: h.traceparent,
    ...(h.tracestate ? { [TRACESTATE_META_KEY]: h.tracestate } : {}),
  };
}

/** Record a failure on a span (status ERROR, the exception, an error code when it has one). */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute('error.type', code);
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300),
  });
}

export interface TraceRequestOptions {
  /** Read the `_meta` trace context from a JSON-RPC body when the request has no traceparent header. */
  peekMeta?: boolean | undefined;
  /** Bodies larger than this (or without a content-length) are not peeked. */
  maxPeekBytes?: number | undefined;
}

/** The `_meta` trace context of a JSON-RPC request body, read from a clone (the handler reads the original). */
async function metaContext(request: Request, max: number): Promise<Context | undefined> {
  const length = Number(request.headers.get('content-length') ?? Number.NaN);
  if (!(length > 0 && length <= max) || !request.body) return undefined;
  if (!(request.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    const text = await request.clone().text();
    if (!text.includes(`"${TRACEPARENT_META_KEY}"`)) return undefined;
    const message = JSON.parse(text) as { params?: { _meta?: unknown } };
    return contextFromMeta(message?.params?._meta);
  } catch {
    return undefined;
  }
}

/**
 * One HTTP request to the gateway: a `gateway.request` server span (child of the caller's trace context),
 * the request id in scope, and `x-request-id` on the response (whatever `handle` answers).
 */
export async function traceRequest(
  request: Request,
  path: string,
  handle: () => Promise<Response>,
  options: TraceRequestOptions = {},
): Promise<Response> {
  const requestId = requestIdFrom(request.headers.get(REQUEST_ID_HEADER));
  // Without a propagator (no SDK) there is nothing to continue: skip the extraction and the body peek.
  const propagating = propagation.fields().length > 0;
  let parent = propagating ? propagation.extract(ROOT_CONTEXT, request.headers, headersGetter) : ROOT_CONTEXT;
  if (propagating && !trace.getSpanContext(parent) && options.peekMeta && request.method === 'POST')
    parent = (await metaContext(request, options.maxPeekBytes ?? 1024 * 1024)) ?? parent;
  const response = await inRequestSpan(
    { requestId, method: request.method, path, parent },
    handle,
    (r) => r.status,
  );
  return withHeader(response, REQUEST_ID_HEADER, requestId);
}

/** Headers of a node:http request (lower-case names; only the first of a repeated header is read). */
export type NodeHeaders = Record<string, string | string[] | undefined>;

const nodeHeadersGetter: TextMapGetter<NodeHeaders> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/**
 * The trace context a node:http request continues: its `traceparent` header, or else the `_meta` of its
 * JSON-RPC request (already parsed), as `traceRequest` reads them from a web Request.
 */
export function nodeRequestParent(headers: NodeHeaders, meta: unknown): Context {
  if (propagation.fields().length === 0) return ROOT_CONTEXT;
  const parent = propagation.extract(ROOT_CONTEXT, headers, nodeHeadersGetter);
  return trace.getSpanContext(parent) ? parent : (contextFromMeta(meta) ?? parent);
}

/**
 * The `gateway.request` server span around `handle` (child of `parent`), with the request id in scope, for
 * both serving paths (the web Request above, the node-level fast path); `status` reads the answer's status.
 */
export async function inRequestSpan<T>(
  request: { requestId: string; method: string; path: string; parent: Context },
  handle: () => Promise<T>,
  status: (answer: T) => number,
): Promise<T> {
  const attributes: Attributes = {
    'http.request.method': request.method,
    'url.path': request.path,
    'http.request.id': request.requestId,
  };
  const span = tracer().startSpan('gateway.request', { kind: SpanKind.SERVER, attributes }, request.parent);
  const ctx = trace.setSpan(request.parent, span);
  try {
    const answer = await withRequest({ requestId: request.requestId }, () => context.with(ctx, handle));
    const code = status(answer);
    span.setAttribute('http.response.status_code', code);
    if (code >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return answer;
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The response with one more header (rebuilt when its headers are immutable, as a fetched one's are). */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(name, value);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}
