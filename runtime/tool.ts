/** Wraps every tool implementation: rate limit, timeout, logging, metrics, and errors as `isError` results. */
import { type CallToolResult, fromJsonSchema } from '@modelcontextprotocol/server';
import { requireEnv, ToolError } from './errors.js';
import { describeIssue, isPlainObject, toJsonSafe } from './json.js';
import type { Logger } from './logger.js';
import type { Runtime } from './runtime.js';
import type { SqlDatabase } from './sql.js';

/** What a `code` tool body receives besides its arguments. */
export interface ToolContext {
  log: Logger;
  signal: AbortSignal;
  /** A SQL connection declared in the spec. */
  db(name: string): SqlDatabase;
  /** An environment variable that must be set (throws a clear tool error otherwise). */
  env(name: string): string;
  /** The caller's upstream credential (HTTP transport, connections with `passthrough`). */
  upstreamCredential?: string | undefined;
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
}

const NEVER_ABORTED = new AbortController().signal;

export function toolHandler(
  rt: Runtime,
  options: ToolOptions,
  impl: (args: Record<string, unknown>, ctx: ToolContext) => Promise<unknown> | unknown,
): (
  args: unknown,
  sdkContext?: { http?: { authInfo?: { extra?: Record<string, unknown> } } },
) => Promise<CallToolResult> {
  const log = rt.log.child({ tool: options.name });
  return async (rawArgs, sdkContext) => {
    const started = performance.now();
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
    const controller = options.sync ? undefined : new AbortController();
    const signal = controller?.signal ?? NEVER_ABORTED;
    const timer = controller
      ? setTimeout(
          () => controller.abort(new ToolError(`tool timed out after ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      : undefined;
    const upstream = sdkContext?.http?.authInfo?.extra?.upstreamCredential;
    const ctx: ToolContext = {
      log,
      signal,
      db: rt.db,
      env: requireEnv,
      ...(typeof upstream === 'string' ? { upstreamCredential: upstream } : {}),
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
      const result = successResult(toJsonSafe(value), options.output);
      if (options.lenientSchema) await noteMismatches(result, options.lenientSchema);
      return result;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      rt.metrics.observeCall(options.name, 'error', seconds);
      // Errors thrown by a tool (including a code tool's own `throw new Error(...)`) are its answer to the caller.
      const message = error instanceof Error ? error.message : `tool failed: ${String(error)}`;
      log.warn('tool call failed', { outcome: 'error', ms: Math.round(seconds * 1000), error: message });
      return errorResult(message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

const lenientValidators = new WeakMap<object, ReturnType<typeof fromJsonSchema>>();

/** Append which fields did not match the declared output schema (lenient mode). */
async function noteMismatches(result: CallToolResult, schema: Record<string, unknown>): Promise<void> {
  let validator = lenientValidators.get(schema);
  if (!validator) {
    validator = fromJsonSchema(schema as Parameters<typeof fromJsonSchema>[0]);
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

export function successResult(value: unknown, output: ToolOptions['output']): CallToolResult {
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

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
