/**
 * The records and inputs of the registry API (what Registry methods take and return). Plain data: timestamps
 * are ISO-8601 UTC strings, revisions and ids are numbers, JSON columns come back parsed.
 */
import type { TextEmbedder } from '../core/search/index.js';
import type { CallStats } from './metrics.js';
import type { Backend, DeploymentStatus, DesiredState, ServerStatus } from './schema.js';
import type { SearchEngine } from './search.js';

export interface OpenRegistryOptions {
  /** `postgres://…` for PostgreSQL, or `sqlite:/absolute/path/registry.db`. Takes precedence over `home`. */
  url?: string | undefined;
  /** The data directory (see defaultHome()); the SQLite file is `<home>/registry.db`. */
  home?: string | undefined;
  /** SQLite: how long a writer waits for the lock before a retry (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** PostgreSQL: connection pool size (default 10). */
  poolSize?: number | undefined;
  /** `like` forces the LIKE search engine (for tests and SQLite builds without FTS5). */
  search?: 'auto' | 'like' | undefined;
  /** Hybrid tool search (keyword + embeddings) with this embedder (llm/embeddings.ts); absent: keyword only. */
  embedder?: TextEmbedder | undefined;
  /** Hybrid search: how long a failed provider is left alone (default 30 s) and where failures are logged. */
  hybrid?: { cooldownMs?: number | undefined; log?: ((line: string) => void) | undefined } | undefined;
}

export interface RegistryInfo {
  backend: Backend;
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  location: string;
  /** SQLite only: `wal` normally. */
  journalMode: string | undefined;
  search: SearchEngine;
}

export interface ServerRecord {
  name: string;
  status: ServerStatus;
  currentRevision: number;
  currentVersion: string;
  latestRevision: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  removedAt: string | null;
}

export interface ToolInput {
  name: string;
  title?: string | null | undefined;
  description?: string | null | undefined;
  annotations?: Record<string, unknown> | null | undefined;
}

export interface ToolRecord {
  name: string;
  title: string | null;
  description: string | null;
  annotations: Record<string, unknown>;
}

export interface VersionSummary {
  server: string;
  revision: number;
  version: string;
  artifactHash: string;
  createdBy: string;
  createdAt: string;
}

export interface VersionRecord extends VersionSummary {
  spec: unknown;
  tools: ToolRecord[];
}

export interface CreateVersionInput {
  name: string;
  /** The spec's semver; several revisions may share one (the revision number tells them apart). */
  version: string;
  spec: unknown;
  /** sha256 (hex) of the generated artifacts. */
  artifactHash: string;
  tools: ToolInput[];
  actor: string;
}

export interface DeploymentRecord {
  id: number;
  server: string;
  revision: number;
  target: string;
  status: DeploymentStatus;
  desired: DesiredState;
  port: number | null;
  endpoint: string | null;
  /** A process id or container id, as text. */
  processId: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  stoppedAt: string | null;
  /** Replicas the target was asked for (swarm, kubernetes); null for single-instance targets. */
  replicasDesired: number | null;
  /** Replicas the target last reported running; null until it reports. */
  replicasActual: number | null;
}

export interface DeploymentInput {
  server: string;
  /** `local`, `docker`, …: one deployment per server and target. */
  target: string;
  /** Default: the server's current revision. */
  revision?: number | undefined;
  /** Default: running. */
  desired?: DesiredState | undefined;
  port?: number | null | undefined;
  endpoint?: string | null | undefined;
  actor: string;
}

export interface DeploymentPatch {
  status?: DeploymentStatus | undefined;
  desired?: DesiredState | undefined;
  revision?: number | undefined;
  port?: number | null | undefined;
  endpoint?: string | null | undefined;
  processId?: string | null | undefined;
  lastError?: string | null | undefined;
  replicasDesired?: number | null | undefined;
  replicasActual?: number | null | undefined;
}

export interface DeploymentFilter {
  server?: string | undefined;
  target?: string | undefined;
  desired?: DesiredState | undefined;
  status?: DeploymentStatus | undefined;
}

export interface AuditInput {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown> | undefined;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown> | null;
}

export interface AuditFilter {
  target?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  /** Entries with a smaller id (paging backwards). */
  beforeId?: number | undefined;
  /** Default 100, at most 1000. */
  limit?: number | undefined;
}

export interface ToolStatsReport {
  server: string;
  /** The window, widened to whole minutes. */
  since: string;
  until: string;
  total: CallStats;
  tools: Array<CallStats & { tool: string }>;
}
