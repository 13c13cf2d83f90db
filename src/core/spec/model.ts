/**
 * The spec model (the IR). Every source — YAML/JSON files, templates, importers, the LLM — produces a
 * `ServerSpec`; the generator consumes only this. The JSON Schema in schema/ is derived from it.
 */
import { z } from 'zod';

export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
export const SERVER_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const ENV_VAR = /^[A-Z_][A-Z0-9_]{0,127}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const toolName = z.string().regex(TOOL_NAME, 'must be 1-128 characters of A-Z a-z 0-9 _ . -');
const identifier = z
  .string()
  .regex(IDENTIFIER, 'must start with a letter or _ and use only A-Z a-z 0-9 _ (max 64)');
const envVarName = z
  .string()
  .regex(ENV_VAR, 'must be an upper-case environment variable name such as DATABASE_URL')
  .describe('Name of an environment variable that holds the value at run time.');
const text = z.string().max(100_000);

/** A value that comes from the environment at run time: `{ env: NAME }`. */
export const EnvRef = z
  .strictObject({ env: envVarName })
  .describe('Read the value from an environment variable.');
export type EnvRef = z.infer<typeof EnvRef>;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A JSON-Schema-like description of a value: tool parameters, nested properties and output schemas. */
export interface ValueSchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  description?: string | undefined;
  required?: boolean | undefined;
  nullable?: boolean | undefined;
  default?: unknown;
  enum?: Array<string | number | boolean> | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  exclusiveMinimum?: number | undefined;
  exclusiveMaximum?: number | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  pattern?: string | undefined;
  format?: 'email' | 'uri' | 'date' | 'date-time' | 'uuid' | undefined;
  items?: ValueSchema | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
  properties?: Record<string, ValueSchema> | undefined;
  additionalProperties?: boolean | undefined;
}

export const ValueSchema: z.ZodType<ValueSchema> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(['string', 'number', 'integer', 'boolean', 'array', 'object']),
      description: text.optional(),
      required: z
        .boolean()
        .optional()
        .describe('The value must be given (parameters and object properties).'),
      nullable: z.boolean().optional(),
      default: z.unknown().optional(),
      enum: z.array(scalar).min(1).optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      exclusiveMinimum: z.number().optional(),
      exclusiveMaximum: z.number().optional(),
      minLength: z.number().int().nonnegative().optional(),
      maxLength: z.number().int().nonnegative().optional(),
      pattern: z
        .string()
        .max(1000)
        .optional()
        .describe('ECMAScript regular expression the string must match.'),
      format: z.enum(['email', 'uri', 'date', 'date-time', 'uuid']).optional(),
      items: ValueSchema.optional().describe('Schema of array items.'),
      minItems: z.number().int().nonnegative().optional(),
      maxItems: z.number().int().nonnegative().optional(),
      properties: z.record(identifier, ValueSchema).optional(),
      additionalProperties: z.boolean().optional(),
    })
    .describe('A value schema (a subset of JSON Schema).'),
);

// ---------- connections ----------

const DatabaseConnection = z.strictObject({
  name: identifier,
  type: z.enum(['postgresql', 'mysql', 'mariadb']),
  envVar: envVarName.describe('Environment variable holding the connection URL (never the URL itself).'),
  description: text.optional(),
  pool: z.strictObject({ max: z.number().int().min(1).max(100).default(10) }).optional(),
  readOnly: z.boolean().optional().describe('Open every statement in a read-only transaction.'),
});

const SqliteConnection = z.strictObject({
  name: identifier,
  type: z.literal('sqlite'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('Database file, relative to the spec file. Copied into the server.'),
  envVar: envVarName.optional().describe('Environment variable naming the database file at run time.'),
  description: text.optional(),
  readOnly: z.boolean().optional(),
});

const HttpAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), envVar: envVarName }),
  z.strictObject({
    type: z.literal('api_key'),
    in: z.enum(['header', 'query', 'cookie']).default('header'),
    name: z.string().min(1).max(200).describe('Header or query parameter name.'),
    envVar: envVarName,
  }),
  z.strictObject({ type: z.literal('basic'), usernameEnv: envVarName, passwordEnv: envVarName }),
  z.strictObject({
    type: z.literal('oauth2_client_credentials'),
    tokenUrl: z.url({ protocol: /^https?$/ }),
    clientIdEnv: envVarName,
    clientSecretEnv: envVarName,
    scopes: z.array(z.string().min(1).max(200)).optional(),
  }),
]);

const HttpConnection = z.strictObject({
  name: identifier,
  type: z.literal('http'),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('Base URL; overridable at run time by baseUrlEnv.'),
  baseUrlEnv: envVarName.optional(),
  headers: z.record(z.string().min(1).max(200), z.union([z.string().max(4000), EnvRef])).optional(),
  auth: HttpAuth.optional(),
  passthrough: z
    .strictObject({
      header: z.string().min(1).max(200).default('X-Upstream-Authorization'),
      target: z.string().min(1).max(200).default('Authorization'),
    })
    .optional()
    .describe(
      "Per-request credentials over HTTP: the value of `header` on the MCP request is sent upstream as `target` (replacing `auth` for that call). The MCP client's own Authorization header is never forwarded.",
    ),
  description: text.optional(),
});

export const Connection = z.discriminatedUnion('type', [
  DatabaseConnection,
  SqliteConnection,
  HttpConnection,
]);
export type Connection = z.infer<typeof Connection>;
export type DatabaseConnection = z.infer<typeof DatabaseConnection>;
export type SqliteConnection = z.infer<typeof SqliteConnection>;
export type HttpConnection = z.infer<typeof HttpConnection>;

// ---------- tool implementations ----------

export const SqlImpl = z.strictObject({
  connection: identifier,
  statement: z.string().min(1).max(100_000).describe('One SQL statement; values as :param placeholders.'),
  result: z
    .enum(['rows', 'row', 'value', 'exec'])
    .default('rows')
    .describe(
      'rows: all rows; row: the first row or null; value: first column of the first row; exec: affected rows.',
    ),
  paginate: z.boolean().optional().describe('Add limit/cursor parameters and page through the rows.'),
});
export type SqlImpl = z.infer<typeof SqlImpl>;

/** A query parameter serialised from an array or object argument (OpenAPI styles). */
export const QueryParamStyle = z.strictObject({
  param: identifier,
  style: z.enum(['form', 'spaceDelimited', 'pipeDelimited', 'deepObject']).default('form'),
  explode: z.boolean().optional().describe('Defaults to true for form and deepObject, false otherwise.'),
});
export type QueryParamStyle = z.infer<typeof QueryParamStyle>;

export const HttpImpl = z.strictObject({
  connection: identifier,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  path: z
    .string()
    .min(1)
    .max(2000)
    .describe('Path below the base URL; {{param}} placeholders are URL-encoded.'),
  query: z.record(z.string().min(1), z.union([z.string().max(4000), QueryParamStyle])).optional(),
  headers: z.record(z.string().min(1), z.string().max(4000)).optional(),
  cookies: z.record(z.string().min(1).max(200), z.string().max(4000)).optional(),
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
    .describe('JSON body template; a string that is exactly "{{param}}" keeps its type.'),
  response: z.enum(['json', 'text']).optional(),
});
export type HttpImpl = z.infer<typeof HttpImpl>;

export const CodeImpl = z.strictObject({
  source: z
    .string()
    .min(1)
    .max(200_000)
    .describe(
      'TypeScript function body. Receives `args` (typed from parameters) and `ctx`; returns the result.',
    ),
});
export type CodeImpl = z.infer<typeof CodeImpl>;

export const QueryImpl = z.strictObject({
  connection: identifier,
  maxRows: z.number().int().min(1).max(100_000).default(1000),
  timeoutMs: z.number().int().min(1).max(600_000).default(5000),
});
export type QueryImpl = z.infer<typeof QueryImpl>;

export const CatalogImpl = z.strictObject({
  catalog: identifier,
  action: z.enum(['search', 'describe', 'invoke']),
});
export type CatalogImpl = z.infer<typeof CatalogImpl>;

export const StaticImpl = z.strictObject({
  text: text.describe('Text returned by the tool; {{param}} placeholders are filled in.'),
});
export type StaticImpl = z.infer<typeof StaticImpl>;

const Annotations = z.strictObject({
  readOnly: z.boolean().optional(),
  destructive: z.boolean().optional(),
  idempotent: z.boolean().optional(),
  openWorld: z.boolean().optional(),
});

const ToolExample = z.strictObject({
  arguments: z.record(z.string(), z.unknown()).default({}),
  expect: z
    .strictObject({
      isError: z.boolean().optional(),
      contains: z.string().optional().describe('Text the result must contain.'),
    })
    .optional(),
  skip: z.boolean().optional().describe('Do not run this example in the generated tests.'),
});

export const Tool = z.strictObject({
  name: toolName,
  title: z.string().max(200).optional(),
  description: text.min(1),
  parameters: z.record(identifier, ValueSchema).default({}),
  returns: ValueSchema.optional().describe('Output schema; results are validated against it.'),
  annotations: Annotations.optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  examples: z.array(ToolExample).optional().describe('Calls used by the generated tests.'),
  outputValidation: z
    .enum(['strict', 'lenient'])
    .default('strict')
    .describe('lenient: a result that does not match `returns` is returned with a note instead of failing.'),
  sql: SqlImpl.optional(),
  http: HttpImpl.optional(),
  code: CodeImpl.optional(),
  static: StaticImpl.optional(),
  query: QueryImpl.optional().describe(
    'Guarded ad-hoc read-only SQL; parameters `sql` and `params` are added.',
  ),
  catalog: CatalogImpl.optional().describe(
    'Search, describe or invoke the operations of a catalog (dynamic mode).',
  ),
});
export type Tool = z.infer<typeof Tool>;
export type ToolImplementationKind = 'sql' | 'http' | 'code' | 'static' | 'query' | 'catalog';
export const IMPLEMENTATION_KINDS: readonly ToolImplementationKind[] = [
  'sql',
  'http',
  'code',
  'static',
  'query',
  'catalog',
];

/** Operations reachable through catalog tools instead of one tool each (large APIs). */
export const Catalog = z.strictObject({
  name: identifier,
  description: text.optional(),
  operations: z
    .array(
      z.strictObject({
        name: toolName,
        title: z.string().max(200).optional(),
        description: text.min(1),
        parameters: z.record(identifier, ValueSchema).default({}),
        returns: ValueSchema.optional(),
        annotations: Annotations.optional(),
        http: HttpImpl,
      }),
    )
    .min(1),
});
export type Catalog = z.infer<typeof Catalog>;

export const Resource = z.strictObject({
  name: toolName,
  uri: z.string().min(3).max(2000).describe('Resource URI, or a URI template with {var} placeholders.'),
  title: z.string().max(200).optional(),
  description: text.optional(),
  mimeType: z.string().max(200).default('text/plain'),
  text: text.optional().describe('Static content; {var} of a URI template may appear as {{var}}.'),
  sql: z
    .strictObject({ connection: identifier, statement: z.string().min(1).max(100_000) })
    .optional()
    .describe('Rows returned as JSON; URI template variables are :var placeholders.'),
});
export type Resource = z.infer<typeof Resource>;

export const Prompt = z.strictObject({
  name: toolName,
  title: z.string().max(200).optional(),
  description: text.optional(),
  arguments: z
    .array(
      z.strictObject({ name: identifier, description: text.optional(), required: z.boolean().optional() }),
    )
    .default([]),
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']).default('user'), text: text.min(1) }))
    .min(1),
});
export type Prompt = z.infer<typeof Prompt>;

// ---------- triggers (declared now, run by the runtime later) ----------

const triggerBase = {
  tool: toolName,
  arguments: z.record(z.string(), z.unknown()).optional(),
  description: text.optional(),
};
export const Trigger = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cron'),
    schedule: z.string().min(1).max(200),
    timezone: z.string().optional(),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('webhook'),
    path: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path such as /inventory-update'),
    method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
    secretEnv: envVarName.optional().describe('HMAC secret used to verify the X-Signature header.'),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('file'),
    path: z.string().min(1),
    events: z
      .array(z.enum(['add', 'change', 'unlink']))
      .min(1)
      .default(['add', 'change']),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('queue'),
    broker: z.enum(['redis', 'rabbitmq', 'nats', 'mqtt']),
    urlEnv: envVarName,
    topic: z.string().min(1).max(500),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('database'),
    connection: identifier,
    channel: identifier,
    ...triggerBase,
  }),
  z.strictObject({ type: z.literal('startup'), ...triggerBase }),
]);
export type Trigger = z.infer<typeof Trigger>;

// ---------- server ----------

const ServerAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('api_key'),
    header: z.string().min(1).max(200).default('X-API-Key'),
    envVar: envVarName.default('MCP_API_KEY'),
  }),
  z.strictObject({ type: z.literal('bearer'), envVar: envVarName.default('MCP_BEARER_TOKEN') }),
]);

const Transport = z.enum(['stdio', 'http']);

export const ServerSpec = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(
      SERVER_NAME,
      'must be lower-case letters, digits, . _ - (max 64), starting and ending with a letter or digit',
    ),
  version: z.string().regex(SEMVER, 'must be a semantic version such as 1.0.0').default('0.1.0'),
  title: z.string().max(200).optional(),
  description: text.optional(),
  transport: z
    .union([Transport, z.array(Transport).min(1)])
    .default('stdio')
    .describe('Default transport(s). Generated servers can always serve both.'),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(1).max(65535).default(3000),
      path: z
        .string()
        .regex(/^\/[A-Za-z0-9/_.-]*$/)
        .default('/mcp'),
      allowedHosts: z.array(z.string().min(1)).optional().describe('Extra Host header names to accept.'),
      allowedOrigins: z.array(z.string().min(1)).optional().describe('Extra Origin hostnames to accept.'),
    })
    .optional(),
  auth: ServerAuth.optional().describe('Authentication for the HTTP transport.'),
  pagination: z
    .strictObject({
      defaultLimit: z.number().int().min(1).max(10_000).default(50),
      maxLimit: z.number().int().min(1).max(100_000).default(1000),
    })
    .optional(),
  production: z
    .strictObject({
      logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      metrics: z.boolean().default(true).describe('Expose Prometheus metrics at /metrics over HTTP.'),
      rateLimit: z
        .strictObject({
          requests: z.number().int().min(1),
          windowSeconds: z.number().int().min(1).default(60),
        })
        .optional(),
      timeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
      retries: z
        .strictObject({
          max: z.number().int().min(0).max(10).default(2),
          backoffMs: z.number().int().min(1).max(60_000).default(200),
        })
        .optional(),
    })
    .optional(),
  connections: z.array(Connection).default([]),
  tools: z.array(Tool).default([]),
  resources: z.array(Resource).default([]),
  prompts: z.array(Prompt).default([]),
  triggers: z.array(Trigger).default([]),
  catalogs: z.array(Catalog).default([]),
});

/** A validated spec with defaults applied. */
export type ServerSpec = z.infer<typeof ServerSpec>;
/** What a person writes (defaults not yet applied). */
export type ServerSpecInput = z.input<typeof ServerSpec>;

export function transportsOf(spec: ServerSpec): Array<'stdio' | 'http'> {
  return typeof spec.transport === 'string' ? [spec.transport] : [...new Set(spec.transport)];
}

export function implementationKinds(tool: Tool): ToolImplementationKind[] {
  return IMPLEMENTATION_KINDS.filter((kind) => tool[kind] !== undefined);
}
