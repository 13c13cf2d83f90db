/**
 * The management surfaces on the command line: `mcp-factory serve` (the HTTP API), `mcp-factory mcp` (the
 * factory as an MCP server, see mcp.ts) and `mcp-factory token create|list|revoke` (the API tokens: a role, an
 * owner for a personal token — `--user`, checked in identity-commands.ts — and an expiry; `token update` is
 * token-update-command.ts).
 * Long-running commands serve until SIGINT/SIGTERM (or, for MCP over stdio, until stdin closes) and then close
 * everything they opened, so the process ends on its own.
 */
import { userInfo } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ControlPlane } from '../../deploy/types.js';
import type { ApiLimits } from '../../identity/access.js';
import { ROLES, type Role } from '../../identity/roles.js';
import type { ApiTokens } from '../../identity/tokens.js';
import type { WorkerPool } from '../../jobs/index.js';
import { loadConfig } from '../../platform/config.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import type { FactoryMcpHttp } from '../mcp/index.js';
import { registerMcpCommand } from './mcp.js';

// The subsystems below are loaded by the command that runs, not at start-up (`--help` must stay fast).
const loadStore = () => import('../../store/index.js');
const loadTokens = () => import('../../identity/tokens.js');

/**
 * Run `fn` over the API tokens of a home (default: MCP_FACTORY_HOME or ~/.mcp-factory): the registry's when it
 * is PostgreSQL (shared by a cluster's instances), the home's token file otherwise.
 */
export async function withTokens<T>(
  opts: HomeOptions,
  fn: (tokens: ApiTokens) => Promise<T> | T,
): Promise<T> {
  const [{ defaultHome, openRegistry }, { TokenStore }] = await Promise.all([loadStore(), loadTokens()]);
  const home = opts.home ?? defaultHome();
  const url = opts.registry ?? loadConfig().registryUrl;
  if (url === undefined || !/^postgres(?:ql)?:\/\//i.test(url)) return fn(TokenStore.open({ home }));
  const registry = await openRegistry({ home, url });
  try {
    const { openApiTokens } = await import('../../identity/tokens-registry.js');
    return await fn(await openApiTokens({ home, registry }));
  } finally {
    await registry.close();
  }
}

export interface ServeIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface HomeOptions {
  home?: string;
  registry?: string;
}

export interface LimitOptions {
  rate?: number;
  burst?: number;
  maxServers?: number;
  maxBody?: number;
  maxCreates?: number;
}

export function localActor(prefix: string): string {
  try {
    return `${prefix}:${userInfo().username}`;
  } catch {
    return prefix;
  }
}

export function intArg(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return Number(value);
  };
}

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A comma-separated list (`a,b-*`): entries trimmed; empty entries kept, so the token store refuses them. */
export function listArg(value: string): string[] {
  return value.split(',').map((p) => p.trim());
}

/** A duration such as 90m, 12h, 30d or 2w, in seconds (1 minute to 3650 days). */
export function durationArg(value: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : Number.NaN;
  if (!(seconds >= 60 && seconds <= 3650 * 86_400))
    throw new InvalidArgumentError('a duration from 1m to 3650d, such as 90m, 12h, 30d or 2w');
  return seconds;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function addHomeOptions(command: Command): Command {
  return command
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .option(
      '--registry <url>',
      'registry URL (postgres://… or sqlite:/path; default MCP_FACTORY_REGISTRY_URL)',
    );
}

export function addHttpOptions(command: Command, defaultPort: number): Command {
  return command
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: a free one)', intArg(0, 65535), defaultPort)
    .option('--allow-remote', 'allow a non-loopback --host (put TLS in front of it)')
    .option('--allowed-host <name>', 'accept this Host header name too (repeatable)', collect)
    .option('--allowed-origin <name>', 'accept this Origin host name too (repeatable)', collect)
    .option('--rate <n>', 'requests per minute and token (default 300)', intArg(1, 1_000_000))
    .option('--burst <n>', 'requests a token may make at once (default 60)', intArg(1, 1_000_000))
    .option('--max-servers <n>', 'servers one token may create (default 20)', intArg(0, 100_000))
    .option('--max-body <bytes>', 'largest request body (default 1048576)', intArg(1024, 64 * 1024 * 1024))
    .option('--max-creates <n>', 'creations running at once (default 2)', intArg(1, 64));
}

export function limitsFrom(opts: LimitOptions): Partial<ApiLimits> {
  return {
    ...(opts.rate !== undefined ? { requestsPerMinute: opts.rate } : {}),
    ...(opts.burst !== undefined ? { burst: opts.burst } : {}),
    ...(opts.maxServers !== undefined ? { maxServersPerToken: opts.maxServers } : {}),
    ...(opts.maxBody !== undefined ? { maxBodyBytes: opts.maxBody } : {}),
    ...(opts.maxCreates !== undefined ? { maxConcurrentCreates: opts.maxCreates } : {}),
  };
}

export interface Factory {
  home: string;
  registry: Registry;
  controlPlane: ControlPlane;
  tokens: ApiTokens;
  /** The toolsmith of this home, when asked for (serve, mcp, the toolsmith verbs; not the gateway). */
  toolsmith?: Toolsmith | undefined;
  close(): Promise<void>;
}

/** The registry, the control plane over it and the token store of a factory home. */
export async function openFactory(
  opts: HomeOptions,
  options: { toolsmith?: boolean } = {},
): Promise<Factory> {
  const [{ defaultHome, openRegistry }, { openApiTokens }, { createControlPlane }] = await Promise.all([
    loadStore(),
    import('../../identity/tokens-registry.js'),
    import('../../deploy/index.js'),
  ]);
  const home = opts.home ?? defaultHome();
  const registryUrl = opts.registry ?? loadConfig().registryUrl;
  // Hybrid tool search when an embeddings provider and its key are configured; keyword only otherwise.
  const { embedderFromEnvironment } = await import('../../llm/embeddings.js');
  const registry = await openRegistry({ home, url: registryUrl, embedder: embedderFromEnvironment() });
  const controlPlane = createControlPlane({ home, registryUrl, registry });
  const toolsmith = options.toolsmith
    ? (await import('../../toolsmith/index.js')).openToolsmith({ registry, layout: controlPlane.layout })
    : undefined;
  return {
    home,
    registry,
    controlPlane,
    tokens: await openApiTokens({ home, registry }),
    toolsmith,
    close: async () => {
      await toolsmith?.close().catch(() => undefined);
      await controlPlane.close().catch(() => undefined);
      await registry.close();
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM (or when `extra` resolves). */
export function untilShutdown(extra?: Promise<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const done = (reason: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(reason);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    extra?.then(() => done('closed'));
  });
}

async function printTokenHint(io: ServeIo, tokens: ApiTokens): Promise<void> {
  if ((await tokens.list()).length === 0)
    io.stderr(
      'No API tokens yet: every request except /health, /live and /ready will be refused.\n' +
        '  Create one: mcp-factory token create NAME\n',
    );
}

function registerTokenCommands(program: Command, io: ServeIo): void {
  const token = program
    .command('token')
    .description('API tokens of the HTTP API and the MCP server over HTTP');

  addHomeOptions(
    token
      .command('create')
      .description('create a token; its plaintext is shown once, only its sha256 is stored')
      .argument('<name>', 'token name (the actor in audit entries)')
      .option(
        '--max-servers <n>',
        'servers this token may create (default: the API limit)',
        intArg(0, 100_000),
      )
      .option('--rate <n>', 'requests per minute (default: the API limit)', intArg(1, 1_000_000))
      .option(
        '--allow-code',
        'let the token create code tools (servers.create.code): their code runs on the factory host; never the default',
      )
      .option(
        '--allow-host-access',
        'also let it create code tools with code.hostAccess (servers.create.host; needs --allow-code)',
      )
      .addOption(
        new Option(
          '--role <role>',
          "role of the token (default: service, or the user's role with --user)",
        ).choices(ROLES),
      )
      .option(
        '--user <name>',
        "a personal token: acts as this user, in the user's team, with at most its role",
      )
      .option('--expires <duration>', 'expire after 90m, 12h, 30d, 2w … (default: never)', durationArg)
      .option(
        '--servers <patterns>',
        'restrict the token to these servers: comma-separated names or patterns with * (e.g. crm,billing-*); narrows the role, never widens it',
        listArg,
      )
      .option(
        '--tools <patterns>',
        'restrict the token to these tools: comma-separated patterns of SERVER__TOOL or a plain tool name, with * (e.g. crm__get_*)',
        listArg,
      )
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(
    async (
      name: string,
      opts: HomeOptions & {
        maxServers?: number;
        rate?: number;
        format: string;
        allowCode?: boolean;
        allowHostAccess?: boolean;
        role?: Role;
        user?: string;
        expires?: number;
        servers?: string[];
        tools?: string[];
      },
    ) => {
      const actor = localActor('cli');
      const scopes = [
        ...(opts.allowCode ? ['servers.create.code'] : []),
        ...(opts.allowHostAccess ? ['servers.create.host'] : []),
      ];
      // A personal token: its owner must exist and be enabled, and it never has more than the owner's role.
      const personal =
        opts.user === undefined
          ? { owner: null, team: null, role: opts.role ?? 'service' }
          : await (await import('./identity-commands.js')).personalTokenScope(opts, opts.user, opts.role);
      const created = await withTokens(opts, (store) =>
        store.create({
          name,
          maxServers: opts.maxServers,
          requestsPerMinute: opts.rate,
          createdBy: actor,
          scopes,
          ...personal,
          expiresInSeconds: opts.expires,
          allowedServers: opts.servers,
          allowedTools: opts.tools,
        }),
      );
      const { role, owner, team, expiresAt, allowedServers, allowedTools } = created.info;
      await auditTokenChange(opts, actor, 'token.create', name, io, {
        scopes: created.info.scopes,
        role,
        owner,
        team,
        expiresAt,
        ...(allowedServers ? { allowedServers } : {}),
        ...(allowedTools ? { allowedTools } : {}),
      });
      if (opts.format === 'json') {
        io.stdout(`${JSON.stringify({ token: created.token, ...created.info }, null, 2)}\n`);
        return;
      }
      io.stdout(`${created.token}\n`);
      io.stderr(
        `Created token "${name}" (${created.info.id}; role ${role}${owner ? `, for user ${owner}` : ''}${team ? ` in team ${team}` : ''}; ${expiresAt ? `expires ${expiresAt}` : 'never expires'}${allowedServers ? `; servers ${allowedServers.join(',')}` : ''}${allowedTools ? `; tools ${allowedTools.join(',')}` : ''}). This is the only time it is shown: store it now.\n` +
          `Use it as:  Authorization: Bearer ${created.info.prefix}…\n`,
      );
    },
  );

  addHomeOptions(
    token
      .command('list')
      .description('list the tokens (never their values)')
      .option('--all', 'include revoked tokens')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(async (opts: HomeOptions & { all?: boolean; format: string }) => {
    const tokens = await withTokens(opts, (store) => store.list({ includeRevoked: !!opts.all }));
    if (opts.format === 'json') {
      io.stdout(`${JSON.stringify(tokens, null, 2)}\n`);
      return;
    }
    if (tokens.length === 0) {
      io.stdout('No tokens. Create one: mcp-factory token create NAME\n');
      return;
    }
    const rows = tokens.map((t) => [
      t.name,
      t.id,
      `${t.prefix}…`,
      t.createdAt.slice(0, 19).replace('T', ' '),
      t.maxServers === null ? 'default' : String(t.maxServers),
      t.requestsPerMinute === null ? 'default' : String(t.requestsPerMinute),
      String(t.servers.length),
      t.scopes.length ? t.scopes.join(',') : '-',
      t.allowedServers ? t.allowedServers.join(',') : '*',
      t.allowedTools ? t.allowedTools.join(',') : '*',
      t.role,
      t.owner ?? '-',
      t.expiresAt ? t.expiresAt.slice(0, 16).replace('T', ' ') : 'never',
      t.revokedAt
        ? `revoked ${t.revokedAt.slice(0, 10)}`
        : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
          ? 'expired'
          : 'active',
    ]);
    const header = [
      'NAME',
      'ID',
      'PREFIX',
      'CREATED',
      'MAX SERVERS',
      'RATE/MIN',
      'CREATED SERVERS',
      'SCOPES',
      'SERVERS',
      'TOOLS',
      'ROLE',
      'OWNER',
      'EXPIRES',
      'STATE',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      io.stdout(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
  });

  addHomeOptions(
    token
      .command('revoke')
      .description('revoke a token (takes effect on the next request, also in a running API)')
      .argument('<name>', 'token name or id'),
  ).action(async (name: string, opts: HomeOptions) => {
    const revoked = await withTokens(opts, (store) => store.revoke(name));
    await auditTokenChange(opts, localActor('cli'), 'token.revoke', revoked.name, io);
    io.stderr(`Revoked token "${revoked.name}" (${revoked.id}).\n`);
  });
}

/** Token changes go to the audit trail too; a registry that cannot be opened does not undo them. */
export async function auditTokenChange(
  opts: HomeOptions,
  actor: string,
  action: string,
  name: string,
  io: ServeIo,
  details?: Record<string, unknown>,
): Promise<void> {
  let registry: Registry | undefined;
  try {
    const { defaultHome, openRegistry } = await loadStore();
    registry = await openRegistry({
      home: opts.home ?? defaultHome(),
      url: opts.registry ?? loadConfig().registryUrl,
    });
    await registry.audit({ actor, action, target: `token:${name}`, ...(details ? { details } : {}) });
  } catch (error) {
    io.stderr(`warning: the audit trail was not updated: ${(error as Error).message}\n`);
  } finally {
    await registry?.close().catch(() => undefined);
  }
}

export function registerServeCommands(program: Command, io: ServeIo): void {
  addHttpOptions(
    addHomeOptions(
      program
        .command('serve')
        .description(
          'serve the HTTP API (bearer tokens: mcp-factory token create NAME; OpenAPI at /openapi.json)',
        )
        .option('--mcp', "also serve the factory's MCP server at /mcp (same tokens and limits)")
        .option('--no-console', 'do not serve the web console at /ui')
        .option(
          '--console-dir <dir>',
          'serve the web console from this folder (default: dist/console of the factory)',
        ),
    ),
    8080,
  ).action(
    async (
      opts: HomeOptions &
        LimitOptions & {
          host: string;
          port: number;
          allowRemote?: boolean;
          allowedHost?: string[];
          allowedOrigin?: string[];
          mcp?: boolean;
          console?: boolean;
          consoleDir?: string;
        },
    ) => {
      const [{ AccessControl }, { serveApi }, { createFactoryMcpHttp }] = await Promise.all([
        import('../../identity/access.js'),
        import('../api/index.js'),
        import('../mcp/index.js'),
      ]);
      const factory = await openFactory(opts, { toolsmith: true });
      let mcp: FactoryMcpHttp | undefined;
      let jobs: WorkerPool | undefined;
      try {
        const onError = (error: unknown) =>
          io.stderr(
            `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
          );
        const common = {
          controlPlane: factory.controlPlane,
          registry: factory.registry,
          tokens: factory.tokens,
          toolsmith: factory.toolsmith,
          allowedHosts: opts.allowedHost,
          allowedOrigins: opts.allowedOrigin,
        };
        // One access control (tokens, rate limit, server quota) for the API and the mounted MCP endpoint.
        const { externalTokensFor } = await import('../../identity/external-tokens.js');
        const access = new AccessControl({
          ...common,
          limits: limitsFrom(opts),
          external: externalTokensFor(loadConfig().resourceServer),
        });
        // Long operations asked for asynchronously run in this process's worker pool (docs/jobs.md).
        const { startJobPool } = await import('../operations/job-pool.js');
        jobs = startJobPool({
          controlPlane: factory.controlPlane,
          registry: factory.registry,
          policy: access.policy,
          toolsmith: factory.toolsmith,
          reserveCreate: (principal, server) => access.reserveCreate(principal, server),
          onError,
        });
        if (opts.mcp) mcp = createFactoryMcpHttp({ ...common, access, onerror: onError });
        const endpoint = mcp;
        const { createConsoleHandler } = await import('../console/static.js');
        const served = await serveApi({
          ...common,
          access,
          jobs,
          oidc: loadConfig().oidc,
          onError,
          ...(endpoint ? { mount: { '/mcp': (request: Request) => endpoint.fetch(request) } } : {}),
          ...(opts.console !== false ? { console: createConsoleHandler({ dir: opts.consoleDir }) } : {}),
          host: opts.host,
          port: opts.port,
          allowRemote: opts.allowRemote,
        });
        io.stderr(
          `MCP Factory API listening on ${served.url} (OpenAPI: ${served.url}/openapi.json${mcp ? `, MCP: ${served.url}/mcp` : ''}${opts.console !== false ? `, console: ${served.url}/ui/` : ''}; home ${factory.home})\n`,
        );
        await printTokenHint(io, factory.tokens);
        // Runs whose process died (a restart) continue here, from the node they had reached.
        const resumed = (await factory.toolsmith?.resume()) ?? [];
        if (resumed.length > 0) io.stderr(`Resumed ${resumed.length} toolsmith run(s).\n`);
        const reason = await untilShutdown();
        io.stderr(`Shutting down (${reason}).\n`);
        await served.close();
      } finally {
        await jobs?.stop().catch(() => undefined);
        await mcp?.close().catch(() => undefined);
        await factory.close();
      }
    },
  );

  registerMcpCommand(program, io);
  registerTokenCommands(program, io);
}
