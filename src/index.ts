/** Programmatic API of MCP Factory. The CLI and (later) the HTTP API are thin layers over these. */

export {
  type CreateOptions,
  type CreateResult,
  createServerProject,
  type ProgressEvent,
} from './build/create.js';
export {
  BUNDLE_FILE,
  collectEnv,
  type GeneratedProject,
  type GenerateOptions,
  generateProject,
} from './build/generator/index.js';
export * from './build/security/index.js';
export { bundle } from './build/verify/bundle.js';
export { connectToProject, runAllCases } from './build/verify/cases.js';
export { runGeneratedTests } from './build/verify/run-tests.js';
export { typecheck } from './build/verify/typecheck.js';
export * from './core/errors/index.js';
export * from './core/spec/index.js';
export {
  DockerEngine,
  /** @deprecated Renamed DockerEngine (the Docker Engine client); the deployment target is DockerDeploymentTarget. */
  DockerEngine as DockerTarget,
} from './deploy/targets/docker/engine.js';
export { ExecutionLog } from './platform/execution-log.js';
export { callTool } from './platform/mcp-client/call-tool.js';
export { importDatabase, introspect, schemaToSpec } from './sources/database/index.js';
export {
  createFromPrompt,
  draftFromPrompt,
  nlFailureContext,
  type ResearchProvider,
  specFromPrompt,
  TavilyResearch,
} from './sources/nl/index.js';
export { importOpenApi, operationsToSpec } from './sources/openapi/index.js';
export { instantiateTemplate, listTemplates, TEMPLATES } from './sources/templates/index.js';
export { defaultHome, openRegistry } from './store/index.js';
export { EXIT, runCli } from './surfaces/cli/main.js';
