/**
 * Tracing and request ids through the gateway, with an OpenTelemetry SDK registered for this file only (an
 * in-memory exporter, the W3C propagator, an AsyncLocalStorage context manager): a client's traceparent (header,
 * or `_meta` of the JSON-RPC request) is continued by gateway.request → gateway.tools/call → upstream.call, and
 * the upstream (a real server process over HTTP) receives a traceparent whose parent is the upstream.call span,
 * both as a header and in `_meta`; x-request-id is echoed (or made) and passed upstream; the call event carries
 * both ids, and the CLI's log line and settings are checked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway, type GatewayCallEvent } from '../../src/gateway/gateway.js';
import { requestIdFrom } from '../../src/gateway/tracing.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { callLogLine, logFormatFrom, tracesExporterFrom } from '../../src/surfaces/cli/gateway-tracing.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let work: string;
let registry: Registry;
let token: string;
const children: ChildProcess[] = [];
let gateway: Gateway;
let http: GatewayHttp;
let url: string;
let closeServer: () => Promise<void>;
const events: GatewayCallEvent[] = [];

interface Received {
  name: string;
  tool: string | null;
  traceparent: string | null;
  requestId: string | null;
  metaTraceparent: string | null;
}
const headerLog = () => join(work, 'headers.log');
const received = (): Received[] => {
  try {
    return readFileSync(headerLog(), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Received);
  } catch {
    return [];
  }
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const spanNamed = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found, `one ${name} span`).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-trace-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  token = tokens.create({ name: 'agent' }).token;
  const access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
  // alpha speaks 2026-07-28 (the gateway's fast path); beta 2025-11-25 only (the SDK client's path).
  const alpha = await upstream('alpha', {});
  const beta = await upstream('beta', { LEGACY_ONLY: '1' });
  gateway = new Gateway({
    config: parseGatewayConfig({
      metaTools: 'never',
      servers: [
        { name: 'alpha', url: alpha },
        { name: 'beta', url: beta },
      ],
    }),
  });
  gateway.onCall((_upstream, _seconds, event) => events.push(event));
  await gateway.start();
  expect((await gateway.catalog()).size).toBeGreaterThan(0);
  http = createGatewayHttp({ gateway, access });
  const served = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
  url = `http://127.0.0.1:${served.port}`;
  closeServer = async () => {
    await http.close();
    await served.close();
  };
});

afterAll(async () => {
  await closeServer?.();
  await gateway?.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => {
  exporter.reset();
  events.length = 0;
  rmSync(headerLog(), { force: true });
});

async function upstream(name: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HEADER_LOG: headerLog(), ...env },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream ${name} exited ${code}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

/** A 2026-07-28 tools/call POSTed by hand, so the test sees the response headers. */
async function rawCall(
  tool: string,
  args: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<{ response: Response; text: string }> {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': tool,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: tool,
        arguments: args,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'trace-test', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  return { response, text: await response.text() };
}

/** gateway.request → gateway.tools/call → upstream.call in one trace, continuing `parentSpanId`. */
function checkChain(traceId: string, parentSpanId: string) {
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const request = spanNamed(spans, 'gateway.request');
  const call = spanNamed(spans, 'gateway.tools/call');
  const upstream = spanNamed(spans, 'upstream.call');
  expect(request.parentSpanContext?.spanId).toBe(parentSpanId);
  expect(request.parentSpanContext?.isRemote).toBe(true);
  expect(call.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
  expect(upstream.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  expect(request.kind).toBe(1); // SERVER
  expect(upstream.kind).toBe(2); // CLIENT
  return { request, call, upstream };
}

describe('gateway tracing', () => {
  it('continues the client traceparent header through the gateway to the upstream, with x-request-id', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const { response, text } = await rawCall(
      'alpha__echo',
      { message: 'traced' },
      { traceparent: `00-${traceId}-${clientSpan}-01`, 'x-request-id': 'client-req-1' },
    );
    expect(response.status).toBe(200);
    expect(text).toContain('alpha: traced');
    expect(response.headers.get('x-request-id')).toBe('client-req-1');

    const { request, call, upstream } = checkChain(traceId, clientSpan);
    expect(request.attributes['url.path']).toBe('/mcp');
    expect(request.attributes['http.response.status_code']).toBe(200);
    expect(call.attributes).toMatchObject({
      'mcp.tool.name': 'alpha__echo',
      'gateway.upstream': 'alpha',
      'gateway.cache.hit': false,
      'gateway.outcome': 'ok',
    });
    expect(upstream.attributes).toMatchObject({ 'gateway.upstream': 'alpha', 'mcp.tool.name': 'echo' });

    // What the upstream process received: the upstream.call span as parent, as header and in _meta.
    const got = received();
    expect(got).toHaveLength(1);
    const expected = `00-${traceId}-${upstream.spanContext().spanId}-01`;
    expect(got[0]).toMatchObject({
      name: 'alpha',
      tool: 'echo',
      traceparent: expected,
      metaTraceparent: expected,
      requestId: 'client-req-1',
    });

    // The call event (what the CLI logs) carries both ids.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: 'client-req-1',
      traceId,
      caller: 'agent',
      tool: 'alpha__echo',
      upstream: 'alpha',
      upstreamTool: 'echo',
      ok: true,
      cached: false,
    });
  });

  it('propagates through the SDK client to a 2025-11-25 upstream too (headers and _meta)', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const { text } = await rawCall(
      'beta__echo',
      { message: 'legacy' },
      { traceparent: `00-${traceId}-${clientSpan}-01`, 'x-request-id': 'client-req-2' },
    );
    expect(text).toContain('beta: legacy');
    const { upstream } = checkChain(traceId, clientSpan);
    const expected = `00-${traceId}-${upstream.spanContext().spanId}-01`;
    expect(received()).toEqual([
      {
        name: 'beta',
        tool: 'echo',
        traceparent: expected,
        metaTraceparent: expected,
        requestId: 'client-req-2',
      },
    ]);
  });

  it('continues the _meta trace context of an SDK client that sends no traceparent header', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const c = new Client(
      { name: 'test', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      exporter.reset();
      const result = await c.callTool({
        name: 'alpha__add',
        arguments: { a: 2, b: 3 },
        _meta: { traceparent: `00-${traceId}-${clientSpan}-01` },
      });
      expect((result.content as Array<{ text: string }>)[0]?.text).toBe('5');
    } finally {
      await c.close();
    }
    const { upstream } = checkChain(traceId, clientSpan);
    const got = received();
    expect(got).toHaveLength(1);
    expect(got[0]!.traceparent).toBe(`00-${traceId}-${upstream.spanContext().spanId}-01`);
    // No x-request-id from the client: the gateway made one and passed it on.
    expect(got[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[0]?.requestId).toBe(got[0]!.requestId);
  });

  it('REST calls are traced too; an insane x-request-id is replaced; every response has one', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const response = await fetch(`${url}/api/v1/tools/alpha__echo/execute`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${clientSpan}-01`,
        'x-request-id': 'spaces are not allowed',
      },
      body: JSON.stringify({ arguments: { message: 'rest' } }),
    });
    expect(response.status).toBe(200);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await response.text();
    const { request, upstream } = checkChain(traceId, clientSpan);
    expect(request.attributes['url.path']).toBe('/api/v1/tools/alpha__echo/execute');
    expect(received()[0]).toMatchObject({
      requestId: id,
      traceparent: `00-${traceId}-${upstream.spanContext().spanId}-01`,
    });

    // Probes, refusals and unknown routes carry one as well; a sane incoming one is kept.
    const probe = await fetch(`${url}/health`, { headers: { 'x-request-id': 'probe:1' } });
    expect(probe.headers.get('x-request-id')).toBe('probe:1');
    const refused = await fetch(`${url}/api/v1/tools`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const long = await fetch(`${url}/health`, { headers: { 'x-request-id': 'x'.repeat(129) } });
    expect(long.headers.get('x-request-id')).not.toBe('x'.repeat(129));
  });

  it('a failed call ends its spans in error and says so in the event', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const { text } = await rawCall('alpha__nope', {}, { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(text).toContain('GATEWAY_TOOL_NOT_FOUND');
    const call = exporter
      .getFinishedSpans()
      .find((s) => s.spanContext().traceId === traceId && s.name === 'gateway.tools/call');
    expect(call?.status.code).toBe(2); // ERROR
    expect(call?.attributes['gateway.outcome']).toBe('error');
    expect(call?.attributes['error.type']).toBe('GATEWAY_TOOL_NOT_FOUND');
  });
});

describe('gateway logs and settings (CLI)', () => {
  it('a call event becomes one JSON line with the documented fields', () => {
    const line = callLogLine(
      {
        requestId: 'r1',
        traceId: 'a'.repeat(32),
        caller: 'agent',
        tool: 'alpha__echo',
        upstream: 'alpha',
        upstreamTool: 'echo',
        ok: false,
        cached: false,
        ms: 12.3456,
        error: 'GATEWAY_UPSTREAM_TIMEOUT',
      },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'tools/call',
      requestId: 'r1',
      traceId: 'a'.repeat(32),
      caller: 'agent',
      tool: 'alpha__echo',
      upstream: 'alpha',
      ok: false,
      ms: 12.35,
      error: 'GATEWAY_UPSTREAM_TIMEOUT',
    });
  });

  it('exporter and log format come from the environment, and bad values are refused', () => {
    expect(tracesExporterFrom({})).toBe('none');
    expect(tracesExporterFrom({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('otlp');
    expect(tracesExporterFrom({ OTEL_TRACES_EXPORTER: 'console, none' })).toBe('console');
    expect(() => tracesExporterFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /CONFIG_INVALID|not supported/,
    );
    expect(logFormatFrom(undefined, {})).toBe('text');
    expect(logFormatFrom(undefined, { MCP_FACTORY_GATEWAY_LOG: 'json' })).toBe('json');
    expect(logFormatFrom('text', { MCP_FACTORY_GATEWAY_LOG: 'json' })).toBe('text');
    expect(() => logFormatFrom('xml', {})).toThrow(/not text or json/);
    expect(() => logFormatFrom(undefined, { MCP_FACTORY_GATEWAY_LOG: 'xml' })).toThrow(
      /MCP_FACTORY_GATEWAY_LOG/,
    );
  });

  it('request ids: sane tokens kept, anything else replaced', () => {
    expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(requestIdFrom('a'.repeat(128))).toBe('a'.repeat(128));
    expect(requestIdFrom('a'.repeat(129))).not.toBe('a'.repeat(129));
    expect(requestIdFrom('bad\nid')).not.toContain('\n');
    expect(requestIdFrom(null)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
