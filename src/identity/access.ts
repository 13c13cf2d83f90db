/**
 * Access to the management surfaces, shared by the HTTP API and the factory's MCP server over HTTP: bearer-token
 * authentication, a token bucket per token (429 with Retry-After), a per-token limit on the servers it has
 * created, a process-wide limit on concurrent creations (each one runs a type-check, a bundle and the generated
 * tests), and the policy (policy.ts) that says what an authenticated caller may do.
 *
 * On a PostgreSQL registry several API instances may serve one factory (docs/cluster.md): the token buckets and
 * the creations in flight then live in the registry (store/cluster.ts), so a limit holds over all instances and
 * two instances never create the same new server at once. The concurrency limit stays per instance: it protects
 * this machine's CPU. On SQLite (one machine) they stay in memory.
 */
import { decodeJwt } from 'jose';
import { FactoryError } from '../core/errors/index.js';
import { KeyedTokenBuckets } from '../core/rate/index.js';
import type { AllowList } from '../core/text/patterns.js';
import type { Registry, UserRecord } from '../store/index.js';
import type { ExternalTokens } from './external-tokens.js';
import { authorize, type Permission, type Policy, type ResourceScope, ROLE_POLICY } from './policy.js';
import type { Role } from './roles.js';
import { Sessions } from './sessions.js';
import type { ApiTokens, TokenInfo } from './tokens.js';

export interface ApiLimits {
  /** Request bodies larger than this are refused with 413 (default 1 MiB). */
  maxBodyBytes: number;
  /** Sustained requests per minute and token (default 300; a token may set its own). */
  requestsPerMinute: number;
  /** Bucket size: requests a token may make at once after being idle (default 60). */
  burst: number;
  /** Servers one token may have created and not removed (default 20; a token may set its own). */
  maxServersPerToken: number;
  /** Creations running at the same time, over all tokens (default 2). */
  maxConcurrentCreates: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 1024 * 1024,
  requestsPerMinute: 300,
  burst: 60,
  maxServersPerToken: 20,
  maxConcurrentCreates: 2,
};

export function resolveLimits(limits: Partial<ApiLimits> | undefined): ApiLimits {
  const merged = {
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined)),
  };
  for (const [key, value] of Object.entries(merged)) {
    const min = key === 'maxServersPerToken' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new FactoryError('INVALID_ARGUMENTS', `limits.${key} must be an integer ≥ ${min}`);
  }
  return merged as ApiLimits;
}

/** How long a creation reserves its server name on a shared registry when its instance dies mid-create. */
const RESERVATION_TTL_MS = 30 * 60_000;

/** An authenticated caller. */
export interface Principal {
  tokenId: string;
  /** The token's name: the actor of audit entries. */
  name: string;
  maxServers: number;
  requestsPerMinute: number;
  /** Elevated permissions the token was made with (absent: none). */
  scopes?: readonly Permission[] | undefined;
  /** What the role table grants the caller (absent: `service`, the role of tokens made before roles). */
  role?: Role | undefined;
  /** The user the caller acts as (a signed-in user, or the owner of a personal token). */
  user?: string | undefined;
  /** The caller's team (tenant); null or absent: no team. */
  team?: string | null | undefined;
  /** The sign-in session of a user's access token (logout revokes it). */
  sessionId?: string | undefined;
  /**
   * The token's allow-list of servers and tools (absent: no restriction). It only narrows what the role grants:
   * a server or tool outside it answers like one that does not exist (operations/ownership.ts, the gateway).
   */
  allow?: AllowList | undefined;
}

/** Token buckets keyed by token id, refilled per minute (the bucket itself is the shared one in core/rate). */
export class TokenBuckets {
  readonly #buckets: KeyedTokenBuckets;

  constructor(now: () => number = () => performance.now()) {
    this.#buckets = new KeyedTokenBuckets(now);
  }

  /** Take one token: 0 when allowed, else the milliseconds until one is available. */
  take(key: string, capacity: number, perMinute: number): number {
    return this.#buckets.take(key, { capacity, refillPerMs: perMinute / 60_000 });
  }
}

/** A reserved creation slot: commit after the server was created, release in any case. */
export interface CreateReservation {
  commit(): Promise<void>;
  release(): void;
}

/** The allow-list of a token as a principal carries it (nothing when the token has none). */
function allowListOf(token: TokenInfo): { allow?: AllowList } {
  const servers = token.allowedServers ?? null;
  const tools = token.allowedTools ?? null;
  if (servers === null && tools === null) return {};
  return {
    allow: {
      ...(servers !== null ? { servers: [...servers] } : {}),
      ...(tools !== null ? { tools: [...tools] } : {}),
    },
  };
}

/** What authentication reads of a request: its headers (a web Request, or a node-level fast path's view). */
export interface HeaderSource {
  headers: { get(name: string): string | null };
}

export function bearerToken(request: HeaderSource): string | undefined {
  const header = request.headers.get('authorization');
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m ? m[1] : '';
}

export class AccessControl {
  readonly limits: ApiLimits;
  /** Who may do what once authenticated (default: everything). */
  readonly policy: Policy;
  /** User sign-in sessions (absent: only API tokens authenticate). */
  readonly sessions: Sessions | undefined;
  /** Access tokens of an external identity provider for this factory's resource URL (absent: not accepted). */
  readonly external: ExternalTokens | undefined;
  readonly #tokens: ApiTokens;
  readonly #registry: Registry;
  readonly #buckets: TokenBuckets;
  #creating = 0;
  /** Server names being created right now, per token (they count against the quota until they finish). */
  readonly #pending = new Map<string, Set<string>>();

  constructor(options: {
    tokens: ApiTokens;
    registry: Registry;
    limits?: Partial<ApiLimits> | undefined;
    now?: () => number;
    policy?: Policy | undefined;
    /** Sign-in sessions; default: sessions over the registry. Pass null for tokens only. */
    sessions?: Sessions | null | undefined;
    external?: ExternalTokens | undefined;
  }) {
    this.external = options.external;
    this.sessions =
      options.sessions === null ? undefined : (options.sessions ?? new Sessions(options.registry));
    this.policy = options.policy ?? ROLE_POLICY;
    this.#tokens = options.tokens;
    this.#registry = options.registry;
    this.limits = resolveLimits(options.limits);
    this.#buckets = new TokenBuckets(options.now);
  }

  /** The API token store (personal tokens are made and revoked through the API too). */
  get tokens(): ApiTokens {
    return this.#tokens;
  }

  principalOf(token: TokenInfo): Principal {
    return {
      tokenId: token.id,
      name: token.name,
      maxServers: token.maxServers ?? this.limits.maxServersPerToken,
      requestsPerMinute: token.requestsPerMinute ?? this.limits.requestsPerMinute,
      scopes: [...(token.scopes ?? [])],
      role: token.role ?? 'service',
      user: token.owner ?? undefined,
      team: token.team ?? null,
      ...allowListOf(token),
    };
  }

  /** The caller signed in as `user` (a verified access token of `session`, or of the external provider). */
  principalOfUser(user: UserRecord, sessionId: string | undefined): Principal {
    return {
      tokenId: `user:${user.name}`,
      name: user.name,
      maxServers: this.limits.maxServersPerToken,
      requestsPerMinute: this.limits.requestsPerMinute,
      scopes: [],
      role: user.role,
      user: user.name,
      team: user.team,
      ...(sessionId !== undefined ? { sessionId } : {}),
    };
  }

  /**
   * The caller of a request: an API token (`mcpf_…`) or a user's access token (a JWT of a live session);
   * throws API_UNAUTHORIZED. A personal token stops working when its owner is disabled.
   */
  async authenticate(request: HeaderSource): Promise<Principal> {
    const token = bearerToken(request);
    if (token === undefined)
      throw new FactoryError('API_UNAUTHORIZED', 'missing bearer token', { details: { reason: 'missing' } });
    if (token && Sessions.looksLikeAccessToken(token)) {
      let claimed: { iss?: unknown } = {};
      try {
        claimed = decodeJwt(token);
      } catch {
        // not a JWT after all: refused below like any unknown token
      }
      if (this.external?.claims(claimed)) {
        const caller = await this.external.verify(token);
        const user = await this.#linkedUser(caller.subject);
        if (!user)
          throw new FactoryError('API_UNAUTHORIZED', 'no enabled factory user is linked to this identity', {
            details: { reason: 'invalid' },
          });
        return this.principalOfUser(user, undefined);
      }
      if (this.sessions) {
        const caller = await this.sessions.verify(token);
        return this.principalOfUser(caller.user, caller.sessionId);
      }
    }
    const found = token ? await this.#tokens.verify(token) : undefined;
    if (!found || (found.owner && !(await this.#ownerEnabled(found.owner))))
      throw new FactoryError('API_UNAUTHORIZED', 'invalid or revoked bearer token', {
        details: { reason: 'invalid' },
      });
    return this.principalOf(found);
  }

  readonly #linked = new Map<string, { at: number; user: UserRecord | undefined }>();

  /** The enabled user linked to an external identity (cached ≤ 1 s, like session state). */
  async #linkedUser(subject: string): Promise<UserRecord | undefined> {
    const cached = this.#linked.get(subject);
    if (cached && Date.now() - cached.at < 1000) return cached.user;
    const found = await this.#registry.identity.userByOidcSubject(subject);
    const user = found && found.disabledAt === null ? found : undefined;
    if (this.#linked.size > 10_000) this.#linked.clear();
    this.#linked.set(subject, { at: Date.now(), user });
    return user;
  }

  readonly #owners = new Map<string, { at: number; enabled: boolean }>();

  async #ownerEnabled(name: string): Promise<boolean> {
    const cached = this.#owners.get(name);
    if (cached && Date.now() - cached.at < 1000) return cached.enabled;
    const user = await this.#registry.identity.getUser(name);
    const enabled = user !== undefined && user.disabledAt === null;
    this.#owners.set(name, { at: Date.now(), enabled });
    return enabled;
  }

  /** Throw API_FORBIDDEN unless the policy lets the caller use the permission. */
  authorize(principal: Principal, permission: Permission, resource?: ResourceScope): void {
    authorize(this.policy, { kind: 'token', principal }, permission, resource);
  }

  /** Count one request against the caller's rate limit; throws API_RATE_LIMITED with retryAfterSeconds. */
  async charge(principal: Principal): Promise<void> {
    const capacity = Math.max(1, Math.min(this.limits.burst, principal.requestsPerMinute));
    const waitMs = this.#registry.cluster.shared
      ? await this.#registry.cluster.takeToken(
          `api:${principal.tokenId}`,
          capacity,
          principal.requestsPerMinute,
        )
      : this.#buckets.take(principal.tokenId, capacity, principal.requestsPerMinute);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new FactoryError(
        'API_RATE_LIMITED',
        `rate limit of ${principal.requestsPerMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s`,
        { details: { retryAfterSeconds, requestsPerMinute: principal.requestsPerMinute } },
      );
    }
  }

  /**
   * Reserve the right to create `server`: a new server counts against the caller's quota (servers it created
   * that still exist, plus its creations in flight); a new revision of an existing server does not.
   */
  async reserveCreate(principal: Principal, server: string): Promise<CreateReservation> {
    if (this.#creating >= this.limits.maxConcurrentCreates)
      throw new FactoryError(
        'API_BUSY',
        `${this.#creating} servers are being created; at most ${this.limits.maxConcurrentCreates} at once`,
        { details: { retryAfterSeconds: 5 } },
      );
    const live = new Set((await this.#registry.listServers()).map((s) => s.name));
    const pending = this.#pending.get(principal.tokenId) ?? new Set<string>();
    const shared = this.#registry.cluster.shared;
    // Creations in flight on the other instances count too (the registry knows them on PostgreSQL).
    const elsewhere = shared ? await this.#registry.cluster.pendingCreates(principal.tokenId) : [];
    const isNew = !live.has(server);
    if (isNew) {
      // A signed-in user's quota counts the servers it owns; a token's, the servers made through it.
      const made =
        principal.tokenId.startsWith('user:') && principal.user !== undefined
          ? [...(await this.#registry.identity.serverScopes())]
              .filter(([, scope]) => scope.owner === principal.user)
              .map(([name]) => name)
          : ((await this.#tokens.get(principal.tokenId))?.servers ?? []);
      const owned = new Set([...made.filter((s) => live.has(s)), ...pending, ...elsewhere]);
      if (!owned.has(server) && owned.size >= principal.maxServers)
        throw new FactoryError(
          'API_SERVER_QUOTA_EXCEEDED',
          `${principal.tokenId.startsWith('user:') ? 'user' : 'token'} "${principal.name}" may have ${principal.maxServers} servers and has ${owned.size}`,
          { details: { limit: principal.maxServers, servers: [...owned].sort() } },
        );
    }
    // Re-checked after the await above: another request may have taken the last slot meanwhile.
    if (this.#creating >= this.limits.maxConcurrentCreates || pending.has(server))
      throw new FactoryError(
        'API_BUSY',
        pending.has(server)
          ? `server "${server}" is already being created by this token`
          : `at most ${this.limits.maxConcurrentCreates} servers are created at once`,
        { details: { retryAfterSeconds: 5 } },
      );
    if (
      shared &&
      !(await this.#registry.cluster.reserveCreate(server, principal.tokenId, RESERVATION_TTL_MS))
    )
      throw new FactoryError('API_BUSY', `server "${server}" is already being created by another request`, {
        details: { retryAfterSeconds: 5 },
      });
    this.#creating++;
    pending.add(server);
    this.#pending.set(principal.tokenId, pending);
    let released = false;
    return {
      commit: async () => {
        if (!isNew) return;
        const now = new Set((await this.#registry.listServers()).map((s) => s.name));
        await this.#tokens.recordServer(principal.tokenId, server, now);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#creating--;
        pending.delete(server);
        if (pending.size === 0) this.#pending.delete(principal.tokenId);
        // Best effort: a reservation left behind expires after RESERVATION_TTL_MS.
        if (shared)
          void this.#registry.cluster.releaseCreate(server, principal.tokenId).catch(() => undefined);
      },
    };
  }
}
