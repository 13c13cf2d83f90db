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
export {
  type DeploymentTarget,
  LocalTarget,
  type TargetContext,
} from './target.js';
export { DockerDeploymentTarget } from './targets/docker/target.js';
export { SupervisorLink, supervisorEntry } from './targets/local/link.js';
export type * from './types.js';
