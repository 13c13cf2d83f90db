/** Process entry: picks the transport from flags/env, starts serving, shuts down cleanly. */
import { parseArgs } from 'node:util';
import type { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { checkBaseUrlOverrides } from './base-url.js';
import { listeningTransport } from './listen-stdio.js';
import type { Runtime } from './runtime.js';
import { stopWatching } from './subscriptions.js';
import { drainToolCalls, toolCallsInFlight } from './tool.js';

const USAGE = `Usage: server [--transport stdio|http] [--host HOST] [--port PORT]
Environment: MCP_TRANSPORT, HOST, PORT, LOG_LEVEL, MCP_ALLOWED_HOSTS, MCP_ALLOWED_ORIGINS,
  MCP_SHUTDOWN_GRACE_MS (how long running calls may finish after SIGTERM; default 10000),
  MCP_TRIGGERS (on|off; default: triggers run on http only), MCP_TRIGGER_STATE_DIR`;

/**
 * Starts the spec's triggers (runtime/triggers/start.ts) once the transport is up; given only by servers whose
 * spec declares triggers, so other servers never load that code.
 */
export type StartTriggers = (
  transport: 'stdio' | 'http',
) => Promise<{ stop(graceMs: number): Promise<void> }>;

export async function main(
  rt: Runtime,
  factory: () => McpServer,
  startTriggers?: StartTriggers,
): Promise<void> {
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
  // A wrong base-URL override would fail every call: stop now, naming the variable.
  const baseUrlProblem = checkBaseUrlOverrides(rt.settings.httpConnections, rt.log);
  if (baseUrlProblem) {
    process.stderr.write(`${baseUrlProblem}\n`);
    process.exit(2);
  }
  const transport = values.transport ?? process.env.MCP_TRANSPORT ?? rt.settings.defaultTransport;
  if (transport !== 'stdio' && transport !== 'http') {
    process.stderr.write(`unknown transport "${transport}"\n${USAGE}\n`);
    process.exit(2);
  }

  const graceMs = shutdownGraceMs(process.env.MCP_SHUTDOWN_GRACE_MS);
  let closeTransport: (graceMs: number, hurry: AbortSignal) => Promise<void> = async () => undefined;
  let stopTriggers: (graceMs: number) => Promise<void> = async () => undefined;
  let stopping = false;
  const hurry = new AbortController();
  const shutdown = async (reason: string, code = 0) => {
    if (stopping) {
      // A second signal: stop waiting for running calls (they are aborted and answer with an error).
      if (reason.startsWith('SIG')) hurry.abort();
      return;
    }
    stopping = true;
    rt.log.info('shutting down', { reason, toolCallsInFlight: toolCallsInFlight(), graceMs });
    // Triggers first: no new events while the transport drains; their runs in flight get the same grace.
    await Promise.race([
      stopTriggers(graceMs).catch((error: unknown) =>
        rt.log.warn('triggers did not stop cleanly', { error: String(error) }),
      ),
      new Promise((resolve) => setTimeout(resolve, graceMs + 1_000).unref()),
    ]);
    await closeTransport(graceMs, hurry.signal).catch((error: unknown) =>
      rt.log.warn('transport did not close cleanly', { error: String(error) }),
    );
    stopWatching(); // no poll may read a database being closed
    await rt.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('unhandledRejection', (error) => rt.log.error('unhandled rejection', { error: String(error) }));

  if (transport === 'stdio') {
    const handle = serveStdio(factory, {
      onerror: (error) => rt.log.debug('stdio transport error', { error: error.message }),
      // 2026-07-28 subscriptions/listen streams get watched resources' changes (listen-stdio.ts).
      transport: listeningTransport(new StdioServerTransport()),
    });
    // Running calls finish and answer first (the SDK aborts calls still running when the transport closes).
    closeTransport = async (grace, hurrying) => {
      await drainToolCalls(grace, hurrying);
      await handle.close();
    };
    process.stdin.once('end', () => void shutdown('stdin closed'));
    rt.log.info('listening', { transport: 'stdio' });
    if (startTriggers) await beginTriggers('stdio');
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
    return;
  }
  if (startTriggers && !stopping) await beginTriggers('http');

  /** Starts the triggers; a failure to (the state folder cannot be written) stops the server with a clear log. */
  async function beginTriggers(on: 'stdio' | 'http'): Promise<void> {
    try {
      stopTriggers = (await startTriggers!(on)).stop;
    } catch (error) {
      rt.log.error('could not start the triggers', { error: (error as Error).message });
      await shutdown('triggers failed', 1);
    }
  }
}

/** How long running tool calls may take to finish after SIGTERM/SIGINT (MCP_SHUTDOWN_GRACE_MS, default 10 s). */
export function shutdownGraceMs(value: string | undefined): number {
  const ms = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(ms) && ms >= 0 ? ms : 10_000;
}
