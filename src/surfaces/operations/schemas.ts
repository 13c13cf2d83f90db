/**
 * zod schemas of the management operations and their HTTP projection: the inputs and outputs of the operations
 * (and so of the factory's MCP tools), and what the HTTP API accepts and returns. The OpenAPI document
 * (surfaces/api/openapi.ts) is generated from these, and the type checks at the bottom keep the output schemas
 * equal to the TypeScript types of the control plane and the registry.
 */
import { z } from 'zod';
import { ERROR_CODES, type Issue } from '../../core/errors/index.js';
import { SERVER_NAME } from '../../core/spec/model.js';
import { TARGET_NAMES } from '../../deploy/targets/names.js';
import type { CreateOutcome, HealthReport, ServerStatusReport, ToolCallResult } from '../../deploy/types.js';
import type { TemplateSummary } from '../../sources/templates/index.js';
import {
  type AuditEntry,
  DEPLOYMENT_STATUSES,
  DESIRED_STATES,
  type DeploymentRecord,
  SERVER_STATUSES,
  type ServerRecord,
  type ToolMatch,
  type ToolStatsReport,
  TRIGGER_OUTCOMES,
  type VersionSummary,
} from '../../store/index.js';

/** Schemas with a name: they become `components.schemas.<name>` in the OpenAPI document. */
export const namedSchemas = new Map<string, z.ZodType>();

function named<T extends z.ZodType>(id: string, schema: T): T {
  namedSchemas.set(id, schema);
  return schema;
}

const isoTime = z.string().describe('ISO-8601 UTC time');

// ---- shared pieces

/** A window of minutes ending now, for statistics and histories (at most 31 days). */
export const WindowMinutes = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 31);

export const ServerName = z
  .string()
  .regex(SERVER_NAME, 'a server name: lower-case letters, digits, . _ - (max 64)')
  .describe('Server name, as in the spec.');

export const ToolName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, '1-128 characters of A-Z a-z 0-9 _ . -')
  .describe('Tool name.');

export const Target = z.enum(TARGET_NAMES).describe('Where the server runs.');

/**
 * A spec object: validated by the spec validator (issues with paths and hints), documented by the published
 * spec JSON Schema, which replaces this component in the OpenAPI document.
 */
export const SpecObject = named(
  'ServerSpec',
  z
    .custom<Record<string, unknown>>(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
      'the spec must be a JSON object',
    )
    .describe('An MCP Factory server spec (schema/mcp-spec.schema.json).'),
);

export const IssueSchema = named(
  'Issue',
  z.object({
    code: z.string().describe('Stable error code (docs/errors.md).'),
    message: z.string(),
    path: z.string().describe('JSON path in the spec, e.g. tools[0].name; empty for the root.'),
    hint: z.string(),
    file: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  }),
);

export const ErrorResponse = named(
  'Error',
  z.object({
    error: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES]).describe('Stable error code.'),
    message: z.string(),
    details: z
      .object({
        hint: z.string().optional(),
        issues: z.array(IssueSchema).optional(),
        retryAfterSeconds: z.number().int().optional(),
      })
      .catchall(z.unknown()),
    timestamp: isoTime,
  }),
);

// ---- requests

export const CreateEnvelope = named(
  'CreateRequest',
  z.strictObject({
    spec: z
      .union([SpecObject, z.string().min(1).describe('The spec as YAML or JSON text.')])
      .describe('The spec: an object, or YAML/JSON text.'),
    force: z
      .boolean()
      .optional()
      .describe(
        'Record a new revision of a server that already exists (otherwise the create fails with SERVER_EXISTS).',
      ),
    tests: z.boolean().optional().describe("Run the generated server's own tests (default true)."),
  }),
);

export const CreateBody = named(
  'CreateBody',
  z.union([CreateEnvelope, SpecObject]).describe('A spec object, or { spec, force?, tests? }.'),
);

export const NaturalBody = named(
  'NaturalCreateRequest',
  z.strictObject({
    description: z.string().min(1).max(20_000).describe('What the server should do, in plain language.'),
    name: ServerName.optional(),
  }),
);

/** An OCI runtime name as dockerd registers them (`--runtime` of the CLI). */
export const ContainerRuntime = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
  .describe(
    'docker target: the OCI runtime of the container as registered with the engine, e.g. runsc (gVisor). Kept for later restarts.',
  );

/** Deploy options of the swarm target (refused with other targets). */
export const SwarmDeployOptions = {
  replicas: z
    .number()
    .int()
    .min(1)
    .max(50)
    .optional()
    .describe('swarm and kubernetes targets: number of replicas, 1-50 (default 1).'),
  cpus: z.number().min(0.01).max(64).optional().describe('swarm target: CPUs per replica (default 1).'),
  memoryMb: z
    .number()
    .int()
    .min(32)
    .max(65536)
    .optional()
    .describe('swarm target: memory limit per replica in MB (default 256).'),
  constraints: z
    .array(z.string().regex(/^[A-Za-z0-9_.\-/]{1,128} ?(==|!=) ?[A-Za-z0-9_.\-/:]{1,128}$/))
    .max(20)
    .optional()
    .describe('swarm target: placement constraints, e.g. node.role==manager.'),
};

/** Deploy options of the kubernetes target (checked by it, then kept in the server's kubernetes.json). */
export const KubernetesDeployOptions = {
  namespace: z
    .string()
    .max(63)
    .optional()
    .describe('kubernetes target: namespace of every object (a DNS-1123 label; default: default).'),
  ingressHost: z
    .string()
    .max(253)
    .optional()
    .describe('kubernetes target: add an Ingress for this host name.'),
  imagePrefix: z
    .string()
    .max(200)
    .optional()
    .describe('kubernetes target: registry prefix of the image, e.g. registry.example.com/team/.'),
};

/** A node of a factory cluster (deploy/cluster.ts checks the same pattern). */
export const ClusterNode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/)
  .describe(
    'Local target in a factory cluster: the node to run on (default: where it is, else the least loaded live node).',
  );

export const DeployBody = named(
  'DeployRequest',
  z.strictObject({
    target: Target,
    port: z.number().int().min(1).max(65535).optional().describe('Fixed port; default: a free one.'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(32_768))
      .optional()
      .describe("Environment of the server process (values for the spec's env references; never stored)."),
    runtime: ContainerRuntime.optional(),
    ...SwarmDeployOptions,
    ...KubernetesDeployOptions,
    node: ClusterNode.optional(),
  }),
);

export const CallBody = named(
  'CallToolRequest',
  z.strictObject({
    tool: ToolName,
    arguments: z.record(z.string(), z.unknown()).optional().describe('Tool arguments (default {}).'),
  }),
);

export const booleanQuery = z
  .enum(['1', '0', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true')
  .describe('1/true or 0/false');

export const intQuery = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const NameParams = z.object({ name: ServerName });

export const CreateQuery = z.object({
  force: z
    .enum(['1', '0', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional()
    .describe('Same as the body field force (for YAML bodies).'),
  tests: z
    .enum(['1', '0', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional()
    .describe('Same as the body field tests (for YAML bodies).'),
});

export const LogsQuery = z.object({
  tail: intQuery(1, 10_000).optional().describe('The last N lines (default 100).'),
  follow: booleanQuery
    .optional()
    .describe('Keep the response open and stream new lines (text/event-stream).'),
});

export const StatsQuery = z.object({
  minutes: intQuery(1, 60 * 24 * 31)
    .optional()
    .describe('Window size in minutes, ending now (default 60).'),
  tool: ToolName.optional(),
});

export const SearchQuery = z.object({
  q: z
    .string()
    .min(1)
    .max(2000)
    .describe('Keywords or a task description in words (stop words are ignored; word stems match).'),
  limit: intQuery(1, 200).optional().describe('At most this many matches (default 20).'),
});

export const AuditQuery = z.object({
  target: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  before: intQuery(1, 2_147_483_647).optional().describe('Entries with a smaller id (paging backwards).'),
  limit: intQuery(1, 1000).optional().describe('Default 100.'),
});

// ---- responses

export const ServerRecordSchema = named(
  'Server',
  z.object({
    name: z.string(),
    status: z.enum(SERVER_STATUSES),
    currentRevision: z.number().int(),
    currentVersion: z.string(),
    latestRevision: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
    removedAt: isoTime.nullable(),
  }),
);

export const DeploymentSchema = named(
  'Deployment',
  z.object({
    id: z.number().int(),
    server: z.string(),
    revision: z.number().int(),
    target: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    desired: z.enum(DESIRED_STATES),
    port: z.number().int().nullable(),
    endpoint: z.string().nullable(),
    processId: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
    startedAt: isoTime.nullable(),
    stoppedAt: isoTime.nullable(),
    replicasDesired: z
      .number()
      .int()
      .nullable()
      .describe('Replicas asked of the target (swarm, kubernetes); null for single-instance targets.'),
    replicasActual: z.number().int().nullable().describe('Replicas the target last reported running.'),
  }),
);

export const HealthSchema = named(
  'Health',
  z.object({
    health: z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']),
    responseMs: z.number().optional(),
    checkedAt: isoTime,
    detail: z.string().optional(),
  }),
);

export const VersionSchema = named(
  'Version',
  z.object({
    server: z.string(),
    revision: z.number().int(),
    version: z.string(),
    artifactHash: z.string(),
    createdBy: z.string(),
    createdAt: isoTime,
  }),
);

const TriggerOutcomeSchema = z.enum(TRIGGER_OUTCOMES);

export const TriggerSummarySchema = named(
  'TriggerSummary',
  z.object({
    trigger: z.number().int().describe("Index of the trigger in the spec's triggers."),
    type: z.string(),
    tool: z.string(),
    counts: z.record(TriggerOutcomeSchema, z.number().int()).describe('Attempts by outcome.'),
    lastStartedAt: z.string(),
    lastOutcome: TriggerOutcomeSchema,
  }),
);

export const TriggerRunSchema = named(
  'TriggerRun',
  z.object({
    server: z.string(),
    trigger: z.number().int(),
    type: z.string(),
    tool: z.string(),
    key: z.string().describe('Idempotency key of the event.'),
    inputHash: z.string().describe('sha256 of the tool arguments.'),
    attempt: z.number().int(),
    outcome: TriggerOutcomeSchema,
    startedAt: z.string(),
    durationMs: z.number(),
    error: z.string().nullable(),
  }),
);

export const TriggerRunsSchema = named(
  'TriggerRuns',
  z.object({ name: z.string(), runs: z.array(TriggerRunSchema) }),
);

export const TriggerRunsQuery = z.object({
  trigger: intQuery(0, 100_000).optional().describe("Only this trigger (its index in the spec's triggers)."),
  outcome: TriggerOutcomeSchema.optional(),
  limit: intQuery(1, 1000).optional().describe('Newest runs to return (default 100).'),
});

export const StatusSchema = named(
  'ServerStatus',
  z.object({
    server: ServerRecordSchema,
    versions: z.array(VersionSchema),
    deployments: z.array(DeploymentSchema.extend({ health: HealthSchema.optional() })),
    tools: z.array(z.object({ name: z.string(), description: z.string().nullable() })),
    triggers: z.array(TriggerSummarySchema).optional(),
  }),
);

export const CreateOutcomeSchema = named(
  'CreateOutcome',
  z.object({
    name: z.string(),
    revision: z.number().int(),
    version: z.string(),
    projectDir: z.string().describe('The generated project, inside the factory home.'),
    artifactHash: z.string(),
    steps: z.array(z.object({ step: z.string(), status: z.string(), durationMs: z.number() })),
  }),
);

export const ToolCallSchema = named(
  'ToolCallResult',
  z.object({
    isError: z.boolean(),
    text: z.string(),
    structuredContent: z.unknown().optional(),
    durationMs: z.number(),
  }),
);

export const ToolMatchSchema = named(
  'ToolMatch',
  z.object({
    server: z.string(),
    revision: z.number().int(),
    version: z.string(),
    tool: z.string(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    annotations: z.record(z.string(), z.unknown()),
    score: z.number(),
  }),
);

const CallStatsSchema = z.object({
  calls: z.number().int(),
  errors: z.number().int(),
  errorRate: z.number(),
  meanMs: z.number().nullable(),
  minMs: z.number().nullable(),
  maxMs: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});

export const StatsSchema = named(
  'ToolStats',
  z.object({
    server: z.string(),
    since: isoTime,
    until: isoTime,
    total: CallStatsSchema,
    tools: z.array(CallStatsSchema.extend({ tool: z.string() })),
  }),
);

export const AuditEntrySchema = named(
  'AuditEntry',
  z.object({
    id: z.number().int(),
    at: isoTime,
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
  }),
);

export const TemplateSchema = named(
  'Template',
  z.object({
    name: z.string(),
    title: z.string(),
    category: z.enum(['database', 'api', 'files', 'messaging', 'devops', 'ai', 'starter']),
    description: z.string(),
    variables: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        default: z.string().optional(),
        required: z.boolean().optional(),
        enum: z.array(z.string()).optional(),
        format: z.string().optional(),
      }),
    ),
    environment: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        required: z.boolean(),
        secret: z.boolean().optional(),
      }),
    ),
  }),
);

export const ServerListSchema = named('ServerList', z.object({ servers: z.array(ServerRecordSchema) }));
export const LogLinesSchema = named('LogLines', z.object({ name: z.string(), lines: z.array(z.string()) }));
export const MatchesSchema = named('ToolMatches', z.object({ matches: z.array(ToolMatchSchema) }));
export const AuditListSchema = named('AuditEntries', z.object({ entries: z.array(AuditEntrySchema) }));
export const TemplateListSchema = named('Templates', z.object({ templates: z.array(TemplateSchema) }));
export const RemovedSchema = named('Removed', z.object({ name: z.string(), removed: z.literal(true) }));
export const DesiredSchema = named(
  'DesiredState',
  z.object({ name: z.string(), desired: z.enum(DESIRED_STATES) }),
);
export const ValidationSchema = named(
  'ValidationResult',
  z.object({
    ok: z.boolean(),
    name: z.string().optional(),
    version: z.string().optional(),
    tools: z.number().int().optional(),
    resources: z.number().int().optional(),
    prompts: z.number().int().optional(),
    issues: z.array(IssueSchema),
  }),
);
export const HealthBody = named(
  'HealthStatus',
  z.object({
    status: z.literal('ok'),
    version: z.string(),
    uptimeSeconds: z.number(),
  }),
);
export const LiveBody = named('Liveness', z.object({ status: z.literal('ok') }));
export const ReadyBody = named(
  'Readiness',
  z.object({
    status: z.literal('ready'),
    registry: z.object({ backend: z.string(), search: z.string() }),
  }),
);

// ---- the schemas above describe exactly the types the control plane and the registry return

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
export type SchemaTypeChecks = [
  Expect<Same<z.output<typeof ServerRecordSchema>, ServerRecord>>,
  Expect<Same<z.output<typeof DeploymentSchema>, DeploymentRecord>>,
  Expect<Same<z.output<typeof HealthSchema>, HealthReport>>,
  Expect<Same<z.output<typeof VersionSchema>, VersionSummary>>,
  Expect<Same<z.output<typeof StatusSchema>, ServerStatusReport>>,
  Expect<Same<z.output<typeof CreateOutcomeSchema>, CreateOutcome>>,
  Expect<Same<z.output<typeof ToolCallSchema>, ToolCallResult>>,
  Expect<Same<z.output<typeof ToolMatchSchema>, ToolMatch>>,
  Expect<Same<z.output<typeof StatsSchema>, ToolStatsReport>>,
  Expect<Same<z.output<typeof AuditEntrySchema>, AuditEntry>>,
  Expect<Same<z.output<typeof TemplateSchema>, TemplateSummary>>,
  Expect<Same<z.output<typeof IssueSchema>, Omit<Issue, 'code'> & { code: string }>>,
];
