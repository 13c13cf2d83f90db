/**
 * `mcp-factory gateway`: one MCP endpoint for every running server of the registry plus the upstreams of a
 * gateway configuration file (YAML or JSON). Over Streamable HTTP (default; the factory's tokens and signed-in
 * users, REST at /api/v1, metrics at /metrics) or over stdio for a local client (the local user sees all).
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { loadConfig } from '../../platform/config.js';
import {
  addHomeOptions,
  addHttpOptions,
  type HomeOptions,
  type LimitOptions,
  limitsFrom,
  openFactory,
  type ServeIo,
  untilShutdown,
} from './serve.js';

interface GatewayCliOptions extends HomeOptions, LimitOptions {
  config?: string;
  transport: 'stdio' | 'http';
  meta?: 'auto' | 'always' | 'never';
  registryServers: boolean;
  blockFlagged?: boolean;
  host: string;
  port: number;
  allowRemote?: boolean;
  allowedHost?: string[];
  allowedOrigin?: string[];
  logFormat?: string;
}

async function readConfig(file: string | undefined): Promise<unknown> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FactoryError(
      'CONFIG_INVALID',
      `cannot read the gateway configuration ${file}: ${(error as Error).message}`,
    );
  }
  // yaml is loaded here, not at registration: `--help`, `list` and `status` must not pay for it.
  const { parse: parseYaml } = await import('yaml');
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new FactoryError(
      'CONFIG_INVALID',
      `${file} is not valid YAML or JSON: ${(error as Error).message}`,
    );
  }
}

export function registerGatewayCommand(program: Command, io: ServeIo): void {
  addHttpOptions(
    addHomeOptions(
      program
        .command('gateway')
        .description('serve one MCP endpoint for every running server (and the upstreams of --config)')
        .option('--config <file>', 'gateway configuration (YAML or JSON): upstreams, rules, meta-tools')
        .addOption(
          new Option('--transport <transport>', 'http for remote clients, stdio for a local one')
            .choices(['stdio', 'http'])
            .default('http'),
        )
        .addOption(
          new Option(
            '--meta <mode>',
            'meta-tools instead of the catalog (auto: above the threshold)',
          ).choices(['auto', 'always', 'never']),
        )
        .option('--no-registry-servers', "leave out the registry's running servers")
        .option(
          '--block-flagged',
          'leave out upstream tools whose descriptions look like instructions to the model',
        )
        .addOption(
          new Option(
            '--log-format <format>',
            'json: one JSON line per tool call on stderr (env MCP_FACTORY_GATEWAY_LOG); traces: OTEL_TRACES_EXPORTER',
          ).choices(['text', 'json']),
        ),
    ),
    8090,
  ).action(async (opts: GatewayCliOptions) => {
    const [
      { parseGatewayConfig },
      { Gateway },
      { createGatewayHttp },
      { createGatewayMcpServer },
      { serveFetch },
    ] = await Promise.all([
      import('../../gateway/config.js'),
      import('../../gateway/gateway.js'),
      import('../gateway/http.js'),
      import('../gateway/mcp.js'),
      import('../http/node.js'),
    ]);
    const data = (await readConfig(opts.config)) as Record<string, unknown> | null;
    const config = parseGatewayConfig(
      {
        ...(data ?? {}),
        ...(opts.meta ? { metaTools: opts.meta } : {}),
        ...(opts.registryServers === false ? { registry: false } : {}),
      },
      process.env,
    );
    const { callLogLine, logFormatFrom, setupGatewayTracing } = await import('./gateway-tracing.js');
    const logFormat = logFormatFrom(opts.logFormat, process.env);
    const tracing = await setupGatewayTracing({
      env: process.env,
      logs: logFormat,
      transport: opts.transport,
    });
    const factory = await openFactory(opts);
    const gateway = new Gateway({
      config,
      registry: factory.registry,
      source: () => factory.controlPlane.endpoints?.() ?? Promise.resolve([]),
      blockFlagged: opts.blockFlagged,
    });
    if (logFormat === 'json') gateway.onCall((_u, _s, event) => io.stderr(callLogLine(event)));
    try {
      await gateway.start();
      const catalog = await gateway.catalog();
      for (const u of catalog.report.upstreams)
        if (u.error) io.stderr(`gateway: upstream ${u.name} is not available: ${u.error}\n`);
      for (const f of catalog.report.flagged)
        io.stderr(
          `gateway: ${f.upstream}/${f.tool} description ${f.blocked ? 'blocked' : 'flagged'}: ${f.flags.join(', ')}\n`,
        );
      if (opts.transport === 'stdio') {
        const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
        const stdinClosed = new Promise<void>((resolve) => {
          process.stdin.once('end', resolve);
          process.stdin.once('close', resolve);
        });
        const handle = serveStdio(() => createGatewayMcpServer(gateway, undefined));
        io.stderr(
          `MCP Factory gateway on stdio: ${catalog.size} tools from ${catalog.report.upstreams.length} upstreams\n`,
        );
        await untilShutdown(stdinClosed);
        await handle.close().catch(() => undefined);
        return;
      }
      const { AccessControl } = await import('../../identity/access.js');
      const { externalTokensFor } = await import('../../identity/external-tokens.js');
      const access = new AccessControl({
        tokens: factory.tokens,
        registry: factory.registry,
        limits: limitsFrom(opts),
        external: externalTokensFor(loadConfig().resourceServer),
      });
      const http = createGatewayHttp({
        gateway,
        access,
        registry: factory.registry,
        allowedHosts: opts.allowedHost,
        allowedOrigins: opts.allowedOrigin,
        onerror: (error) => io.stderr(`gateway: ${error.message}\n`),
      });
      const served = await serveFetch((request) => http.fetch(request), {
        host: opts.host,
        port: opts.port,
        allowRemote: opts.allowRemote,
        fast: http.fastPath,
      });
      io.stderr(
        `MCP Factory gateway listening on ${served.url}/mcp (REST ${served.url}/api/v1/tools): ${catalog.size} tools from ${catalog.report.upstreams.length} upstreams\n`,
      );
      const reason = await untilShutdown();
      io.stderr(`Shutting down (${reason}).\n`);
      await http.close();
      await served.close();
    } finally {
      await gateway.close();
      await factory.close();
      await tracing?.shutdown();
    }
  });
}
