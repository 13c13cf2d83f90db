/**
 * The local target: supervised processes on this machine (target.ts), the supervisor that runs them
 * (supervisor.ts: reconciliation and adoption) and the control plane's link to it (link.ts). Home layout,
 * secret files and the MCP probe are shared platform code (src/platform), not part of this folder.
 */
export { type ChannelOp, type ChannelRequest, callChannel, ensureToken } from './channel.js';
export { DEFAULT_CONFIG, type SupervisorConfig, supervisorConfig } from './config.js';
export { SupervisorLink, type SupervisorLinkOptions, supervisorEntry } from './link.js';
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
export { LocalTarget } from './target.js';
