/** The supervisor of local deployments (see supervisor.ts for reconciliation and adoption). */

export { type HomeLayout, homeLayout } from '../../../platform/home.js';
export { authHeaders, connectMcp, HealthTracker, probeMcp } from '../../../platform/mcp-client/health.js';
export { readEnvFile, writeEnvFile } from '../../../platform/secrets.js';
export { type ChannelOp, type ChannelRequest, callChannel, ensureToken } from './channel.js';
export { DEFAULT_CONFIG, type SupervisorConfig, supervisorConfig } from './config.js';
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
export {
  type DeploymentRuntime,
  SUPERVISOR_ACTOR,
  Supervisor,
  type SupervisorInfo,
  type SupervisorOptions,
} from './supervisor.js';
