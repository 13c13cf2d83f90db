/**
 * The console's read-only view of the gateway through `mcp-factory serve` (gateway-proxy.ts): the gateway's
 * upstreams, tools and detailed health as it answers them to serve's credential, and a cache/breaker summary
 * from its metrics. Permission servers.read, like reading the factory's own servers.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { defineOperation } from '../operations/operation.js';
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
  description: 'The tools the gateway serves, as GET /api/v1/tools answers them.',
  output: GatewayJson,
  handler: async (context) => readGatewayJson(configured(), 'tools', context.signal),
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

export const GATEWAY_PROXY_OPERATIONS = [gatewayServers, gatewayTools, gatewayHealth, gatewayCache] as const;
