/**
 * Kysely table types of the registry. Both backends use the same column types as seen from TypeScript:
 * timestamps are ISO-8601 UTC strings (sortable as text), JSON columns are `jsonb` on PostgreSQL and `text` on
 * SQLite (read back through `parseJson`), and every id/count fits a 32-bit integer (PostgreSQL returns
 * `bigint` as a string, so none are used; aggregates are converted with `Number()`).
 */
import type { ColumnType, Generated } from 'kysely';

/** Server lifecycle. `removed` is a tombstone: versions stay, the name can be revived by a new version. */
export const SERVER_STATUSES = [
  'registered',
  'deploying',
  'running',
  'stopped',
  'failed',
  'removed',
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

/** What a deployment is doing, as reported by whoever runs it (the supervisor). */
export const DEPLOYMENT_STATUSES = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'failed',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** What a deployment should be doing, as decided by management actions (CLI, API). */
export const DESIRED_STATES = ['running', 'stopped'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/** JSON read back: an object on PostgreSQL (jsonb), a string on SQLite. Written as a JSON string on both. */
type JsonColumn = ColumnType<unknown, string, string>;

export interface ServersTable {
  id: Generated<number>;
  name: string;
  status: ServerStatus;
  /** The revision that is "the" server now (search, deploy default); set by create and by rollback. */
  current_revision: number;
  /** The highest revision ever created: the per-server counter that makes revisions gapless. */
  latest_revision: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
  /** The user who created the server (null: created by the local user or a token without a user). */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
  /** The team (tenant) the server belongs to (null: no team). */
  team: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Immutable: an update trigger refuses changes. */
export interface VersionsTable {
  id: Generated<number>;
  server_id: number;
  revision: number;
  version: string;
  spec: JsonColumn;
  artifact_hash: string;
  created_by: string;
  created_at: string;
}

/** The capability index: one row per tool per version (immutable). */
export interface ToolsTable {
  id: Generated<number>;
  version_id: number;
  server_id: number;
  server_name: string;
  revision: number;
  name: string;
  title: string | null;
  description: string | null;
  annotations: JsonColumn;
  /** The tool name split into words (`listProducts` → `list products`), for search. */
  keywords: string;
}

export interface DeploymentsTable {
  id: Generated<number>;
  server_id: number;
  revision: number;
  target: string;
  status: DeploymentStatus;
  desired: DesiredState;
  port: number | null;
  endpoint: string | null;
  process_id: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  stopped_at: string | null;
  replicas_desired: number | null;
  replicas_actual: number | null;
}

export interface SecretRefsTable {
  server_id: number;
  env_var: string;
  source: string;
  description: string | null;
  updated_at: string;
}

/** Per-minute aggregate of tool calls; `minute` is epoch milliseconds / 60 000. */
export interface ToolCallsTable {
  server: string;
  tool: string;
  minute: number;
  calls: number;
  errors: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
}

/** Sparse latency histogram of one minute: the count of calls per log-scale bucket (see metrics.ts). */
export interface ToolLatencyTable {
  server: string;
  tool: string;
  minute: number;
  bucket: number;
  count: number;
}

/** Append-only: update and delete triggers refuse changes. */
export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: ColumnType<unknown, string | null, string | null>;
}

/** Roles a user can hold (what each grants is identity/roles.ts's). */
export const USER_ROLES = ['admin', 'operator', 'developer', 'reviewer', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  /** argon2id PHC string; null: the user signs in through OIDC only. */
  password_hash: string | null;
  /** `issuer|sub` of the OIDC identity linked to the user. */
  oidc_subject: string | null;
  role: UserRole;
  team: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  address: string | null;
}

/** Every refresh token ever issued (sha256); a used one presented again revokes its session. */
export interface RefreshTokensTable {
  hash: string;
  session_id: string;
  created_at: string;
  used_at: string | null;
}

export interface LoginsTable {
  id: Generated<number>;
  at: string;
  name: string;
  /** 1 signed in, 0 refused. */
  ok: number;
  reason: string;
  address: string | null;
}

export interface SigningKeysTable {
  kid: string;
  private_jwk: string;
  created_at: string;
  retired_at: string | null;
}

/** Embedding vectors by sha256(model + text) (hybrid tool search); `vector` is Float32 little-endian. */
export interface EmbeddingsTable {
  key: string;
  model: string;
  dims: number;
  vector: Uint8Array;
  created_at: string;
}

/** Lifecycle of a toolsmith candidate tool (seed 004): what reviewers decided about it. */
export const TOOL_STATES = ['DRAFT', 'STAGED', 'APPROVED', 'PROMOTED', 'REJECTED', 'ARCHIVED'] as const;
export type ToolState = (typeof TOOL_STATES)[number];

/** Where a toolsmith run is: working through nodes, waiting for a person, or finished one way or another. */
export const RUN_STATUSES = ['running', 'waiting', 'done', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * One toolsmith run: a question about a dataset on its way to a promoted tool. `node` is the next node to run
 * (or the interrupt being waited on); `state` is everything the nodes produced so far (the checkpoint). A
 * process works on a run only while it holds the lease; a lease past `lease_until` is free again (the holder
 * died), so another process resumes the run at `node`.
 */
export interface ToolsmithRunsTable {
  id: string;
  question: string;
  status: RunStatus;
  tool_state: ToolState;
  node: string;
  state: JsonColumn;
  tool_name: string | null;
  tool_version: number | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  error: string | null;
}

/** Append-only trail of a run: each node finished and each decision made, with who, when and notes. */
export interface ToolsmithEventsTable {
  id: Generated<number>;
  run_id: string;
  at: string;
  actor: string;
  kind: string;
  node: string | null;
  from_state: string | null;
  to_state: string | null;
  note: string | null;
  details: ColumnType<unknown, string | null, string | null>;
}

/** Where a factory job is (BullMQ-like): waiting, claimed by a worker, or finished one way or another. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * One job: a long factory operation run by a worker pool. A worker works on it only while it holds the lease;
 * a lease past `lease_until` is free again (the worker died), so another worker retries it. `not_before` delays
 * a retry (backoff). `idempotency_key` is unique per `created_by`.
 */
export interface JobsTable {
  id: string;
  kind: string;
  input: JsonColumn;
  state: JobState;
  progress: number;
  progress_message: string | null;
  result: ColumnType<unknown, string | null, string | null>;
  error: ColumnType<unknown, string | null, string | null>;
  attempts: number;
  max_attempts: number;
  created_by: string;
  team: string | null;
  idempotency_key: string | null;
  cancel_requested: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  not_before: string;
  lease_owner: string | null;
  lease_until: string | null;
}

/** Append-only history of a job: state changes and progress, in order (the SSE stream replays it). */
export interface JobEventsTable {
  id: Generated<number>;
  job_id: string;
  at: string;
  kind: string;
  state: JobState;
  progress: number;
  message: string | null;
}

/** What became of one attempt of a trigger run (runtime/triggers/types.ts TriggerRunRecord). */
export const TRIGGER_OUTCOMES = ['succeeded', 'failed', 'duplicate', 'dead-lettered'] as const;
export type TriggerOutcome = (typeof TRIGGER_OUTCOMES)[number];

/**
 * Trigger history of deployed servers, imported from each server's history file (deploy/trigger-history.ts):
 * one row per attempt. A re-read line is absorbed by the unique (server, trigger_index, key, attempt,
 * started_at).
 */
export interface TriggerRunsTable {
  id: Generated<number>;
  server: string;
  trigger_index: number;
  type: string;
  tool: string;
  key: string;
  input_hash: string;
  attempt: number;
  outcome: TriggerOutcome;
  started_at: string;
  duration_ms: number;
  error: string | null;
}

/** How far the factory has read a server's history file: which file (device:inode) and up to which byte. */
export interface TriggerOffsetsTable {
  server: string;
  file_id: string;
  bytes_read: ColumnType<number, number, number>;
  updated_at: string;
}

/** A factory node (a home with its supervisor, and maybe an API instance) and when it last said it is alive. */
export interface NodesTable {
  name: string;
  /** The API base URL of the node's `serve` (MCP_FACTORY_NODE_URL), where its servers' logs are read. */
  url: string | null;
  /** Epoch milliseconds of the registry's clock at the last heartbeat. */
  heartbeat_ms: ColumnType<number, number, number>;
  started_at: string;
}

/** Which node runs a local deployment (cluster mode; a deployment without a row is claimed by a node). */
export interface PlacementsTable {
  deployment_id: number;
  node: string;
  placed_at: string;
}

/** A revision's generated project (dist/ and src/), so that a node that did not create it can run it. */
export interface ArtifactsTable {
  hash: string;
  server: string;
  /** gzip of a JSON object path → base64 contents. */
  content: Uint8Array;
  created_at: string;
}

/** API rate-limit buckets shared by every API instance (PostgreSQL registries). */
export interface RateBucketsTable {
  key: string;
  tokens: number;
  at_ms: ColumnType<number, number, number>;
}

/** Creations of new servers in flight on any API instance (they count against the creator's quota). */
export interface CreateReservationsTable {
  server: string;
  principal: string;
  expires_ms: ColumnType<number, number, number>;
}

/** Health states a stored probe sample may have (deploy/types.ts Health). */
export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** One stored health check of a deployment (store/repositories/health-samples.ts keeps it small). */
export interface HealthSamplesTable {
  id: Generated<number>;
  server: string;
  deployment_id: number;
  target: string;
  health: HealthState;
  checked_at: string;
  response_ms: number | null;
  detail: string | null;
}

/**
 * API tokens of the management surfaces (identity/tokens.ts), shared by every instance on the registry. Only the
 * sha256 of a token is stored; `record` is the token's JSON (identity/tokens.ts TokenRecord, hash included).
 */
export interface ApiTokensTable {
  id: string;
  hash: string;
  name: string;
  revoked_at: string | null;
  record: string;
}

export interface RegistryDatabase {
  mcpf_api_tokens: ApiTokensTable;
  mcpf_health_samples: HealthSamplesTable;
  mcpf_nodes: NodesTable;
  mcpf_placements: PlacementsTable;
  mcpf_artifacts: ArtifactsTable;
  mcpf_rate_buckets: RateBucketsTable;
  mcpf_create_reservations: CreateReservationsTable;
  mcpf_trigger_runs: TriggerRunsTable;
  mcpf_trigger_offsets: TriggerOffsetsTable;
  mcpf_jobs: JobsTable;
  mcpf_job_events: JobEventsTable;
  mcpf_toolsmith_runs: ToolsmithRunsTable;
  mcpf_toolsmith_events: ToolsmithEventsTable;
  mcpf_teams: TeamsTable;
  mcpf_users: UsersTable;
  mcpf_sessions: SessionsTable;
  mcpf_refresh_tokens: RefreshTokensTable;
  mcpf_logins: LoginsTable;
  mcpf_signing_keys: SigningKeysTable;
  mcpf_servers: ServersTable;
  mcpf_versions: VersionsTable;
  mcpf_tools: ToolsTable;
  mcpf_deployments: DeploymentsTable;
  mcpf_secret_refs: SecretRefsTable;
  mcpf_tool_calls: ToolCallsTable;
  mcpf_tool_latency: ToolLatencyTable;
  mcpf_audit: AuditTable;
  mcpf_embeddings: EmbeddingsTable;
}

export type Backend = 'sqlite' | 'postgres';
