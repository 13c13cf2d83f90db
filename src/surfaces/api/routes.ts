/** The endpoints of the HTTP API: thin handlers over the control plane and the registry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import type { AccessControl } from '../../identity/access.js';
import { listTemplates } from '../../sources/templates/index.js';
import type { Registry } from '../../store/index.js';
import { json } from '../http/errors.js';
import { type RouteDefinition, route } from '../http/router.js';
import type { ApiMetrics } from './metrics.js';
import {
  AuditListSchema,
  AuditQuery,
  CallBody,
  CreateBody,
  CreateOutcomeSchema,
  DeployBody,
  DeploymentSchema,
  DesiredSchema,
  HealthBody,
  LiveBody,
  LogLinesSchema,
  LogsQuery,
  MatchesSchema,
  NameParams,
  NaturalBody,
  ReadyBody,
  RemovedSchema,
  SearchQuery,
  ServerListSchema,
  StatsQuery,
  StatsSchema,
  StatusSchema,
  TemplateListSchema,
  ToolCallSchema,
} from './schemas.js';
import { specFromSource } from './spec-input.js';

export interface RouteDeps {
  controlPlane: ControlPlane;
  registry: Registry;
  access: AccessControl;
  metrics: ApiMetrics;
  version: string;
  startedAt: number;
  openapi: () => Record<string, unknown>;
}

const DEFAULT_TAIL = 100;
const KEEPALIVE_MS = 15_000;

const CreateQuery = z.object({
  force: z
    .enum(['1', '0', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional()
    .describe('Same as the body field force (for YAML bodies).'),
  tests: z
    .enum(['1', '0', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional()
    .describe('Same as the body field tests (for YAML bodies).'),
});

const ok = (body: unknown, status = 200) => json(status, body);

/** Log lines as server-sent events: `data: <line>` per line, `event: end` when the log ends. */
function eventStream(lines: AsyncIterable<string>, stop: AbortController): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  let keepalive: NodeJS.Timeout | undefined;
  const finish = () => {
    if (keepalive) clearInterval(keepalive);
    keepalive = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(': log stream\n\n'));
      keepalive = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': keepalive\n\n'));
        } catch {
          finish();
        }
      }, KEEPALIVE_MS);
      keepalive.unref?.();
    },
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) {
          finish();
          controller.enqueue(encoder.encode('event: end\ndata: \n\n'));
          controller.close();
          return;
        }
        const data = String(value)
          .split(/\r\n|\r|\n/)
          .map((l) => `data: ${l}`)
          .join('\n');
        controller.enqueue(encoder.encode(`${data}\n\n`));
      } catch (error) {
        finish();
        if (stop.signal.aborted) {
          controller.close();
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        const code = error instanceof FactoryError ? error.code : 'INTERNAL';
        controller.enqueue(
          encoder.encode(`event: error\ndata: ${JSON.stringify({ error: code, message })}\n\n`),
        );
        controller.close();
      }
    },
    async cancel() {
      finish();
      stop.abort();
      await iterator.return?.();
    },
  });
}

export function apiRoutes(deps: RouteDeps): RouteDefinition[] {
  const { controlPlane: cp, registry, access } = deps;
  return [
    route({
      method: 'GET',
      path: '/health',
      operationId: 'health',
      summary: 'Process health (no authentication)',
      tag: 'operations',
      public: true,
      responses: {
        200: { description: 'The API process is up.', content: { 'application/json': HealthBody } },
      },
      handler: async () =>
        ok({
          status: 'ok',
          version: deps.version,
          uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        }),
    }),
    route({
      method: 'GET',
      path: '/live',
      operationId: 'live',
      summary: 'Liveness probe (no authentication)',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Alive.', content: { 'application/json': LiveBody } } },
      handler: async () => ok({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness probe: the registry answers (no authentication)',
      tag: 'operations',
      public: true,
      errors: [503],
      responses: { 200: { description: 'Ready to serve.', content: { 'application/json': ReadyBody } } },
      handler: async () => {
        try {
          await registry.listAudit({ limit: 1 });
        } catch (error) {
          throw new FactoryError(
            'REGISTRY_UNAVAILABLE',
            `the registry does not answer: ${error instanceof Error ? error.message : String(error)}`,
            { details: { retryAfterSeconds: 5 } },
          );
        }
        const info = registry.info();
        return ok({ status: 'ready', registry: { backend: info.backend, search: info.search } });
      },
    }),
    route({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of the API',
      tag: 'operations',
      responses: {
        200: { description: 'Prometheus text exposition format.', content: { 'text/plain': null } },
      },
      handler: async () => {
        const { contentType, body } = await deps.metrics.render();
        return new Response(body, { headers: { 'content-type': contentType } });
      },
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document',
      tag: 'operations',
      responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': null } } },
      handler: async () => ok(deps.openapi()),
    }),

    route({
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
      responses: { 201: { description: 'Created.', content: { 'application/json': CreateOutcomeSchema } } },
      handler: async ({ body, query, principal, actor }) => {
        const envelope =
          'spec' in body && !('name' in body)
            ? (body as { spec: unknown; force?: boolean; tests?: boolean })
            : undefined;
        const raw = envelope ? envelope.spec : body;
        const spec = specFromSource(
          typeof raw === 'string' ? { specText: raw } : { spec: raw as Record<string, unknown> },
          { allowLocalFiles: false },
        );
        const force = envelope?.force ?? query.force ?? false;
        const tests = envelope?.tests ?? query.tests ?? true;
        const reservation = await access.reserveCreate(principal!, spec.name);
        try {
          const specDir = await mkdtemp(join(tmpdir(), 'mcpf-api-'));
          let outcome: Awaited<ReturnType<ControlPlane['create']>>;
          try {
            outcome = await cp.create({ spec, specDir, force, runTests: tests, actor });
          } finally {
            await rm(specDir, { recursive: true, force: true });
          }
          await reservation.commit();
          return ok(outcome, 201);
        } finally {
          reservation.release();
        }
      },
    }),
    route({
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
      responses: { 201: { description: 'Created.', content: { 'application/json': CreateOutcomeSchema } } },
      handler: async ({ body, principal, actor }) => {
        const { createFromPrompt } = await import('../../sources/nl/index.js');
        const specDir = await mkdtemp(join(tmpdir(), 'mcpf-api-nl-'));
        try {
          let release: (() => void) | undefined;
          const result = await createFromPrompt(body.description, {
            specDir,
            ...(body.name ? { name: body.name } : {}),
            build: async (spec, ctx) => {
              // The quota is reserved once the name is known; repairs of the same server reuse it.
              const reservation = release ? undefined : await access.reserveCreate(principal!, spec.name);
              if (reservation) release = () => reservation.release();
              const outcome = await cp.create({
                spec,
                specDir: ctx.specDir,
                runTests: true,
                actor,
                log: ctx.log,
                sandboxTests: true,
                testEnv: ctx.testEnv,
              } as Parameters<ControlPlane['create']>[0]);
              await reservation?.commit();
              return outcome;
            },
          }).finally(() => release?.());
          return ok({ ...result.result, envRefs: result.envRefs, warnings: result.warnings }, 201);
        } finally {
          await rm(specDir, { recursive: true, force: true });
        }
      },
    }),
    route({
      method: 'POST',
      path: '/mcp/deploy/:name',
      operationId: 'deployServer',
      summary: 'Deploy (or redeploy) the current revision of a server to a target',
      tag: 'servers',
      params: NameParams,
      body: { schema: DeployBody, required: true },
      errors: [404, 409, 422, 502, 503, 504],
      responses: {
        200: { description: 'The deployment.', content: { 'application/json': DeploymentSchema } },
      },
      handler: async ({ params, body, actor }) =>
        ok(
          await cp.deploy({
            name: params.name,
            target: body.target,
            ...(body.port !== undefined ? { port: body.port } : {}),
            ...(body.env !== undefined ? { env: body.env } : {}),
            actor,
          }),
        ),
    }),
    route({
      method: 'GET',
      path: '/mcp/servers',
      operationId: 'listServers',
      summary: 'List the servers (removed ones excluded)',
      tag: 'servers',
      responses: { 200: { description: 'The servers.', content: { 'application/json': ServerListSchema } } },
      handler: async () => ok({ servers: await cp.list() }),
    }),
    route({
      method: 'GET',
      path: '/mcp/servers/:name',
      operationId: 'getServer',
      summary: 'Status of a server: record, versions, deployments with health, tools',
      tag: 'servers',
      params: NameParams,
      errors: [404],
      responses: { 200: { description: 'The status.', content: { 'application/json': StatusSchema } } },
      handler: async ({ params }) => ok(await cp.status(params.name)),
    }),
    route({
      method: 'DELETE',
      path: '/mcp/servers/:name',
      operationId: 'removeServer',
      summary: 'Stop every deployment of a server and remove it (its versions stay in the registry)',
      tag: 'servers',
      params: NameParams,
      errors: [404, 409, 504],
      responses: { 200: { description: 'Removed.', content: { 'application/json': RemovedSchema } } },
      handler: async ({ params, actor }) => {
        await cp.remove(params.name, { actor });
        return ok({ name: params.name, removed: true });
      },
    }),
    route({
      method: 'POST',
      path: '/mcp/servers/:name/stop',
      operationId: 'stopServer',
      summary: 'Stop the deployments of a server',
      tag: 'servers',
      params: NameParams,
      errors: [404, 409, 504],
      responses: { 200: { description: 'Stopped.', content: { 'application/json': DesiredSchema } } },
      handler: async ({ params, actor }) => {
        await cp.stop(params.name, { actor });
        return ok({ name: params.name, desired: 'stopped' });
      },
    }),
    route({
      method: 'POST',
      path: '/mcp/servers/:name/start',
      operationId: 'startServer',
      summary: 'Start the stopped deployments of a server',
      tag: 'servers',
      params: NameParams,
      errors: [404, 409, 502, 504],
      responses: { 200: { description: 'Started.', content: { 'application/json': DesiredSchema } } },
      handler: async ({ params, actor }) => {
        await cp.start(params.name, { actor });
        return ok({ name: params.name, desired: 'running' });
      },
    }),
    route({
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
      responses: {
        200: {
          description: 'The lines, or an event stream.',
          content: { 'application/json': LogLinesSchema, 'text/event-stream': null },
        },
      },
      handler: async ({ params, query, request }) => {
        const tail = query.tail ?? DEFAULT_TAIL;
        if (!query.follow) {
          const lines: string[] = [];
          for await (const line of cp.logs(params.name, { tail, follow: false, signal: request.signal }))
            lines.push(line);
          return ok({ name: params.name, lines: lines.slice(-tail) });
        }
        await cp.status(params.name); // 404 before the stream starts
        const stop = new AbortController();
        const signal = AbortSignal.any([stop.signal, request.signal]);
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
    route({
      method: 'POST',
      path: '/mcp/servers/:name/call',
      operationId: 'callTool',
      summary: 'Call a tool of a deployed server (isError in the result when the tool failed)',
      tag: 'servers',
      params: NameParams,
      body: { schema: CallBody, required: true },
      errors: [404, 409, 502],
      responses: {
        200: { description: 'The tool result.', content: { 'application/json': ToolCallSchema } },
      },
      handler: async ({ params, body }) =>
        ok(await cp.callTool(params.name, body.tool, body.arguments ?? {})),
    }),
    route({
      method: 'GET',
      path: '/mcp/servers/:name/stats',
      operationId: 'serverStats',
      summary: 'Tool-call statistics of a server (calls, errors, latency percentiles)',
      tag: 'servers',
      params: NameParams,
      query: StatsQuery,
      errors: [404],
      responses: { 200: { description: 'Statistics.', content: { 'application/json': StatsSchema } } },
      handler: async ({ params, query }) => {
        await registry.getServer(params.name);
        const minutes = query.minutes ?? 60;
        return ok(
          await registry.toolStats(params.name, {
            since: Date.now() - minutes * 60_000,
            ...(query.tool ? { tool: query.tool } : {}),
          }),
        );
      },
    }),
    route({
      method: 'GET',
      path: '/mcp/tools',
      operationId: 'searchTools',
      summary: 'Search the tools of all servers (capability index)',
      tag: 'registry',
      query: SearchQuery,
      responses: {
        200: { description: 'Best matches first.', content: { 'application/json': MatchesSchema } },
      },
      handler: async ({ query }) =>
        ok({ matches: await registry.searchTools(query.q, { limit: query.limit ?? 20 }) }),
    }),
    route({
      method: 'GET',
      path: '/mcp/audit',
      operationId: 'listAudit',
      summary: 'The audit trail, newest first',
      tag: 'registry',
      query: AuditQuery,
      responses: { 200: { description: 'Audit entries.', content: { 'application/json': AuditListSchema } } },
      handler: async ({ query }) =>
        ok({
          entries: await registry.listAudit({
            ...(query.target !== undefined ? { target: query.target } : {}),
            ...(query.actor !== undefined ? { actor: query.actor } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
            ...(query.before !== undefined ? { beforeId: query.before } : {}),
            ...(query.limit !== undefined ? { limit: query.limit } : {}),
          }),
        }),
    }),
    route({
      method: 'GET',
      path: '/mcp/templates',
      operationId: 'listTemplates',
      summary: 'The server templates (for mcp-factory create --template)',
      tag: 'registry',
      responses: {
        200: { description: 'The templates.', content: { 'application/json': TemplateListSchema } },
      },
      handler: async () => ok({ templates: listTemplates() }),
    }),
  ];
}
