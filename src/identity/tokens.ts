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
import { randomBytes, timingSafeEqual } from 'node:crypto';
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
import { type ElevatedPermission, isElevated } from './policy.js';
import { isRole, type Role } from './roles.js';
import { checkChanges, hashToken, newTokenRecord, storedAllowList, TOKEN_PREFIX } from './tokens-input.js';

export {
  ALLOW_LIST_LIMITS,
  checkAllowList,
  checkChanges,
  hashToken,
  newTokenRecord,
  TOKEN_PREFIX,
} from './tokens-input.js';

export const TOKENS_FILE = 'api-tokens.json';
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

interface TokenFile {
  version: 1;
  tokens: TokenRecord[];
}

function storeError(message: string, cause?: unknown): FactoryError {
  return new FactoryError('TOKEN_STORE_INVALID', message, cause === undefined ? {} : { cause });
}

/** A record without its hash, with copies of its lists. */
export function info(record: TokenRecord): TokenInfo {
  const { hash: _hash, ...rest } = record;
  return {
    ...rest,
    servers: [...rest.servers],
    scopes: [...rest.scopes],
    allowedServers: rest.allowedServers ? [...rest.allowedServers] : null,
    allowedTools: rest.allowedTools ? [...rest.allowedTools] : null,
  };
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
  for (const t of tokens) normalizeRecord(t, file);
  return { version: 1, tokens: tokens as TokenRecord[] };
}

/**
 * Check a stored token (from the file or the registry) and fill what older versions left out, in place. What a
 * hand edit made malformed is narrowed, never widened.
 */
export function normalizeRecord(entry: unknown, where: string): TokenRecord {
  const t = entry as Partial<TokenRecord>;
  if (
    !t ||
    typeof t.id !== 'string' ||
    typeof t.name !== 'string' ||
    typeof t.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(t.hash)
  )
    throw storeError(`${where} holds a malformed token entry`);
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
  return t as TokenRecord;
}

/** Whether a presented value can be a token at all (checked before any lookup). */
export function plausibleToken(token: string | undefined | null): token is string {
  return typeof token === 'string' && token.startsWith(TOKEN_PREFIX) && token.length <= 256;
}

/** The record found for a presented token's hash, when it is active (not revoked, not expired). */
export function activeInfo(record: TokenRecord | undefined, hash: string): TokenInfo | undefined {
  if (!record || record.revokedAt !== null) return undefined;
  if (record.expiresAt !== null && !(Date.parse(record.expiresAt) > Date.now())) return undefined;
  if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
  return info(record);
}

type MaybeAsync<T> = T | Promise<T>;

/**
 * What the surfaces use of a token store: the token file of a home (TokenStore, synchronous) or the registry
 * shared by a cluster's instances (tokens-registry.ts). Callers await every method.
 */
export interface ApiTokens {
  create(input: CreateTokenInput): MaybeAsync<{ token: string; info: TokenInfo }>;
  list(options?: { includeRevoked?: boolean }): MaybeAsync<TokenInfo[]>;
  revoke(nameOrId: string): MaybeAsync<TokenInfo>;
  update(
    nameOrId: string,
    changes: TokenChanges,
    check?: (before: TokenInfo, after: TokenInfo) => void,
  ): MaybeAsync<{ before: TokenInfo; after: TokenInfo }>;
  verify(token: string | undefined | null): MaybeAsync<TokenInfo | undefined>;
  get(id: string): MaybeAsync<TokenInfo | undefined>;
  recordServer(id: string, server: string, live?: ReadonlySet<string>): MaybeAsync<void>;
}

/** The tokens of a token file (none when it does not exist); TOKEN_STORE_INVALID when it is malformed. */
export function readTokenFile(file: string): TokenRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storeError(`cannot read ${file}: ${(error as Error).message}`, error);
  }
  return parseFile(text, file).tokens;
}

export class TokenStore implements ApiTokens {
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
    const { token, record } = newTokenRecord(input);
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
    const apply = checkChanges(nameOrId, changes);
    let result: { before: TokenInfo; after: TokenInfo } | undefined;
    this.#mutate((tokens) => {
      const record = tokens.find((t) => t.revokedAt === null && (t.name === nameOrId || t.id === nameOrId));
      if (!record)
        throw new FactoryError('TOKEN_NOT_FOUND', `no active token named "${nameOrId}"`, {
          details: { name: nameOrId },
        });
      const before = info(record);
      apply(record);
      const after = info(record);
      check?.(before, after);
      result = { before, after };
    });
    return result!;
  }

  /** The active token with that plaintext, or undefined (unknown, malformed or revoked). */
  verify(token: string | undefined | null): TokenInfo | undefined {
    if (!plausibleToken(token)) return undefined;
    this.#reload();
    const hash = hashToken(token);
    return activeInfo(this.#byHash.get(hash), hash);
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
    return readTokenFile(this.file);
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
