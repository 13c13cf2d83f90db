/** The control plane: create, deploy and operate registered MCP servers (see types.ts for the contract). */
export { hashArtifacts } from './artifacts.js';
export {
  type ControlPlaneOptions,
  createControlPlane,
  LOCAL_SECRET_SOURCE,
  LocalControlPlane,
  type LocalCreateRequest,
  type ToolSummary,
} from './control-plane.js';
export { HealthTracker, probeDeployments, sampleReport } from './health.js';
export type {
  DeploymentHealth,
  DeploymentTarget,
  TargetContext,
  TargetFactory,
  TargetFactoryContext,
  TargetOptions,
} from './target.js';
export { DockerDeploymentTarget } from './targets/docker/target.js';
export { createTargets, TARGETS } from './targets/index.js';
export { SupervisorLink, supervisorEntry } from './targets/local/link.js';
export { LocalTarget } from './targets/local/target.js';
export { DEFAULT_TARGET, TARGET_NAMES } from './targets/names.js';
export type * from './types.js';
