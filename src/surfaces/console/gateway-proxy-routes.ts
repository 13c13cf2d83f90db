/**
 * The HTTP projection of gateway-proxy-operations.ts: fixed GET paths under /gateway that the console's gateway
 * page reads (capabilities.gateway.url is /gateway). No path segment is taken from the request.
 */
import { bind, type OperationRoute } from '../api/operation-route.js';
import { gatewayCache, gatewayHealth, gatewayServers, gatewayTools } from './gateway-proxy-operations.js';

const common = {
  method: 'GET' as const,
  tag: 'gateway',
  status: 200,
  errors: [404, 502],
  input: () => ({}),
};

export const GATEWAY_PROXY_ROUTES: readonly OperationRoute[] = [
  bind({
    ...common,
    operation: gatewayServers,
    path: '/gateway/api/v1/servers',
    operationId: 'gatewayServers',
    summary: "The gateway's upstreams (read through this factory)",
    response: "The gateway's answer.",
  }),
  bind({
    ...common,
    operation: gatewayTools,
    path: '/gateway/api/v1/tools',
    operationId: 'gatewayTools',
    summary: "The gateway's tools (read through this factory)",
    response: "The gateway's answer.",
  }),
  bind({
    ...common,
    operation: gatewayHealth,
    path: '/gateway/health/detailed',
    operationId: 'gatewayHealthDetailed',
    summary: "The gateway's upstreams, breakers and catalog report (read through this factory)",
    response: "The gateway's answer.",
  }),
  bind({
    ...common,
    operation: gatewayCache,
    path: '/gateway/cache',
    operationId: 'gatewayCache',
    summary: "The gateway's result-cache hits and breaker states per upstream",
    response: 'The summary.',
  }),
];
