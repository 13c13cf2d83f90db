/**
 * Managing users and teams: the checks every surface (API routes, CLI) shares. Names are 1–64 characters of
 * A-Z a-z 0-9 . _ @ - (they appear as audit actors and in URLs); emails are plain `local@domain`. Who may
 * change whom: the local user (CLI on the factory host) anyone; an admin without a team anyone; an admin of a
 * team only the users of that team, and never into another team or to an admin without a team. Nobody hands out
 * a role they cannot assign (roles.ts `mayAssign`). Every change lands in the audit trail.
 */
import { FactoryError } from '../core/errors/index.js';
import type { Registry, UserRecord } from '../store/index.js';
import { hashPassword } from './passwords.js';
import type { Subject } from './policy.js';
import { isRole, mayAssign, USER_ROLES, type UserRole } from './roles.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const EMAIL = /^[^\s@<>"'`\\]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$/;

export function checkName(kind: 'user' | 'team', name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `invalid ${kind} name ${JSON.stringify(String(name).slice(0, 80))}: 1-64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit`,
      { details: { [kind]: String(name).slice(0, 80) } },
    );
  return name;
}

function checkEmail(email: unknown): string | null {
  if (email === undefined || email === null) return null;
  if (typeof email !== 'string' || !EMAIL.test(email))
    throw new FactoryError('INVALID_ARGUMENTS', 'invalid email address: use local@domain.tld', {
      details: { email: String(email).slice(0, 80) },
    });
  return email;
}

/** `https://issuer|subject`: an http(s) issuer URL, `|`, a subject of printable characters. */
function checkOidcSubject(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !/^https?:\/\/[^\s|]{1,500}\|[\x21-\x7e]{1,255}$/.test(value))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      'an OIDC identity is the issuer URL, |, and the subject (sub claim)',
      {
        details: { oidcSubject: String(value).slice(0, 80) },
      },
    );
  return value;
}

function checkRole(role: unknown): UserRole {
  if (!isRole(role) || role === 'service')
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `unknown role ${JSON.stringify(String(role).slice(0, 40))}; one of ${USER_ROLES.join(', ')}`,
    );
  return role as UserRole;
}

/** What a subject manages: everyone (null team scope), a team's users, or nobody. */
function managedTeam(subject: Subject): { all: true } | { all: false; team: string | null } | undefined {
  if (subject.kind === 'local') return { all: true };
  const p = subject.principal;
  if (p.role !== 'admin') return undefined;
  return (p.team ?? null) === null ? { all: true } : { all: false, team: p.team ?? null };
}

function refuse(message: string): FactoryError {
  return new FactoryError('AUTH_ROLE_NOT_ALLOWED', message);
}

export interface UserInput {
  name: string;
  role: string;
  team?: string | null | undefined;
  email?: string | null | undefined;
  password?: string | undefined;
}

export interface UserChange {
  role?: string | undefined;
  team?: string | null | undefined;
  email?: string | null | undefined;
  password?: string | undefined;
  disabled?: boolean | undefined;
  /** `issuer|sub` of the OIDC identity to link (null: unlink). */
  oidcSubject?: string | null | undefined;
}

export class UserAdmin {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** Whether `subject` may see `user` (admins of its team, operators and reviewers of its team, itself). */
  visible(subject: Subject, user: UserRecord): boolean {
    if (subject.kind === 'local') return true;
    const p = subject.principal;
    if (p.user === user.name) return true;
    if (p.role === 'admin' && (p.team ?? null) === null) return true;
    return (p.team ?? null) === user.team;
  }

  #mayManage(subject: Subject, team: string | null, role: UserRole): void {
    const scope = managedTeam(subject);
    if (!scope) throw refuse('only an admin manages users');
    if (scope.all) return;
    if (team !== scope.team) throw refuse(`an admin of team "${scope.team}" manages only that team's users`);
    if (subject.kind === 'token' && !mayAssign(subject.principal.role ?? 'service', role))
      throw refuse(`may not give the ${role} role`);
  }

  async create(subject: Subject, actor: string, input: UserInput): Promise<UserRecord> {
    const name = checkName('user', input.name);
    const role = checkRole(input.role);
    const team = input.team === undefined || input.team === null ? null : checkName('team', input.team);
    const scope = managedTeam(subject);
    // A team admin's new users join its team unless it says otherwise (and it may not say otherwise).
    const effectiveTeam = input.team === undefined && scope && !scope.all ? scope.team : team;
    this.#mayManage(subject, effectiveTeam, role);
    const email = checkEmail(input.email);
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const user = await this.#registry.identity.createUser({
      name,
      role,
      team: effectiveTeam,
      email,
      passwordHash,
    });
    await this.#registry.audit({
      actor,
      action: 'user.create',
      target: `user:${name}`,
      details: { role, team: effectiveTeam, password: passwordHash !== null },
    });
    return user;
  }

  async change(subject: Subject, actor: string, name: string, change: UserChange): Promise<UserRecord> {
    checkName('user', name);
    const current = await this.#registry.identity.getUser(name);
    if (!current || !this.visible(subject, current))
      throw new FactoryError('REGISTRY_NOT_FOUND', `no user "${name}"`, { details: { user: name } });
    const self = subject.kind === 'token' && subject.principal.user === name;
    const onlyPassword = Object.keys(change).every(
      (k) => k === 'password' || (change as Record<string, unknown>)[k] === undefined,
    );
    // Anyone may change their own password; everything else is an admin's.
    if (!(self && onlyPassword)) this.#mayManage(subject, current.team, current.role);
    const role = change.role === undefined ? undefined : checkRole(change.role);
    const team =
      change.team === undefined || change.team === null ? change.team : checkName('team', change.team);
    if (role !== undefined || team !== undefined)
      this.#mayManage(subject, team === undefined ? current.team : team, role ?? current.role);
    const email = change.email === undefined ? undefined : checkEmail(change.email);
    const oidcSubject = change.oidcSubject === undefined ? undefined : checkOidcSubject(change.oidcSubject);
    const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
    const user = await this.#registry.identity.updateUser(name, {
      role,
      team,
      email,
      passwordHash,
      disabled: change.disabled,
      oidcSubject,
    });
    await this.#registry.audit({
      actor,
      action: 'user.change',
      target: `user:${name}`,
      details: {
        ...(role !== undefined ? { role } : {}),
        ...(team !== undefined ? { team } : {}),
        ...(email !== undefined ? { email: email !== null } : {}),
        ...(passwordHash !== undefined ? { password: true } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(oidcSubject !== undefined ? { oidcSubject } : {}),
      },
    });
    return user;
  }

  async list(subject: Subject): Promise<UserRecord[]> {
    const users = await this.#registry.identity.listUsers();
    return users.filter((u) => this.visible(subject, u));
  }

  async get(subject: Subject, name: string): Promise<UserRecord> {
    checkName('user', name);
    const user = await this.#registry.identity.getUser(name);
    if (!user || !this.visible(subject, user))
      throw new FactoryError('REGISTRY_NOT_FOUND', `no user "${name}"`, { details: { user: name } });
    return user;
  }

  async createTeam(subject: Subject, actor: string, name: string) {
    checkName('team', name);
    const scope = managedTeam(subject);
    if (!scope?.all) throw refuse('only an admin without a team (or the local user) creates teams');
    const team = await this.#registry.identity.createTeam(name);
    await this.#registry.audit({ actor, action: 'team.create', target: `team:${name}` });
    return team;
  }

  async deleteTeam(subject: Subject, actor: string, name: string): Promise<void> {
    checkName('team', name);
    const scope = managedTeam(subject);
    if (!scope?.all) throw refuse('only an admin without a team (or the local user) deletes teams');
    await this.#registry.identity.deleteTeam(name);
    await this.#registry.audit({ actor, action: 'team.delete', target: `team:${name}` });
  }
}
