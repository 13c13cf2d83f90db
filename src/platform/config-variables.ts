/**
 * The table of every MCP_FACTORY_* environment variable: name, type, default, what it does and which component
 * reads it. Pure data; src/platform/config.ts resolves it (loadConfig) and src/platform/config-docs.ts renders
 * docs/configuration.md from it. A name mentioned in src/, runtime/ or test/ must be listed here (a test checks).
 */

/**
 * How a value is written. `ms` and `int` are whole numbers ≥ min; `range` is `LOW-HIGH` (ports);
 * `bool` is 1/true/yes/on or 0/false/no/off; `url` must parse as a URL; `path` is resolved against the cwd.
 */
export type ConfigType = 'string' | 'int' | 'ms' | 'number' | 'enum' | 'url' | 'path' | 'bool' | 'range';

/**
 * `internal`: markers the factory sets on processes it starts, read back from /proc; never set them yourself.
 * `test`: read by the test suite only, never by src/.
 */
export type ConfigCategory =
  | 'factory'
  | 'supervisor'
  | 'docker'
  | 'microvm'
  | 'toolsmith'
  | 'llm'
  | 'embeddings'
  | 'research'
  | 'internal'
  | 'test';

export interface ConfigVariable {
  readonly name: string;
  readonly category: ConfigCategory;
  readonly type: ConfigType;
  /** The default, written as a user would write the value (parsed by the same rules); none when computed. */
  readonly default?: string;
  /** The default in words, when it is computed or depends on other settings. */
  readonly defaultDoc?: string;
  readonly doc: string;
  /** The component (module) that reads it. */
  readonly readBy: string;
  /** `enum`: the accepted values. */
  readonly values?: readonly string[];
  /** `int`, `ms`, `number`: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** `url`: accepted protocols without the colon (any when absent). */
  readonly protocols?: readonly string[];
  /** `bool`: further words that mean on. */
  readonly alsoTrue?: readonly string[];
  /**
   * Set when another module validates the text itself, together with other layers of the same setting (flags,
   * config file), so that all layers share one validator and one error code; loadConfig hands the text over.
   */
  readonly validatedBy?: string;
}

const SUPERVISOR = 'deploy/targets/local (the supervisor)';
const MICROVM = 'deploy/targets/microvm/target.ts';
const TOOLSMITH = 'toolsmith/open.ts (CLI analyze and toolsmith, serve, mcp)';
const LLM = 'llm/config.ts (with flags and the config file; LLM_CONFIG_INVALID)';
const OIDC = 'identity/oidc-login.ts (through `mcp-factory serve`)';
const EMBEDDINGS = 'llm/embeddings.ts (through `mcp-factory serve`, `mcp` and `gateway`)';

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  // Factory home, registry and config file.
  {
    name: 'MCP_FACTORY_HOME',
    category: 'factory',
    type: 'path',
    defaultDoc: '`~/.mcp-factory`',
    doc: 'The factory home: registry.db, tokens, servers, secrets, logs and the supervisor state (mode 0700).',
    readBy: 'store (defaultHome): every CLI command, the control plane, the token store',
  },
  {
    name: 'MCP_FACTORY_REGISTRY_URL',
    category: 'factory',
    type: 'url',
    defaultDoc: '`registry.db` (SQLite) in the factory home',
    doc: 'The registry database: `postgres://…` or `sqlite:/absolute/path/registry.db`. Never on the command line of the supervisor, where `ps` would show a password.',
    readBy: 'surfaces/cli (every command), the supervisor daemon',
  },
  {
    name: 'MCP_FACTORY_NODE',
    category: 'factory',
    type: 'string',
    defaultDoc: 'none: one node, every local deployment runs in this home',
    doc: "This home's node name in a factory cluster (several API instances and supervisors on one PostgreSQL registry, docs/cluster.md): its supervisor heartbeats under it and runs only the deployments placed on it; a deploy through this instance places on the least loaded live node unless `--node` says which.",
    readBy: 'deploy/cluster.ts (the supervisor, the control plane)',
  },
  {
    name: 'MCP_FACTORY_NODE_URL',
    category: 'factory',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: 'none',
    doc: "The API base URL of this node's `mcp-factory serve`, recorded with its heartbeat: another instance asked for the logs of a server on this node answers 421 with this address (logs live in the node's home).",
    readBy: 'deploy/cluster.ts',
  },
  {
    name: 'MCP_FACTORY_NODE_DEAD_AFTER_MS',
    category: 'factory',
    type: 'ms',
    default: '15000',
    min: 1000,
    doc: 'A cluster node whose supervisor has not heartbeaten for this long is dead: new deploys avoid it and `mcp-factory nodes` reports its deployments as stranded.',
    readBy: 'deploy/cluster.ts',
  },
  {
    name: 'MCP_FACTORY_NODE_FAILOVER_AFTER_MS',
    category: 'factory',
    type: 'ms',
    default: '300000',
    min: 0,
    doc: "A cluster node silent for this long (and at least MCP_FACTORY_NODE_DEAD_AFTER_MS) loses its deployments that should run: live nodes' supervisors take them over, the least loaded first, and start them from the registry's copy of the revision, on ports of their own range (0: never; `mcp-factory nodes` reports them stranded and a deploy moves them). A node that comes back stops what is no longer placed on it. Five minutes by default, as Kubernetes waits before evicting the pods of an unreachable node: a node only cut off from the registry runs its servers twice meanwhile.",
    readBy: 'deploy/cluster.ts (the supervisor)',
  },
  {
    name: 'MCP_FACTORY_CONFIG',
    category: 'factory',
    type: 'path',
    defaultDoc: '`$MCP_FACTORY_HOME/config.json`, else `~/.mcp-factory/config.json`',
    doc: 'The factory config file (JSON: `llm`, `research`). When set, the file must exist.',
    readBy: 'llm/config.ts',
  },
  // OIDC sign-in of factory users (authorization code + PKCE); off unless the issuer and client id are set.
  {
    name: 'MCP_FACTORY_OIDC_ISSUER',
    category: 'factory',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: 'unset: OIDC sign-in is off',
    doc: 'Issuer of the OIDC provider (Keycloak realm, Auth0 tenant, `https://accounts.google.com`, Azure `…/v2.0`); its discovery document is read on first use. `http` only for a loopback host.',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_OIDC_CLIENT_ID',
    category: 'factory',
    type: 'string',
    defaultDoc: 'unset: OIDC sign-in is off',
    doc: 'Client id of the factory at the provider (a web application with the authorization code flow).',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_OIDC_CLIENT_SECRET',
    category: 'factory',
    type: 'string',
    defaultDoc: 'none: a public client (PKCE only)',
    doc: 'Client secret (a secret: set it in the environment of `mcp-factory serve`, never on a command line).',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_OIDC_REDIRECT_URI',
    category: 'factory',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: 'required with the issuer',
    doc: 'The callback URL registered at the provider: the public URL of the API followed by `/auth/oidc/callback`.',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_OIDC_AUTO_CREATE_ROLE',
    category: 'factory',
    type: 'enum',
    values: ['admin', 'operator', 'developer', 'reviewer', 'viewer'],
    defaultDoc: 'unset: identities not linked to a user are refused',
    doc: 'Role of the user created (without a team) on the first sign-in of an identity with a verified email that no user is linked to.',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_OIDC_ALLOWED_DOMAINS',
    category: 'factory',
    type: 'string',
    defaultDoc: 'any domain',
    doc: 'Comma-separated email domains (exact match) whose identities may be auto-created; others are refused.',
    readBy: OIDC,
  },
  {
    name: 'MCP_FACTORY_RESOURCE_URL',
    category: 'factory',
    type: 'url',
    defaultDoc: 'unset: only factory tokens',
    doc: "This API's or gateway's public URL as an OAuth resource (RFC 8707). With MCP_FACTORY_OIDC_ISSUER set, access tokens that issuer minted for this URL are accepted as the factory user linked to the token's issuer|sub, and /.well-known/oauth-protected-resource names the issuer (RFC 9728).",
    readBy: 'src/identity/external-tokens.ts (via the API, MCP endpoint and gateway composition)',
  },
  {
    name: 'MCP_FACTORY_GATEWAY_URL',
    category: 'factory',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: 'unset: the console shows no gateway',
    doc: "The gateway (`mcp-factory gateway --transport http`) that `mcp-factory serve` reads for the console: GET /gateway/api/v1/servers, /gateway/api/v1/tools, /gateway/health/detailed and /gateway/cache are answered from it (read-only, fixed paths, capped in size and time), and the playground's POST /gateway/call goes to its POST /api/v1/tools/{name}/execute as the caller.",
    readBy: 'surfaces/console/gateway-proxy.ts (mcp-factory serve)',
  },
  {
    name: 'MCP_FACTORY_GATEWAY_TIMEOUT_MS',
    category: 'factory',
    type: 'ms',
    default: '5000',
    min: 50,
    max: 60000,
    doc: 'How long `mcp-factory serve` waits for one answer of MCP_FACTORY_GATEWAY_URL (body included) before the console route fails with GATEWAY_PROXY_FAILED.',
    readBy: 'surfaces/console/gateway-proxy.ts (mcp-factory serve)',
  },
  {
    name: 'MCP_FACTORY_GATEWAY_TOKEN',
    category: 'factory',
    type: 'string',
    defaultDoc: 'unset: no credential is sent',
    doc: "The API token `mcp-factory serve` sends to MCP_FACTORY_GATEWAY_URL (needs servers.read and api.metrics there) for those reads, where the console caller's own credentials are never forwarded. A tool call through the gateway (POST /gateway/call) carries the caller's own credential instead, never this token: the gateway must share this factory's users and tokens (one registry), and applies that caller's allow-lists, limits and audit.",
    readBy: 'surfaces/console/gateway-proxy.ts (mcp-factory serve)',
  },
  {
    name: 'MCP_FACTORY_IMPORT_DB_HOSTS',
    category: 'factory',
    type: 'string',
    defaultDoc: 'unset: POST /mcp/import/database is off',
    doc: 'Comma-separated database hosts (names or addresses) that POST /mcp/import/database may connect to; the URL host must resolve to an address of a listed host, and the connection goes to that address.',
    readBy: 'surfaces/operations/console-sources.ts (mcp-factory serve)',
  },
  {
    name: 'MCP_FACTORY_GATEWAY_LOG',
    category: 'factory',
    type: 'enum',
    values: ['text', 'json'],
    default: 'text',
    doc: '`json`: `mcp-factory gateway` prints one JSON line per tool call to stderr (time, level, requestId, traceId, caller, tool, upstream, ok, ms); `--log-format` wins. Traces are set with the standard `OTEL_TRACES_EXPORTER` (otlp, console, none) and `OTEL_EXPORTER_OTLP_ENDPOINT`.',
    readBy: 'surfaces/cli/gateway-tracing.ts (mcp-factory gateway)',
  },
  // Local target: the supervisor's tuning.
  {
    name: 'MCP_FACTORY_RECONCILE_INTERVAL_MS',
    category: 'supervisor',
    type: 'ms',
    default: '2000',
    min: 0,
    doc: "Reconcile the registry's desired state with the running processes at least this often.",
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_MONITOR_INTERVAL_MS',
    category: 'supervisor',
    type: 'ms',
    default: '500',
    min: 0,
    doc: 'How often an adopted server process (not a child of this supervisor) is polled for liveness.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_HEALTH_INTERVAL_MS',
    category: 'supervisor',
    type: 'ms',
    default: '10000',
    min: 0,
    doc: 'Interval of the MCP health check of a running server.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_HEALTH_TIMEOUT_MS',
    category: 'supervisor',
    type: 'ms',
    default: '5000',
    min: 0,
    doc: 'A health check that takes longer fails.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_HEALTH_SLOW_MS',
    category: 'supervisor',
    type: 'ms',
    default: '1000',
    min: 0,
    doc: 'A health check slower than this marks the server `degraded`.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_START_TIMEOUT_MS',
    category: 'supervisor',
    type: 'ms',
    default: '30000',
    min: 0,
    doc: 'A server that has not answered MCP this long after its spawn counts as a failed start.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_MAX_START_FAILURES',
    category: 'supervisor',
    type: 'int',
    default: '5',
    min: 0,
    doc: 'Crashes in a row before the first healthy answer after which the deployment is marked failed.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_BACKOFF_BASE_MS',
    category: 'supervisor',
    type: 'ms',
    default: '500',
    min: 0,
    doc: 'Restart backoff after the n-th crash: base × 2^(n-1), capped by MCP_FACTORY_BACKOFF_MAX_MS.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_BACKOFF_MAX_MS',
    category: 'supervisor',
    type: 'ms',
    default: '30000',
    min: 0,
    doc: 'The cap of the restart backoff.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_STABLE_AFTER_MS',
    category: 'supervisor',
    type: 'ms',
    default: '60000',
    min: 0,
    doc: 'A server that stayed up this long has its crash counter reset (the backoff starts small again).',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_UNHEALTHY_RESTART_AFTER',
    category: 'supervisor',
    type: 'int',
    default: '3',
    min: 0,
    doc: 'Failed health checks in a row after which a once-healthy server is restarted (0: never).',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_STOP_GRACE_MS',
    category: 'supervisor',
    type: 'ms',
    default: '5000',
    min: 0,
    doc: 'Time between SIGTERM and SIGKILL when a server is stopped.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_LOG_MAX_BYTES',
    category: 'supervisor',
    type: 'int',
    default: '10485760',
    min: 0,
    doc: 'Largest size of one server log file, enforced as bytes are written (it is rotated before a write would exceed it; 0: no limit).',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_LOG_KEEP',
    category: 'supervisor',
    type: 'int',
    default: '5',
    min: 0,
    doc: 'Log files kept per server, the current one included (0 or 1: only the current one); at most this many × MCP_FACTORY_LOG_MAX_BYTES on disk.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_PORT_RANGE',
    category: 'supervisor',
    type: 'range',
    default: '17300-17999',
    doc: 'Ports (inclusive, within 1024-65535) given to local deployments without a fixed port.',
    readBy: SUPERVISOR,
  },
  {
    name: 'MCP_FACTORY_SUPERVISOR_AUTOSTART',
    category: 'supervisor',
    type: 'bool',
    default: 'on',
    doc: 'Whether a CLI command starts the supervisor when none runs (deploy, start, stop; list, status and logs when servers are recorded as running). Set it to off where systemd or a container entrypoint runs the supervisor: commands then report a missing supervisor instead of starting a second one.',
    readBy: 'surfaces/cli (every command that talks to the supervisor)',
  },
  // Docker target.
  {
    name: 'MCP_FACTORY_NODE_IMAGE',
    category: 'docker',
    type: 'string',
    default: 'node:22-alpine',
    doc: "Base image of the servers' images (`ARG NODE_IMAGE`); it must exist locally.",
    readBy: 'deploy/targets/docker/engine.ts',
  },
  {
    name: 'MCP_FACTORY_DOCKER_NETWORK',
    category: 'docker',
    type: 'enum',
    values: ['bridge', 'host'],
    default: 'bridge',
    doc: '`bridge` publishes each container on 127.0.0.1:port; `host` where the engine has no bridge network.',
    readBy: 'deploy/targets/docker/target.ts',
  },
  {
    name: 'MCP_FACTORY_KUBECONFIG',
    category: 'factory',
    type: 'path',
    doc: 'Kubeconfig of the Kubernetes apply path; default: KUBECONFIG, ~/.kube/config, then the in-cluster service account.',
    readBy: 'deploy/targets/kubernetes/client.ts',
  },
  // MicroVM target.
  {
    name: 'MCP_FACTORY_MICROVM_KERNEL',
    category: 'microvm',
    type: 'path',
    defaultDoc: 'the newest `/boot/vmlinuz-*` whose virtio modules are under /lib/modules',
    doc: "Guest kernel of the microvm target; its release (the file name after `vmlinuz-`) names the modules directory the guest's virtio modules are taken from.",
    readBy: MICROVM,
  },
  {
    name: 'MCP_FACTORY_MICROVM_ACCEL',
    category: 'microvm',
    type: 'enum',
    values: ['auto', 'kvm', 'tcg'],
    default: 'auto',
    doc: "QEMU accelerator: `kvm` (needs /dev/kvm of a full hypervisor), `tcg` (QEMU's emulation, slower, same isolation) or `auto` (kvm when usable).",
    readBy: MICROVM,
  },
  {
    name: 'MCP_FACTORY_MICROVM_MEMORY_MB',
    category: 'microvm',
    type: 'int',
    default: '512',
    min: 128,
    max: 65536,
    doc: "Memory of each server's VM in MiB (the guest image, unpacked in RAM, takes about 110 MiB of it).",
    readBy: MICROVM,
  },
  {
    name: 'MCP_FACTORY_MICROVM_CPUS',
    category: 'microvm',
    type: 'int',
    default: '1',
    min: 1,
    max: 64,
    doc: "Virtual CPUs of each server's VM.",
    readBy: MICROVM,
  },
  {
    name: 'MCP_FACTORY_MICROVM_POOL',
    category: 'microvm',
    type: 'int',
    default: '0',
    min: 0,
    max: 16,
    doc: 'Warm pool of the microvm target: VMs booted ahead of time (per memory/vCPU setting) that a deploy hands its server to instead of booting one; 0: no pool. `deploy --target microvm --pool N` sets the size of one home, which then wins over this variable.',
    readBy: MICROVM,
  },
  {
    name: 'MCP_FACTORY_MICROVM_START_TIMEOUT_MS',
    category: 'microvm',
    type: 'ms',
    default: '60000',
    min: 1000,
    doc: 'How long a VM has from start to its first MCP answer before the deploy fails.',
    readBy: MICROVM,
  },
  // Toolsmith.
  {
    name: 'MCP_FACTORY_TOOLSMITH_POLICY',
    category: 'toolsmith',
    type: 'path',
    defaultDoc: '`<home>/toolsmith/policy.yaml` when it exists, else the defaults of docs/toolsmith.md',
    doc: 'The toolsmith sandbox policy file (execution limits, dataRoots for remote callers, dataset size, repairs, server name). A named file must exist and be valid (TOOLSMITH_POLICY_INVALID).',
    readBy: TOOLSMITH,
  },
  {
    name: 'MCP_FACTORY_TOOLSMITH_LEASE_MS',
    category: 'toolsmith',
    type: 'ms',
    default: '60000',
    min: 1000,
    max: 3_600_000,
    doc: 'How long a process holds a toolsmith run it works on without renewing; a run whose process died is resumed (`toolsmith resume`, `serve`) once this has passed.',
    readBy: TOOLSMITH,
  },
  // LLM: one layer of three (flags > these variables > the config file); see docs/llm.md.
  {
    name: 'MCP_FACTORY_LLM_PROVIDER',
    category: 'llm',
    type: 'enum',
    values: ['anthropic', 'openai', 'google', 'openai-compatible'],
    defaultDoc:
      'detected from `ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `GOOGLE_GENERATIVE_AI_API_KEY` / `GEMINI_API_KEY`',
    doc: 'The LLM provider of natural-language creation (`openai-compatible` covers Ollama, vLLM and LM Studio).',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_MODEL',
    category: 'llm',
    type: 'string',
    defaultDoc: "the provider's default model; required for `openai-compatible`",
    doc: 'The model name.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_API_KEY_ENV',
    category: 'llm',
    type: 'string',
    defaultDoc: "the provider's usual variable, e.g. `ANTHROPIC_API_KEY`",
    doc: 'The NAME of the variable that holds the API key (never the key itself).',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_BASE_URL',
    category: 'llm',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: "the provider's; `http://127.0.0.1:11434/v1` (Ollama) for `openai-compatible`",
    doc: 'The API endpoint, without credentials.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_TEMPERATURE',
    category: 'llm',
    type: 'number',
    default: '0.2',
    min: 0,
    max: 2,
    doc: 'Sampling temperature.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_MAX_RETRIES',
    category: 'llm',
    type: 'int',
    default: '3',
    min: 0,
    max: 10,
    doc: 'Retries of one call on 429, 5xx, network errors and timeouts.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_TIMEOUT_MS',
    category: 'llm',
    type: 'ms',
    default: '180000',
    min: 1,
    max: 3_600_000,
    doc: 'Timeout of one attempt.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_STRUCTURED_OUTPUT',
    category: 'llm',
    type: 'enum',
    values: ['schema', 'json'],
    defaultDoc: '`schema`; `json` for Google',
    doc: "`schema` sends the spec's JSON Schema as structured output; `json` asks for plain JSON with the schema in the prompt.",
    readBy: LLM,
    validatedBy: 'llm',
  },
  {
    name: 'MCP_FACTORY_LLM_MAX_OUTPUT_TOKENS',
    category: 'llm',
    type: 'int',
    min: 256,
    defaultDoc: "the provider's",
    doc: 'Largest answer of one call, in tokens.',
    readBy: LLM,
    validatedBy: 'llm',
  },
  // Embeddings for hybrid tool search (llm/embeddings.ts); off unless a provider is named.
  {
    name: 'MCP_FACTORY_EMBEDDINGS_PROVIDER',
    category: 'embeddings',
    type: 'enum',
    values: ['openai', 'google', 'openai-compatible'],
    defaultDoc: '`embeddings.provider` of the config file, else off (keyword search only)',
    doc: 'Turns on hybrid tool search (keyword + embeddings) with this provider; `openai-compatible` covers Ollama, vLLM and LM Studio. Without its API key, search stays keyword only.',
    readBy: EMBEDDINGS,
  },
  {
    name: 'MCP_FACTORY_EMBEDDINGS_MODEL',
    category: 'embeddings',
    type: 'string',
    defaultDoc:
      '`text-embedding-3-small` (openai), `gemini-embedding-001` (google); required for `openai-compatible`',
    doc: 'The embedding model. Tool vectors are cached in the registry per model and text.',
    readBy: EMBEDDINGS,
  },
  {
    name: 'MCP_FACTORY_EMBEDDINGS_API_KEY_ENV',
    category: 'embeddings',
    type: 'string',
    defaultDoc:
      '`OPENAI_API_KEY` (openai), `GOOGLE_GENERATIVE_AI_API_KEY` / `GEMINI_API_KEY` (google), none (openai-compatible)',
    doc: 'The NAME of the variable that holds the embeddings API key (never the key itself).',
    readBy: EMBEDDINGS,
  },
  {
    name: 'MCP_FACTORY_EMBEDDINGS_BASE_URL',
    category: 'embeddings',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: "the provider's; `http://127.0.0.1:11434/v1` (Ollama) for `openai-compatible`",
    doc: 'The embeddings API endpoint, without credentials.',
    readBy: EMBEDDINGS,
  },
  {
    name: 'MCP_FACTORY_EMBEDDINGS_TIMEOUT_MS',
    category: 'embeddings',
    type: 'ms',
    default: '5000',
    min: 1,
    max: 600_000,
    doc: 'Timeout of one embeddings request; a query whose embedding fails or times out is answered by keyword search.',
    readBy: EMBEDDINGS,
  },
  // Web research before natural-language extraction.
  {
    name: 'MCP_FACTORY_RESEARCH',
    category: 'research',
    type: 'bool',
    alsoTrue: ['tavily'],
    defaultDoc: '`research.enabled` of the config file, else off',
    doc: 'Search the web for API documentation before extraction (Tavily; the key in `TAVILY_API_KEY`).',
    readBy: 'llm/config.ts (resolveResearchSettings)',
  },
  {
    name: 'MCP_FACTORY_TAVILY_URL',
    category: 'research',
    type: 'url',
    protocols: ['http', 'https'],
    defaultDoc: '`research.baseUrl` of the config file, else the Tavily API',
    doc: 'Endpoint of the Tavily search API (a proxy or a test double).',
    readBy: 'sources/nl/extract.ts',
  },
  // Markers the supervisor sets on the servers it spawns.
  {
    name: 'MCP_FACTORY_SUPERVISOR_HOME',
    category: 'internal',
    type: 'path',
    doc: 'Set on every spawned server: the factory home of its supervisor. With the deployment id it proves, after a restart, that a process is ours.',
    readBy: 'deploy/targets/local/proc.ts (from /proc/<pid>/environ)',
  },
  {
    name: 'MCP_FACTORY_DEPLOYMENT_ID',
    category: 'internal',
    type: 'string',
    doc: 'Set on every spawned server: the id of its deployment.',
    readBy: 'deploy/targets/local/proc.ts (from /proc/<pid>/environ)',
  },
  {
    name: 'MCP_FACTORY_SWARM_SLOT',
    category: 'internal',
    type: 'string',
    doc: "Set on every replica of a swarm service (`{{.Task.Slot}}`): the replica's slot, which picks its port.",
    readBy: 'deploy/targets/swarm/entrypoint.ts (inside the replica)',
  },
  {
    name: 'MCP_FACTORY_SWARM_PORT_BASE',
    category: 'internal',
    type: 'string',
    doc: 'Set on every replica of a swarm service: the port of slot 1 (slot n listens on base + n - 1).',
    readBy: 'deploy/targets/swarm/entrypoint.ts (inside the replica)',
  },
  {
    name: 'MCP_FACTORY_SQLITE_CHILD',
    category: 'internal',
    type: 'string',
    doc: 'Set by a generated server on the child processes that run its SQLite queries (killed on timeout): the bundle then serves SQLite requests instead of starting the server.',
    readBy: 'runtime/sql-sqlite.ts (generated servers)',
  },
  {
    name: 'MCP_FACTORY_SQLITE_IDLE_MS',
    category: 'internal',
    type: 'ms',
    default: '60000',
    min: 100,
    doc: 'Read by a generated server with a SQLite connection: a query child process idle this long exits (the next query starts one again, a few hundred ms). Not a marker: set it on the server to trade idle memory against first-query latency.',
    readBy: 'runtime/sql-sqlite.ts (generated servers)',
  },
  {
    name: 'MCP_FACTORY_ROLLBACK_WRITES',
    category: 'internal',
    type: 'bool',
    doc: "Set to `1` only by a generated server's own tests: every PostgreSQL/MySQL/MariaDB statement of the server runs in a transaction that is rolled back, so write tools are exercised without changing the database (SQLite tests use a scratch copy instead). Read once at start-up; never set it on a server in use: its writes would not be kept.",
    readBy: 'runtime/sql.ts (generated servers)',
  },
  {
    name: 'MCP_FACTORY_CONFIG_HASH',
    category: 'internal',
    type: 'string',
    doc: 'Set on every spawned server: sha256 of what it was started with (bundle, port, environment), to tell a stale process apart.',
    readBy: 'deploy/targets/local/proc.ts (from /proc/<pid>/environ)',
  },
  // The test suite.
  {
    name: 'MCP_FACTORY_TEST_PG_URL',
    category: 'test',
    type: 'url',
    doc: 'PostgreSQL for the registry, importer and template tests; skipped (with a message) when unset.',
    readBy: 'test/ (helpers/services.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_MYSQL_URL',
    category: 'test',
    type: 'url',
    doc: 'MariaDB/MySQL for the importer and template tests; skipped (with a message) when unset.',
    readBy: 'test/ (helpers/services.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_REDIS_URL',
    category: 'test',
    type: 'url',
    doc: 'Redis for the gateway cache and rate-limit tests (shared by two gateway instances); skipped (with a message) when unset.',
    readBy: 'test/ (helpers/services.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_KUBECONFIG',
    category: 'test',
    type: 'path',
    doc: 'Kubeconfig of a kind/k3d cluster for the live Kubernetes apply tests; skipped (with a message) when unset, also under MCP_FACTORY_REQUIRE_SERVICES (CI has no cluster).',
    readBy: 'test/ (targets/kubernetes-cluster.test.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_RABBITMQ_URL',
    category: 'test',
    type: 'url',
    doc: 'RabbitMQ (amqp://guest:guest@127.0.0.1:5672) for the queue-trigger tests; skipped (with a message) when unset.',
    readBy: 'test/ (triggers/queue-helpers.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_NATS_URL',
    category: 'test',
    type: 'url',
    doc: 'NATS with JetStream (nats://127.0.0.1:4222) for the queue-trigger tests; skipped (with a message) when unset.',
    readBy: 'test/ (triggers/queue-helpers.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_MQTT_URL',
    category: 'test',
    type: 'url',
    doc: 'An MQTT broker (mqtt://127.0.0.1:1883) for the queue-trigger tests; skipped (with a message) when unset.',
    readBy: 'test/ (triggers/queue-helpers.ts)',
  },
  {
    name: 'MCP_FACTORY_TEST_DOCKER',
    category: 'test',
    type: 'bool',
    doc: 'Run the Docker target tests (`1`; needs a running dockerd).',
    readBy: 'test/targets, test/supervisor/docker-deploy.test.ts',
  },
  {
    name: 'MCP_FACTORY_TEST_MICROVM',
    category: 'test',
    type: 'bool',
    doc: 'Run the microvm target tests (`1`; needs qemu-system-x86, busybox-static and a guest kernel).',
    readBy: 'test/isolation/microvm.test.ts',
  },
  {
    name: 'MCP_FACTORY_CHROMIUM',
    category: 'test',
    type: 'string',
    doc: 'Chromium binary of the console browser tests (default `/usr/bin/chromium`, Debian package `chromium`).',
    readBy: 'test/console/harness.ts',
  },
  {
    name: 'MCP_FACTORY_REQUIRE_SERVICES',
    category: 'test',
    type: 'bool',
    doc: 'Turn the skip of a service-backed test into a failure (`1`, set by `.ci/run`).',
    readBy: 'test/helpers/services.ts',
  },
  {
    name: 'MCP_FACTORY_TEST_BENCH',
    category: 'test',
    type: 'bool',
    doc: 'Run the opt-in benchmarks (`1`), e.g. keyset against OFFSET pages on a 1,000,000-row PostgreSQL table.',
    readBy: 'test/db-runtime/keyset-bench.test.ts',
  },
  {
    name: 'MCP_FACTORY_TEST_LLM',
    category: 'test',
    type: 'enum',
    values: ['anthropic', 'openai', 'google', 'openai-compatible'],
    doc: 'Run the live LLM tests against this provider (its API key must be set).',
    readBy: 'test/llm/live.test.ts',
  },
  {
    name: 'MCP_FACTORY_TEST_LLM_MODEL',
    category: 'test',
    type: 'string',
    doc: 'Model of the live LLM tests.',
    readBy: 'test/llm/live.test.ts',
  },
  {
    name: 'MCP_FACTORY_TEST_LLM_BASE_URL',
    category: 'test',
    type: 'url',
    doc: 'Endpoint of the live LLM tests, e.g. `http://127.0.0.1:11434/v1` for Ollama.',
    readBy: 'test/llm/live.test.ts',
  },
];

const BY_NAME: ReadonlyMap<string, ConfigVariable> = new Map(CONFIG_VARIABLES.map((v) => [v.name, v]));

/** The table entry of a variable; throws for a name that is not in the table (a programming error). */
export function configVariable(name: string): ConfigVariable {
  const variable = BY_NAME.get(name);
  if (!variable)
    throw new Error(`${name} is not in the configuration table (src/platform/config-variables.ts)`);
  return variable;
}
