/**
 * API tokens in a shared (PostgreSQL) registry, so that every instance of a factory cluster accepts the same
 * tokens, counts one quota per token and sees a revocation (docs/cluster.md). Same records, checks and errors as
 * the token file (tokens.ts): only sha256 hashes are stored. A verified token is cached for `cacheMs` (1 s,
 * like sessions' stateCacheMs): a revocation or change on another instance takes effect there within that time,
 * on this instance at once.
 *
 * A home's existing `api-tokens.json` is imported once when the store opens (one transaction; tokens already
 * there are left as they are) and then renamed to `api-tokens.json.imported` as a backup, so every token it held
 * keeps working. A SQLite registry is one machine's: its home keeps the token file (openApiTokens).
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../core/errors/index.js';
import type { ApiTokenRow, ApiTokenRows, Registry } from '../store/index.js';
import {
  type ApiTokens,
  activeInfo,
  type CreateTokenInput,
  checkChanges,
  hashToken,
  info,
  newTokenRecord,
  normalizeRecord,
  plausibleToken,
  readTokenFile,
  TOKENS_FILE,
  type TokenChanges,
  type TokenInfo,
  type TokenRecord,
  TokenStore,
} from './tokens.js';

/** Verified tokens kept at most (beyond it the oldest are dropped: presented values never grow memory). */
const CACHE_ENTRIES = 10_000;

function toRow(record: TokenRecord): ApiTokenRow {
  return {
    id: record.id,
    hash: record.hash,
    name: record.name,
    revokedAt: record.revokedAt,
    record: JSON.stringify(record),
  };
}

function fromRow(row: ApiTokenRow): TokenRecord {
  let data: unknown;
  try {
    data = JSON.parse(row.record);
  } catch (error) {
    throw new FactoryError('TOKEN_STORE_INVALID', `the registry holds a malformed API token (${row.id})`, {
      cause: error,
    });
  }
  const record = normalizeRecord(data, 'the registry');
  // The columns are what the constraints check: they win over the JSON.
  return { ...record, id: row.id, hash: row.hash, name: row.name, revokedAt: row.revokedAt };
}

const notFound = (nameOrId: string) =>
  new FactoryError('TOKEN_NOT_FOUND', `no active token named "${nameOrId}"`, { details: { name: nameOrId } });

const pickActive = (nameOrId: string) => (rows: ApiTokenRow[]) =>
  rows.find((r) => r.revokedAt === null && r.name === nameOrId) ??
  rows.find((r) => r.revokedAt === null && r.id === nameOrId);

export class RegistryTokenStore implements ApiTokens {
  readonly #rows: ApiTokenRows;
  readonly #cacheMs: number;
  readonly #verified = new Map<string, { at: number; record: TokenRecord }>();

  constructor(rows: ApiTokenRows, options: { cacheMs?: number | undefined } = {}) {
    this.#rows = rows;
    this.#cacheMs = options.cacheMs ?? 1000;
  }

  /** Import a token file into the registry (see above); how many tokens were added. */
  async importFile(file: string): Promise<number> {
    if (!existsSync(file)) return 0;
    const added = await this.#rows.importAll(readTokenFile(file).map(toRow));
    const backup = `${file}.imported`;
    try {
      renameSync(file, existsSync(backup) ? `${backup}.${Date.now()}` : backup);
    } catch (error) {
      throw new FactoryError(
        'TOKEN_STORE_INVALID',
        `imported ${file} into the registry but cannot rename it: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return added;
  }

  async create(input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
    const { token, record } = newTokenRecord(input);
    try {
      await this.#rows.insert(toRow(record));
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'REGISTRY_CONFLICT')
        throw new FactoryError('TOKEN_EXISTS', `an active token named "${input.name}" exists`, {
          details: { name: input.name },
        });
      throw error;
    }
    return { token, info: info(record) };
  }

  async list(options: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
    const records = (await this.#rows.all()).map(fromRow);
    return records
      .filter((t) => options.includeRevoked || t.revokedAt === null)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(info);
  }

  async revoke(nameOrId: string): Promise<TokenInfo> {
    const record = await this.#rows.change(nameOrId, pickActive(nameOrId), (current) => {
      if (!current) throw notFound(nameOrId);
      const next = { ...fromRow(current), revokedAt: new Date().toISOString() };
      return { next: toRow(next), result: next };
    });
    this.#verified.delete(record.hash);
    return info(record);
  }

  async update(
    nameOrId: string,
    changes: TokenChanges,
    check?: (before: TokenInfo, after: TokenInfo) => void,
  ): Promise<{ before: TokenInfo; after: TokenInfo }> {
    const apply = checkChanges(nameOrId, changes);
    const { record, result } = await this.#rows.change(nameOrId, pickActive(nameOrId), (current) => {
      if (!current) throw notFound(nameOrId);
      const next = fromRow(current);
      const before = info(next);
      apply(next);
      const after = info(next);
      check?.(before, after);
      return { next: toRow(next), result: { record: next, result: { before, after } } };
    });
    this.#verified.delete(record.hash);
    return result;
  }

  async verify(token: string | undefined | null): Promise<TokenInfo | undefined> {
    if (!plausibleToken(token)) return undefined;
    const hash = hashToken(token);
    const cached = this.#verified.get(hash);
    if (cached && Date.now() - cached.at < this.#cacheMs) return activeInfo(cached.record, hash);
    const row = await this.#rows.byHash(hash);
    if (!row) {
      this.#verified.delete(hash);
      return undefined;
    }
    const record = fromRow(row);
    this.#verified.delete(hash);
    if (this.#verified.size >= CACHE_ENTRIES) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(hash, { at: Date.now(), record });
    return activeInfo(record, hash);
  }

  async get(id: string): Promise<TokenInfo | undefined> {
    const row = await this.#rows.byId(id);
    return row ? info(fromRow(row)) : undefined;
  }

  async recordServer(id: string, server: string, live?: ReadonlySet<string>): Promise<void> {
    await this.#rows.change(
      id,
      (rows) => rows.find((r) => r.id === id),
      (current) => {
        if (!current) return { result: undefined };
        const record = fromRow(current);
        const kept = live ? record.servers.filter((s) => live.has(s)) : record.servers;
        record.servers = kept.includes(server) ? kept : [...kept, server];
        return { next: toRow(record), result: undefined };
      },
    );
  }
}

/**
 * The API tokens of a factory home over its registry: the registry's (shared by the cluster, the home's token
 * file imported once) when the registry is PostgreSQL, the home's token file otherwise.
 */
export async function openApiTokens(options: {
  home: string;
  registry: Registry;
  cacheMs?: number | undefined;
}): Promise<ApiTokens> {
  if (!options.registry.cluster.shared) return TokenStore.open({ home: options.home });
  const store = new RegistryTokenStore(options.registry.apiTokens, { cacheMs: options.cacheMs });
  await store.importFile(join(options.home, TOKENS_FILE));
  return store;
}
