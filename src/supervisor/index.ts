/** The supervisor of local deployments (see supervisor.ts for reconciliation and adoption). */
export { type ChannelOp, type ChannelRequest, callChannel, ensureToken } from './channel.js';
export { DEFAULT_CONFIG, type SupervisorConfig, supervisorConfig } from './config.js';
export { authHeaders, connectMcp, HealthTracker, probeMcp } from './health.js';
export { type HomeLayout, homeLayout } from './layout.js';
export { readLog, rotateIfNeeded, tailLines } from './logs.js';
export {
  findMarkedProcesses,
  isRunning,
  MARKER_CONFIG,
  MARKER_DEPLOYMENT,
  MARKER_HOME,
  type MarkedProcess,
  parseProcessId,
  readStat,
} from './proc.js';
export { readEnvFile, writeEnvFile } from './secrets.js';
export {
  type DeploymentRuntime,
  SUPERVISOR_ACTOR,
  Supervisor,
  type SupervisorInfo,
  type SupervisorOptions,
} from './supervisor.js';
