/**
 * rest-api, graphql, webhook, embeddings and vector-search end to end: each server is built with representative
 * --set values, started over stdio with the SDK client and pointed at one local mock upstream that records every
 * request, so each call is checked for method, path, query, headers (auth included) and body.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from '../helpers/mcp.js';
import { buildTemplate, call, fails, json, type Mock, ok, startMock } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-http-'));
let mock: Mock;
const bundles: Record<string, string> = {};

beforeAll(async () => {
  mock = await startMock((req, res) => {
    const p = req.path;
    if (p.startsWith('/rest/v1/')) {
      if (p === '/rest/v1/missing') return json(res, 404, { error: 'no such thing' });
      const redirects: Record<string, [number, string]> = {
        '/rest/v1/old': [301, '/rest/v1/new?from=old'],
        '/rest/v1/submit': [303, 'result'],
        '/rest/v1/keep': [307, '/rest/v1/kept'],
        '/rest/v1/away': [302, '/elsewhere'],
        '/rest/v1/offsite': [307, `http://localhost:${new URL(mock.url).port}/rest/v1/kept`],
      };
      const redirect = redirects[p];
      if (redirect) return res.writeHead(redirect[0], { location: redirect[1] }).end();
      return json(res, req.method === 'POST' ? 201 : 200, { method: req.method, path: p });
    }
    if (p === '/graphql') {
      const { query } = JSON.parse(req.body) as { query: string };
      if (query.includes('__schema'))
        return json(res, 200, {
          data: {
            __schema: {
              queryType: { name: 'Query' },
              mutationType: null,
              subscriptionType: null,
              types: [
                {
                  kind: 'OBJECT',
                  name: 'Query',
                  description: null,
                  fields: [
                    {
                      name: 'node',
                      args: [
                        {
                          name: 'id',
                          type: { kind: 'NON_NULL', name: null, ofType: { kind: 'SCALAR', name: 'ID' } },
                        },
                      ],
                      type: { kind: 'OBJECT', name: 'Node', ofType: null },
                    },
                  ],
                  inputFields: null,
                  enumValues: null,
                },
                { kind: 'SCALAR', name: 'ID', fields: null, inputFields: null, enumValues: null },
                { kind: 'OBJECT', name: '__Type', fields: [], inputFields: null, enumValues: null },
              ],
            },
          },
        });
      if (query.includes('broken'))
        return json(res, 200, {
          data: null,
          errors: [{ message: 'Cannot query field "broken" on type "Query".' }],
        });
      return json(res, 200, { data: { node: { id: '1' } } });
    }
    if (p === '/hook') return res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
    if (p === '/hook-down') return res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
    if (p === '/openai/v1/embeddings') {
      const body = JSON.parse(req.body) as { input: string[]; model: string };
      return json(res, 200, {
        object: 'list',
        data: body.input.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
        model: body.model,
        usage: { prompt_tokens: 4, total_tokens: 4 },
      });
    }
    if (p.startsWith('/qdrant/')) {
      if (req.headers['api-key'] !== 'qdrant-key') return json(res, 401, { status: { error: 'bad key' } });
      if (p === '/qdrant/collections')
        return json(res, 200, { result: { collections: [{ name: 'docs' }] }, status: 'ok' });
      if (p === '/qdrant/collections/docs/points/query')
        return json(res, 200, {
          result: { points: [{ id: 7, score: 0.93, payload: { title: 'MCP' } }] },
          status: 'ok',
        });
      if (p === '/qdrant/collections/docs/points' && req.method === 'PUT')
        return json(res, 200, { result: { operation_id: 3, status: 'completed' }, status: 'ok' });
    }
    json(res, 404, { error: `no route ${req.method} ${p}` });
  });

  const builds: Array<[string, string, Record<string, string>]> = [
    ['rest-bearer', 'rest-api', { auth: 'bearer', authEnv: 'SVC_TOKEN' }],
    ['rest-key', 'rest-api', { auth: 'api_key', apiKeyHeader: 'X-Key', readOnly: 'true' }],
    ['graphql', 'graphql', { auth: 'bearer', readOnly: 'true' }],
    ['webhook', 'webhook', { signatureHeader: 'X-Hub-Signature-256' }],
    ['embeddings', 'embeddings', { model: 'nomic-embed-text' }],
    ['vector-search', 'vector-search', { auth: 'api_key', collection: 'docs' }],
  ];
  for (const [dir, template, set] of builds)
    bundles[dir] = (await buildTemplate(template, set, work, { dir })).bundle;
});

afterAll(async () => {
  await mock?.close();
  rmSync(work, { recursive: true, force: true });
});

async function withClient(name: string, env: Record<string, string>, fn: (c: Client) => Promise<void>) {
  const client = await connectStdio(bundles[name]!, '2026-07-28', env);
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

describe('rest-api', () => {
  it('sends get/post/put/delete below the base URL with the bearer token, query and JSON body', async () => {
    await withClient(
      'rest-bearer',
      { API_BASE_URL: `${mock.url}/rest/v1`, SVC_TOKEN: 'tok-1' },
      async (c) => {
        expect(await ok(c, 'get', { path: 'items', query: { q: 'a b', tags: ['x', 'y'], n: 3 } })).toEqual({
          status: 200,
          data: { method: 'GET', path: '/rest/v1/items' },
        });
        const get = mock.last('/rest/v1/items');
        expect(get.method).toBe('GET');
        expect(get.url).toBe('/rest/v1/items?q=a+b&tags=x&tags=y&n=3');
        expect(get.headers.authorization).toBe('Bearer tok-1');
        expect(get.body).toBe('');

        expect(
          await ok(c, 'post', { path: '/orders', body: { sku: 'A-1', qty: 2, note: 'é "q"' } }),
        ).toMatchObject({
          status: 201,
        });
        const post = mock.last('/rest/v1/orders');
        expect(post.method).toBe('POST');
        expect(post.headers['content-type']).toBe('application/json');
        expect(post.headers.authorization).toBe('Bearer tok-1');
        expect(JSON.parse(post.body)).toEqual({ sku: 'A-1', qty: 2, note: 'é "q"' });

        await ok(c, 'put', { path: 'orders/9', body: { qty: 3 } });
        expect(mock.last('/rest/v1/orders/9')).toMatchObject({ method: 'PUT', body: '{"qty":3}' });
        await ok(c, 'delete', { path: 'orders/9' });
        expect(mock.last('/rest/v1/orders/9')).toMatchObject({ method: 'DELETE', body: '' });

        expect(await fails(c, 'get', { path: 'missing' })).toContain('HTTP 404');
      },
    );
  });

  it('refuses absolute URLs, .. segments (also encoded) and paths leaving the base, before any request', async () => {
    await withClient(
      'rest-bearer',
      { API_BASE_URL: `${mock.url}/rest/v1`, SVC_TOKEN: 'tok-1' },
      async (c) => {
        const before = mock.seen.length;
        for (const path of [
          'https://evil.example/x',
          'http://127.0.0.1:1/x',
          '//evil.example/x',
          'javascript:alert(1)',
          '../outside',
          'a/../../outside',
          '%2e%2e/outside',
          'a/%2E%2E/%2e%2e/outside',
          '.%2e/outside',
          '..%2Foutside',
          'a\\..\\..\\outside',
          'items?x=1',
          'items#frag',
          'a%00b',
          'a\u0000b',
          '%zz',
        ])
          await fails(c, 'get', { path });
        expect(mock.seen.length).toBe(before);
      },
    );
  });

  it('follows redirects only below the base URL (303 turns a POST into a GET; 307 keeps it)', async () => {
    await withClient(
      'rest-bearer',
      { API_BASE_URL: `${mock.url}/rest/v1`, SVC_TOKEN: 'tok-1' },
      async (c) => {
        expect(await ok(c, 'get', { path: 'old' })).toEqual({
          status: 200,
          data: { method: 'GET', path: '/rest/v1/new' },
        });
        expect(mock.last('/rest/v1/new').headers.authorization).toBe('Bearer tok-1');
        expect(await ok(c, 'post', { path: 'submit', body: { a: 1 } })).toMatchObject({
          data: { method: 'GET' },
        });
        expect(mock.last('/rest/v1/result')).toMatchObject({ method: 'GET', body: '' });
        await ok(c, 'post', { path: 'keep', body: { a: 2 } });
        expect(mock.last('/rest/v1/kept')).toMatchObject({ method: 'POST', body: '{"a":2}' });

        const before = mock.seen.length;
        expect(await fails(c, 'get', { path: 'away' })).toContain('refusing to follow a redirect to');
        expect(await fails(c, 'post', { path: 'offsite', body: { secret: 1 } })).toContain(
          'refusing to follow',
        );
        // Only the two redirecting requests arrived: nothing was re-sent to the other targets.
        expect(mock.seen.slice(before).map((s) => s.path)).toEqual(['/rest/v1/away', '/rest/v1/offsite']);
      },
    );
  });

  it('sends the API key header and says which variable is missing', async () => {
    await withClient(
      'rest-key',
      { API_BASE_URL: `${mock.url}/rest/v1/`, SVC_TOKEN: '', API_TOKEN: 'key-9' },
      async (c) => {
        const { tools } = await c.listTools();
        expect(tools.map((t) => t.name)).toEqual(['get']);
        await ok(c, 'get', { path: 'whoami' });
        expect(mock.last('/rest/v1/whoami').headers['x-key']).toBe('key-9');
        expect(mock.last('/rest/v1/whoami').headers.authorization).toBeUndefined();
      },
    );
    await withClient('rest-key', { API_BASE_URL: '', API_TOKEN: 'key-9' }, async (c) => {
      expect(await fails(c, 'get', { path: 'whoami' })).toContain('API_BASE_URL is not set');
    });
  });
});

describe('graphql', () => {
  const env = () => ({ GRAPHQL_URL: `${mock.url}/graphql`, GRAPHQL_TOKEN: 'gql-token' });

  it('POSTs { query, variables, operationName } with the bearer token and returns data', async () => {
    await withClient('graphql', env(), async (c) => {
      const query = 'query Node($id: ID!) { node(id: $id) { id } }';
      expect(await ok(c, 'graphql_query', { query, variables: { id: '1' }, operationName: 'Node' })).toEqual({
        data: { node: { id: '1' } },
      });
      const req = mock.last('/graphql');
      expect(req.method).toBe('POST');
      expect(req.headers.authorization).toBe('Bearer gql-token');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers.accept).toContain('application/graphql-response+json');
      expect(JSON.parse(req.body)).toEqual({ query, variables: { id: '1' }, operationName: 'Node' });
    });
  });

  it('turns GraphQL errors into tool errors and (readOnly) refuses mutations without sending them', async () => {
    await withClient('graphql', env(), async (c) => {
      expect(await fails(c, 'graphql_query', { query: '{ broken }' })).toContain(
        'GraphQL errors: Cannot query field "broken"',
      );
      const before = mock.seen.length;
      for (const query of ['mutation { deleteAll }', 'subscription S { ticks }', '{ a } mutation M { b }'])
        expect(await fails(c, 'graphql_query', { query })).toContain('read-only');
      expect(mock.seen.length).toBe(before);
      // "mutation" inside a string, a comment or a field selection is not an operation.
      await ok(c, 'graphql_query', {
        query: 'query { search(text: "mutation { x }") { mutation } } # mutation',
      });
    });
  });

  it('describes the schema by introspection', async () => {
    await withClient('graphql', env(), async (c) => {
      expect(await ok(c, 'graphql_schema')).toEqual({
        queryType: 'Query',
        mutationType: null,
        subscriptionType: null,
        types: [{ kind: 'OBJECT', name: 'Query', fields: ['node(id: ID!): Node'] }],
      });
    });
  });
});

describe('webhook', () => {
  it('POSTs the JSON payload with the event and an HMAC-SHA256 signature of the raw body', async () => {
    await withClient('webhook', { WEBHOOK_URL: `${mock.url}/hook`, WEBHOOK_SECRET: 's3cret' }, async (c) => {
      const payload = { status: 'ok', build: 42, note: 'ünïcode' };
      expect(await ok(c, 'send_webhook', { event: 'build.finished', payload })).toEqual({
        status: 200,
        signed: true,
        response: 'received',
      });
      const req = mock.last('/hook');
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-webhook-event']).toBe('build.finished');
      expect(JSON.parse(req.body)).toEqual(payload);
      const expected = `sha256=${createHmac('sha256', 's3cret').update(req.body).digest('hex')}`;
      expect(req.headers['x-hub-signature-256']).toBe(expected);
    });
  });

  it('sends unsigned without a secret and reports an upstream failure', async () => {
    await withClient('webhook', { WEBHOOK_URL: `${mock.url}/hook`, WEBHOOK_SECRET: '' }, async (c) => {
      expect(await ok(c, 'send_webhook', { payload: { a: 1 } })).toMatchObject({ signed: false });
      expect(mock.last('/hook').headers['x-hub-signature-256']).toBeUndefined();
      expect(mock.last('/hook').headers['x-webhook-event']).toBeUndefined();
    });
    await withClient('webhook', { WEBHOOK_URL: `${mock.url}/hook-down` }, async (c) => {
      expect(await fails(c, 'send_webhook', { payload: { a: 1 } })).toContain('HTTP 503: maintenance');
    });
  });
});

describe('embeddings', () => {
  it('POSTs /v1/embeddings with the model, inputs and bearer key', async () => {
    await withClient(
      'embeddings',
      { EMBEDDINGS_API_URL: `${mock.url}/openai`, EMBEDDINGS_API_KEY: 'emb-key' },
      async (c) => {
        const res = (await ok(c, 'embed', { input: ['hello', 'world'], dimensions: 3 })) as {
          data: Array<{ index: number; embedding: number[] }>;
          model: string;
        };
        expect(res.model).toBe('nomic-embed-text');
        expect(res.data.map((d) => d.index)).toEqual([0, 1]);
        const req = mock.last('/openai/v1/embeddings');
        expect(req.method).toBe('POST');
        expect(req.headers.authorization).toBe('Bearer emb-key');
        expect(JSON.parse(req.body)).toEqual({
          model: 'nomic-embed-text',
          input: ['hello', 'world'],
          dimensions: 3,
          encoding_format: 'float',
        });
      },
    );
  });
});

describe('vector-search', () => {
  const env = () => ({ QDRANT_URL: `${mock.url}/qdrant`, QDRANT_API_KEY: 'qdrant-key' });

  it('lists collections, searches and upserts points with the api-key header', async () => {
    await withClient('vector-search', env(), async (c) => {
      expect(await ok(c, 'list_collections')).toMatchObject({ result: { collections: [{ name: 'docs' }] } });
      expect(mock.last('/qdrant/collections')).toMatchObject({ method: 'GET' });
      expect(mock.last('/qdrant/collections').headers['api-key']).toBe('qdrant-key');

      const filter = { must: [{ key: 'lang', match: { value: 'en' } }] };
      const found = await ok(c, 'search_points', { vector: [0.1, 0.2, 0.3], limit: 5, filter });
      expect(found).toMatchObject({ result: { points: [{ id: 7, score: 0.93 }] } });
      const search = mock.last('/qdrant/collections/docs/points/query');
      expect(search.method).toBe('POST');
      expect(JSON.parse(search.body)).toEqual({
        query: [0.1, 0.2, 0.3],
        limit: 5,
        filter,
        with_payload: true,
      });

      const points = [{ id: 1, vector: [0.1, 0.2, 0.3], payload: { title: 'a' } }];
      await ok(c, 'upsert_points', { points });
      const upsert = mock.last('/qdrant/collections/docs/points');
      expect(upsert.method).toBe('PUT');
      expect(upsert.url).toBe('/qdrant/collections/docs/points?wait=true');
      expect(JSON.parse(upsert.body)).toEqual({ points });
    });
  });

  it('fails clearly when the key is wrong', async () => {
    await withClient('vector-search', { ...env(), QDRANT_API_KEY: 'wrong' }, async (c) => {
      expect((await call(c, 'list_collections')).text).toContain('HTTP 401');
    });
  });
});
