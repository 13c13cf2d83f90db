/**
 * Tracing and call logs for `mcp-factory gateway` — the composition root, the only place that registers an
 * OpenTelemetry SDK (the gateway library speaks the API alone; see src/gateway/tracing.ts).
 *
 * `OTEL_TRACES_EXPORTER` picks the exporter: `otlp` (OTLP over HTTP to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, default http://localhost:4318/v1/traces; batched), `console`
 * (spans printed to stdout; refused over stdio, where stdout carries MCP) or `none` (the default). A provider
 * is registered — with the W3C trace-context propagator and an AsyncLocalStorage context manager — when there
 * is an exporter or JSON call logs are on (so log lines carry trace ids and upstreams receive a traceparent);
 * otherwise nothing is registered and tracing costs nothing.
 *
 * `--log-format json` (or MCP_FACTORY_GATEWAY_LOG=json) prints one JSON line per routed tools/call to stderr:
 * {time, level, requestId, traceId, caller, tool, upstream, ok, ms} (+ cached, error when they apply).
 */
import { FactoryError } from '../../core/errors/index.js';
import type { GatewayCallEvent } from '../../gateway/gateway.js';
import { loadConfig } from '../../platform/config.js';

export type TracesExporter = 'otlp' | 'console' | 'none';
export type GatewayLogFormat = 'text' | 'json';

export interface GatewayTracing {
  exporter: TracesExporter;
  /** Flush pending spans and unregister (on shutdown). */
  shutdown(): Promise<void>;
}

/** The exporter named by OTEL_TRACES_EXPORTER (a comma list is allowed by OTel: one name of it is used). */
export function tracesExporterFrom(env: NodeJS.ProcessEnv): TracesExporter {
  const names = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const n of names)
    if (n !== 'otlp' && n !== 'console' && n !== 'none')
      throw new FactoryError(
        'CONFIG_INVALID',
        `OTEL_TRACES_EXPORTER=${n.slice(0, 40)} is not supported by the gateway (otlp, console or none)`,
      );
  if (names.includes('otlp')) return 'otlp';
  if (names.includes('console')) return 'console';
  return 'none';
}

/**
 * `--log-format` wins over MCP_FACTORY_GATEWAY_LOG (read and validated by the config module: CONFIG_INVALID);
 * the default is text (no per-call lines).
 */
export function logFormatFrom(flag: string | undefined, env: NodeJS.ProcessEnv): GatewayLogFormat {
  if (flag === undefined) return loadConfig(env).gateway.log;
  const value = flag.trim().toLowerCase();
  if (value !== 'text' && value !== 'json')
    throw new FactoryError('CONFIG_INVALID', `--log-format ${value.slice(0, 40)} is not text or json`);
  return value;
}

function otlpUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * Register the OpenTelemetry SDK for the gateway process, or nothing (undefined) when there is no exporter and
 * no JSON logs. `transport` is checked against the console exporter.
 */
export async function setupGatewayTracing(options: {
  env: NodeJS.ProcessEnv;
  logs: GatewayLogFormat;
  transport: 'stdio' | 'http';
}): Promise<GatewayTracing | undefined> {
  const exporter = tracesExporterFrom(options.env);
  if (exporter === 'console' && options.transport === 'stdio')
    throw new FactoryError(
      'CONFIG_INVALID',
      'OTEL_TRACES_EXPORTER=console prints to stdout, which carries MCP over --transport stdio: use otlp',
    );
  if (exporter === 'none' && options.logs !== 'json') return undefined;
  const [
    { NodeTracerProvider },
    { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor },
    resources,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const spanProcessors = [];
  if (exporter === 'otlp') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const url = otlpUrl(options.env);
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})));
  } else if (exporter === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const provider = new NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': options.env.OTEL_SERVICE_NAME ?? 'mcp-factory-gateway',
    }),
    spanProcessors,
  });
  // The defaults: W3C trace context + baggage propagators, an AsyncLocalStorage context manager.
  provider.register();
  return {
    exporter,
    async shutdown() {
      await provider.shutdown().catch(() => undefined);
    },
  };
}

/** One JSON log line (with its newline) for a routed call. */
export function callLogLine(event: GatewayCallEvent, now: Date = new Date()): string {
  return `${JSON.stringify({
    time: now.toISOString(),
    level: event.ok ? 'info' : 'warn',
    msg: 'tools/call',
    requestId: event.requestId ?? null,
    traceId: event.traceId ?? null,
    caller: event.caller,
    tool: event.tool,
    upstream: event.upstream,
    ok: event.ok,
    ms: Math.round(event.ms * 100) / 100,
    ...(event.cached ? { cached: true } : {}),
    ...(event.error ? { error: event.error } : {}),
  })}\n`;
}
