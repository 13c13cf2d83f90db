/**
 * The HTTP API of MCP Factory: a web-standard core (`createApi(...).fetch`) over the control plane and the
 * registry, and a thin Node adapter (`serveApi`). A library: it prints nothing and never exits.
 */

import { type ServedHttp, type ServeOptions, serveFetch } from '../http/node.js';
import { type Api, type ApiOptions, createApi } from './app.js';

export {
  AccessControl,
  type ApiLimits,
  bearerToken,
  type CreateReservation,
  DEFAULT_LIMITS,
  type Principal,
  resolveLimits,
  TokenBuckets,
} from '../../identity/access.js';
export {
  type ApiTokens,
  type CreateTokenInput,
  hashToken,
  TOKEN_PREFIX,
  TOKENS_FILE,
  type TokenInfo,
  type TokenRecord,
  TokenStore,
} from '../../identity/tokens.js';
export { type ErrorBody, errorBody, errorResponse, statusOf } from '../http/errors.js';
export {
  type FetchHandler,
  isLoopback,
  nodeListener,
  type ServedHttp,
  type ServeOptions,
  serveFetch,
} from '../http/node.js';
export type { Method, ResponseSpec, RouteContext, RouteDefinition } from '../http/router.js';
export {
  checkSpecSource,
  type SpecCheck,
  type SpecSource,
  specFromSource,
} from '../operations/spec-input.js';
export { type Api, type ApiOptions, createApi } from './app.js';
export { type ApiMetrics, createApiMetrics } from './metrics.js';
export { openApiDocument } from './openapi.js';

export interface ServedApi extends ServedHttp {
  api: Api;
}

/** Create the API and serve it on host:port (default 127.0.0.1, a free port). */
export async function serveApi(options: ApiOptions & ServeOptions & { api?: Api }): Promise<ServedApi> {
  const api = options.api ?? createApi(options);
  const served = await serveFetch((request) => api.fetch(request), options);
  return { ...served, api };
}
