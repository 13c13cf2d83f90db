/**
 * The gateway's configuration: which upstreams besides the registry's running servers (a stdio command, a
 * Streamable HTTP URL or a legacy SSE URL, with credentials by `${ENV}` reference), what each exposes (include,
 * exclude, renames, description overrides, enabled), the name separator, when to switch to meta-tools, and
 * per-upstream limits, the result cache of read-only tools (`cache`), tool-call rate limits (`limits`) and the
 * Redis that shares both across gateway instances (`redis`). Parsing is pure: `parseGatewayConfig(data, env)` resolves env references against the
 * given environment and reports every problem with its path; nothing is started here.
 */
import { z } from 'zod';
import { FactoryError } from '../core/errors/index.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]{0,127})\}/g;

const ToolRules = z
  .object({
    include: z.array(z.string().min(1).max(128)).max(10_000).optional(),
    exclude: z.array(z.string().min(1).max(128)).max(10_000).optional(),
    rename: z.record(z.string().min(1).max(128), z.string().min(1).max(64)).optional(),
    describe: z.record(z.string().min(1).max(128), z.string().max(4096)).optional(),
    disabled: z.array(z.string().min(1).max(128)).max(10_000).optional(),
  })
  .strict();

/** Result cache of an upstream's read-only tools (see cache.ts). */
const CacheConfig = z
  .object({
    ttlMs: z.number().int().min(1).max(86_400_000),
    /** Entries kept per upstream in memory (least recently used dropped first). */
    maxEntries: z.number().int().min(1).max(1_000_000).default(1_000),
    /** A result larger than this (as JSON) is not cached. */
    maxEntryBytes: z
      .number()
      .int()
      .min(1)
      .max(16 * 1024 * 1024)
      .default(256 * 1024),
    /** Upstream tool names or `*` patterns to cache (default: every read-only tool). */
    tools: z.array(z.string().min(1).max(128)).max(10_000).optional(),
  })
  .strict();

const RateLimitConfig = z
  .object({
    perMinute: z.number().min(0.001).max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .transform((l) => ({ perMinute: l.perMinute, burst: l.burst ?? Math.max(1, Math.ceil(l.perMinute)) }));

const Common = {
  name: z.string().regex(NAME, 'lower-case letters, digits, . _ - (max 64), starting with a letter or digit'),
  enabled: z.boolean().default(true),
  tools: ToolRules.optional(),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  maxConcurrency: z.number().int().min(1).max(1024).default(16),
  /** Calls of read-only tools are retried this many times after a transport failure. */
  retries: z.number().int().min(0).max(5).default(2),
  /** The circuit opens after this many consecutive failures, and lets one call try again after circuitHalfOpenMs. */
  circuitFailures: z.number().int().min(1).max(1000).default(5),
  circuitHalfOpenMs: z.number().int().min(10).max(3_600_000).default(5_000),
  cache: CacheConfig.optional(),
};

const HttpUpstream = z
  .object({
    ...Common,
    url: z
      .string()
      .max(2048)
      .refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL'),
    transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
    headers: z.record(z.string().min(1).max(128), z.string().max(8192)).optional(),
  })
  .strict();

const StdioUpstream = z
  .object({
    ...Common,
    command: z.string().min(1).max(1024),
    args: z.array(z.string().max(8192)).max(256).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)).optional(),
    cwd: z.string().max(4096).optional(),
    /** Stop the process after this long without calls (0: keep it). */
    idleTtlMs: z.number().int().min(0).max(86_400_000).default(0),
  })
  .strict();

export const UpstreamConfigSchema = z.union([HttpUpstream, StdioUpstream]);
/** One http/sse upstream as in `servers` (the only kind the REST API may add: see parseRuntimeUpstream). */
export const HttpUpstreamConfigSchema = HttpUpstream;
export type HttpUpstreamConfig = z.output<typeof HttpUpstream>;
export type StdioUpstreamConfig = z.output<typeof StdioUpstream>;
export type UpstreamConfig = HttpUpstreamConfig | StdioUpstreamConfig;

export const GatewayConfigSchema = z
  .object({
    separator: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,4}$/)
      .default('__'),
    /** Serve the registry's running servers (default true). */
    registry: z.boolean().default(true),
    /** Meta-tools (search_tools, describe_tool, call_tool) instead of the catalog: auto above metaThreshold. */
    metaTools: z.enum(['auto', 'always', 'never']).default('auto'),
    metaThreshold: z.number().int().min(1).max(1_000_000).default(128),
    /** Rules for registry servers, by server name. */
    serverRules: z
      .record(
        z.string().regex(NAME),
        z
          .object({
            enabled: z.boolean().default(true),
            tools: ToolRules.optional(),
            cache: CacheConfig.optional(),
          })
          .strict(),
      )
      .optional(),
    servers: z.array(UpstreamConfigSchema).max(1000).default([]),
    /** Tool-call rate limits per caller identity, and per caller and tool (by public name or `*` pattern). */
    limits: z
      .object({
        perCaller: RateLimitConfig.optional(),
        perTool: z.record(z.string().min(1).max(128), RateLimitConfig).optional(),
      })
      .strict()
      .optional(),
    /** Shared cache and rate limits across gateway instances (a Redis URL; `${ENV}` references allowed). */
    redis: z
      .object({
        url: z
          .string()
          .max(2048)
          .refine(
            (u) => /^(rediss?:\/\/|\$\{)/i.test(u),
            'a redis:// or rediss:// URL (or a ${VAR} holding one)',
          ),
        prefix: z.string().max(128).default('mcpf:gw:'),
        timeoutMs: z.number().int().min(10).max(60_000).default(250),
      })
      .strict()
      .optional(),
  })
  .strict();

export type GatewayConfig = z.output<typeof GatewayConfigSchema>;

export function isStdio(u: UpstreamConfig): u is StdioUpstreamConfig {
  return 'command' in u;
}

/** Replace `${VAR}` references in every string; a missing variable is an error naming it and where. */
function resolveEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  path: string,
  missing: string[],
): unknown {
  if (typeof value === 'string')
    return value.replace(ENV_REF, (_, name: string) => {
      const v = env[name];
      if (v === undefined) missing.push(`${path}: \${${name}} is not set`);
      return v ?? '';
    });
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, env, `${path}[${i}]`, missing));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnv(v, env, path ? `${path}.${k}` : k, missing)]),
    );
  return value;
}

/** Parse and check a configuration document (already decoded from YAML/JSON). */
export function parseGatewayConfig(
  data: unknown,
  env: Record<string, string | undefined> = {},
): GatewayConfig {
  const parsed = GatewayConfigSchema.safeParse(data ?? {});
  if (!parsed.success)
    throw new FactoryError('CONFIG_INVALID', 'the gateway configuration is invalid', {
      issues: parsed.error.issues.map((i) => ({
        code: 'CONFIG_INVALID',
        message: i.message,
        path: i.path.join('.'),
        hint: 'See the gateway section of the README for the configuration format.',
      })),
    });
  const missing: string[] = [];
  const servers = parsed.data.servers.map(
    (s, i) => resolveEnv(s, env, `servers[${i}]`, missing) as UpstreamConfig,
  );
  const redis = parsed.data.redis
    ? (resolveEnv(parsed.data.redis, env, 'redis', missing) as typeof parsed.data.redis)
    : undefined;
  if (missing.length)
    throw new FactoryError(
      'CONFIG_INVALID',
      `the gateway configuration names unset variables: ${missing.join('; ')}`,
      {
        details: { missing },
      },
    );
  const names = new Set<string>();
  for (const s of servers) {
    if (names.has(s.name))
      throw new FactoryError('CONFIG_INVALID', `two upstreams are named "${s.name}"`, {
        details: { server: s.name },
      });
    names.add(s.name);
  }
  return { ...parsed.data, servers, ...(redis ? { redis } : {}) };
}

/** Keys only a stdio upstream has. */
const STDIO_KEYS = ['command', 'args', 'env', 'cwd', 'idleTtlMs'] as const;
/** At most this many headers on an upstream added over the REST API. */
export const MAX_RUNTIME_HEADERS = 32;

/** Paths of the strings (keys included) of `value` holding a `${VAR}` reference. */
function envRefPaths(value: unknown, path: string, out: string[]): string[] {
  const has = (s: string) => new RegExp(ENV_REF.source).test(s);
  if (typeof value === 'string') {
    if (has(value)) out.push(path);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) envRefPaths(v, `${path}[${i}]`, out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (has(k)) out.push(`${path}.${k}`);
      envRefPaths(v, `${path}.${k}`, out);
    }
  return out;
}

/**
 * An upstream added at runtime (the gateway's REST API, POST /api/v1/servers): the shape of one entry of the
 * config file's `servers`, checked by the same schema, with what an HTTP caller must not do refused first:
 * a stdio upstream (it would run any command on the gateway's host: GATEWAY_UPSTREAM_STDIO_REFUSED), and
 * `${VAR}` references (never expanded here — otherwise a caller could send the gateway's secrets to a URL of its
 * choosing: GATEWAY_UPSTREAM_ENV_REFUSED). The URL must parse as http(s) without user:password (credentials go
 * in `headers`); loopback and private addresses are allowed, the gateway usually fronts such servers. A rename
 * must stay under the upstream's own prefix (`<name><separator>…`): renames win public names, so one outside it
 * could take over another upstream's tool name. Its result cache is held to the default sizes (memory). Issues
 * are located under `where` (the request's `body`).
 */
export function parseRuntimeUpstream(
  data: unknown,
  options: { separator: string; where?: string },
): HttpUpstreamConfig {
  const where = options.where ?? 'body';
  const at = (key: string) => (where ? `${where}.${key}` : key);
  const fields = data && typeof data === 'object' && !Array.isArray(data) ? data : {};
  const stdio = STDIO_KEYS.filter((k) => k in fields);
  if (stdio.length)
    throw new FactoryError(
      'GATEWAY_UPSTREAM_STDIO_REFUSED',
      'stdio upstreams cannot be added over the REST API; declare stdio upstreams in the gateway config file',
      {
        issues: stdio.map((k) => ({
          code: 'GATEWAY_UPSTREAM_STDIO_REFUSED',
          message: `"${k}" belongs to a stdio upstream (a command the gateway would run)`,
          path: at(k),
          hint: 'declare stdio upstreams in the gateway config file',
        })),
      },
    );
  const refs = envRefPaths(data, where, []);
  if (refs.length)
    throw new FactoryError(
      'GATEWAY_UPSTREAM_ENV_REFUSED',
      `\${VAR} references are not expanded for upstreams added over the REST API (at ${refs.slice(0, 10).join(', ')})`,
      {
        issues: refs.slice(0, 100).map((path) => ({
          code: 'GATEWAY_UPSTREAM_ENV_REFUSED',
          message: 'a ${VAR} reference to the gateway environment',
          path,
          hint: 'send the literal value, or declare the upstream in the gateway config file',
        })),
      },
    );
  const invalid = (issues: Array<{ path: string; message: string }>) =>
    new FactoryError(
      'API_INVALID_REQUEST',
      `invalid upstream: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      {
        issues: issues.map((i) => ({
          code: 'API_INVALID_REQUEST',
          ...i,
          hint: 'One upstream as in the gateway config file: { name, url, transport?, headers?, tools?, … } (http and sse only).',
        })),
      },
    );
  const parsed = HttpUpstream.safeParse(data);
  if (!parsed.success)
    throw invalid(
      parsed.error.issues.map((i) => ({
        path: [where, ...i.path.map(String)].filter(Boolean).join('.'),
        message: i.message,
      })),
    );
  const u = parsed.data;
  let url: URL | undefined;
  try {
    url = new URL(u.url);
  } catch {
    url = undefined;
  }
  // The message never repeats the URL: it may hold a secret.
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    throw invalid([{ path: at('url'), message: 'not a valid http(s) URL' }]);
  if (url.username || url.password)
    throw invalid([
      { path: at('url'), message: 'a URL with user:password@ — send credentials in headers instead' },
    ]);
  if (Object.keys(u.headers ?? {}).length > MAX_RUNTIME_HEADERS)
    throw invalid([{ path: at('headers'), message: `at most ${MAX_RUNTIME_HEADERS} headers` }]);
  for (const [name, value] of Object.entries(u.headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw invalid([{ path: at('headers'), message: 'a header name that is not an HTTP token' }]);
    if (/[\r\n\0]/.test(value))
      throw invalid([{ path: at(`headers.${name}`), message: 'a header value with a line break or NUL' }]);
  }
  for (const [tool, wanted] of Object.entries(u.tools?.rename ?? {}))
    if (!wanted.startsWith(`${u.name}${options.separator}`))
      throw invalid([
        {
          path: at(`tools.rename.${tool}`),
          message: `a public name added over the REST API starts with "${u.name}${options.separator}"`,
        },
      ]);
  if (u.cache && (u.cache.maxEntries > 1_000 || u.cache.maxEntryBytes > 256 * 1024))
    throw invalid([{ path: at('cache'), message: 'at most 1000 entries of 262144 bytes over the REST API' }]);
  if (!u.enabled)
    throw invalid([
      { path: at('enabled'), message: 'an upstream added over the REST API is enabled; DELETE it instead' },
    ]);
  return u;
}
