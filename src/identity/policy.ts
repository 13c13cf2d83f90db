/**
 * Who may do what: the one place that decides whether a subject (a token holder, or the local user of the CLI
 * and of the MCP server over stdio) may use a permission. Every management operation names the permission it
 * needs, and every surface asks `authorize` before running it. Today's rule: any authenticated caller may do
 * everything (authentication, rate limits and server quotas are AccessControl's). Users, roles and finer
 * policies plug in as other `Policy` implementations without touching the surfaces.
 */
import { FactoryError } from '../core/errors/index.js';
import type { Principal } from './access.js';

/** Everything a caller can be allowed to do through the management surfaces. */
export const PERMISSIONS = [
  'specs.validate',
  'servers.create',
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
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** Who asks: the holder of an API token, or the local user (CLI, MCP over stdio), trusted like the shell. */
export type Subject = { kind: 'token'; principal: Principal } | { kind: 'local'; name: string };

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface Policy {
  decide(subject: Subject, permission: Permission): Decision;
}

/** Today's policy: an authenticated token holder, like the local user, may do everything. */
export const ALLOW_AUTHENTICATED: Policy = {
  decide: () => ({ allowed: true }),
};

export function subjectName(subject: Subject): string {
  return subject.kind === 'token' ? subject.principal.name : subject.name;
}

/** Throw API_FORBIDDEN unless the policy allows the subject the permission. */
export function authorize(policy: Policy, subject: Subject, permission: Permission): void {
  const decision = policy.decide(subject, permission);
  if (decision.allowed) return;
  throw new FactoryError(
    'API_FORBIDDEN',
    `${subjectName(subject)} may not ${permission}: ${decision.reason}`,
    {
      details: { permission, subject: subjectName(subject) },
    },
  );
}
