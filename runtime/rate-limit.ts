/** A process-wide token bucket for tool calls. */
export interface RateLimiter {
  /** Milliseconds to wait before the next call is allowed; 0 when a token was taken. */
  take(): number;
}

export function createRateLimiter(
  limit: { requests: number; windowSeconds: number } | undefined,
): RateLimiter {
  if (!limit) return { take: () => 0 };
  const capacity = limit.requests;
  const refillPerMs = limit.requests / (limit.windowSeconds * 1000);
  let tokens = capacity;
  let last = Date.now();
  return {
    take() {
      const now = Date.now();
      tokens = Math.min(capacity, tokens + (now - last) * refillPerMs);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - tokens) / refillPerMs);
    },
  };
}
