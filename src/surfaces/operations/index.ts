/**
 * The management operations of the factory, defined once: the HTTP API (surfaces/api) and the factory's MCP
 * server (surfaces/mcp) are projections of this table, so what they can do, check and answer cannot drift.
 */

import { GATEWAY_PROXY_OPERATIONS } from '../console/gateway-proxy-operations.js';
import { listAudit, listTemplates, searchTools } from './catalog.js';
import { CONSOLE_OPERATIONS } from './console.js';
import { CONSOLE_SOURCE_OPERATIONS } from './console-sources.js';
import { JOB_OPERATIONS } from './jobs.js';
import type { Operation } from './operation.js';
import {
  callTool,
  deployServer,
  listServers,
  removeServer,
  serverLogs,
  serverStats,
  serverStatus,
  startServer,
  stopServer,
} from './servers.js';
import { createServer, createServerFromDescription, validateSpec } from './specs.js';
import { TOOLSMITH_OPERATIONS } from './toolsmith.js';
import { triggerRuns } from './triggers.js';

export { listAudit, listTemplates, searchTools } from './catalog.js';
export {
  CONSOLE_OPERATIONS,
  listDeployments,
  revisionSpec,
  rollbackServer,
  serverEnv,
  serverHealth,
  serverHistory,
  serverMetrics,
} from './console.js';
export { serverTools, templateSpec } from './console-create.js';
export {
  CONSOLE_SOURCE_OPERATIONS,
  factoryCapabilities,
  importDatabaseSchema,
  importOpenApiDocument,
  MAX_OPENAPI_DOCUMENT,
} from './console-sources.js';
export {
  ASYNC_OPERATIONS,
  canAccessJob,
  cancelJob,
  getJob,
  isAsyncOperation,
  JOB_OPERATIONS,
  type JobRunContext,
  JobSchema,
  type JobView,
  jobKindOf,
  jobOwnerOf,
  jobView,
  listJobs,
  operationJobHandlers,
  type SubmitOptions,
  submitJob,
  submitJobOperation,
  visibleJob,
} from './jobs.js';
export {
  defineOperation,
  invoke,
  type Operation,
  type OperationAnnotations,
  type OperationContext,
} from './operation.js';
export {
  callTool,
  DEFAULT_LOG_TAIL,
  deployServer,
  listServers,
  removeServer,
  serverLogs,
  serverStats,
  serverStatus,
  startServer,
  stopServer,
} from './servers.js';
export { checkSpecSource, type SpecCheck, type SpecSource, specFromSource } from './spec-input.js';
export { createServer, createServerFromDescription, validateSpec } from './specs.js';
export {
  analyzeData,
  RunSchema,
  TOOLSMITH_OPERATIONS,
  toolsmithArchive,
  toolsmithReview,
  toolsmithRollback,
  toolsmithRun,
  toolsmithRuns,
} from './toolsmith.js';
export { triggerRuns } from './triggers.js';

/** Every operation, by stable name. */
export const OPERATIONS: readonly Operation[] = [
  validateSpec,
  createServer,
  createServerFromDescription,
  deployServer,
  listServers,
  serverStatus,
  removeServer,
  stopServer,
  startServer,
  serverLogs,
  callTool,
  serverStats,
  triggerRuns,
  searchTools,
  listAudit,
  listTemplates,
  ...TOOLSMITH_OPERATIONS,
  ...JOB_OPERATIONS,
  ...CONSOLE_OPERATIONS,
  ...CONSOLE_SOURCE_OPERATIONS,
  ...GATEWAY_PROXY_OPERATIONS,
];
