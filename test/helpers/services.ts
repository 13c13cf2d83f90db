/**
 * Real-service gating. A test needing PostgreSQL/MariaDB runs when its URL variable is set; otherwise it is
 * skipped with a visible message — unless MCP_FACTORY_REQUIRE_SERVICES=1 (set by .ci/run), which turns the
 * skip into a failure.
 */
export const REQUIRE_SERVICES = process.env.MCP_FACTORY_REQUIRE_SERVICES === '1';

export interface ServiceGate {
  url: string | undefined;
  /** Why the tests cannot run here, or undefined when they can. */
  missing: string | undefined;
}

export function serviceGate(envVar: string, label: string): ServiceGate {
  const url = process.env[envVar];
  if (url) return { url, missing: undefined };
  const missing = `${label} tests need ${envVar} (e.g. set by .ci/run)`;
  if (!REQUIRE_SERVICES) process.stderr.write(`\n[skip] ${missing}\n`);
  return { url: undefined, missing };
}

/** Redis for the gateway's shared cache and rate limits (e.g. MCP_FACTORY_TEST_REDIS_URL=redis://127.0.0.1:6379). */
export function redisGate(): ServiceGate {
  return serviceGate('MCP_FACTORY_TEST_REDIS_URL', 'Redis');
}
