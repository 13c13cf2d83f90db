/**
 * The gateway as an MCP server: the catalog's tools under their public names, or — above the configured size
 * (`metaTools: auto`) or always — three meta-tools instead: `search_tools`, `describe_tool` and `call_tool`,
 * so a model's context holds three definitions rather than thousands. Catalog names stay callable directly in
 * meta mode (a client that learned one from search may call it). Failures are `isError` results carrying the
 * stable error code and hint. One low-level SDK Server per request/connection; the gateway behind is shared.
 *
 * Cancellation: a tools/call handler passes its request signal on to the upstream call. Over stateless HTTP a
 * 2025-11-25 client cancels with a notifications/cancelled POST that reaches a fresh server instance, not the
 * one running the call; `CallCancels` (shared by the HTTP surface, scoped per caller) routes it to that call.
 */
import {
  type CallToolRequest,
  type CallToolResult,
  type ListPromptsResult,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ListToolsResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from '@modelcontextprotocol/server';
import { context, trace } from '@opentelemetry/api';
import { ERROR_CODES, FactoryError } from '../../core/errors/index.js';
import type { Gateway, GatewayCaller, ToolView } from '../../gateway/gateway.js';
import { contextFromMeta } from '../../gateway/tracing.js';
import { factoryVersion } from '../../platform/factory-files.js';

export const META_TOOLS: ListToolsResult['tools'] = [
  {
    name: 'search_tools',
    title: 'Search tools',
    description:
      'Find tools across every server behind this gateway by what they do. Returns the best matches (name, description, score); call one with call_tool, or read its parameters with describe_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What the tool should do, in words.', maxLength: 2000 },
        limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Matches to return (default 10).' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'describe_tool',
    title: 'Describe a tool',
    description: 'The full definition of one tool: description and input schema (its parameters).',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 200 } },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'call_tool',
    title: 'Call a tool',
    description: 'Call a tool found with search_tools by its name, with arguments matching its input schema.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 200 },
        arguments: { type: 'object', description: 'Arguments for the tool (default {}).' },
      },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { openWorldHint: true },
  },
];

export function gatewayErrorResult(error: unknown): CallToolResult {
  const known = error instanceof FactoryError;
  const code = known ? error.code : 'INTERNAL';
  const message = known ? error.message : 'internal error';
  const hint = ERROR_CODES[code].hint;
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}\nhint: ${hint}` }],
    structuredContent: { error: code, message, hint },
  };
}

const publicView = ({ upstream: _u, ...tool }: ToolView) => tool;

function textResult(value: unknown): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value as Record<string, unknown>,
  };
}

const str = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max ? v : undefined);

/**
 * In-flight tools/call handlers by caller scope and JSON-RPC id, so a notifications/cancelled arriving on another
 * exchange aborts the call it names. Ids are only unique per client connection, and stateless HTTP has none: an
 * id held by two calls of the same scope at once is ambiguous, and then nothing is cancelled.
 */
export class CallCancels {
  readonly #calls = new Map<string, Set<AbortController>>();

  /**
   * Track one call; `done()` when it ends. Its signal also aborts with `parent` (the request's own signal):
   * one signal for both, without AbortSignal.any (about 20 µs a call).
   */
  track(scope: string, id: unknown, parent?: AbortSignal): { signal: AbortSignal; done(): void } {
    const key = `${scope}\u0000${String(id)}`;
    const controller = new AbortController();
    const set = this.#calls.get(key) ?? new Set<AbortController>();
    this.#calls.set(key, set);
    set.add(controller);
    const onAbort = () => controller.abort(parent?.reason);
    if (parent?.aborted) onAbort();
    else parent?.addEventListener('abort', onAbort, { once: true });
    return {
      signal: controller.signal,
      done: () => {
        parent?.removeEventListener('abort', onAbort);
        set.delete(controller);
        if (!set.size && this.#calls.get(key) === set) this.#calls.delete(key);
      },
    };
  }

  cancel(scope: string, id: unknown, reason?: unknown): void {
    const set = this.#calls.get(`${scope}\u0000${String(id)}`);
    if (set?.size === 1) for (const c of set) c.abort(reason ?? new Error('cancelled by the client'));
  }

  get size(): number {
    return this.#calls.size;
  }
}

/** A fresh SDK server over the shared gateway, for one caller. */
export function createGatewayMcpServer(
  gateway: Gateway,
  caller: GatewayCaller | undefined,
  cancels?: { registry: CallCancels; scope: string } | undefined,
): Server {
  const server = new Server(
    { name: 'mcp-factory-gateway', title: 'MCP Factory gateway', version: factoryVersion() },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true },
      },
      instructions:
        'Tools of every server behind this gateway. With many tools, use search_tools to find one, describe_tool to read its parameters and call_tool to run it.',
    },
  );
  // Prompts and resources pass through to the upstream that offers them (content.ts); unknown ones, or ones of
  // upstreams the caller may not see, are "not found" (invalid params), as a server without them would answer.
  const missing = (error: unknown): never => {
    if (error instanceof FactoryError && error.code === 'GATEWAY_TOOL_NOT_FOUND')
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
    throw error;
  };
  server.setRequestHandler('prompts/list', async () => ({
    prompts: (await gateway.listPrompts(caller)) as ListPromptsResult['prompts'],
  }));
  server.setRequestHandler('prompts/get', (request) =>
    gateway
      .getPrompt(request.params.name, (request.params.arguments ?? {}) as Record<string, string>, caller)
      .catch(missing),
  );
  server.setRequestHandler('resources/list', async () => ({
    resources: (await gateway.listResources(caller)).resources as ListResourcesResult['resources'],
  }));
  server.setRequestHandler('resources/templates/list', async () => ({
    resourceTemplates: (await gateway.listResources(caller))
      .templates as ListResourceTemplatesResult['resourceTemplates'],
  }));
  server.setRequestHandler('resources/read', (request) =>
    gateway.readResource(request.params.uri, caller).catch(missing),
  );
  server.setRequestHandler('tools/list', async () => {
    if (await gateway.metaMode()) return { tools: META_TOOLS };
    return { tools: (await gateway.listTools(caller)).map(publicView) as ListToolsResult['tools'] };
  });
  if (cancels)
    server.setNotificationHandler('notifications/cancelled', (notification) => {
      if (notification.params.requestId !== undefined)
        cancels.registry.cancel(cancels.scope, notification.params.requestId, notification.params.reason);
    });
  server.setRequestHandler('tools/call', (request, ctx) => {
    // Over stdio (no gateway.request span around it) the call continues the trace context of its _meta.
    const parent = trace.getSpan(context.active()) ? undefined : contextFromMeta(request.params._meta);
    return parent ? context.with(parent, () => callTool(request, ctx)) : callTool(request, ctx);
  });
  const callTool = async (request: CallToolRequest, ctx: unknown): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    const req = (ctx as { mcpReq?: { id?: unknown; signal?: AbortSignal } } | undefined)?.mcpReq;
    const tracked = cancels ? cancels.registry.track(cancels.scope, req?.id, req?.signal) : undefined;
    const signal = tracked?.signal ?? req?.signal;
    try {
      if (await gateway.metaMode()) {
        if (name === 'search_tools') {
          const query = str(args.query, 2000);
          if (!query)
            throw new FactoryError(
              'INVALID_ARGUMENTS',
              'search_tools needs a query (a string of at most 2000 characters)',
            );
          const limit =
            typeof args.limit === 'number' && Number.isInteger(args.limit)
              ? Math.min(50, Math.max(1, args.limit))
              : 10;
          const matches = await gateway.searchTools(query, limit, caller);
          return textResult({
            matches: matches.map((m) => ({
              name: m.name,
              description: m.description ?? '',
              score: Math.round(m.score * 1000) / 1000,
            })),
          });
        }
        if (name === 'describe_tool') {
          const tool = str(args.name, 200);
          if (!tool) throw new FactoryError('INVALID_ARGUMENTS', 'describe_tool needs the name of a tool');
          return textResult(publicView(await gateway.describeTool(tool, caller)));
        }
        if (name === 'call_tool') {
          const tool = str(args.name, 200);
          if (!tool) throw new FactoryError('INVALID_ARGUMENTS', 'call_tool needs the name of a tool');
          const inner = args.arguments ?? {};
          if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
            throw new FactoryError('INVALID_ARGUMENTS', 'call_tool arguments must be an object');
          return await gateway.callTool(tool, inner as Record<string, unknown>, { caller, signal });
        }
      }
      return await gateway.callTool(name, args, { caller, signal });
    } catch (error) {
      return gatewayErrorResult(error);
    } finally {
      tracked?.done();
    }
  };
  return server;
}
