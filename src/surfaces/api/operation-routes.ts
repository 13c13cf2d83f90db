/**
 * The HTTP projection of the management operations: for each exposed operation, its method and path, how path
 * parameters, query and body map to the operation's input, and the success status. The handler is always the
 * operation's own (surfaces/operations); only the log stream (follow=1) answers differently, over HTTP only.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import type { AccessControl } from '../../identity/access.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import { GATEWAY_PROXY_ROUTES } from '../console/gateway-proxy-routes.js';
import { json } from '../http/errors.js';
import type { RouteContext, RouteDefinition } from '../http/router.js';
import {
  analyzeData,
  callTool,
  createServer,
  createServerFromDescription,
  DEFAULT_LOG_TAIL,
  deployServer,
  listAudit,
  listServers,
  listTemplates,
  type OperationContext,
  removeServer,
  searchTools,
  serverLogs,
  serverStats,
  serverStatus,
  startServer,
  stopServer,
  toolsmithArchive,
  toolsmithReview,
  toolsmithRollback,
  toolsmithRun,
  toolsmithRuns,
  triggerRuns,
} from '../operations/index.js';
import { authorizeOperation } from '../operations/operation.js';
import {
  AuditQuery,
  booleanQuery,
  CallBody,
  CreateBody,
  CreateQuery,
  DeployBody,
  intQuery,
  LogsQuery,
  NameParams,
  NaturalBody,
  SearchQuery,
  StatsQuery,
  TriggerRunsQuery,
} from '../operations/schemas.js';
import { CONSOLE_ROUTES } from './console-routes.js';
import { CONSOLE_SOURCE_ROUTES } from './console-source-routes.js';
import { eventStream } from './event-stream.js';
import { JOB_ROUTES, queuedResponse, respondAsync, wantsAsync } from './job-routes.js';
import { bind, type OperationRoute, type ParsedRequest } from './operation-route.js';

export type { OperationRoute, ParsedRequest } from './operation-route.js';

const RunParams = z.object({
  run: z.string().regex(/^run_[0-9a-f]{16}$/, 'a run id such as run_0123456789abcdef'),
});
const AnalyzeBody = z.object({
  query: z.string().min(3).max(4000).describe('The question, in plain language.'),
  file_path: z.string().min(1).max(4096).describe('The data file, inside the toolsmith policy dataRoots.'),
  wait_seconds: z
    .number()
    .int()
    .min(0)
    .max(600)
    .default(0)
    .describe('Wait this long for the answer (default: answer at once).'),
});
const RunsQuery = z.object({
  pending: booleanQuery.optional().describe('Only runs waiting for a review.'),
  tool_state: z.enum(['DRAFT', 'STAGED', 'APPROVED', 'PROMOTED', 'REJECTED', 'ARCHIVED']).optional(),
  limit: intQuery(1, 500).optional(),
});
const ReviewBody = z.object({
  decision: z.enum(['approve', 'reject', 'revise']),
  stage: z.union([z.literal(1), z.literal(2)]).optional(),
  note: z.string().max(4000).optional(),
});
const NoteBody = z.object({ note: z.string().max(4000).optional() });
const ToolParams = z.object({ tool: z.string().regex(/^[a-z][a-z0-9_]{2,63}$/, 'a toolsmith tool name') });
const RollbackBody = z.object({ version: z.number().int().min(1), note: z.string().max(4000).optional() });

/** The toolsmith's routes (seed 004: POST /mcp/analyze, GET /mcp/analyze/:run), then its reviews. */
const TOOLSMITH_ROUTES: readonly OperationRoute[] = [
  bind({
    operation: analyzeData,
    method: 'POST',
    path: '/mcp/analyze',
    operationId: 'analyzeData',
    summary:
      'Ask a question about a dataset: the toolsmith writes, validates and runs a tool that answers it',
    description:
      'Starts a run and answers with it at once (or after wait_seconds): poll GET /mcp/analyze/{run} for the result. ' +
      'The dataset must be inside the toolsmith policy dataRoots. Needs an LLM provider (501 LLM_NOT_CONFIGURED).',
    tag: 'toolsmith',
    body: { schema: AnalyzeBody, required: true },
    errors: [400, 403, 501],
    status: 202,
    response: 'The run.',
    input: ({ body }) => body,
  }),
  bind({
    operation: toolsmithRuns,
    method: 'GET',
    path: '/mcp/analyze',
    operationId: 'listRuns',
    summary: 'List toolsmith runs (pending=1: those waiting for a review)',
    tag: 'toolsmith',
    query: RunsQuery,
    status: 200,
    response: 'The runs.',
    input: ({ query }) => ({
      pending: query.pending ?? false,
      ...(query.tool_state ? { tool_state: query.tool_state } : {}),
      limit: query.limit ?? 50,
    }),
  }),
  bind({
    operation: toolsmithRun,
    method: 'GET',
    path: '/mcp/analyze/:run',
    operationId: 'getRun',
    summary: 'A toolsmith run: status, plan, code, validation report, result and chart, decisions, trail',
    tag: 'toolsmith',
    params: RunParams,
    errors: [404],
    status: 200,
    response: 'The run.',
    input: ({ params }) => params,
  }),
  bind({
    operation: toolsmithReview,
    method: 'POST',
    path: '/mcp/analyze/:run/review',
    operationId: 'reviewRun',
    summary: 'Approve, reject or send back a run waiting for review (stage 1: output; stage 2: promotion)',
    tag: 'toolsmith',
    params: RunParams,
    body: { schema: ReviewBody, required: true },
    errors: [403, 404, 409],
    status: 200,
    response: 'The run after the decision.',
    input: ({ params, body }) => ({ ...params, ...body }),
  }),
  bind({
    operation: toolsmithArchive,
    method: 'POST',
    path: '/mcp/analyze/:run/archive',
    operationId: 'archiveRun',
    summary: 'Take a promoted tool out of the toolsmith server',
    tag: 'toolsmith',
    params: RunParams,
    body: { schema: NoteBody, required: false },
    errors: [404, 409],
    status: 200,
    response: 'The run, archived.',
    input: ({ params, body }) => ({ ...params, ...(body ?? {}) }),
  }),
  bind({
    operation: toolsmithRollback,
    method: 'POST',
    path: '/mcp/toolsmith/tools/:tool/rollback',
    operationId: 'rollbackTool',
    summary: 'Serve an earlier version of a toolsmith tool again',
    tag: 'toolsmith',
    params: ToolParams,
    body: { schema: RollbackBody, required: true },
    errors: [404, 409],
    status: 200,
    response: 'The run of the version now served.',
    input: ({ params, body }) => ({ ...params, ...body }),
  }),
];

/** Exposed operations in the order of the OpenAPI document. */
export const OPERATION_ROUTES: readonly OperationRoute[] = [
  bind({
    operation: createServer,
    method: 'POST',
    path: '/mcp/create',
    operationId: 'createServer',
    summary: 'Create a server from a spec (generate, type-check, scan, bundle, test, register)',
    description:
      'The body is a spec object, `{ spec, force?, tests? }` (spec as an object or YAML/JSON text), or the spec ' +
      'as YAML with Content-Type application/yaml. A new server counts against the token’s server limit; a ' +
      'new revision (force) of an existing server does not. Specs over the API may not name SQLite files of the ' +
      'factory host (use envVar).',
    tag: 'servers',
    query: CreateQuery,
    body: { schema: CreateBody, required: true, yaml: true },
    errors: [403, 409, 422, 503],
    status: 201,
    response: 'Created.',
    input: ({ body, query }) => {
      const envelope =
        'spec' in body && !('name' in body)
          ? (body as { spec: unknown; force?: boolean; tests?: boolean })
          : undefined;
      const raw = envelope ? envelope.spec : body;
      return {
        ...(typeof raw === 'string' ? { specText: raw } : { spec: raw as Record<string, unknown> }),
        force: envelope?.force ?? query.force ?? false,
        runTests: envelope?.tests ?? query.tests ?? true,
      };
    },
  }),
  bind({
    operation: createServerFromDescription,
    method: 'POST',
    path: '/mcp/create/natural',
    operationId: 'createServerFromDescription',
    summary: 'Create a server from a natural-language description (needs an LLM provider)',
    description:
      'An LLM drafts the spec (validated and repaired like any spec), then the server is generated, checked, ' +
      'tested and registered exactly as with /mcp/create. Answers 501 LLM_NOT_CONFIGURED when no provider is ' +
      'configured for the API process (see docs/llm.md). Environment variables the description could not supply ' +
      'are listed in `envRefs`; nothing is invented.',
    tag: 'servers',
    body: { schema: NaturalBody, required: true },
    errors: [400, 403, 409, 422, 501, 502, 503, 504],
    status: 201,
    response: 'Created.',
    input: ({ body }) => body,
  }),
  bind({
    operation: deployServer,
    method: 'POST',
    path: '/mcp/deploy/:name',
    operationId: 'deployServer',
    summary: 'Deploy (or redeploy) the current revision of a server to a target',
    tag: 'servers',
    params: NameParams,
    body: { schema: DeployBody, required: true },
    errors: [404, 409, 422, 502, 503, 504],
    status: 200,
    response: 'The deployment.',
    input: ({ params, body }) => ({ name: params.name, ...body }),
  }),
  bind({
    operation: listServers,
    method: 'GET',
    path: '/mcp/servers',
    operationId: 'listServers',
    summary: 'List the servers (removed ones excluded); summary=1 adds health and call figures per server',
    tag: 'servers',
    query: z.object({ summary: booleanQuery.optional() }),
    status: 200,
    response: 'The servers.',
    input: ({ query }) => (query.summary ? { summary: true } : {}),
  }),
  bind({
    operation: serverStatus,
    method: 'GET',
    path: '/mcp/servers/:name',
    operationId: 'getServer',
    summary: 'Status of a server: record, versions, deployments with health, tools',
    tag: 'servers',
    params: NameParams,
    errors: [404],
    status: 200,
    response: 'The status.',
    input: ({ params }) => params,
  }),
  bind({
    operation: removeServer,
    method: 'DELETE',
    path: '/mcp/servers/:name',
    operationId: 'removeServer',
    summary: 'Stop every deployment of a server and remove it (its versions stay in the registry)',
    tag: 'servers',
    params: NameParams,
    errors: [404, 409, 504],
    status: 200,
    response: 'Removed.',
    input: ({ params }) => params,
  }),
  bind({
    operation: stopServer,
    method: 'POST',
    path: '/mcp/servers/:name/stop',
    operationId: 'stopServer',
    summary: 'Stop the deployments of a server',
    tag: 'servers',
    params: NameParams,
    errors: [404, 409, 504],
    status: 200,
    response: 'Stopped.',
    input: ({ params }) => params,
  }),
  bind({
    operation: startServer,
    method: 'POST',
    path: '/mcp/servers/:name/start',
    operationId: 'startServer',
    summary: 'Start the stopped deployments of a server',
    tag: 'servers',
    params: NameParams,
    errors: [404, 409, 502, 504],
    status: 200,
    response: 'Started.',
    input: ({ params }) => params,
  }),
  bind({
    operation: serverLogs,
    method: 'GET',
    path: '/mcp/servers/:name/logs',
    operationId: 'serverLogs',
    summary: 'Log lines of a server (JSON), or a live stream of them (follow=1: text/event-stream)',
    description:
      'With follow=1 the response is text/event-stream: one `data:` event per line (the last `tail` lines ' +
      'first), comment keepalives every 15 s, and `event: end` when the log ends.',
    tag: 'servers',
    params: NameParams,
    query: LogsQuery,
    errors: [404, 409],
    status: 200,
    response: 'The lines, or an event stream.',
    alsoContent: { 'text/event-stream': null },
    input: ({ params, query }) => ({ name: params.name, tail: query.tail }),
    respond: async ({ params, query, request }, context) => {
      if (!query.follow) return undefined;
      const cp = context.controlPlane;
      await cp.status(params.name); // 404 before the stream starts
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, request.signal]);
      const tail = query.tail ?? DEFAULT_LOG_TAIL;
      const stream = eventStream(cp.logs(params.name, { tail, follow: true, signal }), stop);
      return new Response(stream, {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        },
      });
    },
  }),
  bind({
    operation: callTool,
    method: 'POST',
    path: '/mcp/servers/:name/call',
    operationId: 'callTool',
    summary: 'Call a tool of a deployed server (isError in the result when the tool failed)',
    tag: 'servers',
    params: NameParams,
    body: { schema: CallBody, required: true },
    errors: [404, 409, 502],
    status: 200,
    response: 'The tool result.',
    input: ({ params, body }) => ({ server: params.name, tool: body.tool, arguments: body.arguments }),
  }),
  bind({
    operation: serverStats,
    method: 'GET',
    path: '/mcp/servers/:name/stats',
    operationId: 'serverStats',
    summary: 'Tool-call statistics of a server (calls, errors, latency percentiles)',
    tag: 'servers',
    params: NameParams,
    query: StatsQuery,
    errors: [404],
    status: 200,
    response: 'Statistics.',
    input: ({ params, query }) => ({ name: params.name, ...query }),
  }),
  bind({
    operation: triggerRuns,
    method: 'GET',
    path: '/mcp/servers/:name/triggers',
    operationId: 'triggerRuns',
    summary: "Runs of a server's triggers, newest first (one entry per attempt)",
    tag: 'servers',
    params: NameParams,
    query: TriggerRunsQuery,
    errors: [404],
    status: 200,
    response: 'Trigger runs.',
    input: ({ params, query }) => ({ name: params.name, ...query }),
  }),
  bind({
    operation: searchTools,
    method: 'GET',
    path: '/mcp/tools',
    operationId: 'searchTools',
    summary: 'Search the tools of all servers (capability index)',
    tag: 'registry',
    query: SearchQuery,
    status: 200,
    response: 'Best matches first.',
    input: ({ query }) => ({ query: query.q, limit: query.limit }),
  }),
  bind({
    operation: listAudit,
    method: 'GET',
    path: '/mcp/audit',
    operationId: 'listAudit',
    summary: 'The audit trail, newest first',
    tag: 'registry',
    query: AuditQuery,
    status: 200,
    response: 'Audit entries.',
    input: ({ query }) => query,
  }),
  bind({
    operation: listTemplates,
    method: 'GET',
    path: '/mcp/templates',
    operationId: 'listTemplates',
    summary: 'The server templates (for mcp-factory create --template)',
    tag: 'registry',
    status: 200,
    response: 'The templates.',
    input: () => ({}),
  }),
  ...TOOLSMITH_ROUTES,
  ...JOB_ROUTES,
  ...CONSOLE_ROUTES,
  ...CONSOLE_SOURCE_ROUTES,
  ...GATEWAY_PROXY_ROUTES,
];

export interface OperationRouteDeps {
  controlPlane: ControlPlane;
  registry: Registry;
  access: AccessControl;
  toolsmith?: Toolsmith | undefined;
  /** The worker pool of this process (absent: long operations always answer synchronously). */
  jobs?: { wake(): void } | undefined;
}

/** What an operation run over HTTP sees: the token holder, no files of this host, the token's quota. */
function requestContext(
  deps: OperationRouteDeps,
  ctx: RouteContext<unknown, unknown, unknown>,
): OperationContext {
  const principal = ctx.principal;
  if (!principal)
    throw new FactoryError('API_UNAUTHORIZED', 'missing bearer token', { details: { reason: 'missing' } });
  return {
    controlPlane: deps.controlPlane,
    registry: deps.registry,
    subject: { kind: 'token', principal },
    policy: deps.access.policy,
    actor: ctx.actor,
    allowLocalFiles: false,
    reserveCreate: (server) => deps.access.reserveCreate(principal, server),
    toolsmith: deps.toolsmith,
    signal: ctx.request.signal,
    credential: ctx.credential,
  };
}

/**
 * The route of an exposed operation. It carries the operation's permission, which the API core (app.ts) asks
 * the policy about for every authenticated route before it parses the request, so the handler runs as is.
 */
export function operationRoute(binding: OperationRoute, deps: OperationRouteDeps): RouteDefinition {
  const { operation } = binding;
  return {
    method: binding.method,
    path: binding.path,
    operationId: binding.operationId,
    summary: binding.summary,
    ...(binding.description ? { description: binding.description } : {}),
    tag: binding.tag,
    permission: operation.permission,
    ...(binding.params ? { params: binding.params } : {}),
    ...(binding.query ? { query: binding.query } : {}),
    ...(binding.body ? { body: binding.body } : {}),
    ...(binding.errors ? { errors: binding.errors } : {}),
    responses: {
      [binding.status]: {
        description: binding.response,
        content: { 'application/json': operation.output, ...binding.alsoContent },
      },
      ...queuedResponse(operation, binding.status),
    },
    handler: async (ctx) => {
      const context = requestContext(deps, ctx);
      const request = {
        params: ctx.params,
        query: ctx.query,
        body: ctx.body,
        request: ctx.request,
      } as ParsedRequest<unknown, unknown, unknown>;
      const input = binding.input(request);
      await authorizeOperation(operation, context, input);
      const answered =
        (await binding.respond?.(request, context)) ??
        (wantsAsync(ctx.request)
          ? await respondAsync(operation, context, input, ctx.request, deps.jobs && (() => deps.jobs?.wake()))
          : undefined);
      if (answered) return answered;
      return json(binding.status, await operation.handler(context, input));
    },
  };
}
