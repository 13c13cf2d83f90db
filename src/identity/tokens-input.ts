/**
 * The checks of API token input, shared by the token file (tokens.ts) and the registry's store
 * (tokens-registry.ts): names, limits, scopes, roles, expiry and allow-lists of a new token or of a change.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FactoryError } from '../core/errors/index.js';
import { ELEVATED_PERMISSIONS, type ElevatedPermission, isElevated } from './policy.js';
import { isRole, ROLES, type Role } from './roles.js';
import type { CreateTokenInput, TokenChanges, TokenRecord } from './tokens.js';

export const TOKEN_PREFIX = 'mcpf_';
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Caps of token allow-lists: patterns per list, and characters per pattern. */
export const ALLOW_LIST_LIMITS = { patterns: 64, serverPattern: 64, toolPattern: 200 } as const;
const SERVER_PATTERN = /^[A-Za-z0-9_.*-]+$/;
const TOOL_PATTERN = /^[A-Za-z0-9_.*/-]+$/;

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
export function storedAllowList(value: unknown): string[] | null {
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

/** A new token from checked input: its plaintext (shown once) and its record (holding only the hash). */
export function newTokenRecord(input: CreateTokenInput): { token: string; record: TokenRecord } {
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
  return { token, record };
}

/**
 * Check a change of a token like `create` checks its fields (INVALID_ARGUMENTS when nothing or something invalid
 * is given); the result applies it to a record in place.
 */
export function checkChanges(nameOrId: string, changes: TokenChanges): (record: TokenRecord) => void {
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
  return (record) => {
    if (role !== undefined) record.role = role;
    if (lifetime !== null) record.expiresAt = expiryIn(lifetime);
    if (changes.allowedServers !== undefined) record.allowedServers = allowedServers;
    if (changes.allowedTools !== undefined) record.allowedTools = allowedTools;
  };
}
