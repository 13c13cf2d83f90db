/**
 * Roles: the one table that says which permissions each role grants, and over which servers. A permission is
 * granted over `all` servers, the servers of the caller's `team` (tenant), or only the servers the caller
 * `own`s (created). Viewing rules: a caller sees the servers of its team; a caller without a team sees the
 * servers of no team; `admin` without a team and the legacy `service` role see every server. The policy
 * (policy.ts) applies this table; nothing else in the factory knows what a role may do.
 */
import type { Permission } from './policy.js';

export const ROLES = ['admin', 'operator', 'developer', 'reviewer', 'viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a person can have (service is the role of API tokens made before roles existed). */
export { USER_ROLES, type UserRole } from '../store/schema.js';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Over which servers a grant applies. */
export type Reach = 'all' | 'team' | 'own';

type Grants = Partial<Record<Permission, Reach>>;

const READ: Grants = {
  'servers.read': 'team',
  'tools.search': 'team',
  'templates.read': 'all',
  'api.describe': 'all',
  'specs.validate': 'all',
  'account.self': 'all',
  'jobs.read': 'all',
};

/**
 * What each role may do. Elevated permissions (code tools) are never granted by a role alone but admin's.
 * `gateway.manage` (the gateway's upstreams, visible to every team) is asked on a resource of no team: a `team`
 * grant reaches it only for a caller without a team.
 */
export const ROLE_GRANTS: Record<Role, Grants> = {
  admin: {
    ...READ,
    'servers.create': 'team',
    'servers.create.code': 'team',
    'servers.create.host': 'team',
    'servers.deploy': 'team',
    'servers.control': 'team',
    'servers.remove': 'team',
    'servers.call': 'team',
    'servers.logs': 'team',
    'audit.read': 'team',
    'api.metrics': 'all',
    'users.read': 'team',
    'users.manage': 'team',
    'teams.manage': 'all',
    'toolsmith.analyze': 'team',
    'toolsmith.read': 'team',
    'toolsmith.review': 'team',
    'gateway.manage': 'team',
    'jobs.all': 'team',
  },
  operator: {
    ...READ,
    'servers.deploy': 'team',
    'servers.control': 'team',
    'servers.call': 'team',
    'servers.logs': 'team',
    'audit.read': 'team',
    'api.metrics': 'all',
    'users.read': 'team',
    'gateway.manage': 'team',
  },
  developer: {
    ...READ,
    'servers.create': 'own',
    'servers.deploy': 'own',
    'servers.control': 'own',
    'servers.remove': 'own',
    'servers.call': 'team',
    'servers.logs': 'own',
    'toolsmith.analyze': 'team',
    'toolsmith.read': 'team',
  },
  reviewer: {
    ...READ,
    'audit.read': 'team',
    'toolsmith.read': 'team',
    'toolsmith.review': 'team',
    'users.read': 'team',
  },
  viewer: { ...READ },
  // Tokens made before roles keep what they could do then: every server permission on every server (code
  // tools only with the token's scopes), no user or team management.
  service: {
    'specs.validate': 'all',
    'servers.create': 'all',
    'servers.read': 'all',
    'servers.deploy': 'all',
    'servers.control': 'all',
    'servers.remove': 'all',
    'servers.call': 'all',
    'servers.logs': 'all',
    'tools.search': 'all',
    'audit.read': 'all',
    'templates.read': 'all',
    'api.metrics': 'all',
    'api.describe': 'all',
    'account.self': 'all',
    'gateway.manage': 'all',
    'toolsmith.analyze': 'all',
    'toolsmith.read': 'all',
    'jobs.read': 'all',
  },
};

/** The permissions a role grants (for /auth/permissions and the docs). */
export function grantsOf(role: Role): Array<{ permission: Permission; reach: Reach }> {
  return Object.entries(ROLE_GRANTS[role]).map(([permission, reach]) => ({
    permission: permission as Permission,
    reach: reach as Reach,
  }));
}

/** Whether `role` may give `other` to someone (no one hands out more than they have; only admin hands out). */
export function mayAssign(role: Role, other: Role): boolean {
  return role === 'admin' && other !== 'service';
}
