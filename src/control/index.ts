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
export { DockerDeploymentTarget } from './docker-target.js';
export { SupervisorLink, supervisorEntry } from './supervisor-link.js';
export {
  type DeploymentTarget,
  LocalTarget,
  type TargetContext,
} from './targets.js';
export type * from './types.js';
