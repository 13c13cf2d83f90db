/**
 * The HTTP projection of gateway-proxy-operations.ts: fixed GET paths under /gateway that the console's gateway
 * page reads (capabilities.gateway.url is /gateway), and POST /gateway/call for the playground. No path segment
 * is taken from the request: the tool to call is a checked field of the body.
 */
import { bind, type OperationRoute } from '../api/operation-route.js';
import {
  gatewayCache,
  gatewayCall,
  gatewayHealth,
  gatewayServers,
  gatewayTools,
} from './gateway-proxy-operations.js';

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
    summary: "The gateway's tools that the caller may use (read through this factory, as the caller)",
    description:
      "Asked with the caller's own credential, so the list is the gateway's answer to that caller; a gateway that does not share this factory's users and tokens answers 502 with status 401 in details.",
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
  bind({
    operation: gatewayCall,
    method: 'POST',
    path: '/gateway/call',
    operationId: 'gatewayCall',
    tag: 'gateway',
    summary: 'Call a tool through the gateway, as the caller',
    description:
      "The call goes to the gateway's POST /api/v1/tools/{name}/execute with the caller's own credential, so the gateway applies that caller's allow-lists, limits and audit; a gateway that does not share this factory's users and tokens answers 502 with status 401 in details.",
    status: 200,
    errors: [400, 404, 502],
    body: { schema: gatewayCall.input, required: true },
    input: ({ body }) => body,
    response: "The tool's result (isError for a failed tool).",
  }),
];
