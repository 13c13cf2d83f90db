/**
 * `mcp-factory mcp`: the factory as an MCP server. Over stdio (the default) for a local MCP client — stdout
 * carries only the protocol, messages go to stderr, and the command ends when the client closes stdin; over
 * Streamable HTTP with the API's bearer tokens and limits.
 */
import { type Command, Option } from 'commander';
import type { Policy } from '../../identity/policy.js';
import {
  addHomeOptions,
  addHttpOptions,
  type HomeOptions,
  type LimitOptions,
  limitsFrom,
  localActor,
  openFactory,
  type ServeIo,
  untilShutdown,
} from './serve.js';

export function registerMcpCommand(program: Command, io: ServeIo): void {
  addHttpOptions(
    addHomeOptions(
      program
        .command('mcp')
        .description("serve the factory's own MCP server (tools: create_server, deploy_server, call_tool, …)")
        .addOption(
          new Option('--transport <transport>', 'stdio for a local client, http for remote ones')
            .choices(['stdio', 'http'])
            .default('stdio'),
        )
        .option('--path <path>', 'HTTP: the MCP endpoint path', '/mcp'),
    ),
    8081,
  ).action(
    async (
      opts: HomeOptions &
        LimitOptions & {
          transport: 'stdio' | 'http';
          path: string;
          host: string;
          port: number;
          allowRemote?: boolean;
          allowedHost?: string[];
          allowedOrigin?: string[];
        },
    ) => {
      const { serveFactoryMcpHttp, serveFactoryStdio } = await import('../mcp/index.js'); // not at start-up
      const factory = await openFactory(opts, { toolsmith: true });
      const onerror = (error: Error) => io.stderr(`mcp: ${error.message}\n`);
      // Jobs submitted through submit_job run in this process's worker pool (and in any other serving factory
      // process on the same registry).
      const { startJobPool } = await import('../operations/job-pool.js');
      const startPool = (policy: Policy) =>
        startJobPool({
          controlPlane: factory.controlPlane,
          registry: factory.registry,
          policy,
          toolsmith: factory.toolsmith,
          onError: (error) => io.stderr(`mcp: job: ${(error as Error).message}\n`),
        });
      let pool: { stop(): Promise<void> } | undefined;
      try {
        if (opts.transport === 'stdio') {
          // identity/policy pulls in the tool kinds (and their parser): loaded only when serving.
          const { ALLOW_AUTHENTICATED } = await import('../../identity/policy.js');
          pool = startPool(ALLOW_AUTHENTICATED);
          const stdinClosed = new Promise<void>((resolve) => {
            process.stdin.once('end', resolve);
            process.stdin.once('close', resolve);
          });
          const handle = serveFactoryStdio({
            controlPlane: factory.controlPlane,
            registry: factory.registry,
            toolsmith: factory.toolsmith,
            actor: localActor('mcp'),
            allowLocalFiles: true,
            specDir: process.cwd(),
            onerror,
          });
          io.stderr(`MCP Factory MCP server on stdio (home ${factory.home})\n`);
          await untilShutdown(stdinClosed);
          await handle.close().catch(() => undefined);
          return;
        }
        const served = await serveFactoryMcpHttp({
          controlPlane: factory.controlPlane,
          registry: factory.registry,
          toolsmith: factory.toolsmith,
          tokens: factory.tokens,
          limits: limitsFrom(opts),
          path: opts.path,
          allowedHosts: opts.allowedHost,
          allowedOrigins: opts.allowedOrigin,
          onerror,
          host: opts.host,
          port: opts.port,
          allowRemote: opts.allowRemote,
        });
        pool = startPool(served.handler.access.policy);
        io.stderr(`MCP Factory MCP server listening on ${served.url}${opts.path} (home ${factory.home})\n`);
        if ((await factory.tokens.list()).length === 0)
          io.stderr(
            'No API tokens yet: every MCP request will be refused. Create one: mcp-factory token create NAME\n',
          );
        const reason = await untilShutdown();
        io.stderr(`Shutting down (${reason}).\n`);
        await served.close();
      } finally {
        await pool?.stop().catch(() => undefined);
        await factory.close();
      }
    },
  );
}
