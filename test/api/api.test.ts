/**
 * The HTTP API over an in-test control plane and a real registry: every endpoint, authentication, rate limit,
 * per-token server limit, body limit, the error shape, and the OpenAPI document (valid, complete, and
 * describing the responses the API actually sends).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTemplates } from '../../src/sources/templates/index.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, serveApi, TokenStore } from '../../src/surfaces/api/index.js';
import { FakeControlPlane } from './fake-control-plane.js';

const BASE = 'http://127.0.0.1:8080';

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: '1.0.0',
  tools: [
    {
      name: 'greet',
      description: 'Say hello to someone',
      static: { text: 'hello {{who}}' },
      parameters: { who: { type: 'string' } },
    },
    { name: 'fail', description: 'Always fails', static: { text: 'x' } },
  ],
  ...extra,
});

interface Sent {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
  body: any;
  text: string;
}

/** Every JSON response the tests saw, by operation, to check against the OpenAPI document. */
const seen: Array<{ method: string; path: string; status: number; body: unknown }> = [];

let home: string;
let registry: Registry;
let tokens: TokenStore;
let cp: FakeControlPlane;
let api: Api;
let token: string;

async function send(
  method: string,
  path: string,
  options: {
    token?: string | null;
    body?: unknown;
    raw?: BodyInit;
    headers?: Record<string, string>;
    on?: Api;
  } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.token === undefined ? token : options.token;
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const init: RequestInit & { duplex?: string } = {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const response = await (options.on ?? api).fetch(new Request(`${BASE}${path}`, init));
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined)
    seen.push({ method, path: path.split('?')[0]!, status: response.status, body: parsed });
  return { status: response.status, headers: response.headers, body: parsed, text };
}

function expectError(r: Sent, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(Object.keys(r.body).sort()).toEqual(['details', 'error', 'message', 'timestamp']);
  expect(r.body.error).toBe(code);
  expect(typeof r.body.message).toBe('string');
  expect(typeof r.body.details).toBe('object');
  expect(Number.isNaN(Date.parse(r.body.timestamp))).toBe(false);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-api-'));
  registry = await openRegistry({ home });
  tokens = TokenStore.open({ home });
  token = tokens.create({ name: 'ci', maxServers: 50 }).token;
  cp = new FakeControlPlane(registry);
  api = createApi({
    controlPlane: cp,
    registry,
    tokens,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
});

afterAll(async () => {
  await registry.close();
  rmSync(home, { recursive: true, force: true });
});

describe('probes', () => {
  it('health, live and ready answer without a token', async () => {
    const health = await send('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect((await send('GET', '/live', { token: null })).body).toEqual({ status: 'ok' });
    const ready = await send('GET', '/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', registry: { backend: 'sqlite' } });
  });
});

describe('authentication', () => {
  const protectedRoutes = () => api.routes.filter((r) => !r.public);

  it('refuses every other endpoint without a token (401, WWW-Authenticate, error shape)', async () => {
    expect(protectedRoutes().length).toBeGreaterThan(15);
    for (const r of protectedRoutes()) {
      const path = r.path.replace(':name', 'demo');
      const res = await send(r.method, path, { token: null, ...(r.body ? { body: {} } : {}) });
      expectError(res, 401, 'API_UNAUTHORIZED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('refuses an unknown or malformed token', async () => {
    expectError(
      await send('GET', '/mcp/servers', { token: 'mcpf_nottherighttoken' }),
      401,
      'API_UNAUTHORIZED',
    );
    expectError(await send('GET', '/mcp/servers', { token: 'garbage' }), 401, 'API_UNAUTHORIZED');
    const basic = await send('GET', '/mcp/servers', {
      token: null,
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    expectError(basic, 401, 'API_UNAUTHORIZED');
    expect(basic.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('refuses a revoked token, also when another process revoked it', async () => {
    const { token: t } = tokens.create({ name: 'temp' });
    expect((await send('GET', '/mcp/servers', { token: t })).status).toBe(200);
    TokenStore.open({ home }).revoke('temp'); // a second store on the same file, as `mcp-factory token revoke`
    expectError(await send('GET', '/mcp/servers', { token: t }), 401, 'API_UNAUTHORIZED');
  });

  it('stores only hashes, and shows the plaintext once', () => {
    const created = tokens.create({ name: 'shown-once' });
    expect(created.token).toMatch(/^mcpf_[A-Za-z0-9_-]{43}$/);
    const file = readFileSync(join(home, 'api-tokens.json'), 'utf8');
    expect(file).not.toContain(created.token);
    expect(file).toContain(createHash('sha256').update(created.token).digest('hex'));
    expect(tokens.list().find((t) => t.name === 'shown-once')).not.toHaveProperty('hash');
    expect(() => tokens.create({ name: 'shown-once' })).toThrow(/exists/);
    tokens.revoke('shown-once');
    expect(tokens.list().some((t) => t.name === 'shown-once')).toBe(false);
    expect(
      tokens.list({ includeRevoked: true }).find((t) => t.name === 'shown-once')?.revokedAt,
    ).toBeTruthy();
  });

  it('refuses a foreign Host or Origin (DNS rebinding)', async () => {
    expectError(
      await send('GET', '/health', { headers: { host: 'evil.example' } }),
      403,
      'API_FORBIDDEN_HOST',
    );
    expectError(
      await send('GET', '/mcp/servers', { headers: { origin: 'https://evil.example' } }),
      403,
      'API_FORBIDDEN_HOST',
    );
    expect((await send('GET', '/mcp/servers', { headers: { origin: 'http://localhost:3000' } })).status).toBe(
      200,
    );
  });
});

describe('servers', () => {
  it('creates from a spec object, with the token name as the audit actor', async () => {
    const r = await send('POST', '/mcp/create', { body: spec('alpha') });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ name: 'alpha', revision: 1, version: '1.0.0' });
    const audit = await registry.listAudit({ target: 'alpha' });
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e) => e.actor === 'ci')).toBe(true);
  });

  it('creates from { spec, force } with the spec as YAML text, and from an application/yaml body', async () => {
    const yaml =
      'name: beta\nversion: 2.0.0\ntools:\n  - name: hi\n    description: Say hi\n    static: { text: hi }\n';
    const r = await send('POST', '/mcp/create', { body: { spec: yaml, force: true, tests: false } });
    expect(r.status, r.text).toBe(201);
    expect(cp.calls.at(-1)).toMatchObject({ method: 'create', args: { name: 'beta', force: true } });
    const y = await send('POST', '/mcp/create?force=1', {
      raw: yaml.replace('2.0.0', '2.1.0'),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(y.status, y.text).toBe(201);
    expect(y.body).toMatchObject({ name: 'beta', revision: 2, version: '2.1.0' });
  });

  it('reports every spec problem with its path and hint (422)', async () => {
    const r = await send('POST', '/mcp/create', {
      body: {
        name: 'Bad Name',
        tools: [{ name: 'x', description: 'd', sql: { connection: 'nope', statement: 'SELECT 1' } }],
        bogus: 1,
      },
    });
    expect(r.status).toBe(422);
    expectError(r, 422, r.body.error);
    expect(r.body.error).toMatch(/^SPEC_/);
    const paths = r.body.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'bogus']));
    for (const issue of r.body.details.issues)
      expect(issue).toMatchObject({ code: expect.any(String), hint: expect.any(String) });
    const yaml = await send('POST', '/mcp/create', {
      raw: 'name: x\ntools: [',
      headers: { 'content-type': 'text/yaml' },
    });
    expectError(yaml, 422, 'SPEC_SYNTAX');
    expect(yaml.body.details.issues[0]).toMatchObject({ line: expect.any(Number) });
  });

  it('refuses SQLite files of the factory host', async () => {
    const r = await send('POST', '/mcp/create', {
      body: spec('gamma', {
        connections: [{ name: 'db', type: 'sqlite', path: '/etc/passwd' }],
        tools: [{ name: 'q', description: 'q', sql: { connection: 'db', statement: 'SELECT 1' } }],
      }),
    });
    expectError(r, 422, 'SPEC_INVALID_VALUE');
    expect(r.body.details.issues[0].path).toBe('connections[0].path');
  });

  it('rejects malformed requests with API_INVALID_REQUEST and located issues', async () => {
    const bad = await send('POST', '/mcp/create', {
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expectError(bad, 400, 'API_INVALID_REQUEST');
    expectError(
      await send('POST', '/mcp/create', { raw: 'x', headers: { 'content-type': 'image/png' } }),
      400,
      'API_INVALID_REQUEST',
    );
    expectError(await send('POST', '/mcp/create', { raw: '' }), 400, 'API_INVALID_REQUEST');
    const target = await send('POST', '/mcp/deploy/alpha', { body: { target: 'moon' } });
    expectError(target, 400, 'API_INVALID_REQUEST');
    expect(target.body.details.issues[0].path).toBe('body.target');
    const name = await send('GET', '/mcp/servers/Not_Valid');
    expectError(name, 400, 'API_INVALID_REQUEST');
    expect(name.body.details.issues[0].path).toBe('params.name');
    const tail = await send('GET', '/mcp/servers/alpha/logs?tail=-3');
    expect(tail.body.details.issues[0].path).toBe('query.tail');
  });

  it('answers natural-language creation with 501 LLM_NOT_CONFIGURED when no provider is configured', async () => {
    const r = await send('POST', '/mcp/create/natural', {
      body: { description: 'a server that tells the time' },
    });
    expectError(r, 501, 'LLM_NOT_CONFIGURED');
    expect(r.body.message).toMatch(/no LLM provider is configured/);
    expectError(
      await send('POST', '/mcp/create/natural', { body: { text: 'x' } }),
      400,
      'API_INVALID_REQUEST',
    );
  });

  it('deploys, lists, shows, stops, starts, calls and reports', async () => {
    const d = await send('POST', '/mcp/deploy/alpha', {
      body: { target: 'local', port: 41000, env: { GREETING: 'hi' } },
    });
    expect(d.status, d.text).toBe(200);
    expect(d.body).toMatchObject({ server: 'alpha', target: 'local', status: 'running', port: 41000 });
    expect(cp.calls.at(-1)).toMatchObject({
      method: 'deploy',
      args: { actor: 'ci', env: { GREETING: 'hi' } },
    });
    expectError(
      await send('POST', '/mcp/deploy/nobody', { body: { target: 'local' } }),
      404,
      'REGISTRY_NOT_FOUND',
    );

    const list = await send('GET', '/mcp/servers');
    expect(list.body.servers.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['alpha', 'beta']),
    );

    const status = await send('GET', '/mcp/servers/alpha');
    expect(status.body).toMatchObject({ server: { name: 'alpha' }, deployments: [{ target: 'local' }] });
    expect(status.body.tools.map((t: { name: string }) => t.name).sort()).toEqual(['fail', 'greet']);
    expectError(await send('GET', '/mcp/servers/nobody'), 404, 'REGISTRY_NOT_FOUND');

    expect((await send('POST', '/mcp/servers/alpha/stop')).body).toEqual({
      name: 'alpha',
      desired: 'stopped',
    });
    expect((await send('GET', '/mcp/servers/alpha')).body.deployments[0].desired).toBe('stopped');
    expect((await send('POST', '/mcp/servers/alpha/start')).body).toEqual({
      name: 'alpha',
      desired: 'running',
    });

    const call = await send('POST', '/mcp/servers/alpha/call', {
      body: { tool: 'greet', arguments: { who: 'Ada' } },
    });
    expect(call.body).toMatchObject({ isError: false, structuredContent: { echo: { who: 'Ada' } } });
    expect((await send('POST', '/mcp/servers/alpha/call', { body: { tool: 'fail' } })).body.isError).toBe(
      true,
    );
    expectError(
      await send('POST', '/mcp/servers/alpha/call', { body: { tool: 'nope' } }),
      404,
      'TOOL_NOT_FOUND',
    );

    await registry.recordCalls([
      { server: 'alpha', tool: 'greet', ok: true, latencyMs: 12 },
      { server: 'alpha', tool: 'greet', ok: false, latencyMs: 30 },
    ]);
    const stats = await send('GET', '/mcp/servers/alpha/stats?minutes=5');
    expect(stats.body).toMatchObject({ server: 'alpha', total: { calls: 2, errors: 1 } });

    const search = await send('GET', '/mcp/tools?q=hello&limit=5');
    expect(search.body.matches[0]).toMatchObject({ server: 'alpha', tool: 'greet' });

    const audit = await send('GET', '/mcp/audit?actor=ci&limit=3');
    expect(audit.body.entries).toHaveLength(3);
    expect(audit.body.entries.every((e: { actor: string }) => e.actor === 'ci')).toBe(true);

    const templates = await send('GET', '/mcp/templates');
    expect(templates.body.templates.map((t: { name: string }) => t.name)).toEqual(
      listTemplates().map((t) => t.name),
    );
  });

  it('returns the last log lines as JSON and follows them as server-sent events', async () => {
    for (let i = 1; i <= 5; i++) cp.pushLog('alpha', `line ${i}`);
    const r = await send('GET', '/mcp/servers/alpha/logs?tail=2');
    expect(r.body).toEqual({ name: 'alpha', lines: ['line 4', 'line 5'] });
    expectError(await send('GET', '/mcp/servers/nobody/logs?follow=1'), 404, 'REGISTRY_NOT_FOUND');

    const abort = new AbortController();
    const res = await api.fetch(
      new Request(`${BASE}/mcp/servers/alpha/logs?tail=1&follow=1`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const until = async (needle: string) => {
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${received}`);
        received += decoder.decode(value);
      }
    };
    await until('data: line 5');
    cp.pushLog('alpha', 'line 6');
    await until('data: line 6');
    expect(received).not.toContain('line 4');
    abort.abort();
    await reader.cancel();
  });

  it('removes a server; it is gone afterwards', async () => {
    const r = await send('DELETE', '/mcp/servers/beta');
    expect(r.body).toEqual({ name: 'beta', removed: true });
    expectError(await send('GET', '/mcp/servers/beta'), 404, 'REGISTRY_NOT_FOUND');
    expect(
      (await send('GET', '/mcp/servers')).body.servers.map((s: { name: string }) => s.name),
    ).not.toContain('beta');
  });

  it('answers unknown paths with 404 and wrong methods with 405 + Allow', async () => {
    expectError(await send('GET', '/nothing/here'), 404, 'API_NOT_FOUND');
    const m = await send('PUT', '/mcp/servers/alpha');
    expectError(m, 405, 'API_METHOD_NOT_ALLOWED');
    expect(m.headers.get('allow')).toBe('GET, DELETE');
  });
});

describe('limits', () => {
  it('rate-limits per token with 429 and Retry-After', async () => {
    const limited = createApi({
      controlPlane: cp,
      registry,
      tokens,
      limits: { requestsPerMinute: 60, burst: 3 },
    });
    const { token: slow } = tokens.create({ name: 'slow' });
    for (let i = 0; i < 3; i++)
      expect((await send('GET', '/mcp/servers', { token: slow, on: limited })).status).toBe(200);
    const r = await send('GET', '/mcp/servers', { token: slow, on: limited });
    expectError(r, 429, 'API_RATE_LIMITED');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.body.details.retryAfterSeconds).toBe(Number(r.headers.get('retry-after')));
    // Another token has its own bucket; probes are never limited.
    expect((await send('GET', '/mcp/servers', { on: limited })).status).toBe(200);
    expect((await send('GET', '/health', { token: slow, on: limited })).status).toBe(200);
    // A token's own limit takes precedence over the default.
    const { token: tight } = tokens.create({ name: 'tight', requestsPerMinute: 1 });
    expect((await send('GET', '/mcp/servers', { token: tight, on: limited })).status).toBe(200);
    expect((await send('GET', '/mcp/servers', { token: tight, on: limited })).status).toBe(429);
    const metrics = await send('GET', '/metrics', { on: limited });
    expect(metrics.text).toContain('mcpf_api_rate_limited_total{token="slow"} 1');
  });

  it('limits the servers a token may create (new revisions and removed servers do not count)', async () => {
    const { token: small } = tokens.create({ name: 'small', maxServers: 1 });
    expect((await send('POST', '/mcp/create', { token: small, body: spec('quota-a') })).status).toBe(201);
    const second = await send('POST', '/mcp/create', { token: small, body: spec('quota-b') });
    expectError(second, 403, 'API_SERVER_QUOTA_EXCEEDED');
    expect(second.body.details).toMatchObject({ limit: 1, servers: ['quota-a'] });
    expect(
      (await send('POST', '/mcp/create', { token: small, body: spec('quota-a', { version: '1.1.0' }) }))
        .status,
    ).toBe(201);
    expect((await send('DELETE', '/mcp/servers/quota-a', { token: small })).status).toBe(200);
    expect((await send('POST', '/mcp/create', { token: small, body: spec('quota-b') })).status).toBe(201);
    expect(tokens.list().find((t) => t.name === 'small')?.servers).toEqual(['quota-b']);
  });

  it('limits concurrent creations (503 API_BUSY with Retry-After)', async () => {
    const busy = createApi({ controlPlane: cp, registry, tokens, limits: { maxConcurrentCreates: 1 } });
    cp.createDelayMs = 300;
    try {
      const first = send('POST', '/mcp/create', { body: spec('busy-a'), on: busy });
      await new Promise((r) => setTimeout(r, 50));
      const second = await send('POST', '/mcp/create', { body: spec('busy-b'), on: busy });
      expectError(second, 503, 'API_BUSY');
      expect(second.headers.get('retry-after')).toBe('5');
      expect((await first).status).toBe(201);
    } finally {
      cp.createDelayMs = 0;
    }
  });

  it('refuses bodies over the limit with 413, declared or streamed', async () => {
    const small = createApi({ controlPlane: cp, registry, tokens, limits: { maxBodyBytes: 1024 } });
    const big = spec('big', { description: 'x'.repeat(4000) });
    const declared = await send('POST', '/mcp/create', { body: big, on: small });
    expectError(declared, 413, 'API_BODY_TOO_LARGE');
    expect(declared.body.details.maxBytes).toBe(1024);
    const chunks = [new TextEncoder().encode(JSON.stringify(big))];
    const stream = new ReadableStream({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const streamed = await send('POST', '/mcp/create', {
      raw: stream,
      headers: { 'content-type': 'application/json' },
      on: small,
    });
    expectError(streamed, 413, 'API_BODY_TOO_LARGE');
    expect(
      (await send('POST', '/mcp/create/natural', { body: { description: 'y'.repeat(2000) }, on: small }))
        .status,
    ).toBe(413);
  });
});

describe('metrics', () => {
  it('counts requests by route pattern and status', async () => {
    const r = await send('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toMatch(
      /mcpf_api_requests_total\{method="GET",route="\/mcp\/servers\/:name",status="200"\} \d+/,
    );
    expect(r.text).toMatch(
      /mcpf_api_requests_total\{method="GET",route="\/mcp\/servers\/:name",status="404"\} \d+/,
    );
    expect(r.text).toContain('mcpf_api_request_duration_seconds_bucket');
    expect(r.text).toMatch(/mcpf_api_auth_failures_total\{reason="missing"\} \d+/);
  });
});

describe('OpenAPI document', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document, checked by the assertions
  let doc: any;
  beforeAll(async () => {
    const r = await send('GET', '/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validateOpenApi(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('lists every route with its method, parameters and security', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const routes = api.routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(routes.sort());
    for (const r of api.routes) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      expect(op.operationId).toBe(r.operationId);
      if (r.public) expect(op.security).toEqual([]);
      else
        expect(op.responses['401'].content['application/json'].schema.$ref).toBe(
          '#/components/schemas/Error',
        );
      if (r.path.includes(':name'))
        expect(op.parameters[0]).toMatchObject({ name: 'name', in: 'path', required: true });
    }
    expect(doc.paths['/mcp/servers/{name}/logs'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      ['name', 'tail', 'follow'],
    );
    expect(doc.components.schemas.ServerSpec.properties.tools).toBeDefined();
  });

  it('has component schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: 'https://mcp-factory.test/openapi.json', components: doc.components });
    for (const name of Object.keys(doc.components.schemas))
      expect(() =>
        ajv.getSchema(`https://mcp-factory.test/openapi.json#/components/schemas/${name}`),
      ).not.toThrow();
  });

  it('describes the responses the API actually sent', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: 'https://mcp-factory.test/openapi.json', components: doc.components });
    const routes = api.routes.map((r) => ({
      r,
      re: new RegExp(`^${r.path.replace(/:(\w+)/g, '[^/]+')}$`),
      docPath: r.path.replace(/:(\w+)/g, '{$1}'),
    }));
    let checked = 0;
    const operations = new Set<string>();
    for (const s of seen) {
      const match = routes.find((x) => x.r.method === s.method && x.re.test(s.path));
      if (!match) continue;
      const response = doc.paths[match.docPath][s.method.toLowerCase()].responses[String(s.status)];
      expect(response, `${s.method} ${s.path} → ${s.status} is not documented`).toBeDefined();
      const schema = response.content?.['application/json']?.schema;
      if (!schema?.$ref) continue;
      const validate = ajv.getSchema(`https://mcp-factory.test/openapi.json${schema.$ref}`)!;
      expect(validate(s.body), `${s.method} ${s.path} ${s.status}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
      checked++;
      operations.add(match.r.operationId);
    }
    expect(checked).toBeGreaterThan(50);
    // Every operation with a JSON body was exercised by the tests above (openapi.json itself has no schema).
    // (Sign-in and people routes are exercised, and checked against this document, in test/identity/auth-api.test.ts.)
    const jsonOps = api.routes.filter(
      (r) =>
        r.tag !== 'auth' &&
        r.tag !== 'users' &&
        Object.values(r.responses).some((x) => x.content?.['application/json']),
    );
    expect([...operations].sort()).toEqual(
      expect.arrayContaining(jsonOps.map((r) => r.operationId).filter((id) => id !== 'openapi')),
    );
  });
});

describe('serveApi (Node adapter)', () => {
  it('serves over loopback HTTP, streams logs, and answers oversized bodies in the error shape', async () => {
    const served = await serveApi({
      controlPlane: cp,
      registry,
      tokens,
      limits: { maxBodyBytes: 2048 },
      port: 0,
    });
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${served.url}/health`);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const auth = { authorization: `Bearer ${token}` };
      const big = await fetch(`${served.url}/mcp/create`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(spec('big', { description: 'z'.repeat(100_000) })),
      });
      expect(big.status).toBe(413);
      expect((await big.json()).error).toBe('API_BODY_TOO_LARGE');

      const abort = new AbortController();
      const res = await fetch(`${served.url}/mcp/servers/alpha/logs?follow=1&tail=1`, {
        headers: auth,
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('data: ')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('data: line 6');
      abort.abort();
    } finally {
      await served.close();
    }
    await expect(serveApi({ controlPlane: cp, registry, tokens, host: '0.0.0.0' })).rejects.toThrow(
      /loopback/,
    );
  });
});
