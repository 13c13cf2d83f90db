/**
 * The spec model (the IR). Every source — YAML/JSON files, templates, importers, the LLM — produces a
 * `ServerSpec`; the generator consumes only this. The JSON Schema in schema/ is derived from it.
 */
import { z } from 'zod';
import { HttpImpl } from '../kinds/http.js';
import { KINDS, type KindFields, type ToolKindName } from '../kinds/index.js';
import { EnvRef, envVarName, identifier, SERVER_NAME, text, toolName, ValueSchema } from './primitives.js';

// The implementation schemas live with their kinds (core/kinds); the model re-exports them.
export { CatalogImpl } from '../kinds/catalog.js';
export { CodeImpl } from '../kinds/code.js';
export { HttpImpl, QueryParamStyle } from '../kinds/http.js';
export { QueryImpl } from '../kinds/query.js';
export { SqlImpl } from '../kinds/sql.js';
export { StaticImpl } from '../kinds/static.js';
export { ENV_VAR, EnvRef, IDENTIFIER, SERVER_NAME, TOOL_NAME, ValueSchema } from './primitives.js';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

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

const DatasetConnection = z.strictObject({
  name: identifier,
  type: z.literal('dataset'),
  rootsEnv: envVarName
    .default('DATASET_ROOTS')
    .describe(
      "Environment variable listing the directories (separated by ':') whose data files code tools may query; required at run time.",
    ),
  description: text.optional(),
  maxRows: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe('Most rows one query returns; past it the result is marked truncated.'),
  memoryMb: z
    .number()
    .int()
    .min(64)
    .max(65_536)
    .default(512)
    .describe('DuckDB memory limit of each query, in MiB.'),
  threads: z.number().int().min(1).max(64).default(2).describe('DuckDB threads of each query.'),
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
  allowPrivateAddresses: z
    .boolean()
    .optional()
    .describe(
      'Let requests to the baseUrl and tokenUrl host names of this connection reach loopback, link-local or private addresses when the names resolve there (default false: refused at connect time; set by importing with --allow-private-base-url). Literal private addresses in the spec and base URLs set through baseUrlEnv are always allowed.',
    ),
  description: text.optional(),
});

export const Connection = z.discriminatedUnion('type', [
  DatabaseConnection,
  SqliteConnection,
  HttpConnection,
  DatasetConnection,
]);
export type Connection = z.infer<typeof Connection>;
export type DatabaseConnection = z.infer<typeof DatabaseConnection>;
export type SqliteConnection = z.infer<typeof SqliteConnection>;
export type HttpConnection = z.infer<typeof HttpConnection>;
export type DatasetConnection = z.infer<typeof DatasetConnection>;

// ---------- tools ----------

/** An OAuth scope token (RFC 6749 §3.3: printable ASCII without space, quote or backslash). */
const scopeName = z
  .string()
  .regex(
    /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/,
    'must be a scope token: printable ASCII without spaces, " or \\',
  );

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
      equals: z
        .unknown()
        .optional()
        .describe(
          'The exact result: its structuredContent (or, without one, the JSON of its text) must deep-equal this value; numbers compare with a relative tolerance of 1e-9.',
        ),
    })
    .optional(),
  skip: z.boolean().optional().describe('Do not run this example in the generated tests.'),
});

/** How long a client may reuse a result, and whether shared caches may keep it (MCP 2026-07-28, SEP-2549). */
const CacheHint = z.strictObject({
  ttlMs: z
    .number()
    .int()
    .min(0)
    .max(31_536_000_000)
    .describe('How long the result may be reused, in milliseconds (0: do not reuse).'),
  scope: z
    .enum(['public', 'private'])
    .default('private')
    .describe('private: only the requesting client may cache it; public: shared caches may too.'),
});

export const Tool = z.strictObject({
  name: toolName,
  title: z.string().max(200).optional(),
  description: text.min(1),
  parameters: z.record(identifier, ValueSchema).default({}),
  returns: ValueSchema.optional().describe('Output schema; results are validated against it.'),
  annotations: Annotations.optional(),
  scopes: z
    .array(scopeName)
    .max(20)
    .optional()
    .describe('OAuth scopes a caller needs for this tool (servers with `auth: { type: oauth }`).'),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  examples: z.array(ToolExample).optional().describe('Calls used by the generated tests.'),
  outputValidation: z
    .enum(['strict', 'lenient'])
    .default('strict')
    .describe('lenient: a result that does not match `returns` is returned with a note instead of failing.'),
  cache: CacheHint.optional().describe(
    "Caching hint for the results of a read-only tool (MCP 2026-07-28 ttlMs/cacheScope). tools/call results have no protocol cache fields, so it is sent in each result's _meta['mcp-factory/cache'].",
  ),
  confirm: z
    .union([z.literal(true), z.string().min(1).max(1000)])
    .optional()
    .describe(
      'Ask the user before each call (elicitation): true, or the question with {{param}} placeholders, e.g. "Delete order {{id}}?". Declined or unanswerable: the tool does not run. Not for read-only tools.',
    ),
  // One optional field per tool kind (sql, http, code, static, query, catalog); checkSpec wants exactly one.
  ...kindFields(),
});
export type Tool = z.infer<typeof Tool>;
export type ToolImplementationKind = ToolKindName;
export const IMPLEMENTATION_KINDS: readonly ToolImplementationKind[] = KINDS.map((kind) => kind.name);

/** One optional field per tool kind (`sql`, `http`, …), in table order. */
function kindFields(): KindFields {
  return Object.fromEntries(
    KINDS.map((kind) => {
      const field = kind.schema.optional();
      return [kind.name, kind.fieldDescription ? field.describe(kind.fieldDescription) : field];
    }),
  ) as KindFields;
}

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

/** A file shipped with the server: relative to the spec file, inside its folder; copied into the project. */
const specFile = z
  .string()
  .min(1)
  .max(1000)
  .describe("A file relative to the spec file (inside its folder), copied into the server's assets/.");
/** Inline bytes as base64 (checked by checkSpec). */
const base64 = z.string().min(1).max(14_000_000);
const completionValues = z.array(z.string().min(1).max(1000)).min(1).max(1000);

export const Resource = z.strictObject({
  name: toolName,
  uri: z.string().min(3).max(2000).describe('Resource URI, or a URI template with {var} placeholders.'),
  title: z.string().max(200).optional(),
  description: text.optional(),
  mimeType: z
    .string()
    .max(200)
    .optional()
    .describe(
      'Default: guessed from the extension for `file`, application/octet-stream for `blob`, else text/plain. Text types are sent as text, others as base64 blobs.',
    ),
  text: text.optional().describe('Static content; {var} of a URI template may appear as {{var}}.'),
  sql: z
    .strictObject({ connection: identifier, statement: z.string().min(1).max(100_000) })
    .optional()
    .describe(
      'Rows returned as JSON; URI template variables are :var placeholders. A template read that returns no rows is "resource not found".',
    ),
  file: specFile
    .optional()
    .describe('Content from a file (relative to the spec file), shipped with the server.'),
  blob: base64.optional().describe('Inline content as base64.'),
  complete: z
    .record(
      identifier,
      z.union([
        completionValues,
        z
          .strictObject({ sql: z.string().min(1).max(100_000) })
          .describe(
            'SQL resources: a query on the same connection whose first column gives the values; :value is what the user typed.',
          ),
      ]),
    )
    .optional()
    .describe('Completion values per URI template variable (completion/complete, matched by prefix).'),
  list: z
    .string()
    .min(1)
    .max(100_000)
    .optional()
    .describe(
      'SQL templates: a query (same connection) whose rows fill the URI variables by column name; each row becomes a resources/list entry (a `name` column names it). At most 1000.',
    ),
  watch: z
    .strictObject({
      intervalMs: z
        .number()
        .int()
        .min(1000)
        .max(3_600_000)
        .describe('How often a subscribed URI is read again (milliseconds).'),
    })
    .optional()
    .describe(
      'SQL resources: clients may subscribe (resources/subscribe, MCP 2025-11-25); while subscribed, the resource is read every intervalMs and notifications/resources/updated is sent when its content changed.',
    ),
});
export type Resource = z.infer<typeof Resource>;

const PromptImage = z.union([
  z.strictObject({ file: specFile, mimeType: z.string().max(200).optional() }),
  z.strictObject({ data: base64.describe('Base64 image bytes.'), mimeType: z.string().max(200) }),
]);

export const Prompt = z.strictObject({
  name: toolName,
  title: z.string().max(200).optional(),
  description: text.optional(),
  arguments: z
    .array(
      z.strictObject({
        name: identifier,
        description: text.optional(),
        required: z.boolean().optional(),
        enum: completionValues
          .optional()
          .describe('The only values allowed (checked on prompts/get); also offered as completions.'),
        complete: completionValues.optional().describe('Values offered as completions (not enforced).'),
      }),
    )
    .default([]),
  messages: z
    .array(
      z.strictObject({
        role: z.enum(['user', 'assistant']).default('user'),
        text: text.min(1).optional().describe('Text with {{argument}} placeholders.'),
        image: PromptImage.optional().describe(
          'An image: `file` (shipped) or base64 `data`, with its mimeType.',
        ),
        resource: z
          .string()
          .min(3)
          .max(2000)
          .optional()
          .describe('URI of a resource declared in this spec, embedded (read when the prompt is got).'),
        when: identifier
          .optional()
          .describe('Include this message only when the named (optional) argument was given.'),
      }),
    )
    .min(1)
    .describe('Each message has exactly one of text, image or resource.'),
});
export type Prompt = z.infer<typeof Prompt>;

// ---------- triggers (run by runtime/triggers/ inside generated servers) ----------

const triggerBase = {
  tool: toolName,
  arguments: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Tool arguments; string values may be templates over the event, e.g. "{{event.payload.sku}}".'),
  description: text.optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100).default(5),
      initialDelayMs: z.number().int().min(0).max(3_600_000).default(500),
      maxDelayMs: z.number().int().min(0).max(86_400_000).default(60_000),
    })
    .optional()
    .describe('Failed runs are retried with exponential backoff and jitter, then dead-lettered.'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe(
      'Template of the key that marks an event as done, e.g. "{{event.payload.orderId}}" (default: the event id).',
    ),
  concurrency: z.number().int().min(1).max(100).optional().describe('Runs in flight at once (default 4).'),
};
export const Trigger = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cron'),
    schedule: z.string().min(1).max(200),
    timezone: z.string().optional(),
    overlap: z
      .boolean()
      .optional()
      .describe('Start a run while the previous one still runs (default false).'),
    missed: z
      .enum(['skip', 'run-once'])
      .optional()
      .describe('On start, run once if a slot passed since the last recorded run (default skip).'),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('webhook'),
    path: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path such as /inventory-update'),
    method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
    secretEnv: envVarName
      .optional()
      .describe(
        'Standard Webhooks secret (whsec_…) verifying webhook-id/-timestamp/-signature; required unless unsigned.',
      ),
    unsigned: z
      .boolean()
      .optional()
      .describe('Accept unsigned requests (anyone who reaches the port can trigger).'),
    schema: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('JSON Schema the JSON payload must satisfy (422 otherwise).'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(10_485_760)
      .optional()
      .describe('Body size cap (default 1 MiB).'),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('file'),
    path: z
      .string()
      .min(1)
      .max(500)
      .describe(
        'Folder to watch, relative to the file root (MCP_TRIGGER_FILE_ROOT, default the project root).',
      ),
    events: z
      .array(z.enum(['add', 'change', 'unlink']))
      .min(1)
      .default(['add', 'change']),
    glob: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only paths (relative to `path`) matching this glob: *, ** and ? (e.g. "**/*.csv").'),
    debounceMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .optional()
      .describe('Quiet time per file (default 200).'),
    ...triggerBase,
  }),
  z.strictObject({
    type: z.literal('queue'),
    broker: z.enum(['redis', 'rabbitmq', 'nats', 'mqtt']),
    urlEnv: envVarName,
    topic: z
      .string()
      .min(1)
      .max(500)
      .describe('Stream (redis), queue (rabbitmq), subject (nats), topic filter (mqtt).'),
    // Broker-specific options (docs/queue-triggers.md); defaults live in runtime/triggers/queue-<broker>.ts.
    maxPayloadBytes: z
      .number()
      .int()
      .min(1)
      .max(67_108_864)
      .optional()
      .describe('Larger messages are dead-lettered unrun (default 1 MiB).'),
    prefetch: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('Messages in flight at once (redis, rabbitmq, nats; default 10).'),
    group: z.string().min(1).max(200).optional().describe('redis: consumer group (default "mcp-triggers").'),
    consumer: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('redis: consumer name prefix; host and pid are appended.'),
    claimIdleMs: z
      .number()
      .int()
      .min(1000)
      .max(86_400_000)
      .optional()
      .describe('redis: reclaim pending entries idle this long (default 60000).'),
    passive: z
      .boolean()
      .optional()
      .describe('rabbitmq: the queue is managed elsewhere; check it, never declare it.'),
    deadLetterExchange: z
      .string()
      .max(255)
      .optional()
      .describe('rabbitmq: exchange for dead-lettered messages (x-dead-letter-exchange).'),
    stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/)
      .optional()
      .describe('nats: JetStream stream (required for nats).'),
    durable: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/)
      .optional()
      .describe('nats: durable consumer name (default "mcp-triggers").'),
    ackWaitMs: z
      .number()
      .int()
      .min(1000)
      .max(86_400_000)
      .optional()
      .describe('nats: redeliver when unacknowledged this long (default 30000).'),
    maxDeliver: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('nats: give up after this many deliveries (default unlimited).'),
    qos: z
      .union([z.literal(1), z.literal(2)])
      .optional()
      .describe('mqtt: subscription QoS (default 1).'),
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/)
      .optional()
      .describe('mqtt: persistent-session client id (default derived from the topic).'),
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
  z
    .strictObject({
      type: z.literal('oauth'),
      issuer: z
        .string()
        .url()
        .max(2000)
        .optional()
        .describe(
          'The authorization server (its `iss`), exactly as it publishes it. MCP_OAUTH_ISSUER overrides it.',
        ),
      audience: z
        .string()
        .min(1)
        .max(2000)
        .optional()
        .describe("The `aud` tokens must carry. Default: the server's resource URL (RFC 8707)."),
      resource: z
        .string()
        .url()
        .max(2000)
        .optional()
        .describe(
          "The server's public MCP URL, its resource identifier (MCP_PUBLIC_URL overrides it). Default: the request's own URL.",
        ),
      jwksUri: z
        .string()
        .url()
        .max(2000)
        .optional()
        .describe("Where the issuer's signing keys are; default: jwks_uri from the issuer's metadata."),
      scopes: z.array(scopeName).max(100).optional().describe('Scopes this server knows (scopes_supported).'),
      requiredScopes: z.array(scopeName).max(100).optional().describe('Scopes every request needs.'),
    })
    .describe(
      'OAuth 2.1 resource server: clients send JWT access tokens from the issuer (MCP authorization spec).',
    ),
]);

const Transport = z.enum(['stdio', 'http']);
export type ServerAuth = z.infer<typeof ServerAuth>;

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
      listCache: CacheHint.optional().describe(
        'Cache hint of tools/list, prompts/list, resources/list and resources/templates/list for 2026-07-28 clients. Default: none (ttlMs 0, private): the lists change when the server is regenerated, and a stateless server cannot tell clients.',
      ),
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
