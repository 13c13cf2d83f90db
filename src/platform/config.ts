/**
 * The factory's configuration, resolved once from the environment through the one table of MCP_FACTORY_*
 * variables (config-variables.ts). `loadConfig(env)` parses and validates every variable the factory reads and
 * returns a typed FactoryConfig; a bad value is a FactoryError CONFIG_INVALID naming the variable, what is wrong
 * and how to fix it. Results are cached per env object and its MCP_FACTORY_* values, so composition roots and
 * defaults (`loadConfig()` = process.env) may call it freely. Nothing else in src/ reads MCP_FACTORY_* variables.
 * A blank value counts as unset.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FactoryError } from '../core/errors/index.js';
import { CONFIG_VARIABLES, type ConfigVariable, configVariable } from './config-variables.js';

export {
  CONFIG_VARIABLES,
  type ConfigCategory,
  type ConfigType,
  type ConfigVariable,
  configVariable,
} from './config-variables.js';

type Env = Record<string, string | undefined>;

/** The local target's tuning (all values whole numbers: ms, counts, bytes). */
export interface SupervisorSettings {
  /** Reconcile the registry's desired state with reality at least this often. */
  reconcileIntervalMs: number;
  /** How often an adopted process (not our child) is polled for liveness. */
  monitorIntervalMs: number;
  /** Health check of a running server. */
  healthIntervalMs: number;
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

/** The MCP_FACTORY_LLM_* layer as text; llm/config.ts validates it like the flags and the config file. */
export interface LlmEnvironmentLayer {
  provider: string | undefined;
  model: string | undefined;
  apiKeyEnv: string | undefined;
  baseUrl: string | undefined;
  temperature: string | undefined;
  maxRetries: string | undefined;
  timeoutMs: string | undefined;
  structuredOutput: string | undefined;
  maxOutputTokens: string | undefined;
}

/** OIDC sign-in of factory users (MCP_FACTORY_OIDC_*); identity/oidc-login.ts uses it. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
  /** A user role; undefined: identities no user is linked to are refused. */
  autoCreateRole: string | undefined;
  /** Lower-case email domains allowed to auto-create; empty: any. */
  allowedDomains: string[];
}

export interface FactoryConfig {
  /** MCP_FACTORY_HOME (resolved), else ~/.mcp-factory. */
  home: string;
  /** MCP_FACTORY_REGISTRY_URL; undefined: registry.db in the home. */
  registryUrl: string | undefined;
  /** MCP_FACTORY_KUBECONFIG; undefined: the Kubernetes client's default (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig: string | undefined;
  /** MCP_FACTORY_SUPERVISOR_AUTOSTART: CLI commands start a supervisor when none runs. */
  supervisorAutostart: boolean;
  /** MCP_FACTORY_NODE*: this home's place in a factory cluster (docs/cluster.md); node undefined: no cluster. */
  cluster: {
    node: string | undefined;
    nodeUrl: string | undefined;
    deadAfterMs: number;
    failoverAfterMs: number;
  };
  /** The factory config file; `explicit` when MCP_FACTORY_CONFIG names it (then it must exist). */
  configFile: { path: string; explicit: boolean };
  supervisor: SupervisorSettings;
  docker: { nodeImage: string; network: 'bridge' | 'host' };
  microvm: {
    kernel: string | undefined;
    accel: 'auto' | 'kvm' | 'tcg';
    memoryMb: number;
    cpus: number;
    startTimeoutMs: number;
    /** MCP_FACTORY_MICROVM_POOL: warm pool VMs kept booted (0: none). */
    pool: number;
  };
  toolsmith: { policyFile: string | undefined; leaseMs: number };
  llm: LlmEnvironmentLayer;
  /** `enabled` undefined: the variable is unset (the config file decides). */
  research: { enabled: boolean | undefined; tavilyUrl: string | undefined };
  /** MCP_FACTORY_EMBEDDINGS_*: undefined values are left to the config file (llm/embeddings.ts). */
  embeddings: {
    provider: string | undefined;
    model: string | undefined;
    apiKeyEnv: string | undefined;
    baseUrl: string | undefined;
    timeoutMs: number | undefined;
  };
  /** undefined: OIDC sign-in is off (MCP_FACTORY_OIDC_ISSUER unset). */
  oidc: OidcConfig | undefined;
  /** External access tokens for this resource (MCP_FACTORY_RESOURCE_URL with MCP_FACTORY_OIDC_ISSUER); undefined: off. */
  resourceServer: { issuer: string; audience: string } | undefined;
  /** MCP_FACTORY_GATEWAY_LOG: `json` prints one line per gateway tool call (mcp-factory gateway). */
  gateway: { log: 'text' | 'json' };
  /** The gateway `mcp-factory serve` reads for the console (MCP_FACTORY_GATEWAY_URL, _TOKEN, _TIMEOUT_MS). */
  gatewayProxy: { url: string | undefined; token: string | undefined; timeoutMs: number };
  /** MCP_FACTORY_IMPORT_DB_HOSTS: database hosts POST /mcp/import/database may connect to (raw list). */
  importDatabaseHosts: string | undefined;
}

export interface LoadConfigOptions {
  /**
   * `throw` (default): a bad value is a CONFIG_INVALID error. `default`: a bad value is ignored and the default
   * used — for library entry points that must keep running on values a composition root has already refused.
   */
  onInvalid?: 'throw' | 'default';
}

function invalid(variable: ConfigVariable, problem: string, fix: string): FactoryError {
  const message = `${variable.name}: ${problem}`;
  const hint = `${fix} Unset it for the default (see docs/configuration.md).`;
  return new FactoryError('CONFIG_INVALID', message, {
    issues: [{ code: 'CONFIG_INVALID', message, path: variable.name, hint }],
    details: { variable: variable.name, hint },
  });
}

/** The value as shown in messages: quoted and shortened (URLs are never echoed: they may hold a password). */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function parseWhole(variable: ConfigVariable, raw: string): number {
  const unit = variable.type === 'ms' ? 'milliseconds' : 'a count';
  const example = variable.default ?? String(variable.min ?? 0);
  if (!/^\d+$/.test(raw))
    throw invalid(variable, `${shown(raw)} is not a whole number`, `Write ${unit}, e.g. ${example}.`);
  return checkBounds(variable, Number(raw), example);
}

function parseNumber(variable: ConfigVariable, raw: string): number {
  const example = variable.default ?? String(variable.min ?? 0);
  const n = Number(raw);
  if (!Number.isFinite(n)) throw invalid(variable, `${shown(raw)} is not a number`, `Write e.g. ${example}.`);
  return checkBounds(variable, n, example);
}

function checkBounds(variable: ConfigVariable, n: number, example: string): number {
  if (variable.min !== undefined && n < variable.min)
    throw invalid(variable, `${n} is below the minimum ${variable.min}`, `Write e.g. ${example}.`);
  if (variable.max !== undefined && n > variable.max)
    throw invalid(variable, `${n} is above the maximum ${variable.max}`, `Write e.g. ${example}.`);
  return n;
}

function parseRange(variable: ConfigVariable, raw: string): [number, number] {
  const match = /^(\d+)\s*-\s*(\d+)$/.exec(raw);
  const lo = Number(match?.[1]);
  const hi = Number(match?.[2]);
  if (!match || lo < 1024 || hi > 65535 || lo > hi)
    throw invalid(
      variable,
      `${shown(raw)} is not a port range LOW-HIGH with 1024 ≤ LOW ≤ HIGH ≤ 65535`,
      `Write e.g. ${variable.default ?? '17300-17999'}.`,
    );
  return [lo, hi];
}

function parseEnum(variable: ConfigVariable, raw: string): string {
  const values = variable.values ?? [];
  if (!values.includes(raw))
    throw invalid(
      variable,
      `${shown(raw)} is not one of ${values.join(', ')}`,
      `Write one of ${values.join(', ')}.`,
    );
  return raw;
}

function parseUrl(variable: ConfigVariable, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(variable, 'the value is not a URL', 'Write an absolute URL with its scheme.');
  }
  const protocols = variable.protocols;
  if (protocols && !protocols.includes(url.protocol.slice(0, -1)))
    throw invalid(
      variable,
      `the URL's scheme is ${url.protocol.slice(0, -1)}, not ${protocols.join(' or ')}`,
      `Write a ${protocols.join(' or ')} URL.`,
    );
  return raw;
}

function parseBool(variable: ConfigVariable, raw: string): boolean {
  const word = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on', ...(variable.alsoTrue ?? [])].includes(word)) return true;
  if (['0', 'false', 'no', 'off'].includes(word)) return false;
  throw invalid(
    variable,
    `${shown(raw)} is neither on nor off`,
    'Write 1, true, yes or on to turn it on; 0, false, no or off to turn it off.',
  );
}

type Parsed = string | number | boolean | [number, number];

/** One value by the rules of its type; throws CONFIG_INVALID. */
export function parseConfigValue(variable: ConfigVariable, raw: string): Parsed {
  switch (variable.type) {
    case 'int':
    case 'ms':
      return parseWhole(variable, raw);
    case 'number':
      return parseNumber(variable, raw);
    case 'range':
      return parseRange(variable, raw);
    case 'enum':
      return parseEnum(variable, raw);
    case 'url':
      return parseUrl(variable, raw);
    case 'bool':
      return parseBool(variable, raw);
    case 'path':
      return resolve(raw);
    case 'string':
      return raw;
  }
}

/** Reads table entries out of one environment, by the rules of their types. */
class Reader {
  constructor(
    private readonly env: Env,
    private readonly onInvalid: 'throw' | 'default',
  ) {}

  /** The trimmed text, undefined when unset or blank. */
  text(name: string): string | undefined {
    configVariable(name);
    return this.env[name]?.trim() || undefined;
  }

  #value(name: string): Parsed | undefined {
    const variable = configVariable(name);
    const raw = this.text(name);
    if (raw !== undefined) {
      try {
        return parseConfigValue(variable, raw);
      } catch (error) {
        if (this.onInvalid === 'throw') throw error;
      }
    }
    return variable.default === undefined ? undefined : parseConfigValue(variable, variable.default);
  }

  number(name: string): number {
    const value = this.#value(name);
    if (typeof value !== 'number') throw new Error(`${name} has no numeric default`);
    return value;
  }

  range(name: string): [number, number] {
    const value = this.#value(name);
    if (!Array.isArray(value)) throw new Error(`${name} is not a range`);
    return value;
  }

  string(name: string): string | undefined {
    const value = this.#value(name);
    return typeof value === 'string' ? value : undefined;
  }

  bool(name: string): boolean | undefined {
    const value = this.#value(name);
    return typeof value === 'boolean' ? value : undefined;
  }
}

const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/** The OIDC settings: all or nothing (an issuer without a client id or redirect URI is a mistake, not "off"). */
function resolveOidc(read: Reader, onInvalid: 'throw' | 'default'): OidcConfig | undefined {
  const issuer = read.string('MCP_FACTORY_OIDC_ISSUER');
  if (!issuer) return undefined;
  const clientId = read.string('MCP_FACTORY_OIDC_CLIENT_ID');
  const redirectUri = read.string('MCP_FACTORY_OIDC_REDIRECT_URI');
  const domains = (read.string('MCP_FACTORY_OIDC_ALLOWED_DOMAINS') ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  const problem = !clientId
    ? invalid(
        configVariable('MCP_FACTORY_OIDC_CLIENT_ID'),
        'unset while MCP_FACTORY_OIDC_ISSUER is set',
        "Set the factory's client id at the provider, or unset MCP_FACTORY_OIDC_ISSUER.",
      )
    : !redirectUri
      ? invalid(
          configVariable('MCP_FACTORY_OIDC_REDIRECT_URI'),
          'unset while MCP_FACTORY_OIDC_ISSUER is set',
          'Set the callback URL registered at the provider, e.g. https://factory.example.com/auth/oidc/callback.',
        )
      : domains.find((d) => !DOMAIN.test(d)) !== undefined
        ? invalid(
            configVariable('MCP_FACTORY_OIDC_ALLOWED_DOMAINS'),
            `${shown(domains.find((d) => !DOMAIN.test(d)) ?? '')} is not a domain name`,
            'Write domains separated by commas, e.g. example.com,example.org.',
          )
        : undefined;
  if (problem) {
    if (onInvalid === 'throw') throw problem;
    return undefined;
  }
  return {
    issuer,
    clientId: clientId as string,
    clientSecret: read.string('MCP_FACTORY_OIDC_CLIENT_SECRET'),
    redirectUri: redirectUri as string,
    autoCreateRole: read.string('MCP_FACTORY_OIDC_AUTO_CREATE_ROLE'),
    allowedDomains: domains,
  };
}

function resolveConfig(env: Env, onInvalid: 'throw' | 'default'): FactoryConfig {
  const read = new Reader(env, onInvalid);
  const home = read.string('MCP_FACTORY_HOME') ?? join(env.HOME?.trim() || homedir(), '.mcp-factory');
  const explicitConfig = read.string('MCP_FACTORY_CONFIG');
  return {
    home,
    registryUrl: read.string('MCP_FACTORY_REGISTRY_URL'),
    kubeconfig: read.string('MCP_FACTORY_KUBECONFIG'),
    supervisorAutostart: read.bool('MCP_FACTORY_SUPERVISOR_AUTOSTART') ?? true,
    cluster: {
      node: read.string('MCP_FACTORY_NODE'),
      nodeUrl: read.string('MCP_FACTORY_NODE_URL'),
      deadAfterMs: read.number('MCP_FACTORY_NODE_DEAD_AFTER_MS'),
      failoverAfterMs: read.number('MCP_FACTORY_NODE_FAILOVER_AFTER_MS'),
    },
    configFile: explicitConfig
      ? { path: explicitConfig, explicit: true }
      : { path: join(home, 'config.json'), explicit: false },
    supervisor: {
      reconcileIntervalMs: read.number('MCP_FACTORY_RECONCILE_INTERVAL_MS'),
      monitorIntervalMs: read.number('MCP_FACTORY_MONITOR_INTERVAL_MS'),
      healthIntervalMs: read.number('MCP_FACTORY_HEALTH_INTERVAL_MS'),
      healthTimeoutMs: read.number('MCP_FACTORY_HEALTH_TIMEOUT_MS'),
      slowMs: read.number('MCP_FACTORY_HEALTH_SLOW_MS'),
      startTimeoutMs: read.number('MCP_FACTORY_START_TIMEOUT_MS'),
      maxStartFailures: read.number('MCP_FACTORY_MAX_START_FAILURES'),
      backoffBaseMs: read.number('MCP_FACTORY_BACKOFF_BASE_MS'),
      backoffMaxMs: read.number('MCP_FACTORY_BACKOFF_MAX_MS'),
      stableAfterMs: read.number('MCP_FACTORY_STABLE_AFTER_MS'),
      unhealthyRestartAfter: read.number('MCP_FACTORY_UNHEALTHY_RESTART_AFTER'),
      stopGraceMs: read.number('MCP_FACTORY_STOP_GRACE_MS'),
      logMaxBytes: read.number('MCP_FACTORY_LOG_MAX_BYTES'),
      logKeep: read.number('MCP_FACTORY_LOG_KEEP'),
      portRange: read.range('MCP_FACTORY_PORT_RANGE'),
    },
    docker: {
      nodeImage: read.string('MCP_FACTORY_NODE_IMAGE') ?? 'node:22-alpine',
      network: read.string('MCP_FACTORY_DOCKER_NETWORK') === 'host' ? 'host' : 'bridge',
    },
    microvm: {
      kernel: read.string('MCP_FACTORY_MICROVM_KERNEL'),
      accel: (read.string('MCP_FACTORY_MICROVM_ACCEL') ?? 'auto') as 'auto' | 'kvm' | 'tcg',
      memoryMb: read.number('MCP_FACTORY_MICROVM_MEMORY_MB'),
      cpus: read.number('MCP_FACTORY_MICROVM_CPUS'),
      startTimeoutMs: read.number('MCP_FACTORY_MICROVM_START_TIMEOUT_MS'),
      pool: read.number('MCP_FACTORY_MICROVM_POOL'),
    },
    toolsmith: {
      policyFile: read.string('MCP_FACTORY_TOOLSMITH_POLICY'),
      leaseMs: read.number('MCP_FACTORY_TOOLSMITH_LEASE_MS'),
    },
    // Validated by llm/config.ts with the flags and the config file (one validator, LLM_CONFIG_INVALID).
    llm: {
      provider: read.text('MCP_FACTORY_LLM_PROVIDER'),
      model: read.text('MCP_FACTORY_LLM_MODEL'),
      apiKeyEnv: read.text('MCP_FACTORY_LLM_API_KEY_ENV'),
      baseUrl: read.text('MCP_FACTORY_LLM_BASE_URL'),
      temperature: read.text('MCP_FACTORY_LLM_TEMPERATURE'),
      maxRetries: read.text('MCP_FACTORY_LLM_MAX_RETRIES'),
      timeoutMs: read.text('MCP_FACTORY_LLM_TIMEOUT_MS'),
      structuredOutput: read.text('MCP_FACTORY_LLM_STRUCTURED_OUTPUT'),
      maxOutputTokens: read.text('MCP_FACTORY_LLM_MAX_OUTPUT_TOKENS'),
    },
    embeddings: {
      provider: read.string('MCP_FACTORY_EMBEDDINGS_PROVIDER'),
      model: read.string('MCP_FACTORY_EMBEDDINGS_MODEL'),
      apiKeyEnv: read.string('MCP_FACTORY_EMBEDDINGS_API_KEY_ENV'),
      baseUrl: read.string('MCP_FACTORY_EMBEDDINGS_BASE_URL'),
      timeoutMs:
        read.text('MCP_FACTORY_EMBEDDINGS_TIMEOUT_MS') === undefined
          ? undefined
          : read.number('MCP_FACTORY_EMBEDDINGS_TIMEOUT_MS'),
    },
    research: {
      enabled: read.bool('MCP_FACTORY_RESEARCH'),
      tavilyUrl: read.string('MCP_FACTORY_TAVILY_URL'),
    },
    oidc: resolveOidc(read, onInvalid),
    resourceServer: (() => {
      const issuer = read.string('MCP_FACTORY_OIDC_ISSUER');
      const audience = read.string('MCP_FACTORY_RESOURCE_URL');
      return issuer && audience ? { issuer, audience } : undefined;
    })(),
    gateway: { log: read.string('MCP_FACTORY_GATEWAY_LOG') === 'json' ? 'json' : 'text' },
    gatewayProxy: {
      url: read.string('MCP_FACTORY_GATEWAY_URL'),
      token: read.string('MCP_FACTORY_GATEWAY_TOKEN'),
      timeoutMs: read.number('MCP_FACTORY_GATEWAY_TIMEOUT_MS'),
    },
    importDatabaseHosts: read.string('MCP_FACTORY_IMPORT_DB_HOSTS'),
  };
}

/** Shared by every caller of the cache: a caller that needs to change a value copies it. */
function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value))
    if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  return Object.freeze(value);
}

/** Every input of a resolution: the table's variables and HOME (the fallback of the factory home). */
function fingerprint(env: Env): string {
  return JSON.stringify([env.HOME, ...CONFIG_VARIABLES.map((v) => env[v.name])]);
}

const cache = new WeakMap<object, Map<string, { key: string; config: FactoryConfig }>>();

/**
 * The factory configuration of `env` (default process.env), parsed and validated once per env object and
 * content (a changed variable is noticed). Throws CONFIG_INVALID unless `onInvalid` is `default`.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): FactoryConfig {
  const onInvalid = options.onInvalid ?? 'throw';
  const key = fingerprint(env);
  let byMode = cache.get(env);
  const hit = byMode?.get(onInvalid);
  if (hit && hit.key === key) return hit.config;
  const config = deepFreeze(resolveConfig(env, onInvalid));
  if (!byMode) {
    byMode = new Map();
    cache.set(env, byMode);
  }
  byMode.set(onInvalid, { key, config });
  return config;
}
