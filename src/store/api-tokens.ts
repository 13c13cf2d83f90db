/**
 * The registry's API tokens (identity/tokens-registry.ts uses them): one row per token, its sha256 and name as
 * columns, the rest as the token's JSON. Storage only: identity/tokens.ts checks every value before it gets here
 * and reads the JSON back through the same checks as the token file. A change of one token runs in a transaction
 * that locks its row (PostgreSQL), so concurrent updates on several instances do not lose each other's writes.
 */
import { sql } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { isUniqueViolation } from './db-errors.js';
import type { Db } from './repositories/shared.js';
import type { Backend } from './schema.js';

type Access = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;

export interface ApiTokenRow {
  id: string;
  hash: string;
  name: string;
  revokedAt: string | null;
  /** The token's JSON (identity/tokens.ts TokenRecord). */
  record: string;
}

type Selected = { id: string; hash: string; name: string; revoked_at: string | null; record: string };
const row = (r: Selected): ApiTokenRow => ({
  id: r.id,
  hash: r.hash,
  name: r.name,
  revokedAt: r.revoked_at,
  record: r.record,
});
const COLUMNS = ['id', 'hash', 'name', 'revoked_at', 'record'] as const;

export class ApiTokenRows {
  readonly #read: Access;
  readonly #write: Access;
  readonly #backend: Backend;

  constructor(read: Access, write: Access, backend: Backend) {
    this.#read = read;
    this.#write = write;
    this.#backend = backend;
  }

  async all(): Promise<ApiTokenRow[]> {
    return this.#read('Listing API tokens', async (db) =>
      (await db.selectFrom('mcpf_api_tokens').select(COLUMNS).orderBy('id').execute()).map(row),
    );
  }

  async byHash(hash: string): Promise<ApiTokenRow | undefined> {
    return this.#read('Reading an API token', async (db) => {
      const found = await db
        .selectFrom('mcpf_api_tokens')
        .select(COLUMNS)
        .where('hash', '=', hash)
        .executeTakeFirst();
      return found ? row(found) : undefined;
    });
  }

  async byId(id: string): Promise<ApiTokenRow | undefined> {
    return this.#read('Reading an API token', async (db) => {
      const found = await db
        .selectFrom('mcpf_api_tokens')
        .select(COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return found ? row(found) : undefined;
    });
  }

  /** Add a token; REGISTRY_CONFLICT when an active token has its name (or, never in practice, its hash). */
  async insert(token: ApiTokenRow): Promise<void> {
    await this.#write('Creating an API token', async (trx) => {
      try {
        await trx
          .insertInto('mcpf_api_tokens')
          .values({
            id: token.id,
            hash: token.hash,
            name: token.name,
            revoked_at: token.revokedAt,
            record: token.record,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new FactoryError('REGISTRY_CONFLICT', `an active API token named "${token.name}" exists`, {
            details: { name: token.name },
          });
        throw error;
      }
    });
  }

  /**
   * Add tokens from a token file in one transaction; one already there (same id, hash, or an active one of the
   * same name) is left as it is, so importing the same file twice, or on several instances, adds nothing more.
   */
  async importAll(tokens: readonly ApiTokenRow[]): Promise<number> {
    if (tokens.length === 0) return 0;
    return this.#write('Importing API tokens', async (trx) => {
      let added = 0;
      for (const t of tokens) {
        const result = await trx
          .insertInto('mcpf_api_tokens')
          .values({ id: t.id, hash: t.hash, name: t.name, revoked_at: t.revokedAt, record: t.record })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        added += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      return added;
    });
  }

  /**
   * Change one token in a transaction: `pick` chooses it among the candidates (tokens whose name or id is
   * `nameOrId`, rows locked on PostgreSQL), `change` returns its new row or throws (nothing is written then).
   */
  async change<T>(
    nameOrId: string,
    pick: (candidates: ApiTokenRow[]) => ApiTokenRow | undefined,
    change: (current: ApiTokenRow | undefined) => { next: ApiTokenRow; result: T } | { result: T },
  ): Promise<T> {
    return this.#write('Changing an API token', async (trx) => {
      let query = trx
        .selectFrom('mcpf_api_tokens')
        .select(COLUMNS)
        .where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)]));
      if (this.#backend === 'postgres') query = query.forUpdate();
      const current = pick((await query.execute()).map(row));
      const outcome = change(current);
      if ('next' in outcome) {
        const { next } = outcome;
        try {
          await trx
            .updateTable('mcpf_api_tokens')
            .set({ name: next.name, revoked_at: next.revokedAt, record: next.record })
            .where('id', '=', next.id)
            .execute();
        } catch (error) {
          if (isUniqueViolation(error))
            throw new FactoryError('REGISTRY_CONFLICT', `an active API token named "${next.name}" exists`, {
              details: { name: next.name },
            });
          throw error;
        }
      }
      return outcome.result;
    });
  }

  /** How many tokens the registry holds (start-up hints). */
  async count(): Promise<number> {
    return this.#read('Counting API tokens', async (db) => {
      const found = await db
        .selectFrom('mcpf_api_tokens')
        .select(sql<number>`count(*)`.as('n'))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(found?.n ?? 0);
    });
  }
}
