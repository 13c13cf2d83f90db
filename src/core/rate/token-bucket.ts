/**
 * Token buckets: a burst of `capacity` calls, then `refillPerMs` tokens per millisecond sustained. take() never
 * waits; it answers how long to wait, so callers decide (reject with Retry-After, or sleep). Dependency-free:
 * this folder is also copied into every generated server (src/runtime/rate/).
 */

export interface BucketLimit {
  /** Tokens a full bucket holds: the calls allowed at once after being idle. */
  capacity: number;
  /** Tokens added per millisecond, up to the capacity. */
  refillPerMs: number;
}

/** Milliseconds since some fixed point; monotonic by default so clock changes do not refill or drain buckets. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

interface BucketState {
  tokens: number;
  at: number;
}

/** Refill `state` up to `t`, then take one token: 0 when taken, else the milliseconds until one is available. */
function takeFrom(state: BucketState, limit: BucketLimit, t: number): number {
  const elapsed = Math.max(0, t - state.at);
  state.tokens = Math.min(limit.capacity, state.tokens + elapsed * limit.refillPerMs);
  state.at = t;
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return 0;
  }
  return Math.ceil((1 - state.tokens) / limit.refillPerMs);
}

/** One bucket, full at creation. */
export class TokenBucket {
  readonly #limit: BucketLimit;
  readonly #now: Clock;
  readonly #state: BucketState;

  constructor(limit: BucketLimit, now: Clock = monotonic) {
    this.#limit = { ...limit };
    this.#now = now;
    this.#state = { tokens: limit.capacity, at: now() };
  }

  /** Take one token: 0 when allowed, else the milliseconds until one is available. */
  take(): number {
    return takeFrom(this.#state, this.#limit, this.#now());
  }
}

/**
 * Buckets by key (a token id, a client), each created full on first use. The limit is given per call, so a
 * key whose limit changes keeps its current fill and refills at the new rate.
 */
export class KeyedTokenBuckets {
  readonly #buckets = new Map<string, BucketState>();
  readonly #now: Clock;

  constructor(now: Clock = monotonic) {
    this.#now = now;
  }

  /** Take one token from `key`'s bucket: 0 when allowed, else the milliseconds until one is available. */
  take(key: string, limit: BucketLimit): number {
    const t = this.#now();
    let state = this.#buckets.get(key);
    if (!state) {
      state = { tokens: limit.capacity, at: t };
      this.#buckets.set(key, state);
    }
    return takeFrom(state, limit, t);
  }

  /** Forget a key (e.g. a revoked token). */
  delete(key: string): void {
    this.#buckets.delete(key);
  }
}
