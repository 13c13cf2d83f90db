/**
 * The registry of MCP Factory: what servers exist, their immutable versions and tools, where they are
 * deployed, which secrets they reference (never the values), how their tools are doing, and who changed what.
 * A library: it prints nothing and never exits; every failure is a FactoryError with a REGISTRY_* code.
 */

export type { ApiTokenRow, ApiTokenRows } from './api-tokens.js';
export {
  type BackupResult,
  backupSqlite,
  checkIntegrity,
  type IntegrityReport,
  registrySqliteFile,
} from './backup.js';
export type { ClusterStore, NodeRecord } from './cluster.js';
export { defaultHome, REGISTRY_FILE } from './connect.js';
export {
  type DeletedHolder,
  deletedHolders,
  type FileIdentity,
  fileIdentity,
  sameFile,
} from './file-identity.js';
export type { HealthHistoryStore, ServerOverview } from './health-history.js';
export type {
  LoginRecord,
  RefreshOutcome,
  ServerScope,
  SessionState,
  TeamRecord,
  UserPatch,
  UserRecord,
} from './identity.js';
export {
  FINISHED_STATES,
  JOB_ID_PATTERN,
  type JobError,
  type JobEventRecord,
  type JobFilter,
  type JobOutcome,
  type JobRecord,
  type JobStore,
  MAX_JOB_INPUT_BYTES,
  MAX_JOB_RESULT_BYTES,
  type SubmitJobInput,
} from './jobs.js';
export { type CallRecord, type CallStats, LATENCY_BUCKETS } from './metrics.js';
export { openRegistry, Registry } from './registry.js';
export type { HealthSampleInput, HealthSampleRecord } from './repositories/health-samples.js';
export {
  type Backend,
  DEPLOYMENT_STATUSES,
  DESIRED_STATES,
  type DeploymentStatus,
  type DesiredState,
  JOB_STATES,
  type JobState,
  RUN_STATUSES,
  type RunStatus,
  SERVER_STATUSES,
  type ServerStatus,
  TOOL_STATES,
  type ToolState,
  TRIGGER_OUTCOMES,
  type TriggerOutcome,
  USER_ROLES,
  type UserRole,
} from './schema.js';
export type { SearchEngine, ToolMatch } from './search.js';
export type {
  RunEventInput,
  RunEventRecord,
  RunExpectation,
  RunFilter,
  RunPatch,
  RunRecord,
  ToolsmithStore,
} from './toolsmith.js';
export {
  MAX_RUNS_PER_SERVER,
  type TriggerHistoryStore,
  type TriggerReadPosition,
  type TriggerRun,
  type TriggerRunFilter,
  type TriggerSummary,
} from './triggers.js';
export type {
  AuditEntry,
  AuditFilter,
  AuditInput,
  CreateVersionInput,
  DeploymentFilter,
  DeploymentInput,
  DeploymentPatch,
  DeploymentRecord,
  OpenRegistryOptions,
  RegistryInfo,
  ServerRecord,
  ToolInput,
  ToolRecord,
  ToolStatsReport,
  VersionRecord,
  VersionSummary,
} from './types.js';
export { type SecretRef, secretValueReason } from './validate.js';
