/**
 * The mock upstream of a generated server's own tests (test/upstream.json): `http` tools are tested against a
 * loopback HTTP server the test starts, never the real API — an offline machine can create the server, and
 * creating it sends nothing to third parties. Each operation (method + path template) answers with a value
 * made up from the tool's `returns` schema (`{}` without one). The test points the connections' `baseUrlEnv`
 * at the mock, gives their credentials placeholder values, and checks per call that the request reached the
 * mock with the right method, path and required query parameters.
 */
import { implementationOf, type TestCase } from '../../core/kinds/index.js';
import { effectiveParameters } from '../../core/kinds/tool.js';
import type { HttpConnection, HttpImpl, ServerSpec, ValueSchema } from '../../core/spec/model.js';
import { sampleArguments, sampleCaseName, sampleValue } from './test-plan.js';

export interface MockOperation {
  /** The tool whose calls this operation answers. */
  tool: string;
  method: string;
  /** Base path + the tool's path template, for messages. */
  path: string;
  /** One regular expression per `/`-separated segment of the request path, matched against its decoded text. */
  segments: string[];
  /** Query parameters every call sends (filled from required or defaulted parameters). */
  query: string[];
  status: number;
  contentType: string;
  body: string;
}

export interface MockUpstreamPlan {
  /** Base URL variables: the mock's address followed by `path` (the base path of the real API). */
  baseUrls: Array<{ env: string; path: string }>;
  /** Placeholder credentials of the mocked connections (the mock accepts any). */
  env: Record<string, string>;
  operations: MockOperation[];
  /** Cases run against the mock in place of a case the plan skips for the real API (writes without an example). */
  cases: Array<TestCase & { replaces: string }>;
  /** HTTP tools not run at all: their upstream cannot be mocked (fixed base URL, OAuth2 token endpoint). */
  unmocked: Record<string, string>;
}

const TOKEN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const PLACEHOLDER = 'mock-credential';

/** Why the tests cannot point a connection at the mock, or undefined when they can. */
function unmockable(c: HttpConnection): string | undefined {
  if (!c.baseUrlEnv)
    return 'calls an upstream HTTP API with a fixed base URL (declare baseUrlEnv to test against a mock)';
  if (c.auth?.type === 'oauth2_client_credentials')
    return 'gets its OAuth2 token from a fixed token URL, which the mock upstream cannot stand in for';
  return undefined;
}

/** The mock of a spec's HTTP connections, or undefined when it has none. */
export function mockUpstreamPlan(spec: ServerSpec, cases: readonly TestCase[]): MockUpstreamPlan | undefined {
  const http = spec.connections.filter((c): c is HttpConnection => c.type === 'http');
  if (http.length === 0) return undefined;
  const plan: MockUpstreamPlan = { baseUrls: [], env: {}, operations: [], cases: [], unmocked: {} };
  const basePaths = new Map<string, string>();
  for (const c of http) {
    if (unmockable(c) || !c.baseUrlEnv) continue;
    const path = c.baseUrl ? new URL(c.baseUrl).pathname.replace(/\/+$/, '') : '';
    basePaths.set(c.name, path);
    plan.baseUrls.push({ env: c.baseUrlEnv, path });
    for (const v of Object.values(c.headers ?? {})) if (typeof v !== 'string') plan.env[v.env] = PLACEHOLDER;
    const a = c.auth;
    if (a?.type === 'bearer' || a?.type === 'api_key') plan.env[a.envVar] = PLACEHOLDER;
    if (a?.type === 'basic') {
      plan.env[a.usernameEnv] = 'mock-user';
      plan.env[a.passwordEnv] = PLACEHOLDER;
    }
  }
  const pagination = spec.pagination ?? { defaultLimit: 50, maxLimit: 1000 };
  for (const tool of spec.tools) {
    const found = implementationOf(tool);
    if (found?.kind.name !== 'http') continue;
    const impl = found.impl as HttpImpl;
    const connection = http.find((c) => c.name === impl.connection);
    const basePath = basePaths.get(impl.connection);
    if (!connection || basePath === undefined) {
      plan.unmocked[tool.name] = connection ? unmockable(connection)! : 'its connection is not an HTTP API';
      continue;
    }
    // Variables the request reads (credentials the API takes as parameters): placeholders too.
    for (const read of found.kind.environment?.(impl, tool, spec) ?? []) plan.env[read.name] = PLACEHOLDER;
    const params = effectiveParameters(tool, pagination);
    plan.operations.push(operationOf(tool.name, impl, basePath, params, tool.returns));
    const skipped = cases.find((c) => c.tool === tool.name && c.name === sampleCaseName(tool.name) && c.skip);
    const sample = sampleArguments(params);
    if (skipped && sample.missing === undefined) {
      plan.cases.push({
        tool: tool.name,
        name: `${tool.name} with sample arguments against the mock upstream`,
        arguments: sample.args,
        expectError: false,
        requiresEnv: [],
        replaces: skipped.name,
      });
    }
  }
  return plan;
}

function operationOf(
  tool: string,
  http: HttpImpl,
  basePath: string,
  params: Record<string, ValueSchema>,
  returns: ValueSchema | undefined,
): MockOperation {
  const path = `${basePath}/${http.path.split('?')[0]!.replace(/^\/+/, '')}`;
  const given = (name: string) => params[name]?.required === true || params[name]?.default !== undefined;
  const query: string[] = [];
  for (const [key, value] of Object.entries(http.query ?? {})) {
    if (typeof value === 'string') {
      const names = [...value.matchAll(TOKEN)].map((m) => m[1]!);
      if (names.length === 0 ? value !== '' : names.every(given)) query.push(key);
    } else if ('env' in value) {
      query.push(key); // the test gives every variable the tool reads a placeholder value
    } else {
      // Styled values: only a scalar names its own key (an exploded object sends its properties instead).
      const type = params[value.param]?.type;
      if (given(value.param) && type !== 'object' && type !== 'array') query.push(key);
    }
  }
  const text = http.response === 'text';
  const value = returns ? sampleResponse(returns) : {};
  return {
    tool,
    method: http.method,
    path,
    segments: path.split('/').map(segmentPattern),
    query,
    status: 200,
    contentType: text ? 'text/plain; charset=utf-8' : 'application/json',
    body:
      http.method === 'HEAD'
        ? ''
        : text
          ? typeof value === 'string'
            ? value
            : 'example'
          : JSON.stringify(value),
  };
}

/** A path segment of the template as an anchored pattern: literal text, and any text for each {{param}}. */
function segmentPattern(segment: string): string {
  const parts = segment.split(new RegExp(TOKEN.source));
  const body = parts.map((part, i) => (i % 2 === 1 ? '.*' : escapeRegExp(decodeSafely(part)))).join('');
  return `^${body}$`;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A value that fits the response schema: every required property, optional ones near the top (so the result
 * looks like the API's), enums and defaults as declared. A string with a `pattern` cannot be made up: a required
 * one gets "example" (lenient output validation notes it), an optional one is left out.
 */
export function sampleResponse(schema: ValueSchema): unknown {
  return madeUp(schema, 0) ?? placeholder(schema);
}

/** A value of the right type where none fits every constraint (a pattern). */
function placeholder(s: ValueSchema): unknown {
  if (s.nullable) return null;
  return s.type === 'object' ? {} : s.type === 'array' ? [] : s.type === 'string' ? 'example' : 0;
}

function madeUp(s: ValueSchema, depth: number): unknown {
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.type === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, p] of Object.entries(s.properties ?? {})) {
      if (!p.required && depth >= 2) continue;
      const v = madeUp(p, depth + 1) ?? (p.required ? placeholder(p) : undefined);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  if (s.type === 'array') {
    if (s.maxItems === 0) return [];
    const item = madeUp(s.items ?? { type: 'string' }, depth + 1);
    if (item === undefined) return (s.minItems ?? 0) === 0 ? [] : undefined;
    return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, () => item);
  }
  return sampleValue(s);
}

/**
 * The generated test's mock: a node:http server on 127.0.0.1 (port 0) answering the plan's operations and
 * recording every request; 404 for anything else. JavaScript, inlined into test/server.test.mjs.
 */
export const MOCK_UPSTREAM_SOURCE = `
/** The mock upstream of test/upstream.json: answers each HTTP tool's operation, records every request. */
async function startMockUpstream(plan) {
  const requests = [];
  const operations = plan.operations.map((op) => ({ ...op, patterns: op.segments.map((s) => new RegExp(s, 's')) }));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://mock');
      const seen = { method: req.method, path: url.pathname, query: url.searchParams };
      requests.push(seen);
      const op = operations.find((o) => o.method === seen.method && pathMatches(o, seen.path));
      if (!op) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: \`the mock upstream has no operation \${seen.method} \${seen.path}\` }));
        return;
      }
      res.writeHead(op.status, { 'content-type': op.contentType });
      res.end(op.body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const base = \`http://127.0.0.1:\${server.address().port}\`;
  const env = { ...plan.env };
  for (const b of plan.baseUrls) env[b.env] = base + b.path;
  return {
    env,
    requests,
    operationOf: new Map(operations.map((op) => [op.tool, op])),
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

function pathMatches(op, path) {
  const segments = path.split('/');
  if (segments.length !== op.patterns.length) return false;
  return segments.every((segment, i) => {
    let text = segment;
    try {
      text = decodeURIComponent(segment);
    } catch {}
    return op.patterns[i].test(text);
  });
}

/** Whether a recorded request is a call of \`op\`: method, path and every query parameter it always sends. */
function isCallOf(op, seen) {
  return seen.method === op.method && pathMatches(op, seen.path) && op.query.every((q) => seen.query.has(q));
}
`;
