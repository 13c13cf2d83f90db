/**
 * The console's view of the gateway through `mcp-factory serve` (gateway-proxy.ts): the gateway's upstreams and
 * detailed health as it answers them to serve's credential, and a cache/breaker summary from its metrics
 * (permission servers.read, like reading the factory's own servers); the tools the gateway lets the caller use,
 * asked with the caller's own credential; and the playground's tool calls through the gateway, made with the
 * caller's own credential too (permission servers.call, then the gateway's own checks of that caller).
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { toolCallSummary } from '../../platform/mcp-client/index.js';
import { defineOperation } from '../operations/operation.js';
import { ToolCallSchema } from '../operations/schemas.js';
import { callGateway } from './gateway-call.js';
import {
  type GatewayProxyConfig,
  gatewayProxyConfig,
  readGateway,
  readGatewayJson,
} from './gateway-proxy.js';
import { cacheSummary } from './gateway-proxy-metrics.js';

function configured(): GatewayProxyConfig {
  const config = gatewayProxyConfig();
  if (!config)
    throw new FactoryError('GATEWAY_PROXY_NOT_CONFIGURED', 'this factory does not reach a gateway');
  return config;
}

const GatewayJson = z.record(z.string(), z.unknown());
const common = {
  input: z.object({}),
  annotations: { readOnly: true, idempotent: true, openWorld: true },
  permission: 'servers.read',
} as const;

export const gatewayServers = defineOperation({
  ...common,
  name: 'gateway_servers',
  title: "The gateway's upstreams",
  description: "The gateway's upstream servers (health, circuit state), as GET /api/v1/servers answers them.",
  output: GatewayJson,
  handler: async (context) => readGatewayJson(configured(), 'servers', context.signal),
});

export const gatewayTools = defineOperation({
  ...common,
  name: 'gateway_tools',
  title: "The gateway's tools",
  description:
    "The tools the gateway lets the caller use, as GET /api/v1/tools answers them to the caller's own credential (serve's, on a surface that has none).",
  output: GatewayJson,
  handler: async (context) =>
    readGatewayJson(
      configured(),
      'tools',
      context.signal,
      context.credential ? { credential: context.credential } : undefined,
    ),
});

export const gatewayHealth = defineOperation({
  ...common,
  name: 'gateway_health',
  title: "The gateway's detailed health",
  description: 'Upstreams, circuit states and the catalog report, as GET /health/detailed answers them.',
  output: GatewayJson,
  handler: async (context) => readGatewayJson(configured(), 'health', context.signal),
});

export const gatewayCache = defineOperation({
  ...common,
  name: 'gateway_cache',
  title: "The gateway's cache and breakers",
  description:
    "Per upstream: result-cache hits, misses and hit rate, and the circuit breaker's state (from the gateway's metrics).",
  output: z.object({
    upstreams: z.array(
      z.object({
        upstream: z.string(),
        hits: z.number(),
        misses: z.number(),
        hitRate: z.number().nullable(),
        breaker: z.enum(['closed', 'half-open', 'open']).nullable(),
      }),
    ),
  }),
  handler: async (context) => ({
    upstreams: cacheSummary((await readGateway(configured(), 'metrics', context.signal)).text),
  }),
});

export const gatewayCall = defineOperation({
  name: 'gateway_call',
  title: 'Call a tool through the gateway',
  description:
    "Call one of the gateway's tools (by the name the gateway lists) as the caller: the gateway authenticates the caller's own credential and applies its allow-lists, rate limits and audit. Offered by the HTTP API only.",
  input: z.object({
    tool: z.string().min(1).max(200).describe("The tool's name at the gateway, e.g. orders__get_order."),
    arguments: z.record(z.string(), z.unknown()).optional().describe('Tool arguments (default {}).'),
  }),
  output: ToolCallSchema,
  annotations: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
  permission: 'servers.call',
  handler: async (context, input) => {
    const config = configured();
    if (!context.credential)
      throw new FactoryError(
        'API_UNAUTHORIZED',
        "a call through the gateway is made with the caller's own credential, which this surface does not have",
        { details: { reason: 'missing' } },
      );
    const started = performance.now();
    const result = await callGateway(
      config,
      { tool: input.tool, arguments: input.arguments ?? {}, credential: context.credential },
      context.signal,
    );
    return toolCallSummary(result, performance.now() - started);
  },
});

export const GATEWAY_PROXY_OPERATIONS = [
  gatewayServers,
  gatewayTools,
  gatewayHealth,
  gatewayCache,
  gatewayCall,
] as const;
