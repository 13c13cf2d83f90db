/**
 * The gateway's REST routes that add and remove upstreams at runtime: `POST /api/v1/servers` (one http or sse
 * upstream, the shape of one entry of the config file's `servers`) and `DELETE /api/v1/servers/{name}` (only
 * upstreams added this way). Upstreams added here live in the gateway's memory only: a restart forgets them and
 * the config file is never written.
 *
 * What an HTTP caller must not do is refused before anything starts (gateway/config.ts parseRuntimeUpstream):
 * a stdio upstream (a command on the gateway's host), `${VAR}` references (the gateway's secrets sent to a URL of
 * the caller's choosing), URLs that are not plain http(s) or carry user:password. Header values the caller sends
 * are its own secrets: they are never shown back (GET /api/v1/servers redacts them) nor audited.
 * Both routes need `gateway.manage`, on a resource of no team: a caller of a team cannot change what every team
 * sees, nor can a token narrowed by an allow-list.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { parseRuntimeUpstream } from '../../gateway/config.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import { json } from '../http/errors.js';
import { type RouteDefinition, route } from '../http/router.js';

/** Bodies of POST /api/v1/servers larger than this are refused (API_BODY_TOO_LARGE) before parsing. */
export const MAX_UPSTREAM_BODY_BYTES = 64 * 1024;

const UpstreamParams = z.object({ name: z.string().min(1).max(200) });
const UpstreamBody = z.record(z.string(), z.unknown());

const IN_MEMORY =
  'Upstreams added over the REST API live in the gateway’s memory only: they are gone when the gateway restarts ' +
  '(declare lasting ones in the gateway config file).';

/** gateway.manage on the gateway itself (no team), and no token allow-list. */
function authorizeManage(access: AccessControl, principal: Principal): void {
  const subject = { kind: 'token' as const, principal };
  const decision = access.policy.decide(subject, 'gateway.manage', { owner: null, team: null });
  const reason = !decision.allowed
    ? principal.team
      ? `the gateway's upstreams are every team's; a caller of team "${principal.team}" may not change them`
      : decision.reason
    : principal.allow
      ? 'the token is narrowed by an allow-list of servers or tools'
      : undefined;
  if (reason)
    throw new FactoryError('API_FORBIDDEN', `${principal.name} may not gateway.manage: ${reason}`, {
      details: { permission: 'gateway.manage', subject: principal.name },
    });
}

export function upstreamRoutes(gateway: Gateway, access: AccessControl): RouteDefinition[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/servers',
      operationId: 'addUpstream',
      summary: 'Add an http or sse upstream at runtime (in memory only)',
      description:
        `${IN_MEMORY} The body is one upstream as in the config file's servers list: ` +
        '{ name, url, transport?: "streamable-http" | "sse", headers?, tools?, cache?, timeoutMs?, maxConcurrency?, ' +
        'retries?, circuitFailures?, circuitHalfOpenMs? }. stdio upstreams (GATEWAY_UPSTREAM_STDIO_REFUSED) and ' +
        '${VAR} references (GATEWAY_UPSTREAM_ENV_REFUSED) are refused; the URL is http(s) without user:password. ' +
        'Header values are never shown back. Its tools join the catalog and clients are told (tools/list_changed).',
      tag: 'servers',
      permission: 'gateway.manage',
      body: {
        schema: UpstreamBody,
        required: true,
        description: 'One http/sse upstream, as in the gateway config file.',
      },
      maxBodyBytes: MAX_UPSTREAM_BODY_BYTES,
      errors: [409],
      responses: {
        201: { description: 'Added (header values redacted).', content: { 'application/json': null } },
      },
      handler: async ({ principal, body, actor }) => {
        authorizeManage(access, principal!);
        const config = parseRuntimeUpstream(body, { separator: gateway.config.separator });
        return json(201, { server: await gateway.addUpstream(config, actor) });
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/servers/:name',
      operationId: 'removeUpstream',
      summary: 'Remove an upstream added over the REST API',
      description: `${IN_MEMORY} Upstreams of the config file or the registry cannot be removed here (409). Its tools leave the catalog, clients are told, and its connection is closed.`,
      tag: 'servers',
      permission: 'gateway.manage',
      params: UpstreamParams,
      errors: [404, 409],
      responses: { 200: { description: 'Removed.', content: { 'application/json': null } } },
      handler: async ({ principal, params, actor }) => {
        authorizeManage(access, principal!);
        await gateway.removeUpstream(params.name, actor);
        return json(200, { removed: params.name });
      },
    }),
  ];
}
