/**
 * The rules of changing an API token in place (`mcp-factory token update`, `PATCH /auth/tokens/:name`), shared
 * by the CLI and the HTTP API over `TokenStore.update` (which checks the values like `create` does):
 *
 * - what a change widens: a role granting something the old one did not (or over more servers), a later expiry,
 *   an allow-list of servers or tools not proven within the old one (core/text/patterns.ts `allowListWithin`;
 *   removing a restriction always widens);
 * - a caller that may only narrow (a request authenticated by an API token) is refused any widening, so a token
 *   never gives a token — itself included — more than it had (TOKEN_WIDENING_REFUSED);
 * - a personal token never has more than its owner: when its role changes or the change widens it, the role
 *   must be the owner's role or viewer (AUTH_ROLE_NOT_ALLOWED), as at creation;
 * - what the audit trail records of a change (each changed field, from and to).
 *
 * Who may reach which token is the surface's rule (the CLI: any token; the API: the caller's own personal
 * tokens, as for revoke); `owner` re-checks it under the store's lock.
 */
import { FactoryError } from '../core/errors/index.js';
import { allowListWithin } from '../core/text/patterns.js';
import { type Reach, ROLE_GRANTS, type Role } from './roles.js';
import type { TokenInfo } from './tokens.js';

/** What a change can widen. */
export type TokenField = 'role' | 'expiry' | 'servers' | 'tools';

const REACH_RANK: Record<Reach, number> = { own: 0, team: 1, all: 2 };

/** Whether role `inner` grants nothing `outer` does not: each of its permissions, over no more servers. */
export function roleWithin(inner: Role, outer: Role): boolean {
  if (inner === outer) return true;
  // An admin without a team reaches every team's servers: no other role reaches that far.
  if (inner === 'admin') return false;
  const wide: Partial<Record<string, Reach>> = ROLE_GRANTS[outer];
  return Object.entries(ROLE_GRANTS[inner]).every(([permission, reach]) => {
    const has = wide[permission];
    return has !== undefined && REACH_RANK[has] >= REACH_RANK[reach];
  });
}

function expiresLater(after: string | null, before: string | null): boolean {
  if (before === null) return false;
  if (after === null) return true;
  return Date.parse(after) > Date.parse(before);
}

/** What `after` gives beyond `before` (empty: the change narrows the token, or changes nothing). */
export function widenings(before: TokenInfo, after: TokenInfo): TokenField[] {
  const out: TokenField[] = [];
  if (!roleWithin(after.role, before.role)) out.push('role');
  if (expiresLater(after.expiresAt, before.expiresAt)) out.push('expiry');
  if (!allowListWithin(after.allowedServers, before.allowedServers)) out.push('servers');
  if (!allowListWithin(after.allowedTools, before.allowedTools)) out.push('tools');
  return out;
}

/** Who changes a token, and within which limits. */
export interface TokenUpdater {
  /** Who asks (messages and audit): a token's or user's name, or the local actor. */
  name: string;
  /** Only a token of this owner may be changed (the API: the caller's own personal tokens); absent: any. */
  owner?: string | undefined;
  /** The owner's role now: a personal token that changes role or widens gets at most it (or viewer). */
  ownerRole?: Role | undefined;
  /** Only narrowing changes: the request was authenticated by an API token. */
  narrowOnly?: boolean | undefined;
}

/** The check `TokenStore.update` runs under its lock: throws (nothing written) when the change is not allowed. */
export function updateCheck(by: TokenUpdater): (before: TokenInfo, after: TokenInfo) => void {
  return (before, after) => {
    if (by.owner !== undefined && before.owner !== by.owner)
      throw new FactoryError('TOKEN_NOT_FOUND', `no personal token named "${before.name}"`, {
        details: { name: before.name },
      });
    const wider = widenings(before, after);
    if (by.narrowOnly && wider.length > 0)
      throw new FactoryError(
        'TOKEN_WIDENING_REFUSED',
        `${by.name} may narrow token "${before.name}" but not widen it: the change widens its ${wider.join(', ')}`,
        {
          details: {
            token: before.name,
            widens: wider,
            hint: 'Sign in as the owner (POST /auth/login) and make the change with that access token, or ask for less (a later expiry, another role or a removed or wider allow-list widens).',
          },
        },
      );
    const role = after.role;
    const ownerRole = by.ownerRole;
    if (
      before.owner !== null &&
      ownerRole !== undefined &&
      (role !== before.role || wider.length > 0) &&
      role !== ownerRole &&
      role !== 'viewer'
    )
      throw new FactoryError(
        'AUTH_ROLE_NOT_ALLOWED',
        `a personal token of user "${before.owner}" may have the role ${ownerRole === 'viewer' ? 'viewer' : `${ownerRole} (the user's role) or viewer`}, not ${role}: a token never has more than its owner`,
        {
          details: {
            token: before.name,
            user: before.owner,
            userRole: ownerRole,
            requested: role,
            hint: `Give the token the role ${ownerRole} or viewer in the same change.`,
          },
        },
      );
  };
}

/** The audit details of a change: each field that changed, from and to. */
export function changeDetails(
  before: TokenInfo,
  after: TokenInfo,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ['role', 'expiresAt', 'allowedServers', 'allowedTools'] as const)
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      out[key] = { from: before[key], to: after[key] };
  return out;
}
