/** A process-wide token bucket for tool calls (the bucket itself is the shared one in ./rate/). */
import { TokenBucket } from './rate/index.js';

export interface RateLimiter {
  /** Milliseconds to wait before the next call is allowed; 0 when a token was taken. */
  take(): number;
}

export function createRateLimiter(
  limit: { requests: number; windowSeconds: number } | undefined,
): RateLimiter {
  if (!limit) return { take: () => 0 };
  const bucket = new TokenBucket({
    capacity: limit.requests,
    refillPerMs: limit.requests / (limit.windowSeconds * 1000),
  });
  return { take: () => bucket.take() };
}
