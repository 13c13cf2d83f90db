/**
 * The http kind: one request to an HTTP connection, built from {{param}} templates (path, query, headers,
 * cookies, body). Its request checks are shared with catalog operations, which are http requests too.
 */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import type { PathSegment } from '../spec/path.js';
import { envVarName, identifier } from '../spec/primitives.js';
import { type AddIssue, checkHeader, checkTemplate, walkStrings } from '../spec/rules.js';
import { isSensitiveHeaderName } from '../spec/secrets.js';
import type { ToolKind } from './types.js';

/** A query parameter serialised from an array or object argument (OpenAPI styles). */
export const QueryParamStyle = z.strictObject({
  param: identifier,
  style: z.enum(['form', 'spaceDelimited', 'pipeDelimited', 'deepObject']).default('form'),
  explode: z.boolean().optional().describe('Defaults to true for form and deepObject, false otherwise.'),
});
export type QueryParamStyle = z.infer<typeof QueryParamStyle>;

/**
 * A request value read from the environment at call time instead of from the arguments: credentials an API
 * declares as ordinary parameters. `optional`: not sent when the variable is unset (otherwise the call fails).
 */
export const RequestEnvValue = z
  .strictObject({ env: envVarName, optional: z.boolean().optional() })
  .describe('Read the value from an environment variable at call time (never a tool argument).');
export type RequestEnvValue = z.infer<typeof RequestEnvValue>;

export function isRequestEnvValue(value: unknown): value is RequestEnvValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { env?: unknown }).env === 'string'
  );
}

export const HttpImpl = z.strictObject({
  connection: identifier,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  path: z
    .string()
    .min(1)
    .max(2000)
    .describe('Path below the base URL; {{param}} placeholders are URL-encoded.'),
  query: z
    .record(z.string().min(1), z.union([z.string().max(4000), QueryParamStyle, RequestEnvValue]))
    .optional(),
  headers: z.record(z.string().min(1), z.union([z.string().max(4000), RequestEnvValue])).optional(),
  cookies: z.record(z.string().min(1).max(200), z.union([z.string().max(4000), RequestEnvValue])).optional(),
  bodyEncoding: z
    .enum(['json', 'form', 'multipart', 'text', 'binary'])
    .default('json')
    .describe(
      'text: the body is a template string; binary: the body is { file: param } with base64 content.',
    ),
  contentType: z.string().min(1).max(200).optional().describe('Content type of a text or binary body.'),
  body: z
    .unknown()
    .optional()
    .describe(
      'JSON body template; a string that is exactly "{{param}}" keeps its type. In form and multipart bodies a field may be { env: VAR } (read from the environment).',
    ),
  response: z.enum(['json', 'text']).optional(),
});
export type HttpImpl = z.infer<typeof HttpImpl>;

const SAFE_METHODS = ['GET', 'HEAD'];
const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE'];
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const httpKind: ToolKind<'http', HttpImpl, z.input<typeof HttpImpl>> = {
  name: 'http',
  schema: HttpImpl,
  authoring: {
    promptLine:
      'http: { connection, method, path: "/items/{{id}}", query: { q: "{{query}}" }, headers, body } — every {{param}} names a parameter.',
  },

  check(http, { params, at, add, connection }) {
    connection(http.connection, at('http', 'connection'), 'http');
    checkHttpRequest(http, params, at('http'), add);
  },

  annotations: (http) => ({
    readOnly: SAFE_METHODS.includes(http.method),
    destructive: http.method === 'DELETE' ? true : undefined,
    idempotent: IDEMPOTENT_METHODS.includes(http.method) ? true : undefined,
    openWorld: true,
  }),

  emit: (http) => ({
    handler: `(args, ctx) => runtime.http(${lit(http)}, args, ctx.signal, ctx.upstreamCredential)`,
  }),

  // The generated tests reach a real service only when its base URL comes from the environment (a mock).
  unreachable(http, spec) {
    const c = spec.connections.find((x) => x.name === http.connection);
    if (c?.type === 'http' && c.baseUrlEnv) return undefined;
    return 'calls an upstream HTTP API with a fixed base URL (declare baseUrlEnv to test against a mock)';
  },

  // Calling a real API's write operation with made-up data is not a test: it needs an explicit example.
  needsExample: (http, tool) =>
    !SAFE_METHODS.includes(http.method) && tool.annotations?.readOnly !== true
      ? 'HTTP write operation without an example'
      : undefined,

  connection: (http) => http.connection,

  // Request values bound to environment variables (credentials); optional ones are not required.
  environment: (http) =>
    requestEnvValues(http)
      .filter(({ value }) => !value.optional)
      .map(({ value, where }) => ({ name: value.env, purpose: `${where} of the request`, secret: true })),

  label: (http) => `HTTP ${http.method} on \`${http.connection}\``,
};

/** Checks of one request template against the parameters it may use (tools and catalog operations). */
export function checkHttpRequest(
  http: HttpImpl,
  params: ReadonlySet<string>,
  at: PathSegment[],
  add: AddIssue,
): void {
  checkTemplate(http.path, params, [...at, 'path'], add);
  if (/^[a-z][a-z0-9+.-]*:/i.test(http.path) || http.path.startsWith('//')) {
    add(
      'SPEC_INVALID_VALUE',
      'the path must be relative to the connection base URL',
      [...at, 'path'],
      'Write a path such as /items/{{id}}.',
    );
  }
  for (const [k, v] of Object.entries(http.query ?? {})) {
    if (typeof v === 'string') checkTemplate(v, params, [...at, 'query', k], add);
    else if ('env' in v) continue;
    else if (!params.has(v.param))
      add('SPEC_UNDEFINED_REFERENCE', `query parameter "${k}" names no parameter "${v.param}"`, [
        ...at,
        'query',
        k,
        'param',
      ]);
  }
  for (const [k, v] of Object.entries(http.headers ?? {})) {
    if (typeof v !== 'string') {
      checkHeader(k, undefined, [...at, 'headers', k], add);
      continue;
    }
    checkTemplate(v, params, [...at, 'headers', k], add);
    checkHeader(k, v, [...at, 'headers', k], add);
    if (isSensitiveHeaderName(k) && !/\{\{/.test(v)) {
      add(
        'SPEC_LITERAL_SECRET',
        `header "${k}" has a literal value`,
        [...at, 'headers', k],
        'Move credentials to the connection `auth` or `headers: { name: { env: VAR } }`.',
      );
    }
  }
  for (const [k, v] of Object.entries(http.cookies ?? {})) {
    if (typeof v === 'string') checkTemplate(v, params, [...at, 'cookies', k], add);
    if (!COOKIE_NAME.test(k))
      add('SPEC_INVALID_VALUE', `"${k}" is not a valid cookie name`, [...at, 'cookies', k]);
  }
  if (http.bodyEncoding === 'text' && http.body !== undefined && typeof http.body !== 'string') {
    add(
      'SPEC_INVALID_VALUE',
      'a text body is a template string',
      [...at, 'body'],
      'Write body: "{{content}}".',
    );
  }
  if (http.bodyEncoding === 'binary') {
    const file = (http.body as { file?: unknown } | undefined)?.file;
    if (typeof file !== 'string' || !params.has(file)) {
      add(
        'SPEC_INVALID_VALUE',
        'a binary body is { file: <parameter holding base64 content> }',
        [...at, 'body'],
        'Write body: { file: content } and declare a string parameter "content".',
      );
    }
  }
  if (
    (http.bodyEncoding === 'form' || http.bodyEncoding === 'multipart') &&
    http.body !== undefined &&
    (typeof http.body !== 'object' || http.body === null || Array.isArray(http.body))
  ) {
    add('SPEC_INVALID_VALUE', `a ${http.bodyEncoding} body must be a mapping of field names to templates`, [
      ...at,
      'body',
    ]);
  }
  // Form and multipart fields may be { env: VAR }: checked here, not as templates.
  const envFields = new Set<string>();
  if (formLike(http) && http.body && typeof http.body === 'object' && !Array.isArray(http.body)) {
    for (const [field, value] of Object.entries(http.body)) {
      if (!isRequestEnvValue(value)) continue;
      envFields.add(field);
      if (!RequestEnvValue.safeParse(value).success)
        add(
          'SPEC_INVALID_VALUE',
          `body field "${field}" must be { env: VAR, optional?: boolean } with an upper-case variable name`,
          [...at, 'body', field],
        );
    }
  }
  walkStrings(http.body, [...at, 'body'], (s, p) => {
    if (p.length === at.length + 3 && envFields.has(String(p[at.length + 1]))) return;
    if (p[p.length - 1] === 'file' && (http.bodyEncoding === 'multipart' || http.bodyEncoding === 'binary')) {
      if (!params.has(s)) add('SPEC_UNDEFINED_REFERENCE', `file field names no parameter "${s}"`, p);
    } else if (!(p[p.length - 1] === 'contentType' && http.bodyEncoding === 'multipart'))
      checkTemplate(s, params, p, add);
  });
}

function formLike(http: HttpImpl): boolean {
  return http.bodyEncoding === 'form' || http.bodyEncoding === 'multipart';
}

/** Every request value the tool reads from the environment, with where it goes. */
export function requestEnvValues(http: HttpImpl): Array<{ value: RequestEnvValue; where: string }> {
  const out: Array<{ value: RequestEnvValue; where: string }> = [];
  for (const [place, values] of [
    ['query parameter', http.query],
    ['header', http.headers],
    ['cookie', http.cookies],
  ] as const)
    for (const [k, v] of Object.entries(values ?? {}))
      if (isRequestEnvValue(v)) out.push({ value: v, where: `${place} ${k}` });
  if (formLike(http) && http.body && typeof http.body === 'object' && !Array.isArray(http.body))
    for (const [k, v] of Object.entries(http.body))
      if (isRequestEnvValue(v)) out.push({ value: v, where: `${http.bodyEncoding} field ${k}` });
  return out;
}
