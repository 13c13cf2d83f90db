/**
 * The registry's identity tables: teams, users, sign-in sessions and their refresh tokens, the login history,
 * the JWT signing keys, and each server's owner and team. Storage only: names, roles and passwords are checked
 * and hashed by src/identity before they get here. Refresh tokens are stored as sha256 and never deleted while
 * their session lives, so a used one presented again is recognised as a replay (and revokes the session).
 */

import type { Selectable } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { isUniqueViolation } from './db-errors.js';
import { type Db, now } from './repositories/shared.js';
import type { UserRole, UsersTable } from './schema.js';

export interface TeamRecord {
  name: string;
  createdAt: string;
}

export interface UserRecord {
  id: number;
  name: string;
  email: string | null;
  role: UserRole;
  team: string | null;
  oidcSubject: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Whether a password is set (the hash itself never leaves the store but through `passwordHashOf`). */
  hasPassword: boolean;
}

export interface NewUser {
  name: string;
  email?: string | null | undefined;
  passwordHash?: string | null | undefined;
  oidcSubject?: string | null | undefined;
  role: UserRole;
  team?: string | null | undefined;
}

export interface UserPatch {
  email?: string | null | undefined;
  passwordHash?: string | null | undefined;
  role?: UserRole | undefined;
  team?: string | null | undefined;
  disabled?: boolean | undefined;
  oidcSubject?: string | null | undefined;
}

export interface SessionState {
  id: string;
  user: UserRecord;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
}

export type RefreshOutcome =
  | { kind: 'rotated'; session: SessionState }
  | { kind: 'unknown' }
  | { kind: 'replayed'; sessionId: string }
  | { kind: 'ended'; sessionId: string; reason: string };

export interface LoginRecord {
  id: number;
  at: string;
  name: string;
  ok: boolean;
  reason: string;
  address: string | null;
}

export interface ServerScope {
  owner: string | null;
  team: string | null;
}

type Read = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;

/** A row of mcpf_users as read. */
type UserRow = Selectable<UsersTable>;

function userRecord(row: UserRow): UserRecord {
  return {
    id: Number(row.id),
    name: row.name,
    email: row.email,
    role: row.role,
    team: row.team,
    oidcSubject: row.oidc_subject,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    hasPassword: row.password_hash !== null,
  };
}

const conflict = (message: string, details: Record<string, unknown>) =>
  new FactoryError('REGISTRY_CONFLICT', message, { details });
const missing = (message: string, details: Record<string, unknown>) =>
  new FactoryError('REGISTRY_NOT_FOUND', message, { details });

export class IdentityStore {
  readonly #read: Read;
  readonly #write: Read;

  constructor(read: Read, write: Read) {
    this.#read = read;
    this.#write = write;
  }

  // ---- teams

  async createTeam(name: string): Promise<TeamRecord> {
    return this.#write('Creating a team', async (db) => {
      try {
        const row = await db
          .insertInto('mcpf_teams')
          .values({ name, created_at: now() })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { name: row.name, createdAt: row.created_at };
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`team "${name}" exists`, { team: name });
        throw error;
      }
    });
  }

  async listTeams(): Promise<Array<TeamRecord & { users: number; servers: number }>> {
    return this.#read('Reading teams', async (db) => {
      const teams = await db.selectFrom('mcpf_teams').selectAll().orderBy('name').execute();
      const users = await db
        .selectFrom('mcpf_users')
        .select(['team', db.fn.countAll<number>().as('n')])
        .groupBy('team')
        .execute();
      const servers = await db
        .selectFrom('mcpf_servers')
        .where('status', '!=', 'removed')
        .select(['team', db.fn.countAll<number>().as('n')])
        .groupBy('team')
        .execute();
      const count = (rows: Array<{ team: string | null; n: number | string }>, team: string) =>
        Number(rows.find((r) => r.team === team)?.n ?? 0);
      return teams.map((t) => ({
        name: t.name,
        createdAt: t.created_at,
        users: count(users, t.name),
        servers: count(servers, t.name),
      }));
    });
  }

  /** Delete an empty team (no users, no servers that are not removed). */
  async deleteTeam(name: string): Promise<void> {
    await this.#write('Deleting a team', async (db) => {
      const team = await db.selectFrom('mcpf_teams').select('id').where('name', '=', name).executeTakeFirst();
      if (!team) throw missing(`no team "${name}"`, { team: name });
      const user = await db
        .selectFrom('mcpf_users')
        .select('name')
        .where('team', '=', name)
        .executeTakeFirst();
      const server = await db
        .selectFrom('mcpf_servers')
        .select('name')
        .where('team', '=', name)
        .where('status', '!=', 'removed')
        .executeTakeFirst();
      if (user || server)
        throw conflict(
          `team "${name}" still has ${user ? `user "${user.name}"` : `server "${server?.name}"`}`,
          {
            team: name,
          },
        );
      await db.deleteFrom('mcpf_teams').where('name', '=', name).execute();
    });
  }

  // ---- users

  async createUser(user: NewUser): Promise<UserRecord> {
    return this.#write('Creating a user', async (db) => {
      if (user.team) await this.#requireTeam(db, user.team);
      const at = now();
      try {
        const row = await db
          .insertInto('mcpf_users')
          .values({
            name: user.name,
            email: user.email ?? null,
            password_hash: user.passwordHash ?? null,
            oidc_subject: user.oidcSubject ?? null,
            role: user.role,
            team: user.team ?? null,
            disabled_at: null,
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return userRecord(row as UserRow);
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict(`user "${user.name}" exists (or its OIDC identity is linked to another user)`, {
            user: user.name,
          });
        throw error;
      }
    });
  }

  async #requireTeam(db: Db, team: string): Promise<void> {
    const found = await db.selectFrom('mcpf_teams').select('id').where('name', '=', team).executeTakeFirst();
    if (!found) throw missing(`no team "${team}"; create it first`, { team });
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    return this.#read('Reading a user', async (db) => {
      const row = await db.selectFrom('mcpf_users').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? userRecord(row as UserRow) : undefined;
    });
  }

  async userByOidcSubject(subject: string): Promise<UserRecord | undefined> {
    return this.#read('Reading a user', async (db) => {
      const row = await db
        .selectFrom('mcpf_users')
        .selectAll()
        .where('oidc_subject', '=', subject)
        .executeTakeFirst();
      return row ? userRecord(row as UserRow) : undefined;
    });
  }

  /** The stored password hash of a user (for sign-in only). */
  async passwordHashOf(name: string): Promise<{ user: UserRecord; hash: string | null } | undefined> {
    return this.#read('Reading a user', async (db) => {
      const row = await db.selectFrom('mcpf_users').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? { user: userRecord(row as UserRow), hash: row.password_hash } : undefined;
    });
  }

  async listUsers(filter: { team?: string | null | undefined } = {}): Promise<UserRecord[]> {
    return this.#read('Reading users', async (db) => {
      let q = db.selectFrom('mcpf_users').selectAll();
      if (filter.team !== undefined)
        q = filter.team === null ? q.where('team', 'is', null) : q.where('team', '=', filter.team);
      const rows = await q.orderBy('name').execute();
      return rows.map((r) => userRecord(r as UserRow));
    });
  }

  async countUsers(): Promise<number> {
    return this.#read('Counting users', async (db) => {
      const row = await db
        .selectFrom('mcpf_users')
        .select(db.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  /** Change a user; disabling one (or changing its password or role) ends its sessions. */
  async updateUser(name: string, patch: UserPatch): Promise<UserRecord> {
    return this.#write('Changing a user', async (db) => {
      const row = await db.selectFrom('mcpf_users').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw missing(`no user "${name}"`, { user: name });
      if (patch.team) await this.#requireTeam(db, patch.team);
      const at = now();
      const values: Record<string, unknown> = { updated_at: at };
      if (patch.email !== undefined) values.email = patch.email;
      if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
      if (patch.role !== undefined) values.role = patch.role;
      if (patch.team !== undefined) values.team = patch.team;
      if (patch.oidcSubject !== undefined) values.oidc_subject = patch.oidcSubject;
      if (patch.disabled !== undefined) values.disabled_at = patch.disabled ? (row.disabled_at ?? at) : null;
      try {
        await db.updateTable('mcpf_users').set(values).where('id', '=', row.id).execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('that OIDC identity is linked to another user', { user: name });
        throw error;
      }
      const ends =
        patch.disabled === true ||
        patch.passwordHash !== undefined ||
        (patch.role !== undefined && patch.role !== row.role) ||
        (patch.team !== undefined && patch.team !== row.team);
      if (ends)
        await db
          .updateTable('mcpf_sessions')
          .set({ revoked_at: at, revoked_reason: 'user changed' })
          .where('user_id', '=', row.id)
          .where('revoked_at', 'is', null)
          .execute();
      const after = await db
        .selectFrom('mcpf_users')
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      return userRecord(after as UserRow);
    });
  }

  // ---- sessions

  async createSession(input: {
    id: string;
    userId: number;
    expiresAt: string;
    address: string | null;
    refreshHash: string;
  }): Promise<void> {
    await this.#write('Starting a session', async (db) => {
      const at = now();
      await db
        .insertInto('mcpf_sessions')
        .values({
          id: input.id,
          user_id: input.userId,
          created_at: at,
          expires_at: input.expiresAt,
          revoked_at: null,
          revoked_reason: null,
          address: input.address,
        })
        .execute();
      await db
        .insertInto('mcpf_refresh_tokens')
        .values({ hash: input.refreshHash, session_id: input.id, created_at: at, used_at: null })
        .execute();
    });
  }

  async session(id: string): Promise<SessionState | undefined> {
    return this.#read('Reading a session', (db) => this.#session(db, id));
  }

  async #session(db: Db, id: string): Promise<SessionState | undefined> {
    const s = await db.selectFrom('mcpf_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!s) return undefined;
    const u = await db.selectFrom('mcpf_users').selectAll().where('id', '=', s.user_id).executeTakeFirst();
    if (!u) return undefined;
    return {
      id: s.id,
      user: userRecord(u as UserRow),
      createdAt: s.created_at,
      expiresAt: s.expires_at,
      revokedAt: s.revoked_at,
      revokedReason: s.revoked_reason,
    };
  }

  /**
   * Trade a refresh token (by hash) for a new one: the old one is marked used and `nextHash` is stored. A used
   * token presented again is a replay: the session is revoked, so the thief and the owner both sign in again.
   */
  async rotateRefresh(hash: string, nextHash: string, at: Date = new Date()): Promise<RefreshOutcome> {
    return this.#write('Refreshing a session', async (db) => {
      const token = await db
        .selectFrom('mcpf_refresh_tokens')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      if (!token) return { kind: 'unknown' } as const;
      const session = await this.#session(db, token.session_id);
      if (!session) return { kind: 'unknown' } as const;
      if (token.used_at !== null) {
        await db
          .updateTable('mcpf_sessions')
          .set({ revoked_at: at.toISOString(), revoked_reason: 'refresh token replayed' })
          .where('id', '=', session.id)
          .where('revoked_at', 'is', null)
          .execute();
        return { kind: 'replayed', sessionId: session.id } as const;
      }
      const reason = session.revokedAt
        ? (session.revokedReason ?? 'signed out')
        : Date.parse(session.expiresAt) <= at.getTime()
          ? 'session expired'
          : session.user.disabledAt
            ? 'user disabled'
            : undefined;
      if (reason) return { kind: 'ended', sessionId: session.id, reason } as const;
      // Conditional on still being unused: two concurrent refreshes with one token — one wins, one is a replay.
      const used = await db
        .updateTable('mcpf_refresh_tokens')
        .set({ used_at: at.toISOString() })
        .where('hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) return { kind: 'replayed', sessionId: session.id } as const;
      await db
        .insertInto('mcpf_refresh_tokens')
        .values({ hash: nextHash, session_id: session.id, created_at: at.toISOString(), used_at: null })
        .execute();
      return { kind: 'rotated', session } as const;
    });
  }

  async revokeSession(id: string, reason: string): Promise<boolean> {
    return this.#write('Ending a session', async (db) => {
      const r = await db
        .updateTable('mcpf_sessions')
        .set({ revoked_at: now(), revoked_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  // ---- login history

  async recordLogin(entry: {
    name: string;
    ok: boolean;
    reason: string;
    address: string | null;
  }): Promise<void> {
    await this.#write('Recording a sign-in', async (db) => {
      await db
        .insertInto('mcpf_logins')
        .values({
          at: now(),
          name: entry.name,
          ok: entry.ok ? 1 : 0,
          reason: entry.reason,
          address: entry.address,
        })
        .execute();
    });
  }

  /** Newest first. */
  async listLogins(filter: {
    name?: string | undefined;
    names?: string[] | undefined;
    limit: number;
  }): Promise<LoginRecord[]> {
    return this.#read('Reading the login history', async (db) => {
      let q = db.selectFrom('mcpf_logins').selectAll();
      if (filter.name !== undefined) q = q.where('name', '=', filter.name);
      if (filter.names !== undefined) {
        if (filter.names.length === 0) return [];
        q = q.where('name', 'in', filter.names);
      }
      const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: r.at,
        name: r.name,
        ok: Number(r.ok) === 1,
        reason: r.reason,
        address: r.address,
      }));
    });
  }

  /** Failed sign-ins of `name` since `since` and since its last successful one, and the time of the last. */
  async recentFailures(name: string, since: string): Promise<{ count: number; last: string | null }> {
    return this.#read('Reading the login history', async (db) => {
      const ok = await db
        .selectFrom('mcpf_logins')
        .select('id')
        .where('name', '=', name)
        .where('ok', '=', 1)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      let q = db
        .selectFrom('mcpf_logins')
        .select([db.fn.countAll<number>().as('n'), db.fn.max('at').as('last')])
        .where('name', '=', name)
        .where('ok', '=', 0)
        .where('at', '>', since);
      if (ok) q = q.where('id', '>', ok.id);
      const row = await q.executeTakeFirstOrThrow();
      return { count: Number(row.n), last: (row.last as string | null) ?? null };
    });
  }

  // ---- signing keys

  async signingKeys(): Promise<
    Array<{ kid: string; privateJwk: string; createdAt: string; retiredAt: string | null }>
  > {
    return this.#read('Reading signing keys', async (db) => {
      const rows = await db
        .selectFrom('mcpf_signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map((r) => ({
        kid: r.kid,
        privateJwk: r.private_jwk,
        createdAt: r.created_at,
        retiredAt: r.retired_at,
      }));
    });
  }

  /** Store a new key; with `retireOthers`, the older ones stop signing (they still verify until retired long). */
  async addSigningKey(kid: string, privateJwk: string, retireOthers: boolean): Promise<void> {
    await this.#write('Storing a signing key', async (db) => {
      const at = now();
      if (retireOthers)
        await db
          .updateTable('mcpf_signing_keys')
          .set({ retired_at: at })
          .where('retired_at', 'is', null)
          .execute();
      await db
        .insertInto('mcpf_signing_keys')
        .values({ kid, private_jwk: privateJwk, created_at: at, retired_at: null })
        .execute();
    });
  }

  // ---- server ownership

  /** Record who created a server and its team (a new server, or a removed one created anew). */
  async claimServer(name: string, scope: ServerScope): Promise<void> {
    await this.#write('Recording a server owner', async (db) => {
      await db
        .updateTable('mcpf_servers')
        .set({ owner: scope.owner, team: scope.team })
        .where('name', '=', name)
        .execute();
    });
  }

  /** Owner, team and whether the server is removed (undefined: no such name ever). */
  async serverScope(name: string): Promise<(ServerScope & { removed: boolean }) | undefined> {
    return this.#read('Reading a server owner', async (db) => {
      const row = await db
        .selectFrom('mcpf_servers')
        .select(['owner', 'team', 'status'])
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? { owner: row.owner, team: row.team, removed: row.status === 'removed' } : undefined;
    });
  }

  /** Owner and team of every server, by name (listings filter with it). */
  async serverScopes(): Promise<Map<string, ServerScope>> {
    return this.#read('Reading server owners', async (db) => {
      const rows = await db.selectFrom('mcpf_servers').select(['name', 'owner', 'team']).execute();
      return new Map(rows.map((r) => [r.name, { owner: r.owner, team: r.team }]));
    });
  }
}
