/**
 * The mock upstream of generated tests: which operations it answers, what it answers, which variables it sets,
 * and the generated helper itself run against requests (its matching must accept the runtime's URLs only).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/build/generator/index.js';
import {
  MOCK_UPSTREAM_SOURCE,
  type MockUpstreamPlan,
  mockUpstreamPlan,
  sampleResponse,
} from '../../src/build/generator/mock-upstream.js';
import { planTests } from '../../src/build/generator/test-plan.js';
import { testTimeoutMs } from '../../src/build/verify/run-tests.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { testsNeedNetwork } from '../../src/platform/sandbox/index.js';

const result = validateSpec({
  name: 'mocked',
  connections: [
    {
      name: 'api',
      type: 'http',
      baseUrl: 'https://api.example.com/v1/',
      baseUrlEnv: 'API_URL',
      auth: { type: 'bearer', envVar: 'API_TOKEN' },
    },
    { name: 'fixed', type: 'http', baseUrl: 'https://fixed.example.com' },
    {
      name: 'oauth',
      type: 'http',
      baseUrlEnv: 'OAUTH_API_URL',
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: 'https://auth.example.com/token',
        clientIdEnv: 'CID',
        clientSecretEnv: 'CSECRET',
      },
    },
  ],
  tools: [
    {
      name: 'get_pet',
      description: 'One pet.',
      parameters: {
        id: { type: 'integer', required: true },
        limit: { type: 'integer', default: 5 },
        q: { type: 'string' },
      },
      returns: {
        type: 'object',
        properties: {
          id: { type: 'integer', required: true },
          tags: { type: 'array', items: { type: 'string' } },
          code: { type: 'string', pattern: '^[A-Z]{3}$' },
        },
      },
      http: { connection: 'api', path: '/pets/{{id}}.json', query: { limit: '{{limit}}', q: '{{q}}' } },
    },
    {
      name: 'create_pet',
      description: 'Create a pet.',
      parameters: { name: { type: 'string', required: true } },
      http: { connection: 'api', method: 'POST', path: '/pets', body: { name: '{{name}}' } },
    },
    {
      name: 'fixed_get',
      description: 'Fixed URL.',
      http: { connection: 'fixed', path: '/x' },
    },
    {
      name: 'oauth_get',
      description: 'OAuth API.',
      http: { connection: 'oauth', path: '/y' },
    },
  ],
});
if (!result.spec) throw new Error(JSON.stringify(result.issues, null, 2));
const spec = result.spec;
const plan = mockUpstreamPlan(spec, planTests(spec)) as MockUpstreamPlan;

describe('mockUpstreamPlan', () => {
  it('mocks the connections with a base URL variable, keeping their base path', () => {
    expect(plan.baseUrls).toEqual([{ env: 'API_URL', path: '/v1' }]);
    expect(Object.keys(plan.env)).toEqual(['API_TOKEN']);
    expect(plan.unmocked).toEqual({
      fixed_get: expect.stringContaining('fixed base URL'),
      oauth_get: expect.stringContaining('OAuth2'),
    });
  });

  it('answers each tool with a value of its returns schema and knows its required query', () => {
    const get = plan.operations.find((o) => o.tool === 'get_pet')!;
    expect(get).toMatchObject({ method: 'GET', path: '/v1/pets/{{id}}.json', query: ['limit'] });
    expect(JSON.parse(get.body)).toEqual({ id: 1, tags: ['example'] });
    const create = plan.operations.find((o) => o.tool === 'create_pet')!;
    expect(create).toMatchObject({ method: 'POST', path: '/v1/pets', body: '{}' });
  });

  it('runs a write tool without an example against the mock in place of the skipped case', () => {
    expect(plan.cases).toEqual([
      expect.objectContaining({
        tool: 'create_pet',
        arguments: { name: 'example' },
        expectError: false,
        replaces: 'create_pet with sample arguments',
      }),
    ]);
  });

  it('has no mock for a spec without HTTP connections', () => {
    const plain = validateSpec({
      name: 'plain',
      tools: [{ name: 'hi', description: 'Hi.', static: { text: 'hi' } }],
    });
    expect(mockUpstreamPlan(plain.spec!, [])).toBeUndefined();
    const project = generateProject(plain.spec!, {
      runtimeFiles: {},
      dependencyVersions: {},
      generatorVersion: '0',
    });
    expect(project.files['test/upstream.json']).toBeUndefined();
    expect(project.files['test/server.test.mjs']).not.toContain('startMockUpstream');
  });

  it('is written into the project and used by its test', () => {
    const project = generateProject(spec, {
      runtimeFiles: {},
      dependencyVersions: {},
      generatorVersion: '0',
    });
    expect(JSON.parse(project.files['test/upstream.json']!)).toEqual(JSON.parse(JSON.stringify(plan)));
    expect(project.files['test/server.test.mjs']).toContain('await startMockUpstream(upstream)');
  });
});

describe('sampleResponse', () => {
  it('fills required values, leaves out optional ones it cannot make up', () => {
    expect(
      sampleResponse({
        type: 'object',
        properties: {
          a: { type: 'string', required: true, pattern: 'x+' },
          b: { type: 'string', pattern: 'x+' },
          c: { type: 'integer', minimum: 3 },
        },
      }),
    ).toEqual({ a: 'example', c: 3 });
    expect(sampleResponse({ type: 'array', items: { type: 'string', enum: ['on', 'off'] } })).toEqual(['on']);
    expect(sampleResponse({ type: 'string', format: 'uuid' })).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the generated mock helper', () => {
  // The helper is plain JavaScript that uses `createServer` from node:http, as the generated test imports it.
  const factory = new Function(
    'createServer',
    `${MOCK_UPSTREAM_SOURCE}\nreturn { startMockUpstream, isCallOf };`,
  ) as (create: typeof createServer) => {
    startMockUpstream(plan: MockUpstreamPlan): Promise<{
      env: Record<string, string>;
      requests: Array<{ method: string; path: string; query: URLSearchParams }>;
      operationOf: Map<string, { method: string }>;
      close(): void;
    }>;
    isCallOf(op: unknown, seen: unknown): boolean;
  };
  const { startMockUpstream, isCallOf } = factory(createServer);

  it('answers the operations on loopback, records requests, and matches calls by method, path and query', async () => {
    const mock = await startMockUpstream(plan);
    try {
      const base = mock.env.API_URL!;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(mock.env.API_TOKEN).toBe('mock-credential');
      const ok = await fetch(`${base}/pets/a%2Fb.json?limit=5`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ id: 1, tags: ['example'] });
      const wrongMethod = await fetch(`${base}/pets/7.json?limit=5`, { method: 'DELETE' });
      expect(wrongMethod.status).toBe(404);
      const deeper = await fetch(`${base}/pets/7/extra.json`);
      expect(deeper.status).toBe(404);
      await fetch(`${base}/pets/7.json`);
      const op = mock.operationOf.get('get_pet');
      expect(mock.requests.map((r) => isCallOf(op, r))).toEqual([true, false, false, false]);
      expect(mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /v1/pets/a%2Fb.json',
        'DELETE /v1/pets/7.json',
        'GET /v1/pets/7/extra.json',
        'GET /v1/pets/7.json',
      ]);
    } finally {
      mock.close();
    }
  });
});

describe('testsNeedNetwork', () => {
  it('gives the generated tests the network only for database servers (HTTP APIs are mocked)', () => {
    expect(testsNeedNetwork(spec)).toBe(false);
    expect(testsNeedNetwork({ connections: [{ type: 'sqlite' }, { type: 'http' }] })).toBe(false);
    expect(testsNeedNetwork({ connections: [{ type: 'postgresql' }] })).toBe(true);
    expect(testsNeedNetwork({ connections: [{ type: 'mysql' }, { type: 'http' }] })).toBe(true);
  });
});

describe('testTimeoutMs', () => {
  it('grows with the number of planned cases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-timeout-'));
    try {
      expect(testTimeoutMs(dir)).toBe(120_000);
      mkdirSync(join(dir, 'test'));
      writeFileSync(
        join(dir, 'test', 'cases.json'),
        JSON.stringify(Array.from({ length: 2000 }, () => ({}))),
      );
      expect(testTimeoutMs(dir)).toBe(320_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
