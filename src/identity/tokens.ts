/**
 * API tokens of the management surfaces (HTTP API, the factory's MCP server over HTTP).
 *
 * Tokens are `mcpf_` + 32 random bytes (base64url). Only their sha256 is stored, in `api-tokens.json` in the
 * factory home (mode 0600); the plaintext is returned once, by `create`. `update` changes a token's role,
 * expiry or allow-lists in place. Revoked tokens stay in the file (with `revokedAt`) so `token list` still shows
 * who had access. A running API re-reads the file when it changes, so `mcp-factory token revoke` (or `update`)
 * in another process takes effect on the next request.
 *
 * Writes re-read the file under a lock file (`api-tokens.json.lock`), so concurrent CLI invocations and a
 * running API do not lose each other's changes; the file is replaced atomically (write + rename).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { FactoryError } from '../core/errors/index.js';
import { defaultHome } from '../store/index.js';
import { ELEVATED_PERMISSIONS, type ElevatedPermission, isElevated } from './policy.js';
import { isRole, ROLES, type Role } from './roles.js';

export const TOKENS_FILE = 'api-tokens.json';
export const TOKEN_PREFIX = 'mcpf_';
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

export interface TokenRecord {
  id: string;
  /** The name audit entries carry as the actor. */
  name: string;
  /** sha256 of the plaintext, hex. */
  hash: string;
  /** The first characters of the plaintext, to recognise a token in `token list`. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  /** Servers this token may have at once (null: the API default). */
  maxServers: number | null;
  /** Requests per minute (null: the API default). */
  requestsPerMinute: number | null;
  /** Servers created through this token (the quota counts those that still exist). */
  servers: string[];
  /** Elevated permissions given when the token was made (e.g. servers.create.code); none by default. */
  scopes: ElevatedPermission[];
  /** What the role table grants the token (tokens made before roles: `service`). */
  role: Role;
  /** The user a personal token acts for (null: a service token). */
  owner: string | null;
  /** The team the token acts in (a personal token: its owner's team when made). */
  team: string | null;
  /** After this the token is refused (null: no expiry). */
  expiresAt: string | null;
  /**
   * Server name patterns the token is restricted to (null: every server its role reaches). Narrows the role,
   * never widens it; `*` is the one wildcard (core/text/patterns.ts).
   */
  allowedServers: string[] | null;
  /**
   * Tool name patterns the token is restricted to (null: every tool of its servers), matched against the
   * qualified name `<server>__<tool>` and the plain tool name (core/text/patterns.ts `allowsTool`).
   */
  allowedTools: string[] | null;
}

/** A token as shown to people and returned by the store: everything but the hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

export interface CreateTokenInput {
  name: string;
  maxServers?: number | null | undefined;
  requestsPerMinute?: number | null | undefined;
  /** Who creates it (for the record); default `local`. */
  createdBy?: string | undefined;
  /** Elevated permissions to give (never implied): servers.create.code, servers.create.host. */
  scopes?: readonly string[] | undefined;
  /** Default `service` (what tokens could do before roles). */
  role?: Role | undefined;
  owner?: string | null | undefined;
  team?: string | null | undefined;
  /** Seconds until the token expires (absent: never). */
  expiresInSeconds?: number | undefined;
  /** Restrict the token to servers matching these patterns (absent or null: no restriction). */
  allowedServers?: readonly string[] | null | undefined;
  /** Restrict the token to tools matching these patterns (absent or null: no restriction). */
  allowedTools?: readonly string[] | null | undefined;
}

/**
 * A change of an active token (`mcp-factory token update`, `PATCH /auth/tokens/:name`): undefined leaves a field
 * as it is; null on an allow-list removes that restriction. Checked like the same fields of `create`.
 */
export interface TokenChanges {
  role?: Role | undefined;
  /** Seconds from now until the token expires. */
  expiresInSeconds?: number | undefined;
  allowedServers?: readonly string[] | null | undefined;
  allowedTools?: readonly string[] | null | undefined;
}

/** Caps of token allow-lists: patterns per list, and characters per pattern. */
export const ALLOW_LIST_LIMITS = { patterns: 64, serverPattern: 64, toolPattern: 200 } as const;
const SERVER_PATTERN = /^[A-Za-z0-9_.*-]+$/;
const TOOL_PATTERN = /^[A-Za-z0-9_.*/-]+$/;

interface TokenFile {
  version: 1;
  tokens: TokenRecord[];
}

function storeError(message: string, cause?: unknown): FactoryError {
  return new FactoryError('TOKEN_STORE_INVALID', message, cause === undefined ? {} : { cause });
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function info(record: TokenRecord): TokenInfo {
  const { hash: _hash, ...rest } = record;
  return {
    ...rest,
    servers: [...rest.servers],
    scopes: [...rest.scopes],
    allowedServers: rest.allowedServers ? [...rest.allowedServers] : null,
    allowedTools: rest.allowedTools ? [...rest.allowedTools] : null,
  };
}

/**
 * Check an allow-list given at creation or in an update: null/absent stays null (no restriction); otherwise 1 to 64 patterns of
 * A-Z a-z 0-9 _ . - and `*` (tools also `/`), at most 64 (servers) or 200 (tools) characters; duplicates dropped.
 */
export function checkAllowList(what: 'servers' | 'tools', patterns: unknown): string[] | null {
  if (patterns === undefined || patterns === null) return null;
  const max = what === 'servers' ? ALLOW_LIST_LIMITS.serverPattern : ALLOW_LIST_LIMITS.toolPattern;
  const charset = what === 'servers' ? SERVER_PATTERN : TOOL_PATTERN;
  const chars = what === 'servers' ? 'A-Z a-z 0-9 _ . - *' : 'A-Z a-z 0-9 _ . - / *';
  if (!Array.isArray(patterns))
    throw new FactoryError('INVALID_ARGUMENTS', `allowed ${what} must be a list of name patterns`);
  if (patterns.length === 0)
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `allowed ${what}: give at least one pattern (for no restriction leave the list out, or clear it in an update)`,
    );
  if (patterns.length > ALLOW_LIST_LIMITS.patterns)
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `allowed ${what}: at most ${ALLOW_LIST_LIMITS.patterns} patterns, got ${patterns.length}`,
    );
  const out: string[] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > max || !charset.test(pattern))
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `invalid ${what === 'servers' ? 'server' : 'tool'} pattern ${JSON.stringify(typeof pattern === 'string' ? pattern.slice(0, 80) : pattern)}: 1-${max} characters of ${chars} (* matches any run of characters)`,
        { details: { field: what } },
      );
    if (!out.includes(pattern)) out.push(pattern);
  }
  return out;
}

/** A stored allow-list read back: absent or null is no restriction; anything malformed restricts to nothing. */
function storedAllowList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) return [];
  return value.filter((p): p is string => typeof p === 'string' && p.length > 0);
}

function checkRole(role: unknown): Role {
  if (!isRole(role))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `unknown role ${JSON.stringify(role)}; one of ${ROLES.join(', ')}`,
    );
  return role;
}

/** Longest lifetime of a token: ten years. */
const MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

function expiryIn(seconds: number | null): string | null {
  return seconds === null ? null : new Date(Date.now() + seconds * 1000).toISOString();
}

function checkLimit(what: string, value: number | null | undefined, min: number, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new FactoryError('INVALID_ARGUMENTS', `${what} must be an integer from ${min} to ${max}`);
  return value;
}

function checkScopes(scopes: readonly string[] | undefined): ElevatedPermission[] {
  const out: ElevatedPermission[] = [];
  for (const scope of scopes ?? []) {
    if (!isElevated(scope))
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `unknown token scope ${JSON.stringify(scope)}; one of ${ELEVATED_PERMISSIONS.join(', ')}`,
      );
    if (!out.includes(scope)) out.push(scope);
  }
  // Host access is code with more reach: it is only given together with the code permission, explicitly.
  if (out.includes('servers.create.host') && !out.includes('servers.create.code'))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      'the servers.create.host scope needs servers.create.code as well (host access is given to code tools)',
    );
  return out;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parseFile(text: string, file: string): TokenFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw storeError(`${file} is not valid JSON: ${(error as Error).message}`, error);
  }
  const tokens = (data as { tokens?: unknown } | null)?.tokens;
  if (!data || typeof data !== 'object' || !Array.isArray(tokens))
    throw storeError(`${file} is not an MCP Factory token file (no "tokens" array)`);
  for (const t of tokens as Array<Partial<TokenRecord>>) {
    if (
      !t ||
      typeof t.id !== 'string' ||
      typeof t.name !== 'string' ||
      typeof t.hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(t.hash)
    )
      throw storeError(`${file} holds a malformed token entry`);
    t.servers = Array.isArray(t.servers) ? t.servers.filter((s) => typeof s === 'string') : [];
    t.revokedAt ??= null;
    t.maxServers ??= null;
    t.requestsPerMinute ??= null;
    // Only known elevated permissions survive a hand-edited file; anything else is dropped, never widened.
    t.scopes = Array.isArray(t.scopes) ? t.scopes.filter((p): p is ElevatedPermission => isElevated(p)) : [];
    // A token from before roles is a service token; an unknown role in a hand-edited file grants nothing more.
    t.role = t.role === undefined ? 'service' : isRole(t.role) ? t.role : 'viewer';
    t.owner = typeof t.owner === 'string' ? t.owner : null;
    t.team = typeof t.team === 'string' ? t.team : null;
    t.expiresAt = typeof t.expiresAt === 'string' ? t.expiresAt : null;
    // A hand-edited allow-list that is not a list of strings allows nothing: it never widens to "everything".
    t.allowedServers = storedAllowList(t.allowedServers);
    t.allowedTools = storedAllowList(t.allowedTools);
  }
  return { version: 1, tokens: tokens as TokenRecord[] };
}

export class TokenStore {
  readonly file: string;
  #tokens: TokenRecord[] = [];
  #byHash = new Map<string, TokenRecord>();
  #stamp = '';

  constructor(file: string) {
    this.file = file;
    this.#reload(true);
  }

  /** The token file of a factory home (default: MCP_FACTORY_HOME or ~/.mcp-factory). */
  static open(options: { home?: string | undefined; file?: string | undefined } = {}): TokenStore {
    return new TokenStore(options.file ?? join(options.home ?? defaultHome(), TOKENS_FILE));
  }

  /** Create a token; the plaintext is in the result and nowhere else. */
  create(input: CreateTokenInput): { token: string; info: TokenInfo } {
    if (typeof input.name !== 'string' || !TOKEN_NAME.test(input.name))
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `invalid token name ${JSON.stringify(input.name)}: 1-64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit`,
      );
    const maxServers = checkLimit('maxServers', input.maxServers, 0, 100_000);
    const requestsPerMinute = checkLimit('requestsPerMinute', input.requestsPerMinute, 1, 1_000_000);
    const scopes = checkScopes(input.scopes);
    const role = checkRole(input.role ?? 'service');
    const lifetime = checkLimit('expiresInSeconds', input.expiresInSeconds, 60, MAX_LIFETIME_SECONDS);
    const allowedServers = checkAllowList('servers', input.allowedServers);
    const allowedTools = checkAllowList('tools', input.allowedTools);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id: `tok_${randomBytes(6).toString('hex')}`,
      name: input.name,
      hash: hashToken(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      createdAt: new Date().toISOString(),
      createdBy: input.createdBy ?? 'local',
      revokedAt: null,
      maxServers,
      requestsPerMinute,
      servers: [],
      scopes,
      role,
      owner: input.owner ?? null,
      team: input.team ?? null,
      expiresAt: expiryIn(lifetime),
      allowedServers,
      allowedTools,
    };
    this.#mutate((tokens) => {
      if (tokens.some((t) => t.name === input.name && t.revokedAt === null))
        throw new FactoryError('TOKEN_EXISTS', `an active token named "${input.name}" exists`, {
          details: { name: input.name },
        });
      tokens.push(record);
    });
    return { token, info: info(record) };
  }

  list(options: { includeRevoked?: boolean } = {}): TokenInfo[] {
    this.#reload();
    return this.#tokens.filter((t) => options.includeRevoked || t.revokedAt === null).map(info);
  }

  /** Revoke the active token with that name (or id); takes effect on the next request. */
  revoke(nameOrId: string): TokenInfo {
    let revoked: TokenRecord | undefined;
    this.#mutate((tokens) => {
      revoked = tokens.find((t) => t.revokedAt === null && (t.name === nameOrId || t.id === nameOrId));
      if (!revoked)
        throw new FactoryError('TOKEN_NOT_FOUND', `no active token named "${nameOrId}"`, {
          details: { name: nameOrId },
        });
      revoked.revokedAt = new Date().toISOString();
    });
    return info(revoked!);
  }

  /**
   * Change the role, expiry or allow-lists of the active token with that name (or id), checked like `create`;
   * takes effect on the next request. `check` sees the token before and after, under the file's lock, and
   * may refuse (throw): nothing is written then. Who may make which change is the caller's to decide
   * (token-update.ts has the rules: never more than the owner has, a token never widens a token).
   */
  update(
    nameOrId: string,
    changes: TokenChanges,
    check?: (before: TokenInfo, after: TokenInfo) => void,
  ): { before: TokenInfo; after: TokenInfo } {
    const given = (['role', 'expiresInSeconds', 'allowedServers', 'allowedTools'] as const).filter(
      (k) => changes[k] !== undefined,
    );
    if (given.length === 0)
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        'nothing to change: give a role, an expiry, or allowed servers or tools',
        {
          details: {
            name: nameOrId,
            hint: 'mcp-factory token update NAME takes --servers, --tools, --clear-servers, --clear-tools, --role and --expires; PATCH /auth/tokens/:name takes role, expiresInDays, servers and tools.',
          },
        },
      );
    const role = changes.role === undefined ? undefined : checkRole(changes.role);
    const lifetime = checkLimit('expiresInSeconds', changes.expiresInSeconds, 60, MAX_LIFETIME_SECONDS);
    const allowedServers = checkAllowList('servers', changes.allowedServers);
    const allowedTools = checkAllowList('tools', changes.allowedTools);
    let result: { before: TokenInfo; after: TokenInfo } | undefined;
    this.#mutate((tokens) => {
      const record = tokens.find((t) => t.revokedAt === null && (t.name === nameOrId || t.id === nameOrId));
      if (!record)
        throw new FactoryError('TOKEN_NOT_FOUND', `no active token named "${nameOrId}"`, {
          details: { name: nameOrId },
        });
      const before = info(record);
      if (role !== undefined) record.role = role;
      if (lifetime !== null) record.expiresAt = expiryIn(lifetime);
      if (changes.allowedServers !== undefined) record.allowedServers = allowedServers;
      if (changes.allowedTools !== undefined) record.allowedTools = allowedTools;
      const after = info(record);
      check?.(before, after);
      result = { before, after };
    });
    return result!;
  }

  /** The active token with that plaintext, or undefined (unknown, malformed or revoked). */
  verify(token: string | undefined | null): TokenInfo | undefined {
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX) || token.length > 256) return undefined;
    this.#reload();
    const hash = hashToken(token);
    const record = this.#byHash.get(hash);
    if (!record || record.revokedAt !== null) return undefined;
    if (record.expiresAt !== null && !(Date.parse(record.expiresAt) > Date.now())) return undefined;
    if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    return info(record);
  }

  /** The current record of a token by id (after reloading), or undefined. */
  get(id: string): TokenInfo | undefined {
    this.#reload();
    const record = this.#tokens.find((t) => t.id === id);
    return record ? info(record) : undefined;
  }

  /** Note that a token created a server; names not in `live` (removed since) are dropped from its list. */
  recordServer(id: string, server: string, live?: ReadonlySet<string>): void {
    this.#mutate((tokens) => {
      const record = tokens.find((t) => t.id === id);
      if (!record) return;
      const kept = live ? record.servers.filter((s) => live.has(s)) : record.servers;
      record.servers = kept.includes(server) ? kept : [...kept, server];
    });
  }

  #reload(force = false): void {
    let stamp: string;
    try {
      const s = statSync(this.file);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw storeError(`cannot read ${this.file}: ${(error as Error).message}`, error);
      stamp = 'missing';
    }
    if (!force && stamp === this.#stamp) return;
    const tokens = stamp === 'missing' ? [] : this.#readTokens();
    this.#set(tokens, stamp);
  }

  #readTokens(): TokenRecord[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError(`cannot read ${this.file}: ${(error as Error).message}`, error);
    }
    return parseFile(text, this.file).tokens;
  }

  #set(tokens: TokenRecord[], stamp: string): void {
    this.#tokens = tokens;
    this.#byHash = new Map(tokens.map((t) => [t.hash, t]));
    this.#stamp = stamp;
  }

  #mutate(change: (tokens: TokenRecord[]) => void): void {
    this.#withLock(() => {
      const tokens = this.#readTokens();
      change(tokens);
      const body: TokenFile = { version: 1, tokens };
      const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
        renameSync(tmp, this.file);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw storeError(`cannot write ${this.file}: ${(error as Error).message}`, error);
      }
      this.#stamp = '';
      this.#reload(true);
    });
  }

  #withLock<T>(fn: () => T): T {
    const dir = dirname(this.file);
    try {
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        chmodSync(dir, 0o700);
      }
    } catch (error) {
      throw storeError(`cannot create ${dir}: ${(error as Error).message}`, error);
    }
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    let fd: number | undefined;
    while (fd === undefined) {
      try {
        fd = openSync(lock, 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw storeError(`cannot lock ${this.file}: ${(error as Error).message}`, error);
        try {
          if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
        } catch {
          // the holder released it meanwhile
        }
        if (Date.now() > deadline) throw storeError(`${lock} is held by another process; retry`);
        sleepSync(10);
      }
    }
    try {
      return fn();
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
}
