/**
 * Supervisor tuning: a view over the configuration table (src/platform/config.ts), whose MCP_FACTORY_* variables
 * give every value (docs/configuration.md), plus the few settings that are not configurable.
 * This view is lenient: a value the table refuses keeps its default here, so that a supervisor embedded as a
 * library keeps running; the composition roots (CLI, daemon) have already refused it through loadConfig.
 */
import { loadConfig, type SupervisorSettings } from '../../../platform/config.js';

export interface SupervisorConfig extends SupervisorSettings {
  /** Health checks while a server is starting (until it first answers). */
  startPollMs: number;
}

/** Settings without a variable. */
const FIXED = { startPollMs: 200 };

function fromEnvironment(env: Record<string, string | undefined>): SupervisorConfig {
  const settings = loadConfig(env, { onInvalid: 'default' }).supervisor;
  // The resolved configuration is shared (frozen): copy the one mutable-looking value.
  return { ...settings, portRange: [...settings.portRange], ...FIXED };
}

export const DEFAULT_CONFIG: SupervisorConfig = fromEnvironment({});

/** Defaults, then the environment (the table's supervisor variables), then `overrides`. */
export function supervisorConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<SupervisorConfig> = {},
): SupervisorConfig {
  return { ...fromEnvironment(env), ...overrides };
}

export function backoffMs(config: SupervisorConfig, failures: number): number {
  return Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, failures - 1));
}
