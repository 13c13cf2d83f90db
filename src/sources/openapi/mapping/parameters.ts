/**
 * Path, query, header and cookie parameters: the path template (every placeholder becomes a required
 * parameter, declared or not), one tool parameter per usable declared parameter, and how each is sent
 * (structured query values keep their style; path, header and cookie values are strings). Credential
 * parameters are read from environment variables instead (see credentials.ts).
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import type { ApiOperation } from '../model.js';
import { type IdentifierAllocator, isUnsafeKey } from '../names.js';
import { type ConvertOptions, toValueSchema } from '../schema.js';
import { cleanText } from '../text.js';
import {
  HEADER_TOKEN,
  type HttpInput,
  type OperationContext,
  parameterDescriptionMax,
  Skip,
} from './model.js';

/** Headers OpenAPI says the client or the connection sets; declaring them as parameters has no effect. */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

/**
 * OpenAPI ignores an `Authorization` header parameter, but documents without a security scheme often declare
 * their credential that way: when the connection sends no authentication of its own, the header is bound to an
 * environment variable instead of being dropped (the API would answer 401 to every call).
 */
function isUnclaimedAuthorization(p: { in: string; name: string }, ctx: OperationContext): boolean {
  return (
    p.in === 'header' &&
    p.name.toLowerCase() === 'authorization' &&
    ctx.authPlan.auth === undefined &&
    ctx.authPlan.credentials !== undefined &&
    !ctx.authPlan.sentByConnection.has('header\u0000authorization')
  );
}

/** Where the mapped parameters are sent, besides the path (set on `http` directly). */
export interface ParameterPlacement {
  query: NonNullable<HttpInput['query']>;
  headers: NonNullable<HttpInput['headers']>;
  cookies: NonNullable<HttpInput['cookies']>;
}

/**
 * Maps the path template and the declared parameters: adds tool parameters to `parameters`, sets
 * `http.path`, and returns the query, header and cookie templates. Throws Skip for an unusable path or a
 * required parameter that cannot be sent.
 */
export function mapParameters(
  op: ApiOperation,
  http: HttpInput,
  parameters: Record<string, ValueSchema>,
  ids: IdentifierAllocator,
  ctx: OperationContext,
  convert: (mode: ConvertOptions['mode']) => ConvertOptions,
): ParameterPlacement {
  const paramMax = parameterDescriptionMax(ctx.maxDescription);
  const query: NonNullable<HttpInput['query']> = {};
  const headers: ParameterPlacement['headers'] = {};
  const cookies: ParameterPlacement['cookies'] = {};
  const pathIds = new Map<string, string>();

  // Path template: literal parts must not look like templates.
  const segments = op.path.split(/(\{[^{}]*\})/);
  if (!op.path.startsWith('/') || op.path.startsWith('//'))
    throw new Skip('the path must start with a single "/"');
  if (op.path.length > 1900) throw new Skip('the path is longer than 1900 characters');
  const templateNames: string[] = [];
  for (const seg of segments) {
    const m = /^\{([^{}]*)\}$/.exec(seg);
    if (m) templateNames.push(m[1]!);
    else if (/[{}]/.test(seg))
      throw new Skip(`the path contains unbalanced braces: ${op.path.slice(0, 200)}`);
  }

  for (const p of op.parameters) {
    const where = `${p.in} parameter "${p.name.slice(0, 80)}"`;
    const drop = (reason: string) => {
      if (p.required) throw new Skip(`required ${where}: ${reason}`);
      ctx.add(`optional ${where} dropped: ${reason}`, 'warning');
    };
    if (p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase()) && !isUnclaimedAuthorization(p, ctx)) {
      ctx.add(`${where} ignored (set by the client or the connection, as OpenAPI specifies)`, 'info');
      continue;
    }
    if (ctx.authPlan.sentByConnection.has(`${p.in}\u0000${p.name.toLowerCase()}`)) {
      ctx.add(`${where} is sent by the connection's authentication`, 'info');
      continue;
    }
    if (p.in === 'path' && !templateNames.includes(p.name)) {
      ctx.add(`${where} does not occur in the path and was dropped`, 'info');
      continue;
    }
    if (isUnsafeKey(p.name)) {
      drop('the name is not allowed');
      continue;
    }
    if ((p.in === 'header' || p.in === 'cookie') && !HEADER_TOKEN.test(p.name)) {
      drop(`"${p.name.slice(0, 60)}" is not a valid ${p.in} name`);
      continue;
    }
    const env = ctx.authPlan.credentials?.bind({
      operation: op.key,
      connection: ctx.connection,
      in: p.in,
      name: p.name,
      schema: p.schema,
      xMcpEnv: p.xMcpEnv,
      add: ctx.add,
    });
    if (env) {
      const ref = { env, ...(p.required ? {} : { optional: true }) };
      if (p.in === 'query') query[p.name] = ref;
      else if (p.in === 'header') headers[p.name] = ref;
      else cookies[p.name] = ref;
      continue;
    }
    if (p.contentType !== undefined) {
      drop(`parameters described by content (${p.contentType}) are not supported`);
      continue;
    }
    let schema = toValueSchema(p.schema, convert('input'), 'string') ?? { type: 'string' as const };
    const description = cleanText(p.description, paramMax);
    const id = ids.allocate(p.name, p.in);
    const structured = schema.type === 'array' || schema.type === 'object';
    if (p.in === 'path' || p.in === 'header' || p.in === 'cookie') {
      if (structured) {
        ctx.add(
          `${where} is a${schema.type === 'array' ? 'n array' : 'n object'}; it is passed as a comma-separated string`,
          'info',
        );
        schema = { type: 'string', ...(schema.nullable ? { nullable: true } : {}) };
      }
      if (p.in === 'path' && p.style !== 'simple')
        ctx.add(`${where} uses style "${p.style}"; it is sent in simple style`, 'warning');
    }
    const param: ValueSchema = { ...schema };
    const text = [p.deprecated ? 'Deprecated.' : '', description ?? schema.description ?? '']
      .filter(Boolean)
      .join(' ');
    if (text) param.description = cleanText(text, paramMax)!;
    else delete param.description;
    if (p.required) param.required = true;
    parameters[id] = param;
    const placeholder = `{{${id}}}`;
    if (p.in === 'path') pathIds.set(p.name, id);
    else if (p.in === 'header') headers[p.name] = placeholder;
    else if (p.in === 'cookie') cookies[p.name] = placeholder;
    else if (!structured) query[p.name] = placeholder;
    else {
      let style = p.style;
      let explode = p.explode;
      const allowed =
        schema.type === 'array' ? ['form', 'spaceDelimited', 'pipeDelimited'] : ['form', 'deepObject'];
      if (!allowed.includes(style)) {
        ctx.add(
          `${where}: style "${style}" is not supported for a${schema.type === 'array' ? 'n array' : 'n object'}; form is used`,
          'warning',
        );
        style = 'form';
        explode = p.style === 'tabDelimited' ? false : explode;
      }
      query[p.name] = { param: id, style: style as 'form', explode };
    }
  }

  // Path placeholders, including ones the document forgot to declare.
  http.path = segments
    .map((seg) => {
      const m = /^\{([^{}]*)\}$/.exec(seg);
      if (!m) return seg;
      let id = pathIds.get(m[1]!);
      if (!id) {
        id = ids.allocate(m[1]!, 'path');
        parameters[id] = { type: 'string', required: true };
        pathIds.set(m[1]!, id);
        ctx.add(
          `path parameter "${m[1]!.slice(0, 80)}" is not declared; it is read as a required string`,
          'warning',
        );
      }
      return `{{${id}}}`;
    })
    .join('');
  return { query, headers, cookies };
}
