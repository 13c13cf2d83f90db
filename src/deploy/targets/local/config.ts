/** Supervisor tuning: defaults, overridable through MCP_FACTORY_* environment variables (see the README). */

export interface SupervisorConfig {
  /** Reconcile the registry's desired state with reality at least this often. */
  reconcileIntervalMs: number;
  /** How often an adopted process (not our child) is polled for liveness. */
  monitorIntervalMs: number;
  /** Health check of a running server. */
  healthIntervalMs: number;
  /** Health checks while a server is starting (until it first answers). */
  startPollMs: number;
  healthTimeoutMs: number;
  /** A check slower than this makes the server `degraded`. */
  slowMs: number;
  /** A server that has not answered MCP this long after spawn counts as a failed start. */
  startTimeoutMs: number;
  /** Crashes before the first healthy answer, in a row, after which the deployment is marked failed. */
  maxStartFailures: number;
  /** Restart backoff: base * 2^(n-1), capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A server that stayed up this long has its crash counter reset (backoff starts small again). */
  stableAfterMs: number;
  /** Failed health checks in a row after which a once-healthy server is restarted (0: never). */
  unhealthyRestartAfter: number;
  /** SIGTERM → SIGKILL grace period. */
  stopGraceMs: number;
  logMaxBytes: number;
  logKeep: number;
  /** Ports for deployments without a fixed port (inclusive). */
  portRange: [number, number];
}

export const DEFAULT_CONFIG: SupervisorConfig = {
  reconcileIntervalMs: 2000,
  monitorIntervalMs: 500,
  healthIntervalMs: 10_000,
  startPollMs: 200,
  healthTimeoutMs: 5000,
  slowMs: 1000,
  startTimeoutMs: 30_000,
  maxStartFailures: 5,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  stableAfterMs: 60_000,
  unhealthyRestartAfter: 3,
  stopGraceMs: 5000,
  logMaxBytes: 10 * 1024 * 1024,
  logKeep: 5,
  portRange: [17300, 17999],
};

/** Environment variable → config key; all values are integers (ms, counts, bytes). */
export const CONFIG_ENV: Record<string, keyof SupervisorConfig> = {
  MCP_FACTORY_RECONCILE_INTERVAL_MS: 'reconcileIntervalMs',
  MCP_FACTORY_MONITOR_INTERVAL_MS: 'monitorIntervalMs',
  MCP_FACTORY_HEALTH_INTERVAL_MS: 'healthIntervalMs',
  MCP_FACTORY_HEALTH_TIMEOUT_MS: 'healthTimeoutMs',
  MCP_FACTORY_HEALTH_SLOW_MS: 'slowMs',
  MCP_FACTORY_START_TIMEOUT_MS: 'startTimeoutMs',
  MCP_FACTORY_MAX_START_FAILURES: 'maxStartFailures',
  MCP_FACTORY_BACKOFF_BASE_MS: 'backoffBaseMs',
  MCP_FACTORY_BACKOFF_MAX_MS: 'backoffMaxMs',
  MCP_FACTORY_STABLE_AFTER_MS: 'stableAfterMs',
  MCP_FACTORY_UNHEALTHY_RESTART_AFTER: 'unhealthyRestartAfter',
  MCP_FACTORY_STOP_GRACE_MS: 'stopGraceMs',
  MCP_FACTORY_LOG_MAX_BYTES: 'logMaxBytes',
  MCP_FACTORY_LOG_KEEP: 'logKeep',
};

/** Defaults, then the environment (MCP_FACTORY_PORT_RANGE=17300-17999 and CONFIG_ENV), then `overrides`. */
export function supervisorConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<SupervisorConfig> = {},
): SupervisorConfig {
  const config: SupervisorConfig = { ...DEFAULT_CONFIG, portRange: [...DEFAULT_CONFIG.portRange] };
  for (const [name, key] of Object.entries(CONFIG_ENV)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= 0) (config as unknown as Record<string, number>)[key] = n;
  }
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(env.MCP_FACTORY_PORT_RANGE?.trim() ?? '');
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (lo >= 1024 && hi <= 65535 && lo <= hi) config.portRange = [lo, hi];
  }
  return { ...config, ...overrides };
}

export function backoffMs(config: SupervisorConfig, failures: number): number {
  return Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, failures - 1));
}
