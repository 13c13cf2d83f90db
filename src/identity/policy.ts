/**
 * Who may do what: the one place that decides whether a subject (a token holder, or the local user of the CLI
 * and of the MCP server over stdio) may use a permission. Every management operation names the permission it
 * needs, and every surface asks `authorize` before running it. A spec may need more than `servers.create`:
 * tools that run code the factory did not write (`code`, and any kind that is not declarative) need
 * `servers.create.code`, and code with host access needs `servers.create.host` — `authorizeSpec` is the one
 * check both the HTTP API and the factory's MCP server run before a creation. Today's rule: the local user may
 * do everything; a token holder everything but the elevated permissions, which a token has only when it was
 * made with them (`mcp-factory token create NAME --allow-code`). ROLE_POLICY applies the role table (roles.ts):
 * what each role grants and over which servers (all, the caller's team, its own); a token made before roles has
 * the `service` role, which is today's rule. Authentication, rate limits and server quotas are AccessControl's.
 */
import { FactoryError } from '../core/errors/index.js';
import { implementationsOf } from '../core/kinds/index.js';
import type { ServerSpec } from '../core/spec/model.js';
import type { Principal } from './access.js';
import { type Reach, ROLE_GRANTS } from './roles.js';

/** Everything a caller can be allowed to do through the management surfaces. */
export const PERMISSIONS = [
  'specs.validate',
  'servers.create',
  'servers.create.code',
  'servers.create.host',
  'servers.read',
  'servers.deploy',
  'servers.control',
  'servers.remove',
  'servers.call',
  'servers.logs',
  'tools.search',
  'audit.read',
  'templates.read',
  'api.metrics',
  'api.describe',
  'users.read',
  'users.manage',
  'teams.manage',
  /** Ask the toolsmith a question about a dataset (it writes a tool and runs it in the sandbox). */
  'toolsmith.analyze',
  /** Read toolsmith runs: questions, plans, code, results (which hold rows of the datasets). */
  'toolsmith.read',
  /** Approve, reject or send back a run; archive and roll back promoted tools. */
  'toolsmith.review',
  'account.self',
  /** Add and remove the gateway's upstreams at runtime (REST); gateway-wide, so a team's grant does not reach it. */
  'gateway.manage',
  /** Follow and cancel one's own jobs (docs/jobs.md). */
  'jobs.read',
  /** See and cancel other callers' jobs (within the reach of the grant: a team, or all). */
  'jobs.all',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * Permissions a token has only when it was made with them: running code the factory did not write, on the
 * factory's machines, is not something a token for managing servers implies.
 */
export const ELEVATED_PERMISSIONS = [
  'servers.create.code',
  'servers.create.host',
] as const satisfies readonly Permission[];
export type ElevatedPermission = (typeof ELEVATED_PERMISSIONS)[number];

export function isElevated(permission: string): permission is ElevatedPermission {
  return (ELEVATED_PERMISSIONS as readonly string[]).includes(permission);
}

/** Tool kinds that only declare what to do (the factory writes all the code): no permission beyond create. */
const DECLARATIVE_KINDS = new Set(['sql', 'http', 'static', 'query', 'catalog']);

/** Who asks: the holder of an API token, or the local user (CLI, MCP over stdio), trusted like the shell. */
export type Subject = { kind: 'token'; principal: Principal } | { kind: 'local'; name: string };

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** What a permission is used on: a server, by its owner (the user who created it) and team (tenant). */
export interface ResourceScope {
  owner: string | null;
  team: string | null;
}

export interface Policy {
  /** Whether the subject may use the permission; on `resource` when given (absent: in general, e.g. create). */
  decide(subject: Subject, permission: Permission, resource?: ResourceScope): Decision;
}

/**
 * Today's policy: the local user may do everything; an authenticated token holder everything but the elevated
 * permissions, which it needs among the token's scopes.
 */
export const ALLOW_AUTHENTICATED: Policy = {
  decide(subject, permission) {
    if (subject.kind === 'local' || !isElevated(permission)) return { allowed: true };
    if (subject.principal.scopes?.includes(permission)) return { allowed: true };
    return { allowed: false, reason: `the token was not made with the ${permission} scope` };
  },
};

/**
 * The role policy: the role table (roles.ts), and for a resource its reach — every server, the caller's team
 * (an admin without a team reaches every team), or the servers the caller created. The local user may do
 * everything. Elevated permissions a role does not grant are allowed by a token's scopes, within the reach of
 * `servers.create`.
 */
export const ROLE_POLICY: Policy = {
  decide(subject, permission, resource) {
    if (subject.kind === 'local') return { allowed: true };
    const p = subject.principal;
    const role = p.role ?? 'service';
    let reach: Reach | undefined = ROLE_GRANTS[role][permission];
    if (reach === undefined && isElevated(permission) && p.scopes?.includes(permission))
      reach = ROLE_GRANTS[role]['servers.create'];
    if (reach === undefined)
      return {
        allowed: false,
        reason:
          isElevated(permission) && p.user === undefined
            ? `the token was not made with the ${permission} scope`
            : `the ${role} role does not grant ${permission}`,
      };
    if (!resource || reach === 'all') return { allowed: true };
    const team = p.team ?? null;
    if (!(role === 'admin' && team === null) && resource.team !== team)
      return { allowed: false, reason: 'the server belongs to another team' };
    if (reach === 'own' && (p.user === undefined || resource.owner !== p.user))
      return { allowed: false, reason: `the ${role} role grants ${permission} only on servers one created` };
    return { allowed: true };
  },
};

/** Whether the subject may see a server (listings and search leave out the others). */
export function canSee(policy: Policy, subject: Subject, resource: ResourceScope): boolean {
  return policy.decide(subject, 'servers.read', resource).allowed;
}

/** What creating `spec` needs beyond `servers.create`, with the tools that need it. */
export function specPermissions(
  spec: ServerSpec,
): Array<{ permission: ElevatedPermission; tools: string[] }> {
  const needs = new Map<ElevatedPermission, string[]>();
  const need = (permission: ElevatedPermission, tool: string) =>
    needs.set(permission, [...(needs.get(permission) ?? []), tool]);
  for (const tool of spec.tools)
    for (const { kind, impl } of implementationsOf(tool)) {
      // Anything not known to be declarative runs code the factory did not write (code today, command next).
      if (!DECLARATIVE_KINDS.has(kind.name)) need('servers.create.code', tool.name);
      // Command tools run programs of the host (docs/commands.md): the same grant as code with host access.
      if (kind.name === 'command' || (impl as { hostAccess?: unknown } | undefined)?.hostAccess !== undefined)
        need('servers.create.host', tool.name);
    }
  return ELEVATED_PERMISSIONS.filter((p) => needs.has(p)).map((permission) => ({
    permission,
    tools: [...new Set(needs.get(permission))],
  }));
}

/** Throw API_SCOPE_REQUIRED unless the subject may create every tool of the spec (before anything is built). */
export function authorizeSpec(policy: Policy, subject: Subject, spec: ServerSpec): void {
  for (const { permission, tools } of specPermissions(spec)) {
    const decision = policy.decide(subject, permission);
    if (decision.allowed) continue;
    const what =
      permission === 'servers.create.host'
        ? 'tools with host access (code.hostAccess, command)'
        : 'code tools';
    throw new FactoryError(
      'API_SCOPE_REQUIRED',
      `${subjectName(subject)} may not create ${what} (${tools.map((t) => `"${t}"`).join(', ')}): ${decision.reason}`,
      { details: { permission, subject: subjectName(subject), tools } },
    );
  }
}

export function subjectName(subject: Subject): string {
  return subject.kind === 'token' ? subject.principal.name : subject.name;
}

/** Throw API_FORBIDDEN (API_SCOPE_REQUIRED for an elevated one) unless the policy allows the permission. */
export function authorize(
  policy: Policy,
  subject: Subject,
  permission: Permission,
  resource?: ResourceScope,
): void {
  const decision = policy.decide(subject, permission, resource);
  if (decision.allowed) return;
  throw new FactoryError(
    isElevated(permission) ? 'API_SCOPE_REQUIRED' : 'API_FORBIDDEN',
    `${subjectName(subject)} may not ${permission}: ${decision.reason}`,
    {
      details: { permission, subject: subjectName(subject) },
    },
  );
}
