/** Process entry: picks the transport from flags/env, starts serving, shuts down cleanly. */
import { parseArgs } from 'node:util';
import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Runtime } from './runtime.js';

const USAGE = `Usage: server [--transport stdio|http] [--host HOST] [--port PORT]
Environment: MCP_TRANSPORT, HOST, PORT, LOG_LEVEL, MCP_ALLOWED_HOSTS, MCP_ALLOWED_ORIGINS`;

export async function main(rt: Runtime, factory: () => McpServer): Promise<void> {
  let values: {
    transport?: string | undefined;
    host?: string | undefined;
    port?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      options: {
        transport: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const transport = values.transport ?? process.env.MCP_TRANSPORT ?? rt.settings.defaultTransport;
  if (transport !== 'stdio' && transport !== 'http') {
    process.stderr.write(`unknown transport "${transport}"\n${USAGE}\n`);
    process.exit(2);
  }

  let closeTransport: () => Promise<void> = async () => undefined;
  let stopping = false;
  const shutdown = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    rt.log.info('shutting down', { reason });
    await closeTransport().catch(() => undefined);
    await rt.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('unhandledRejection', (error) => rt.log.error('unhandled rejection', { error: String(error) }));

  if (transport === 'stdio') {
    const handle = serveStdio(factory, {
      onerror: (error) => rt.log.debug('stdio transport error', { error: error.message }),
    });
    closeTransport = () => handle.close();
    process.stdin.once('end', () => void shutdown('stdin closed'));
    rt.log.info('listening', { transport: 'stdio' });
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? rt.settings.http.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port "${values.port ?? process.env.PORT}"\n`);
    process.exit(2);
  }
  const host = values.host ?? process.env.HOST ?? rt.settings.http.host;
  try {
    // Loaded on demand: stdio servers never pay for the HTTP stack (Node adapter, metrics) at start-up.
    const { startHttpServer } = await import('./http-server.js');
    const http = await startHttpServer(rt, factory, { host, port });
    closeTransport = http.close;
  } catch (error) {
    rt.log.error('could not start the HTTP server', { error: (error as Error).message });
    await shutdown('start failed', 1);
  }
}
