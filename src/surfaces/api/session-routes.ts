/**
 * Console sign-in by cookie (and `GET /auth/providers`, which sign-in methods exist): `POST /auth/session` with `{ token }` (an API token or a session access token) or
 * `{ user, password }` sets the HttpOnly session cookie and the readable CSRF cookie (cookie-session.ts);
 * `DELETE /auth/session` ends the user session (after a password sign-in) and clears the cookies. Both are public
 * routes — they are how a browser gets and drops a session — but refuse requests from another origin, and
 * sign-out of a live cookie session needs the CSRF header like any unsafe cookie request.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import { grantsOf } from '../../identity/roles.js';
import type { Registry } from '../../store/index.js';
import { clientAddress } from '../http/client-address.js';
import { json } from '../http/errors.js';
import { type RouteDefinition, route } from '../http/router.js';
import { signInLimiter } from './auth-routes.js';
import { type CookieSessions, checkSameOrigin } from './cookie-session.js';

const SessionBody = z.union([
  z.object({ token: z.string().min(1).max(4096) }).strict(),
  z.object({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
]);

const SessionAnswer = z.object({
  user: z.object({ name: z.string(), role: z.string(), team: z.string().nullable() }).optional(),
  tokenName: z.string().optional(),
  permissions: z.array(z.object({ permission: z.string(), reach: z.string() })),
});

function answerOf(principal: Principal) {
  const role = principal.role ?? 'service';
  const permissions = [
    ...grantsOf(role),
    ...(principal.scopes ?? []).map((permission) => ({ permission, reach: 'scope' })),
  ];
  return principal.tokenId.startsWith('user:')
    ? { user: { name: principal.name, role, team: principal.team ?? null }, permissions }
    : { tokenName: principal.name, permissions };
}

function withCookies(response: Response, setCookies: string[]): Response {
  response.headers.set('cache-control', 'no-store');
  for (const value of setCookies) response.headers.append('set-cookie', value);
  return response;
}

export function sessionRoutes(deps: {
  registry: Registry;
  access: AccessControl;
  cookies: CookieSessions;
  /** OIDC sign-in, when configured (only whether it is matters here). */
  oidc?: unknown;
}): RouteDefinition[] {
  const { registry, access, cookies } = deps;
  const limitSignIn = signInLimiter();
  return [
    route({
      method: 'GET',
      path: '/auth/providers',
      operationId: 'signInProviders',
      summary: 'How a person may sign in here: password, OIDC (no authentication)',
      tag: 'auth',
      public: true,
      responses: {
        200: {
          description: 'The sign-in methods.',
          content: { 'application/json': z.object({ password: z.boolean(), oidc: z.boolean() }) },
        },
      },
      handler: async () =>
        json(200, { password: access.sessions !== undefined, oidc: deps.oidc !== undefined }),
    }),
    route({
      method: 'POST',
      path: '/auth/session',
      operationId: 'openSession',
      summary:
        'Sign the console in: sets the HttpOnly session cookie and the CSRF cookie (no authentication)',
      tag: 'auth',
      public: true,
      body: { schema: SessionBody, required: true },
      errors: [401, 403, 429],
      responses: {
        200: {
          description: 'Signed in; the cookies are set.',
          content: { 'application/json': SessionAnswer },
        },
      },
      handler: async ({ body, request, url }) => {
        checkSameOrigin(request, url);
        limitSignIn(request);
        let credential: string;
        let refreshToken: string | undefined;
        if ('token' in body) credential = body.token;
        else {
          if (!access.sessions)
            throw new FactoryError('API_NOT_FOUND', 'user sign-in is not enabled on this API');
          const issued = await access.sessions.login(body.user, body.password, clientAddress(request));
          credential = issued.accessToken;
          refreshToken = issued.refreshToken;
        }
        const principal = await cookies.principalOf(credential);
        await registry.audit({
          actor: principal.name,
          action: 'auth.console-session',
          target: principal.tokenId.startsWith('user:')
            ? `user:${principal.name}`
            : `token:${principal.name}`,
        });
        return withCookies(json(200, answerOf(principal)), cookies.issue(url, credential, refreshToken));
      },
    }),
    route({
      method: 'DELETE',
      path: '/auth/session',
      operationId: 'closeSession',
      summary: 'Sign the console out: ends the user session and clears the cookies',
      tag: 'auth',
      public: true,
      errors: [403],
      responses: {
        200: {
          description: 'Signed out; the cookies are cleared.',
          content: { 'application/json': z.object({ signedOut: z.boolean() }) },
        },
      },
      handler: async ({ request, url }) => {
        let signedOut = false;
        if (cookies.carriesSession(request)) {
          const credential = cookies.verifyRequest(request, url);
          const principal = await cookies.principalOf(credential).catch(() => undefined);
          if (principal?.sessionId && access.sessions) await access.sessions.end(principal.sessionId);
          if (principal)
            await registry.audit({
              actor: principal.name,
              action: 'auth.console-logout',
              target: principal.name,
            });
          signedOut = true;
        }
        return withCookies(json(200, { signedOut }), cookies.clear(url));
      },
    }),
  ];
}
