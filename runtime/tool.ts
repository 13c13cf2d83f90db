/**
 * Wraps every tool implementation: rate limit, timeout, cancellation, progress, logging (stderr and client),
 * metrics, errors as `isError` results, and the in-flight set a graceful shutdown drains.
 */
import type { CallToolResult, JsonSchemaType, ServerContext } from '@modelcontextprotocol/server';
import { type ConfirmContext, confirmGate } from './confirm.js';
import { type ContentInput, checkedBlocks, isToolContent, type ToolContent, toolContent } from './content.js';
import type { DatasetHandle } from './dataset.js';
import { requireEnv, ToolError, ToolFailure } from './errors.js';
import { createInteraction, InputNeeded, type Interaction, type InteractionRequest } from './interaction.js';
import { describeIssue, isPlainObject, toJsonSafe } from './json.js';
import { type Logger, withClientSink } from './logger.js';
import type { Runtime } from './runtime.js';
import type { SqlDatabase } from './sql.js';
import { sharedValidator } from './tool-table.js';

/** What a `code` tool body receives besides its arguments. */
export interface ToolContext {
  /** Logs to stderr and, as `notifications/message`, to the calling client at the level it asked for. */
  log: Logger;
  /** Aborted when the call times out, the client cancels it or disconnects, or the server shuts down. */
  signal: AbortSignal;
  /**
   * Reports progress as `notifications/progress` when the client asked for it (sent a progress token); a no-op
   * otherwise. `progress` must increase from one report to the next (a value that does not is dropped).
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** A SQL connection declared in the spec. */
  db(name: string): SqlDatabase;
  /**
   * A data file (CSV, TSV, JSON, NDJSON, Parquet) of a dataset connection, inside the directories its roots
   * variable lists: `(await ctx.dataset('data', args.file).query('SELECT … FROM dataset WHERE x = $1', [v])).rows`.
   * One statement per query; the result is `{ rows, columns, truncated }`; the call's signal interrupts it.
   */
  dataset(connection: string, file: string): DatasetHandle;
  /** An environment variable that must be set (throws a clear tool error otherwise). */
  env(name: string): string;
  /** The caller's upstream credential (HTTP transport, connections with `passthrough`). */
  upstreamCredential?: string | undefined;
  /** Who called (HTTP with `auth: { type: oauth }`): the token's subject, client, scopes and claims. */
  user?:
    | { subject: string; clientId?: string; scopes: string[]; claims: Record<string, unknown> }
    | undefined;
  /**
   * Returns content blocks instead of a value: `return ctx.content([{ type: 'image', data, mimeType }])`
   * (`data` base64 or bytes). `structured` is the structuredContent of a tool that declares `returns`.
   */
  content(blocks: readonly ContentInput[], structured?: unknown): ToolContent;
  /**
   * Asks the user (elicitation, form mode): `await ctx.elicit('Which region?', { type: 'object', properties:
   * { region: { type: 'string' } } })` → `{ action: 'accept', content }`, or `{ action: 'decline' | 'cancel' }`.
   * On 2026-07-28 the call ends, the client answers and retries, and the tool runs again from the start; the
   * same ask then returns the answer. So ask before doing anything with effects. Throws if the client cannot be asked.
   */
  elicit: Interaction['elicit'];
  /**
   * Asks the client's model (sampling): `(await ctx.sample('Summarize: ...', { maxTokens: 200 })).text`.
   * Same rounds as `elicit` on 2026-07-28.
   */
  sample: Interaction['sample'];
}

export interface ToolOptions {
  name: string;
  timeoutMs: number;
  /** How the value maps to structuredContent: as is (object schema), wrapped in {result}, or not at all. */
  output: 'object' | 'wrap' | 'none';
  /** Parameter defaults, applied to arguments the client left out. */
  defaults?: Record<string, unknown>;
  /** The implementation is synchronous and cannot hang (static text): no timer or abort signal per call. */
  sync?: boolean;
  /** Output schema checked leniently: a mismatch is reported in the result instead of failing the call. */
  lenientSchema?: Record<string, unknown>;
  /** Cache hint of a read-only tool, sent in each result's `_meta` (tools/call has no protocol cache fields). */
  cache?: { ttlMs: number; cacheScope: 'public' | 'private' };
  /** Ask the user before each call (spec `confirm`): true, or a message with {{param}} placeholders. */
  confirm?: true | string;
}

/** The parts of the SDK's request context a tool call uses (both protocol eras provide them). */
export interface SdkCallContext {
  mcpReq?: Partial<
    Pick<
      ServerContext['mcpReq'],
      | 'signal'
      | '_meta'
      | 'notify'
      | 'log'
      | 'elicitInput'
      | 'requestSampling'
      | 'inputResponses'
      | 'requestState'
      | 'envelope'
      | 'id'
    >
  >;
  http?: { authInfo?: { extra?: Record<string, unknown> } } | undefined;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Tool calls in flight (those with an abort controller), so a shutting-down server can let them finish, or
 * abort them past its grace period; once draining starts new calls are refused.
 */
const inFlight = new Set<AbortController>();
const idleWaiters = new Set<() => void>();
let draining = false;

function settled(controller: AbortController): void {
  inFlight.delete(controller);
  if (inFlight.size === 0) for (const wake of [...idleWaiters]) wake();
}

/** How many tool calls are running now. */
export function toolCallsInFlight(): number {
  return inFlight.size;
}

/** Resolves true once no tool call is running, false if `ms` pass first (or `hurry` aborts). */
function whenIdle(ms: number, hurry?: AbortSignal): Promise<boolean> {
  if (inFlight.size === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (idle: boolean) => {
      idleWaiters.delete(wake);
      clearTimeout(timer);
      hurry?.removeEventListener('abort', onHurry);
      resolve(idle);
    };
    const wake = () => done(true);
    const onHurry = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    idleWaiters.add(wake);
    hurry?.addEventListener('abort', onHurry, { once: true });
  });
}

/**
 * Shutdown: refuse new tool calls, wait up to `graceMs` for running ones to finish, then abort the rest (their
 * callers get an error result) and give them a moment to answer. `hurry` (a second signal) cuts the wait short.
 */
export async function drainToolCalls(
  graceMs: number,
  hurry?: AbortSignal,
): Promise<{ finished: boolean; aborted: number }> {
  draining = true;
  // A call leaves the set just before the SDK encodes and writes its result: give those writes a moment.
  const written = () => new Promise((resolve) => setTimeout(resolve, 25));
  if (await whenIdle(graceMs, hurry)) {
    await written();
    return { finished: true, aborted: 0 };
  }
  const aborted = inFlight.size;
  for (const controller of inFlight) controller.abort(new ToolError('the server is shutting down'));
  await whenIdle(2_000);
  await written();
  return { finished: false, aborted };
}

export function toolHandler(
  rt: Runtime,
  options: ToolOptions,
  impl: (args: Record<string, unknown>, ctx: ToolContext) => Promise<unknown> | unknown,
): (args: unknown, sdkContext?: SdkCallContext) => Promise<CallToolResult> {
  const log = rt.log.child({ tool: options.name });
  return async (rawArgs, sdkContext) => {
    const started = performance.now();
    if (draining) return errorResult('the server is shutting down; retry the call');
    const wait = rt.limiter.take();
    if (wait > 0) {
      rt.metrics.observeCall(options.name, 'rate_limited', 0);
      return errorResult(`rate limit exceeded; retry in ${Math.ceil(wait / 1000)} s`);
    }
    const args = (
      options.defaults
        ? { ...options.defaults, ...(isPlainObject(rawArgs) ? rawArgs : {}) }
        : isPlainObject(rawArgs)
          ? rawArgs
          : {}
    ) as Record<string, unknown>;
    if (options.confirm) {
      // Before any work or timer: nothing runs unless the user accepted (the wait for a human is not tool time).
      const refusal = await confirmGate(
        options.confirm,
        options.name,
        args,
        askOnRequestStream(sdkContext?.mcpReq) as ConfirmContext,
      );
      if (refusal) {
        log.info('tool call', { outcome: refusal.isError ? 'not_confirmed' : 'asking_confirmation' });
        return refusal;
      }
      if (draining) return errorResult('the server is shutting down; retry the call');
    }
    const controller = options.sync ? undefined : new AbortController();
    const signal = controller?.signal ?? NEVER_ABORTED;
    const timer = controller
      ? setTimeout(
          () => controller.abort(new ToolError(`tool timed out after ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      : undefined;
    // notifications/cancelled, or the HTTP request closing, aborts the SDK's signal: stop the work too.
    const request = sdkContext?.mcpReq;
    const onCancel = () => controller?.abort(new ToolError('the call was cancelled by the client'));
    if (controller) {
      inFlight.add(controller);
      if (request?.signal?.aborted) onCancel();
      else request?.signal?.addEventListener('abort', onCancel, { once: true });
    }
    const upstream = sdkContext?.http?.authInfo?.extra?.upstreamCredential;
    const user = sdkContext?.http?.authInfo?.extra?.user as ToolContext['user'];
    const ctx: ToolContext = {
      log: request?.log ? withClientSink(log, request.log, options.name) : log,
      signal,
      progress: progressReporter(request),
      db: rt.db,
      dataset: (connection, file) => rt.dataset(connection, file, signal),
      env: requireEnv,
      content: toolContent,
      ...createInteraction(askOnRequestStream(request) as InteractionRequest),
      ...(typeof upstream === 'string' ? { upstreamCredential: upstream } : {}),
      ...(user ? { user } : {}),
    };
    try {
      const value = controller
        ? await Promise.race([
            Promise.resolve().then(() => impl(args, ctx)),
            new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
            ),
          ])
        : await impl(args, ctx);
      const seconds = (performance.now() - started) / 1000;
      rt.metrics.observeCall(options.name, 'ok', seconds);
      log.info('tool call', { outcome: 'ok', ms: Math.round(seconds * 1000) });
      const result = successResult(isToolContent(value) ? value : toJsonSafe(value), options.output);
      if (options.cache) result._meta = { ...result._meta, [CACHE_META]: options.cache };
      if (options.lenientSchema) await noteMismatches(result, options.lenientSchema);
      return result;
    } catch (error) {
      // A code tool asked the client (ctx.elicit/sample on 2026-07-28): answer with that round, not an error.
      if (error instanceof InputNeeded) return error.result;
      const seconds = (performance.now() - started) / 1000;
      rt.metrics.observeCall(options.name, 'error', seconds);
      // Errors thrown by a tool (including a code tool's own `throw new Error(...)`) are its answer to the caller.
      const message = error instanceof Error ? error.message : `tool failed: ${String(error)}`;
      const outcome = request?.signal?.aborted ? 'cancelled' : 'error';
      log.warn('tool call failed', { outcome, ms: Math.round(seconds * 1000), error: message });
      // A failure with a structured result (a command's exit code and output) keeps it beside the message.
      if (error instanceof ToolFailure)
        return {
          ...errorResult(message),
          structuredContent: toJsonSafe(error.structured) as Record<string, unknown>,
        };
      return errorResult(message);
    } finally {
      if (timer) clearTimeout(timer);
      request?.signal?.removeEventListener('abort', onCancel);
      if (controller) settled(controller);
    }
  };
}

/** `ctx.progress`: notifications/progress with the client's token, strictly increasing; no token, no-op. */
/**
 * The SDK's `mcpReq.elicitInput`/`requestSampling` send without a related request id, so on a 2025 HTTP session
 * the ask goes to the standalone GET stream, and is silently dropped if the client has not opened it yet (it
 * opens it after initialize, racing the first call). Bound to the call's id, the ask travels on the call's own
 * POST stream, which is open for as long as the call runs.
 */
function askOnRequestStream(request: SdkCallContext['mcpReq']): SdkCallContext['mcpReq'] {
  if (!request || request.id === undefined) return request;
  const related = { relatedRequestId: request.id };
  const { elicitInput, requestSampling } = request;
  return {
    ...request,
    ...(elicitInput
      ? { elicitInput: (params, options) => elicitInput(params, { ...options, ...related }) }
      : {}),
    ...(requestSampling
      ? { requestSampling: (params, options) => requestSampling(params, { ...options, ...related }) }
      : {}),
  };
}

function progressReporter(request: SdkCallContext['mcpReq']): ToolContext['progress'] {
  const token = request?._meta?.progressToken;
  const notify = request?.notify;
  if (token === undefined || !notify) return async () => undefined;
  let last = Number.NEGATIVE_INFINITY;
  return async (progress, total, message) => {
    if (!Number.isFinite(progress) || progress <= last) return;
    last = progress;
    await notify({
      method: 'notifications/progress',
      params: {
        progressToken: token,
        progress,
        ...(total !== undefined && Number.isFinite(total) ? { total } : {}),
        ...(message ? { message } : {}),
      },
    }).catch(() => undefined); // a client that went away must not fail the tool
  };
}

const lenientValidators = new WeakMap<object, ReturnType<typeof sharedValidator>>();

/** Append which fields did not match the declared output schema (lenient mode). */
async function noteMismatches(result: CallToolResult, schema: Record<string, unknown>): Promise<void> {
  let validator = lenientValidators.get(schema);
  if (!validator) {
    validator = sharedValidator(schema as JsonSchemaType);
    lenientValidators.set(schema, validator);
  }
  const verdict = await validator['~standard'].validate(result.structuredContent ?? {});
  if (!verdict.issues?.length) return;
  const fields = verdict.issues.slice(0, 10).map((i) => describeIssue(i));
  result.content.push({
    type: 'text',
    text: `Note: the response does not match the documented schema (${fields.join('; ')}).`,
  });
  result._meta = { ...result._meta, 'mcp-factory/outputMismatch': fields };
}

/** The `_meta` key of a read-only tool's cache hint. */
export const CACHE_META = 'mcp-factory/cache';

export function successResult(value: unknown, output: ToolOptions['output']): CallToolResult {
  if (isToolContent(value)) return contentResult(value, output);
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null, null, 2);
  const result: CallToolResult = { content: [{ type: 'text', text }] };
  if (output === 'wrap') result.structuredContent = { result: value ?? null };
  else if (output === 'object' || (output === 'none' && isPlainObject(value))) {
    if (isPlainObject(value)) result.structuredContent = value;
    else
      throw new ToolError(
        'the tool returned a value that is not an object, but its output schema is an object',
      );
  }
  return result;
}

/** Content blocks pass through checked; structuredContent only as the tool gave it (and required by `returns`). */
function contentResult(value: ToolContent, output: ToolOptions['output']): CallToolResult {
  const result: CallToolResult = { content: checkedBlocks(value.blocks) };
  if (value.structured === undefined) {
    if (output !== 'none')
      throw new ToolError(
        'the tool answered with content blocks but declares `returns` (an output schema); code tools pass the structured value as the second argument of ctx.content(blocks, value)',
      );
    return result;
  }
  const structured = toJsonSafe(value.structured);
  if (output === 'wrap') result.structuredContent = { result: structured };
  else if (isPlainObject(structured)) result.structuredContent = structured;
  else throw new ToolError('the structured value of a content result must be an object');
  return result;
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
