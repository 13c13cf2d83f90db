/** Programmatic API of MCP Factory. The CLI and (later) the HTTP API are thin layers over these. */
export * from './errors/index.js';
export * from './spec/index.js';
export { generateProject, type GeneratedProject, type GenerateOptions, collectEnv, BUNDLE_FILE } from './generator/index.js';
export { createServerProject, type CreateOptions, type CreateResult, type ProgressEvent } from './pipeline/create.js';
export { ExecutionLog } from './pipeline/execution-log.js';
export * from './security/index.js';
export { typecheck } from './validate/typecheck.js';
export { bundle } from './validate/bundle.js';
export { runGeneratedTests } from './validate/run-tests.js';
export { callTool, connectToProject, runAllCases } from './testing/call-tool.js';
export { runCli, EXIT } from './cli/main.js';
