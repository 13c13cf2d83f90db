/**
 * Rate limits of the gateway's tool calls, per caller identity: `limits.perCaller` (every call of a caller) and
 * `limits.perTool` (by public tool name or `*` pattern: each caller's calls of that tool; the first matching
 * entry wins, an exact name before patterns). Both are token buckets — `burst` calls at once, then `perMinute`
 * sustained — and a refused call is a GATEWAY_RATE_LIMITED error (HTTP 429) with `retryAfterSeconds`.
 *
 * In memory: core/rate's KeyedTokenBuckets (per gateway instance; the tool's bucket is taken first, and a refusal
 * by it takes nothing from the caller's). With `redis` configured: the same token bucket
 * kept in a Redis hash per key (`<prefix>rl:<caller>:<bucket>`: tokens and the time of the last take, Redis's own
 * clock, PEXPIRE'd once it would be full again) and updated by one Lua script for all of a call's buckets at
 * once — atomic, so several gateway instances share the limit, and a refusal takes no token from any bucket.
 * While Redis is unreachable the in-memory buckets apply, so limits degrade to per instance instead of failing.
 */
import { FactoryError } from '../core/errors/index.js';
import { type BucketLimit, KeyedTokenBuckets } from '../core/rate/index.js';
import { matchesPattern } from '../core/text/patterns.js';
import type { RedisLink } from './cache.js';

export interface RateLimit {
  perMinute: number;
  burst: number;
}

export interface LimitsConfig {
  perCaller?: RateLimit | undefined;
  perTool?: Record<string, RateLimit> | undefined;
}

// KEYS: the buckets; ARGV: capacity and refill per ms of each, in order. Returns {0, 0} (taken) or the ms to
// wait and the (1-based) bucket that refused.
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local wait = 0
local which = 0
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local s = redis.call('HMGET', key, 'tokens', 'at')
  local have = tonumber(s[1]) or cap
  local at = tonumber(s[2]) or now
  have = math.min(cap, have + math.max(0, now - at) * rate)
  tokens[i] = have
  if have < 1 then
    local w = math.ceil((1 - have) / rate)
    if w > wait then wait = w; which = i end
  end
end
if wait > 0 then return {wait, which} end
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'tokens', tostring(tokens[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(cap / rate) + 1000)
end
return {0, 0}
`;

const bucketOf = (l: RateLimit): BucketLimit => ({ capacity: l.burst, refillPerMs: l.perMinute / 60_000 });

export class CallLimiter {
  readonly #config: LimitsConfig;
  readonly #redis: RedisLink | undefined;
  readonly #memory = new KeyedTokenBuckets();
  #refused = 0;

  constructor(config: LimitsConfig | undefined, redis?: RedisLink | undefined) {
    this.#config = config ?? {};
    this.#redis = redis;
  }

  get enabled(): boolean {
    return this.#config.perCaller !== undefined || Object.keys(this.#config.perTool ?? {}).length > 0;
  }

  /** Calls refused so far (metrics). */
  get refused(): number {
    return this.#refused;
  }

  /** Take a token for `caller` calling `tool` (its public name), or throw GATEWAY_RATE_LIMITED. */
  async take(caller: string, tool: string): Promise<void> {
    if (!this.enabled) return;
    // The tool's bucket first: a call refused by it takes nothing from the caller's.
    const buckets: Array<{ key: string; limit: RateLimit; scope: 'caller' | 'tool' }> = [];
    const who = encodeURIComponent(caller);
    const perTool = this.#toolLimit(tool);
    if (perTool) buckets.push({ key: `${who}:t:${tool}`, limit: perTool, scope: 'tool' });
    if (this.#config.perCaller)
      buckets.push({ key: `${who}:*`, limit: this.#config.perCaller, scope: 'caller' });
    if (!buckets.length) return;
    const shared = await this.#takeRedis(buckets);
    let waitMs = shared?.waitMs;
    let scope = shared ? buckets[shared.index]?.scope : undefined;
    if (waitMs === undefined) {
      waitMs = 0;
      for (const b of buckets) {
        waitMs = this.#memory.take(b.key, bucketOf(b.limit));
        scope = b.scope;
        if (waitMs > 0) break;
      }
    }
    if (waitMs <= 0) return;
    this.#refused++;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new FactoryError(
      'GATEWAY_RATE_LIMITED',
      `rate limit reached for ${scope === 'tool' ? `calls of ${tool.slice(0, 128)}` : scope === 'caller' ? 'this caller' : `this caller or ${tool.slice(0, 128)}`}; retry after ${retryAfterSeconds} s`,
      { details: { tool: tool.slice(0, 128), retryAfterSeconds, ...(scope ? { scope } : {}) } },
    );
  }

  #toolLimit(tool: string): RateLimit | undefined {
    const perTool = this.#config.perTool;
    if (!perTool) return undefined;
    if (Object.hasOwn(perTool, tool)) return perTool[tool];
    for (const [pattern, limit] of Object.entries(perTool))
      if (pattern.includes('*') && matchesPattern(pattern, tool)) return limit;
    return undefined;
  }

  /** The shared buckets: the ms to wait (0: taken) and which bucket refused, or undefined without Redis. */
  async #takeRedis(
    buckets: Array<{ key: string; limit: RateLimit }>,
  ): Promise<{ waitMs: number; index: number } | undefined> {
    const r = this.#redis;
    if (!r?.usable) return undefined;
    const args = buckets.flatMap((b) => {
      const l = bucketOf(b.limit);
      return [String(l.capacity), String(l.refillPerMs)];
    });
    try {
      const [wait, which] = (await r.client.eval(
        TAKE_SCRIPT,
        buckets.length,
        ...buckets.map((b) => `${r.prefix}rl:${b.key}`),
        ...args,
      )) as [number, number];
      return { waitMs: Number(wait), index: Number(which) - 1 };
    } catch {
      return undefined;
    }
  }
}
