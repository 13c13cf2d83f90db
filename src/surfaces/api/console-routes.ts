/**
 * The HTTP projection of the operations the web console needs (surfaces/operations/console.ts): all deployments
 * at once, a revision's spec, a server's history, metrics series, environment variable names, and rollback.
 */
import { z } from 'zod';
import {
  listDeployments,
  revisionSpec,
  rollbackServer,
  serverEnv,
  serverHealth,
  serverHistory,
  serverMetrics,
  serverTools,
  templateSpec,
  validateSpec,
} from '../operations/index.js';
import { intQuery, NameParams, ServerName } from '../operations/schemas.js';
import { bind, type OperationRoute } from './operation-route.js';

const RevisionParams = z.object({ name: ServerName, revision: intQuery(1, 1_000_000) });
const HistoryQuery = z.object({ limit: intQuery(1, 1000).optional() });
const MetricsQuery = z.object({
  minutes: intQuery(1, 60 * 24 * 31).optional(),
  points: intQuery(1, 120).optional(),
});
const ValidateBody = z
  .object({
    spec: z.record(z.string(), z.unknown()).optional().describe('The spec as an object.'),
    specText: z
      .string()
      .max(1024 * 1024)
      .optional()
      .describe('The spec as YAML or JSON text.'),
  })
  .strict();
const TemplateParams = z.object({
  template: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a template name'),
});
const TemplateBody = z
  .object({
    name: ServerName,
    set: z.record(z.string().max(64), z.string().max(10_000)).optional(),
  })
  .strict();
const RollbackBody = z.object({ revision: z.number().int().min(1).max(1_000_000) }).strict();

export const CONSOLE_ROUTES: readonly OperationRoute[] = [
  bind({
    operation: validateSpec,
    method: 'POST',
    path: '/mcp/validate',
    operationId: 'validateSpec',
    summary:
      'Check a spec (object or YAML/JSON text) without creating anything: issues with path, line, column',
    tag: 'specs',
    body: { schema: ValidateBody, required: true },
    status: 200,
    response: 'The validation result (ok, issues).',
    input: ({ body }) => body,
  }),
  bind({
    operation: templateSpec,
    method: 'POST',
    path: '/mcp/templates/:template/spec',
    operationId: 'templateSpec',
    summary: "A template's spec for a server name and variable values, as YAML text (nothing is created)",
    tag: 'registry',
    params: TemplateParams,
    body: { schema: TemplateBody, required: true },
    errors: [404],
    status: 200,
    response: 'The spec text.',
    input: ({ params, body }) => ({ template: params.template, name: body.name, set: body.set }),
  }),
  bind({
    operation: serverTools,
    method: 'GET',
    path: '/mcp/servers/:name/tools',
    operationId: 'serverTools',
    summary: 'Tools of a server with their input and output JSON Schemas (for call forms)',
    tag: 'servers',
    params: NameParams,
    errors: [404],
    status: 200,
    response: 'The tools.',
    input: ({ params }) => params,
  }),
  bind({
    operation: listDeployments,
    method: 'GET',
    path: '/mcp/servers/:name/deployments',
    operationId: 'serverDeployments',
    summary: 'Every deployment of a server (stopped and failed too), newest change first',
    tag: 'servers',
    params: NameParams,
    errors: [404],
    status: 200,
    response: 'The deployments.',
    input: ({ params }) => params,
  }),
  bind({
    operation: listDeployments,
    method: 'GET',
    path: '/mcp/deployments',
    operationId: 'listDeployments',
    summary: 'Every deployment of the servers the caller may see (one request for the servers list)',
    tag: 'servers',
    status: 200,
    response: 'The deployments.',
    input: () => ({}),
  }),
  bind({
    operation: revisionSpec,
    method: 'GET',
    path: '/mcp/servers/:name/revisions/:revision/spec',
    operationId: 'getRevisionSpec',
    summary: 'The spec of one revision of a server as YAML text (for diffs)',
    tag: 'servers',
    params: RevisionParams,
    errors: [404],
    status: 200,
    response: 'The revision and its spec.',
    input: ({ params }) => params,
  }),
  bind({
    operation: serverHistory,
    method: 'GET',
    path: '/mcp/servers/:name/history',
    operationId: 'serverHistory',
    summary: 'Changes of a server, newest first: revisions, status, rollbacks, deployments',
    tag: 'servers',
    params: NameParams,
    query: HistoryQuery,
    errors: [404],
    status: 200,
    response: 'The history.',
    input: ({ params, query }) => ({ name: params.name, limit: query.limit }),
  }),
  bind({
    operation: serverMetrics,
    method: 'GET',
    path: '/mcp/servers/:name/metrics',
    operationId: 'serverMetrics',
    summary: 'Calls, errors and latency percentiles of a server per interval (chart series)',
    tag: 'servers',
    params: NameParams,
    query: MetricsQuery,
    errors: [404],
    status: 200,
    response: 'The series.',
    input: ({ params, query }) => ({ name: params.name, minutes: query.minutes, points: query.points }),
  }),
  bind({
    operation: serverHealth,
    method: 'GET',
    path: '/mcp/servers/:name/health',
    operationId: 'serverHealth',
    summary: "Health of a server's deployments: the current checks and the stored history of the window",
    tag: 'servers',
    params: NameParams,
    query: MetricsQuery.pick({ minutes: true }),
    errors: [404],
    status: 200,
    response: 'The current checks and the history.',
    input: ({ params, query }) => ({ name: params.name, minutes: query.minutes }),
  }),
  bind({
    operation: serverEnv,
    method: 'GET',
    path: '/mcp/servers/:name/env',
    operationId: 'serverEnv',
    summary: 'Names of the environment variables of a server (never values)',
    tag: 'servers',
    params: NameParams,
    errors: [404],
    status: 200,
    response: 'The variable names.',
    input: ({ params }) => params,
  }),
  bind({
    operation: rollbackServer,
    method: 'POST',
    path: '/mcp/servers/:name/rollback',
    operationId: 'rollbackServer',
    summary: 'Make a revision current again and redeploy it where the server runs',
    tag: 'servers',
    params: NameParams,
    body: { schema: RollbackBody, required: true },
    errors: [404, 409, 422, 502, 504],
    status: 200,
    response: 'The rollback and the redeployed deployments.',
    input: ({ params, body }) => ({ name: params.name, revision: body.revision }),
  }),
];
