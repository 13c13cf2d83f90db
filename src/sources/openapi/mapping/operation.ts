/**
 * One operation → a mapped operation: method check, parameters, body, response, annotations (from the
 * method, overridden by `x-mcp`), title and description, a warning when the connection cannot satisfy the
 * operation's security, and a final refusal of anything that looks like a literal credential.
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import { describeSecretValue } from '../../../core/spec/secrets.js';
import type { ApiOperation } from '../model.js';
import { IdentifierAllocator } from '../names.js';
import type { ConvertOptions } from '../schema.js';
import { cleanLine, cleanText } from '../text.js';
import { describeRequirement } from './auth.js';
import { mapBody } from './bodies.js';
import {
  type Annotations,
  type HttpInput,
  type MappedOperation,
  type OperationContext,
  parameterDescriptionMax,
  Skip,
} from './model.js';
import { mapParameters } from './parameters.js';
import { mapResponse } from './responses.js';

const SUPPORTED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** Maps `op` under the tool name `name`; throws Skip (with the reason) when it cannot be mapped faithfully. */
export function mapOperation(op: ApiOperation, name: string, ctx: OperationContext): MappedOperation {
  if (!SUPPORTED_METHODS.has(op.method))
    throw new Skip(`the ${op.method} method is not supported by http tools`);
  const paramMax = parameterDescriptionMax(ctx.maxDescription);
  const notes = new Set<string>();
  const convert = (mode: ConvertOptions['mode']): ConvertOptions => ({
    mode,
    maxDescription: paramMax,
    notes,
  });
  const ids = new IdentifierAllocator();
  const parameters: Record<string, ValueSchema> = {};
  const http: HttpInput = { connection: ctx.connection, method: op.method as HttpInput['method'], path: '' };
  const { query, headers, cookies } = mapParameters(op, http, parameters, ids, ctx, convert);

  mapBody(op, http, parameters, ids, ctx, convert);

  if (Object.keys(query).length) http.query = query;
  if (Object.keys(headers).length) http.headers = headers;
  if (Object.keys(cookies).length) http.cookies = cookies;
  const returns = mapResponse(op, http, ctx, convert);

  // Lossy conversions that change what a caller can send or read are warnings; the rest are notes.
  for (const note of notes)
    ctx.add(note, /conflicting|no common type|no single IR type/.test(note) ? 'warning' : 'info');

  const annotations = annotationsOf(op, ctx);
  const summary = cleanLine(op.xMcp?.title ?? op.summary, 200);
  const description = describe(op, ctx.maxDescription);
  if (
    op.security.length &&
    !op.security.some((r) => r.length === 0 || r.every((x) => ctx.authPlan.satisfied.has(x.scheme.key)))
  ) {
    const sending = ctx.authPlan.primary
      ? `the connection sends "${ctx.authPlan.primary.key}"`
      : 'the connection sends no credentials';
    ctx.add(`requires ${describeRequirement(op)}; ${sending}`, 'warning');
  }

  const result: MappedOperation = {
    name,
    ...(summary ? { title: summary } : {}),
    description,
    parameters,
    ...(returns ? { returns } : {}),
    annotations,
    http,
  };
  const secret = findSecret(result);
  if (secret) throw new Skip(`a value looks like ${secret}; literal credentials cannot go into a spec`);
  return result;
}

function describe(op: ApiOperation, max: number): string {
  const summary = cleanText(op.summary, max);
  const long = cleanText(op.xMcp?.description ?? op.description, max);
  let text = long && summary && !long.startsWith(summary) ? `${summary}\n\n${long}` : (long ?? summary ?? '');
  if (text === '') text = `${op.method} ${op.path.slice(0, 200)}`;
  if (op.deprecated) text = `Deprecated. ${text}`;
  return cleanText(text, max) ?? `${op.method} ${op.path.slice(0, 200)}`;
}

function annotationsOf(op: ApiOperation, ctx: OperationContext): Annotations {
  const a: Annotations = { openWorld: true };
  if (op.method === 'GET' || op.method === 'HEAD') a.readOnly = true;
  else {
    a.readOnly = false;
    if (op.method === 'DELETE') {
      a.destructive = true;
      a.idempotent = true;
    }
    if (op.method === 'PUT') a.idempotent = true;
  }
  Object.assign(a, op.xMcp?.annotations ?? {});
  if (a.readOnly && a.destructive) {
    ctx.add('x-mcp annotations: readOnly and destructive together; destructive dropped', 'warning');
    delete a.destructive;
  }
  return a;
}

function findSecret(value: unknown, depth = 0): string | undefined {
  if (depth > 60) return undefined;
  if (typeof value === 'string') return describeSecretValue(value);
  if (Array.isArray(value)) {
    for (const v of value) {
      const s = findSecret(v, depth + 1);
      if (s) return s;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const s = describeSecretValue(k) ?? findSecret(v, depth + 1);
      if (s) return s;
    }
  }
  return undefined;
}
