/** Programmatic API of MCP Factory. The CLI and (later) the HTTP API are thin layers over these. */

export { EXIT, runCli } from './cli/main.js';
export * from './errors/index.js';
export {
  BUNDLE_FILE,
  collectEnv,
  type GeneratedProject,
  type GenerateOptions,
  generateProject,
} from './generator/index.js';
export { importDatabase, introspect, schemaToSpec } from './importers/database/index.js';
export { importOpenApi, operationsToSpec } from './importers/openapi/index.js';
export {
  createFromPrompt,
  draftFromPrompt,
  nlFailureContext,
  type ResearchProvider,
  specFromPrompt,
  TavilyResearch,
} from './nl/index.js';
export {
  type CreateOptions,
  type CreateResult,
  createServerProject,
  type ProgressEvent,
} from './pipeline/create.js';
export { ExecutionLog } from './pipeline/execution-log.js';
export { defaultHome, openRegistry } from './registry/index.js';
export * from './security/index.js';
export * from './spec/index.js';
export { DockerTarget } from './targets/docker.js';
export { instantiateTemplate, listTemplates, TEMPLATES } from './templates/index.js';
export { callTool, connectToProject, runAllCases } from './testing/call-tool.js';
export { bundle } from './validate/bundle.js';
export { runGeneratedTests } from './validate/run-tests.js';
export { typecheck } from './validate/typecheck.js';
