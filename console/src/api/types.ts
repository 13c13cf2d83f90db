/**
 * Shapes of the API answers the console reads (src/surfaces/operations/schemas.ts, auth-routes.ts), kept in step
 * with them by test/contracts/console-api.ts (checked by `npm run typecheck`).
 */

export type Health = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

/** Per-server figures the list shows without per-row requests (optional: only when the API provides them). */
export interface ServerSummary {
  target: string | null;
  endpoint: string | null;
  health: Health | null;
  startedAt: string | null;
  /** When the health check was made (stored checks). */
  checkedAt?: string | null;
  /** Tool calls and errors in the last hour, when the API reports them with the list. */
  calls?: number;
  errors?: number;
  windowMinutes?: number;
}

/** One stored health check (GET /mcp/servers/:name/health `history`). */
export interface StoredHealthCheck {
  deployment: number;
  target: string;
  checkedAt: string;
  health: Health;
  responseMs: number | null;
  detail: string | null;
}

/** GET /mcp/servers/:name/health: the current checks, and (newer factories) the stored ones of the window. */
export interface ServerHealthAnswer {
  name: string;
  checks: Array<{ deployment: number; target: string; checkedAt: string; health: Health }>;
  since?: string;
  history?: StoredHealthCheck[];
}

export interface ServerRecord {
  name: string;
  status: string;
  currentRevision: number;
  currentVersion: string;
  latestRevision: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  removedAt: string | null;
  summary?: ServerSummary;
}

export interface Deployment {
  id: number;
  server: string;
  revision: number;
  target: string;
  status: string;
  desired: string;
  port: number | null;
  endpoint: string | null;
  processId: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  stoppedAt: string | null;
  replicasDesired: number | null;
  replicasActual: number | null;
  health?: { health: Health; responseMs?: number; checkedAt: string; detail?: string };
}

export interface Version {
  server: string;
  revision: number;
  version: string;
  artifactHash: string;
  createdBy: string;
  createdAt: string;
}

export interface TriggerSummary {
  trigger: number;
  type: string;
  tool: string;
  counts: Record<string, number>;
  lastStartedAt: string;
  lastOutcome: string;
}

export interface ServerStatus {
  server: ServerRecord;
  versions: Version[];
  deployments: Deployment[];
  tools: Array<{ name: string; description: string | null }>;
  triggers?: TriggerSummary[];
}

export interface CallStats {
  calls: number;
  errors: number;
  errorRate: number;
  meanMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface ServerStats {
  server: string;
  since: string;
  until: string;
  total: CallStats;
  tools: Array<CallStats & { tool: string }>;
}

export interface MetricPoint {
  at: string;
  calls: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface TriggerRun {
  server: string;
  trigger: number;
  type: string;
  tool: string;
  key: string;
  inputHash: string;
  attempt: number;
  outcome: string;
  startedAt: string;
  durationMs: number;
  error: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown> | null;
}

export interface TokenInfo {
  id: string;
  name: string;
  /** The first characters of the value, to recognise it (not enough to use it). */
  prefix?: string;
  role?: string | null;
  owner?: string | null;
  team?: string | null;
  createdAt: string;
  createdBy?: string | null;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  allowedServers?: string[] | null;
  allowedTools?: string[] | null;
}

export interface User {
  name: string;
  role: string;
  team: string | null;
  email?: string | null;
  disabled?: boolean;
  createdAt?: string;
  lastLoginAt?: string | null;
}

export interface Team {
  name: string;
  users?: number;
  servers?: number;
  createdAt?: string;
}

/** GET /mcp/servers/:name/revisions/:revision. */
export interface RevisionSpec {
  server: string;
  revision: number;
  version: string;
  artifactHash: string;
  createdBy: string;
  createdAt: string;
  current: boolean;
  /** YAML text with a stable key order. */
  specText: string;
}

/** GET /mcp/servers/:name/env: names and where values come from, never the values. */
export interface EnvVariable {
  name: string;
  required: boolean;
  referenced: boolean;
  source: string | null;
}
