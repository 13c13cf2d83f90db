/**
 * Sign-in and people: `/auth/login|refresh|logout|me|permissions|jwks|logins`, `/auth/tokens` (a user's personal
 * tokens: make, list, change — identity/token-update.ts has the rules — and revoke), `/users` and `/teams`.
 * Login and refresh are public (they are how a caller gets a token) and throttled by the session layer; everything
 * else names a permission the API core checks, and the user/team rules (who manages whom) are identity/users.ts's.
 * Answers never say whether a user name exists: an unknown name and a wrong password get the same 401.
 * `/auth/oidc/start|callback` (public; 404 unless OIDC is configured) sign in through the OIDC provider
 * (identity/oidc-login.ts): start redirects with the sealed state in a cookie, callback answers like login —
 * or, for a sign-in started with `?console=1` (sealed in the state), sets the console's cookie session and
 * redirects to the console's fixed path (never to a URL from the request: no open redirect). A failed callback
 * answers a browser (Accept: text/html) with a small HTML page linking back to the sign-in (oidc-failure-page.ts).
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { KeyedTokenBuckets } from '../../core/rate/index.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import { clearOidcCookie, type OidcLogin, oidcCookie, readOidcCookie } from '../../identity/oidc-login.js';
import { PERMISSIONS, type Subject } from '../../identity/policy.js';
import { grantsOf, ROLES, USER_ROLES } from '../../identity/roles.js';
import type { IssuedTokens } from '../../identity/sessions.js';
import { changeDetails, updateCheck } from '../../identity/token-update.js';
import { UserAdmin } from '../../identity/users.js';
import type { Registry, UserRecord } from '../../store/index.js';
import { CONSOLE_PREFIX } from '../console/static.js';
import { clientAddress } from '../http/client-address.js';
import { errorResponse, json } from '../http/errors.js';
import { type RouteDefinition, route } from '../http/router.js';
import type { CookieSessions } from './cookie-session.js';
import { oidcFailurePage, wantsHtml } from './oidc-failure-page.js';

const Name = z.string().min(1).max(64).describe('User or team name: A-Z a-z 0-9 . _ @ -');
const Password = z.string().min(1).max(1024);

const LoginBody = z.object({ name: Name, password: Password }).strict();
const RefreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
const UserBody = z
  .object({
    name: Name,
    role: z.enum(USER_ROLES),
    team: Name.nullable().optional(),
    email: z.string().max(256).nullable().optional(),
    password: Password.optional(),
  })
  .strict();
const UserChangeBody = z
  .object({
    role: z.enum(USER_ROLES).optional(),
    team: Name.nullable().optional(),
    email: z.string().max(256).nullable().optional(),
    password: Password.optional(),
    disabled: z.boolean().optional(),
    oidcSubject: z
      .string()
      .max(800)
      .nullable()
      .optional()
      .describe('issuer|sub of the OIDC identity to link'),
  })
  .strict();
const TeamBody = z.object({ name: Name }).strict();
// Allow-lists are checked by the token store (identity/tokens.ts checkAllowList): these caps only bound the body.
const ServerPatterns = z.array(z.string().max(200)).max(200);
const ToolPatterns = z.array(z.string().max(400)).max(200);
const SERVERS_TEXT =
  'Restrict the token to these servers: names or patterns with * (1-64 patterns of A-Z a-z 0-9 _ . - *).';
const TOOLS_TEXT =
  'Restrict the token to these tools: patterns of SERVER__TOOL or a plain tool name, with * (1-64 patterns).';
const TokenBody = z
  .object({
    name: Name,
    role: z.enum(USER_ROLES).optional().describe("Default: the caller's role; only it or viewer."),
    expiresInDays: z.number().int().min(1).max(365).optional().describe('Default 90.'),
    servers: ServerPatterns.optional().describe(`${SERVERS_TEXT} Absent: no restriction.`),
    tools: ToolPatterns.optional().describe(`${TOOLS_TEXT} Absent: no restriction.`),
  })
  .strict();
const TokenChangeBody = z
  .object({
    role: z
      .enum(USER_ROLES)
      .optional()
      .describe("The caller's role or viewer (a role that grants more widens the token)."),
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .describe('Expire this many days from now (a later expiry widens the token).'),
    servers: ServerPatterns.nullable()
      .optional()
      .describe(`${SERVERS_TEXT} null: remove the restriction (widens). Absent: unchanged.`),
    tools: ToolPatterns.nullable()
      .optional()
      .describe(`${TOOLS_TEXT} null: remove the restriction (widens). Absent: unchanged.`),
  })
  .strict();
const NameParam = z.object({ name: Name });
const LoginsQuery = z.object({
  name: Name.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const UserSchema = z.object({
  name: z.string(),
  email: z.string().nullable(),
  role: z.enum(USER_ROLES),
  team: z.string().nullable(),
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const TokensSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number(),
  refreshToken: z.string(),
  user: UserSchema,
});
const MeSchema = z.object({
  name: z.string(),
  kind: z.enum(['user', 'token']),
  role: z.enum(ROLES),
  team: z.string().nullable(),
  user: z.string().nullable(),
  permissions: z.array(z.object({ permission: z.string(), reach: z.string() })),
});

function userView(user: UserRecord) {
  return {
    name: user.name,
    email: user.email,
    role: user.role,
    team: user.team,
    disabled: user.disabledAt !== null,
    hasPassword: user.hasPassword,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

function tokensView(t: IssuedTokens) {
  return {
    accessToken: t.accessToken,
    tokenType: t.tokenType,
    expiresIn: t.expiresIn,
    refreshToken: t.refreshToken,
    user: userView(t.user),
  };
}

function subjectOf(principal: Principal | undefined): Extract<Subject, { kind: 'token' }> {
  if (!principal)
    throw new FactoryError('API_UNAUTHORIZED', 'missing bearer token', { details: { reason: 'missing' } });
  return { kind: 'token', principal };
}

function sessionsOf(access: AccessControl) {
  if (!access.sessions) throw new FactoryError('API_NOT_FOUND', 'user sign-in is not enabled on this API');
  return access.sessions;
}

function oidcOf(oidc: OidcLogin | undefined): OidcLogin {
  if (!oidc)
    throw new FactoryError(
      'API_NOT_FOUND',
      'OIDC sign-in is not configured on this factory (set MCP_FACTORY_OIDC_ISSUER, MCP_FACTORY_OIDC_CLIENT_ID and MCP_FACTORY_OIDC_REDIRECT_URI)',
    );
  return oidc;
}

/**
 * Sign-in attempts per client address (login and refresh): 60 a minute after a burst of 10 (behind a reverse
 * proxy every client shares its address: size the proxy's own limits accordingly). The per-name
 * throttle of the session layer stops guessing one password; this stops one client from spraying names (and
 * filling the login history) or refresh tokens.
 */
const SIGN_IN_LIMIT = { capacity: 10, refillPerMs: 60 / 60_000 };

export function signInLimiter(): (request: Request) => void {
  const buckets = new KeyedTokenBuckets();
  return (request) => {
    // A request that did not come through a socket (an embedder calling fetch in-process) has no address.
    const address = clientAddress(request);
    if (address === null) return;
    const waitMs = buckets.take(address, SIGN_IN_LIMIT);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new FactoryError(
        'AUTH_THROTTLED',
        `too many sign-in attempts from this address; retry in ${retryAfterSeconds} s`,
        {
          details: { retryAfterSeconds },
        },
      );
    }
  };
}

export function authRoutes(deps: {
  registry: Registry;
  access: AccessControl;
  oidc?: OidcLogin | undefined;
  /** The console's cookie sessions: where a console OIDC sign-in ends (absent: it cannot). */
  cookies?: CookieSessions | undefined;
}): RouteDefinition[] {
  const { registry, access } = deps;
  const users = new UserAdmin(registry);
  const limitSignIn = signInLimiter();
  const ok = (body: unknown, status = 200) => json(status, body);
  return [
    route({
      method: 'POST',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Sign in with a user name and password (no authentication)',
      tag: 'auth',
      public: true,
      body: { schema: LoginBody, required: true },
      errors: [401, 429],
      responses: {
        200: {
          description: 'An access token and a refresh token.',
          content: { 'application/json': TokensSchema },
        },
      },
      handler: async ({ body, request }) => {
        limitSignIn(request);
        return ok(
          tokensView(await sessionsOf(access).login(body.name, body.password, clientAddress(request))),
        );
      },
    }),
    route({
      method: 'GET',
      path: '/auth/oidc/start',
      operationId: 'oidcStart',
      summary:
        'Sign in through the OIDC provider: redirects there; console=1 ends in the console (no authentication)',
      tag: 'auth',
      public: true,
      query: z.object({
        console: z
          .string()
          .max(8)
          .optional()
          .describe('1: the web console signs in (the callback sets its cookie session).'),
      }),
      errors: [401, 404],
      responses: {
        302: { description: "To the provider's sign-in page, with the sealed sign-in state in a cookie." },
      },
      handler: async ({ query }) => {
        const oidc = oidcOf(deps.oidc);
        const started = await oidc.start({ console: query.console === '1' && deps.cookies !== undefined });
        return new Response(null, {
          status: 302,
          headers: {
            location: started.url,
            'set-cookie': oidcCookie(started.cookie, oidc.settings.redirectUri),
            'cache-control': 'no-store',
          },
        });
      },
    }),
    route({
      method: 'GET',
      path: '/auth/oidc/callback',
      operationId: 'oidcCallback',
      summary:
        'Where the OIDC provider sends the browser back: answers like /auth/login, or (console sign-in) sets the cookie session and redirects to the console (no authentication)',
      tag: 'auth',
      public: true,
      errors: [401, 404],
      responses: {
        200: {
          description: 'An access token and a refresh token.',
          content: { 'application/json': TokensSchema },
        },
        302: { description: `A console sign-in: the cookie session is set; to ${CONSOLE_PREFIX}/.` },
      },
      handler: async ({ request, url }) => {
        const oidc = oidcOf(deps.oidc);
        const headers = {
          'set-cookie': clearOidcCookie(oidc.settings.redirectUri),
          'cache-control': 'no-store',
        };
        try {
          const cookie = readOidcCookie(request.headers.get('cookie'));
          const tokens = await oidc.callback(url, cookie, clientAddress(request));
          if (tokens.console && deps.cookies) {
            await registry.audit({
              actor: tokens.user.name,
              action: 'auth.console-session',
              target: `user:${tokens.user.name}`,
              details: { via: 'oidc' },
            });
            const response = new Response(null, {
              status: 302,
              headers: { location: `${CONSOLE_PREFIX}/`, 'cache-control': 'no-store' },
            });
            response.headers.append('set-cookie', headers['set-cookie']);
            for (const value of deps.cookies.issue(url, tokens.accessToken, tokens.refreshToken))
              response.headers.append('set-cookie', value);
            return response;
          }
          return json(200, tokensView(tokens), headers);
        } catch (error) {
          // A person in a browser gets a page that says what went wrong and leads back to the sign-in.
          if (error instanceof FactoryError)
            return wantsHtml(request) ? oidcFailurePage(error, headers) : errorResponse(error, headers);
          throw error;
        }
      },
    }),
    route({
      method: 'POST',
      path: '/auth/refresh',
      operationId: 'refresh',
      summary:
        'Trade a refresh token for a new pair (the old one is used up; using it again ends the session)',
      tag: 'auth',
      public: true,
      body: { schema: RefreshBody, required: true },
      errors: [401],
      responses: {
        200: {
          description: 'A new access token and refresh token.',
          content: { 'application/json': TokensSchema },
        },
      },
      handler: async ({ body, request }) => {
        limitSignIn(request);
        return ok(tokensView(await sessionsOf(access).refresh(body.refreshToken)));
      },
    }),
    route({
      method: 'POST',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'End the session of this access token (its tokens stop working within a second)',
      tag: 'auth',
      permission: 'account.self',
      responses: {
        200: {
          description: 'The session ended.',
          content: { 'application/json': z.object({ ended: z.boolean() }) },
        },
      },
      handler: async ({ principal, actor }) => {
        if (!principal?.sessionId)
          throw new FactoryError(
            'API_INVALID_REQUEST',
            'an API token has no session; revoke it with `mcp-factory token revoke`',
          );
        const ended = await sessionsOf(access).end(principal.sessionId);
        await registry.audit({ actor, action: 'auth.logout', target: `user:${principal.name}` });
        return ok({ ended });
      },
    }),
    route({
      method: 'GET',
      path: '/auth/me',
      operationId: 'me',
      summary: 'Who the caller is: user or token, role, team and what it may do',
      tag: 'auth',
      permission: 'account.self',
      responses: { 200: { description: 'The caller.', content: { 'application/json': MeSchema } } },
      handler: async ({ principal }) => {
        const p = subjectOf(principal).principal;
        const role = p.role ?? 'service';
        const extra = (p.scopes ?? []).map((permission) => ({ permission, reach: 'scope' }));
        return ok({
          name: p.name,
          kind: p.tokenId.startsWith('user:') ? 'user' : 'token',
          role,
          team: p.team ?? null,
          user: p.user ?? null,
          permissions: [...grantsOf(role), ...extra],
        });
      },
    }),
    route({
      method: 'GET',
      path: '/auth/permissions',
      operationId: 'permissions',
      summary: 'Every permission, and what each role grants (and over which servers)',
      tag: 'auth',
      permission: 'account.self',
      responses: { 200: { description: 'The role table.', content: { 'application/json': null } } },
      handler: async () =>
        ok({
          permissions: [...PERMISSIONS],
          roles: Object.fromEntries(ROLES.map((role) => [role, grantsOf(role)])),
        }),
    }),
    route({
      method: 'GET',
      path: '/auth/jwks',
      operationId: 'jwks',
      summary: 'The public keys that verify access tokens (no authentication)',
      tag: 'auth',
      public: true,
      responses: { 200: { description: 'A JSON Web Key Set.', content: { 'application/json': null } } },
      handler: async () => ok(await sessionsOf(access).keys.jwks()),
    }),
    route({
      method: 'GET',
      path: '/auth/logins',
      operationId: 'logins',
      summary: 'Login history (of users the caller may see), newest first',
      tag: 'auth',
      permission: 'users.read',
      query: LoginsQuery,
      responses: { 200: { description: 'Sign-in attempts.', content: { 'application/json': null } } },
      handler: async ({ principal, query }) => {
        const subject = subjectOf(principal);
        const visible = (await users.list(subject)).map((u) => u.name);
        const names = query.name ? visible.filter((n) => n === query.name) : visible;
        return ok({ logins: await registry.identity.listLogins({ names, limit: query.limit ?? 100 }) });
      },
    }),
    route({
      method: 'GET',
      path: '/auth/tokens',
      operationId: 'listMyTokens',
      summary: "The caller's personal API tokens (never their values)",
      tag: 'auth',
      permission: 'account.self',
      responses: { 200: { description: 'Tokens.', content: { 'application/json': null } } },
      handler: async ({ principal }) => {
        const p = subjectOf(principal).principal;
        const mine = (await access.tokens.list({ includeRevoked: false })).filter(
          (t) => p.user !== undefined && t.owner === p.user,
        );
        return ok({ tokens: mine });
      },
    }),
    route({
      method: 'POST',
      path: '/auth/tokens',
      operationId: 'createMyToken',
      summary: 'Make a personal API token that acts as the signed-in caller (its value is shown once)',
      tag: 'auth',
      permission: 'account.self',
      body: { schema: TokenBody, required: true },
      errors: [409],
      responses: { 201: { description: 'The token and its record.', content: { 'application/json': null } } },
      handler: async ({ principal, actor, body }) => {
        const p = subjectOf(principal).principal;
        // Only a signed-in person makes personal tokens: a token does not mint further tokens.
        if (
          !p.tokenId.startsWith('user:') ||
          p.user === undefined ||
          p.role === undefined ||
          p.role === 'service'
        )
          throw new FactoryError(
            'AUTH_ROLE_NOT_ALLOWED',
            'personal tokens are made by a signed-in user (POST /auth/login)',
          );
        const role = body.role ?? p.role;
        if (role !== p.role && role !== 'viewer')
          throw new FactoryError(
            'AUTH_ROLE_NOT_ALLOWED',
            `a personal token may have the role ${p.role} or viewer, not ${role}`,
          );
        const made = await access.tokens.create({
          name: body.name,
          role,
          owner: p.user,
          team: p.team ?? null,
          createdBy: actor,
          expiresInSeconds: (body.expiresInDays ?? 90) * 86_400,
          allowedServers: body.servers,
          allowedTools: body.tools,
        });
        await registry.audit({
          actor,
          action: 'token.create',
          target: `token:${made.info.name}`,
          details: {
            role,
            owner: p.user,
            expiresAt: made.info.expiresAt,
            ...(made.info.allowedServers ? { allowedServers: made.info.allowedServers } : {}),
            ...(made.info.allowedTools ? { allowedTools: made.info.allowedTools } : {}),
          },
        });
        return ok({ token: made.token, ...made.info }, 201);
      },
    }),
    route({
      method: 'DELETE',
      path: '/auth/tokens/:name',
      operationId: 'revokeMyToken',
      summary: 'Revoke one of the caller’s personal tokens',
      tag: 'auth',
      permission: 'account.self',
      params: NameParam,
      responses: { 200: { description: 'Revoked.', content: { 'application/json': null } } },
      handler: async ({ principal, actor, params }) => {
        const p = subjectOf(principal).principal;
        const mine = (await access.tokens.list({ includeRevoked: false })).find(
          (t) => t.name === params.name && p.user !== undefined && t.owner === p.user,
        );
        if (!mine) throw new FactoryError('TOKEN_NOT_FOUND', `no personal token named "${params.name}"`);
        await access.tokens.revoke(mine.id);
        await registry.audit({ actor, action: 'token.revoke', target: `token:${mine.name}` });
        return ok({ revoked: mine.name });
      },
    }),
    route({
      method: 'PATCH',
      path: '/auth/tokens/:name',
      operationId: 'updateMyToken',
      summary:
        'Change the role, expiry or allow-lists of one of the caller’s personal tokens (its value stays)',
      description:
        'Checked like POST /auth/tokens: the role is the caller’s or viewer, the patterns are checked the same way ' +
        'and nothing is written when one is refused. Narrowing is open to any credential of the owner; widening ' +
        '(a later expiry, a role that grants more, a removed or wider allow-list) needs the owner signed in: a ' +
        'request made with an API token may not widen a token, itself included (TOKEN_WIDENING_REFUSED). ' +
        'Audited as token.update with each changed field.',
      tag: 'auth',
      permission: 'account.self',
      params: NameParam,
      body: { schema: TokenChangeBody, required: true },
      errors: [404],
      responses: {
        200: { description: 'The token’s record after the change.', content: { 'application/json': null } },
      },
      handler: async ({ principal, actor, params, body }) => {
        const p = subjectOf(principal).principal;
        const mine = (await access.tokens.list({ includeRevoked: false })).find(
          (t) => t.name === params.name && p.user !== undefined && t.owner === p.user,
        );
        if (!mine) throw new FactoryError('TOKEN_NOT_FOUND', `no personal token named "${params.name}"`);
        const signedIn = p.tokenId.startsWith('user:');
        const { before, after } = await access.tokens.update(
          mine.id,
          {
            role: body.role,
            expiresInSeconds: body.expiresInDays === undefined ? undefined : body.expiresInDays * 86_400,
            allowedServers: body.servers,
            allowedTools: body.tools,
          },
          updateCheck({
            name: p.name,
            owner: mine.owner ?? undefined,
            // A signed-in user's role is the owner's; an API token may only narrow, whatever its role.
            ownerRole: signedIn ? p.role : undefined,
            narrowOnly: !signedIn,
          }),
        );
        await registry.audit({
          actor,
          action: 'token.update',
          target: `token:${after.name}`,
          details: { owner: after.owner, changes: changeDetails(before, after) },
        });
        return ok(after);
      },
    }),
    route({
      method: 'GET',
      path: '/users',
      operationId: 'listUsers',
      summary: 'Users the caller may see',
      tag: 'users',
      permission: 'users.read',
      responses: {
        200: {
          description: 'Users.',
          content: { 'application/json': z.object({ users: z.array(UserSchema) }) },
        },
      },
      handler: async ({ principal }) => ok({ users: (await users.list(subjectOf(principal))).map(userView) }),
    }),
    route({
      method: 'POST',
      path: '/users',
      operationId: 'createUser',
      summary: 'Create a user (admins; an admin of a team creates users of that team)',
      tag: 'users',
      permission: 'users.manage',
      body: { schema: UserBody, required: true },
      errors: [409],
      responses: { 201: { description: 'The user.', content: { 'application/json': UserSchema } } },
      handler: async ({ principal, actor, body }) =>
        ok(userView(await users.create(subjectOf(principal), actor, body)), 201),
    }),
    route({
      method: 'GET',
      path: '/users/:name',
      operationId: 'getUser',
      summary: 'One user',
      tag: 'users',
      permission: 'account.self',
      params: NameParam,
      responses: { 200: { description: 'The user.', content: { 'application/json': UserSchema } } },
      handler: async ({ principal, params }) => {
        const subject = subjectOf(principal);
        if (subject.principal.user !== params.name) access.authorize(subject.principal, 'users.read');
        return ok(userView(await users.get(subject, params.name)));
      },
    }),
    route({
      method: 'POST',
      path: '/users/:name',
      operationId: 'changeUser',
      summary: "Change a user's role, team, email, password or disabled state (one's own password: anyone)",
      tag: 'users',
      permission: 'account.self',
      params: NameParam,
      body: { schema: UserChangeBody, required: true },
      responses: { 200: { description: 'The user.', content: { 'application/json': UserSchema } } },
      handler: async ({ principal, actor, params, body }) => {
        const subject = subjectOf(principal);
        const own =
          subject.principal.user === params.name && Object.keys(body).every((k) => k === 'password');
        if (!own) access.authorize(subject.principal, 'users.manage');
        return ok(userView(await users.change(subject, actor, params.name, body)));
      },
    }),
    route({
      method: 'DELETE',
      path: '/users/:name',
      operationId: 'disableUser',
      summary: 'Disable a user (its sessions and personal tokens stop working; history is kept)',
      tag: 'users',
      permission: 'users.manage',
      params: NameParam,
      responses: { 200: { description: 'The user.', content: { 'application/json': UserSchema } } },
      handler: async ({ principal, actor, params }) =>
        ok(userView(await users.change(subjectOf(principal), actor, params.name, { disabled: true }))),
    }),
    route({
      method: 'GET',
      path: '/teams',
      operationId: 'listTeams',
      summary: 'Teams (tenants) with their user and server counts',
      tag: 'users',
      permission: 'users.read',
      responses: { 200: { description: 'Teams.', content: { 'application/json': null } } },
      handler: async ({ principal }) => {
        const p = subjectOf(principal).principal;
        const all = await registry.identity.listTeams();
        const global = p.role === 'admin' && (p.team ?? null) === null;
        return ok({ teams: global ? all : all.filter((t) => t.name === p.team) });
      },
    }),
    route({
      method: 'POST',
      path: '/teams',
      operationId: 'createTeam',
      summary: 'Create a team (admins without a team)',
      tag: 'users',
      permission: 'teams.manage',
      body: { schema: TeamBody, required: true },
      errors: [409],
      responses: { 201: { description: 'The team.', content: { 'application/json': null } } },
      handler: async ({ principal, actor, body }) =>
        ok(await users.createTeam(subjectOf(principal), actor, body.name), 201),
    }),
    route({
      method: 'DELETE',
      path: '/teams/:name',
      operationId: 'deleteTeam',
      summary: 'Delete an empty team',
      tag: 'users',
      permission: 'teams.manage',
      params: NameParam,
      errors: [409],
      responses: {
        200: { description: 'Deleted.', content: { 'application/json': z.object({ deleted: z.string() }) } },
      },
      handler: async ({ principal, actor, params }) => {
        await users.deleteTeam(subjectOf(principal), actor, params.name);
        return ok({ deleted: params.name });
      },
    }),
  ];
}
