/**
 * The gateway's result cache for read-only tools, opt-in per upstream (`cache: { ttlMs, maxEntries, tools }` on
 * a configured upstream or in `serverRules`). Only a tool the upstream marks read-only (readOnlyHint), matched by
 * `tools` (upstream tool names or `*` patterns; default every read-only tool), is cached; a result with
 * `isError`, or larger than `maxEntryBytes` as JSON, is never stored. The key is the upstream, its fingerprint
 * (endpoint and revision), the tool and the canonical JSON of the arguments (keys sorted): every caller who
 * may use the tool gets the same upstream answer.
 *
 * In memory: one LRU per upstream (lru-cache, `maxEntries`, TTL). In Redis when the gateway has `redis: { url }`:
 * `<prefix>c:<upstream>:<generation>:<sha256>` with PX TTL, so several gateway instances share entries.
 * Invalidation (the upstream's tool list changed, or it was reconnected with a new fingerprint) drops the
 * upstream's LRU, or bumps its generation in Redis (`<prefix>gen:<upstream>`, read in the same Lua script as
 * the entry), so old entries are unreachable and expire. A result fetched before an invalidation is stored
 * under the generation it was looked up with, so it is never served after it. Redis failures are reported as a
 * miss and skipped: the cache never fails a call.
 */

import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { matchesPattern } from '../core/text/patterns.js';

export interface CachePolicy {
  ttlMs: number;
  maxEntries: number;
  maxEntryBytes: number;
  /** Upstream tool names or `*` patterns (undefined: every read-only tool). */
  tools?: string[] | undefined;
}

export interface RedisOptions {
  url: string;
  /** Prefix of every key the gateway writes (default `mcpf:gw:`). */
  prefix: string;
  /** A Redis command that takes longer is given up (the call goes on without cache or shared limit). */
  timeoutMs: number;
}

export interface CacheStats {
  upstream: string;
  hits: number;
  misses: number;
  stores: number;
}

/** JSON with object keys sorted at every level: equal arguments give the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** One Redis connection shared by the cache and the rate limits; unusable while it reconnects. */
export class RedisLink {
  readonly client: Redis;
  readonly prefix: string;

  constructor(options: RedisOptions) {
    this.prefix = options.prefix;
    this.client = new Redis(options.url, {
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(1_000, options.timeoutMs * 4),
      maxRetriesPerRequest: 0,
      // Back off up to 2 s between reconnection attempts; calls go on without Redis meanwhile.
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
    // Errors are seen by the commands that fail; without a listener ioredis would log every reconnect.
    this.client.on('error', () => undefined);
  }

  /** False while Redis is known to be down (reconnecting or closed): skip it rather than wait. */
  get usable(): boolean {
    const s = this.client.status;
    return s === 'ready' || s === 'connect' || s === 'connecting' || s === 'wait';
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

const GET_SCRIPT = `
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', ARGV[1] .. gen .. ARGV[2])}
`;

const SET_SCRIPT = `
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[3] then return 0 end
redis.call('SET', ARGV[1] .. gen .. ARGV[2], ARGV[4], 'PX', ARGV[5])
return 1
`;

/** What a lookup found, and what to store the answer under if it missed. */
export interface CacheLookup {
  hit: CallToolResult | undefined;
  /** Undefined when the tool is not cached at all. */
  ticket: { key: string; generation: string } | undefined;
}

const NOT_CACHED: CacheLookup = { hit: undefined, ticket: undefined };

export class ResultCache {
  readonly #policy: (upstream: string) => CachePolicy | undefined;
  readonly #redis: RedisLink | undefined;
  readonly #memory = new Map<string, { generation: number; lru: LRUCache<string, string> }>();
  readonly #stats = new Map<string, CacheStats>();

  constructor(policy: (upstream: string) => CachePolicy | undefined, redis?: RedisLink | undefined) {
    this.#policy = policy;
    this.#redis = redis;
  }

  /** Look a call up; a miss carries the ticket to store its result with. */
  async lookup(
    upstream: { name: string; fingerprint: string },
    tool: string,
    readOnly: boolean,
    args: Record<string, unknown>,
  ): Promise<CacheLookup> {
    const policy = this.#policy(upstream.name);
    if (!policy || !readOnly) return NOT_CACHED;
    if (policy.tools && !policy.tools.some((p) => matchesPattern(p, tool))) return NOT_CACHED;
    const key = createHash('sha256')
      .update(`${upstream.fingerprint}\0${tool}\0${canonicalJson(args)}`)
      .digest('hex');
    const stats = this.#statsOf(upstream.name);
    let found: { generation: string; value: string | undefined } | undefined;
    if (this.#redis) found = await this.#redisGet(upstream.name, key);
    else {
      const mem = this.#memoryOf(upstream.name, policy);
      found = { generation: String(mem.generation), value: mem.lru.get(key) };
    }
    if (!found) {
      stats.misses++;
      return NOT_CACHED; // Redis is unavailable: call without cache
    }
    if (found.value !== undefined) {
      try {
        const hit = JSON.parse(found.value) as CallToolResult;
        stats.hits++;
        return { hit, ticket: undefined };
      } catch {
        // an unreadable entry is a miss
      }
    }
    stats.misses++;
    return { hit: undefined, ticket: { key, generation: found.generation } };
  }

  /** Store a result under its lookup's ticket (not an error, not too large, not from an older generation). */
  async store(upstream: string, ticket: CacheLookup['ticket'], result: CallToolResult): Promise<void> {
    const policy = this.#policy(upstream);
    if (!ticket || !policy || result.isError === true) return;
    const text = JSON.stringify(result);
    if (Buffer.byteLength(text) > policy.maxEntryBytes) return;
    if (this.#redis) {
      const r = this.#redis;
      if (!r.usable) return;
      const stored = await r.client
        .eval(
          SET_SCRIPT,
          1,
          this.#genKey(upstream),
          this.#entryPrefix(upstream),
          `:${ticket.key}`,
          ticket.generation,
          text,
          String(policy.ttlMs),
        )
        .catch(() => 0);
      if (stored === 1) this.#statsOf(upstream).stores++;
      return;
    }
    const mem = this.#memoryOf(upstream, policy);
    if (String(mem.generation) !== ticket.generation) return;
    mem.lru.set(ticket.key, text);
    this.#statsOf(upstream).stores++;
  }

  /** Drop every entry of an upstream (its tool list changed, or it has a new revision). */
  async invalidate(upstream: string): Promise<void> {
    const mem = this.#memory.get(upstream);
    if (mem) {
      mem.generation++;
      mem.lru.clear();
    }
    if (this.#redis?.usable) await this.#redis.client.incr(this.#genKey(upstream)).catch(() => undefined);
  }

  stats(): CacheStats[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }

  #statsOf(upstream: string): CacheStats {
    let s = this.#stats.get(upstream);
    if (!s) {
      s = { upstream, hits: 0, misses: 0, stores: 0 };
      this.#stats.set(upstream, s);
    }
    return s;
  }

  #memoryOf(upstream: string, policy: CachePolicy) {
    let mem = this.#memory.get(upstream);
    if (!mem) {
      mem = {
        generation: 0,
        lru: new LRUCache<string, string>({ max: policy.maxEntries, ttl: policy.ttlMs }),
      };
      this.#memory.set(upstream, mem);
    }
    return mem;
  }

  #genKey(upstream: string): string {
    return `${this.#redis?.prefix ?? ''}gen:${upstream}`;
  }

  #entryPrefix(upstream: string): string {
    return `${this.#redis?.prefix ?? ''}c:${upstream}:`;
  }

  async #redisGet(
    upstream: string,
    key: string,
  ): Promise<{ generation: string; value: string | undefined } | undefined> {
    const r = this.#redis!;
    if (!r.usable) return undefined;
    try {
      const [generation, value] = (await r.client.eval(
        GET_SCRIPT,
        1,
        this.#genKey(upstream),
        this.#entryPrefix(upstream),
        `:${key}`,
      )) as [string, string | null];
      return { generation: String(generation), value: value ?? undefined };
    } catch {
      return undefined;
    }
  }
}
