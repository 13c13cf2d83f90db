/**
 * Imported specs → generated, type-checked, bundled servers, exercised over stdio against a local mock upstream:
 * every request must be well-formed (method, path, query incl. arrays, headers, JSON/form body, auth).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../../src/build/create.js';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { connectStdio, textOf } from '../../helpers/mcp.js';
import { type RecordingUpstream, type SeenRequest, startRecordingUpstream } from '../../helpers/upstream.js';
import { expectValid, hostileDoc, PETSTORE, TWILIO, writeDoc } from './helpers.js';

const API_KEY = 'petstore-key-123';
let upstream: RecordingUpstream | undefined;
let upstreamUrl: string;
let seen: SeenRequest[] = [];
let work: string;

/** Answers like the real APIs: JSON echoes of what was asked. */
function respond(req: SeenRequest): { status: number; json: unknown } {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/pet/findByStatus' || path === '/pet/findByTags')
    return {
      status: 200,
      json: [{ id: 1, name: 'rex', photoUrls: [], status: url.searchParams.get('status') ?? 'available' }],
    };
  if (/^\/pet\/\d+$/.test(path) && req.method === 'GET') {
    const id = Number(path.split('/')[2]);
    if (id === 404) return { status: 404, json: { message: 'Pet not found' } };
    if (id === 500) return { status: 200, json: { id, photoUrls: 'not-an-array' } }; // breaks the documented schema
    return { status: 200, json: { id, name: 'rex', photoUrls: ['u'], status: 'sold' } };
  }
  if (path === '/pet' && req.method === 'POST')
    return { status: 200, json: { id: 99, ...JSON.parse(req.body) } };
  if (path === '/store/inventory') return { status: 200, json: { available: 3, sold: 1 } };
  if (path === '/user/login') return { status: 200, json: 'logged in' };
  if (path === '/oauth/token')
    return { status: 200, json: { access_token: 'tok-1', token_type: 'bearer', expires_in: 3600 } };
  if (path.startsWith('/2010-04-01/'))
    return { status: path.endsWith('Messages.json') ? 201 : 200, json: { sid: 'SM123', status: 'queued' } };
  return { status: 200, json: {} };
}

beforeAll(async () => {
  upstream = await startRecordingUpstream(respond);
  upstreamUrl = upstream.url;
  seen = upstream.seen;
  work = mkdtempSync(join(tmpdir(), 'mcpf-openapi-e2e-'));
});

afterAll(() => {
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function build(source: string, name: string, options: Parameters<typeof importOpenApi>[1] = {}) {
  const { spec } = await importOpenApi(source, options);
  const valid = expectValid(spec);
  const result = await createServerProject({
    spec: valid,
    specDir: dirname(source),
    outDir: join(work, name),
    runTests: false,
  });
  expect(result.typecheck?.ok).toBe(true);
  expect(result.bundle.bytes).toBeGreaterThan(0);
  return result.bundle.file;
}

describe('petstore server', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await build(PETSTORE, 'petstore');
  });

  it('sends well-formed requests for every kind of parameter', async () => {
    const client = await connectStdio(bundle, '2026-07-28', {
      PETSTORE_BASE_URL: upstreamUrl,
      PETSTORE_API_KEY: API_KEY,
      PETSTORE_PASSWORD: 'p&ss w',
    });
    try {
      const tools = await client.listTools();
      expect(tools.tools).toHaveLength(19);
      const findByTags = tools.tools.find((t) => t.name === 'findPetsByTags')!;
      expect(findByTags.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
      expect(tools.tools.find((t) => t.name === 'deletePet')!.annotations).toMatchObject({
        destructiveHint: true,
      });

      const call = async (name: string, args: Record<string, unknown>) => {
        seen.length = 0;
        const result = await client.callTool({ name, arguments: args });
        expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
        expect(seen).toHaveLength(1);
        expect(seen[0]!.headers.api_key).toBe(API_KEY);
        expect(seen[0]!.headers['user-agent']).toBe('petstore-mcp/1.0.27-SNAPSHOT');
        return { result, request: seen[0]! };
      };

      let r = await call('findPetsByTags', { tags: ['a b', 'c&d'] });
      expect(r.request).toMatchObject({ method: 'GET', url: '/pet/findByTags?tags=a+b&tags=c%26d' });
      expect(r.result.structuredContent).toEqual({
        result: [{ id: 1, name: 'rex', photoUrls: [], status: 'available' }],
      });

      // The image upload: the argument is base64; upstream receives the raw bytes.
      r = await call('uploadFile', { petId: 7, content: Buffer.from('PNG-bytes').toString('base64') });
      expect(r.request).toMatchObject({ method: 'POST', body: 'PNG-bytes' });
      expect(r.request.url).toMatch(/^\/pet\/7\/uploadImage/);
      expect(r.request.headers['content-type']).toBe('application/octet-stream');

      r = await call('findPetsByStatus', {});
      expect(r.request.url).toBe('/pet/findByStatus?status=available'); // the documented default
      r = await call('findPetsByStatus', { status: 'sold' });
      expect(r.request.url).toBe('/pet/findByStatus?status=sold');

      r = await call('getPetById', { petId: 7 });
      expect(r.request).toMatchObject({ method: 'GET', url: '/pet/7' });
      expect(r.result.structuredContent).toEqual({ id: 7, name: 'rex', photoUrls: ['u'], status: 'sold' });

      r = await call('addPet', {
        name: 'Rex "the dog" ${x}',
        photoUrls: ['https://x.example/1.png'],
        tags: [{ id: 1, name: 'good' }],
        category: { id: 2, name: 'Dogs' },
        status: 'available',
      });
      expect(r.request).toMatchObject({ method: 'POST', url: '/pet' });
      expect(r.request.headers['content-type']).toBe('application/json');
      expect(JSON.parse(r.request.body)).toEqual({
        name: 'Rex "the dog" ${x}',
        photoUrls: ['https://x.example/1.png'],
        tags: [{ id: 1, name: 'good' }],
        category: { id: 2, name: 'Dogs' },
        status: 'available',
      });

      r = await call('updatePetWithForm', { petId: 3, name: 'Max', status: 'pending' });
      expect(r.request).toMatchObject({ method: 'POST', url: '/pet/3?name=Max&status=pending' });

      r = await call('deletePet', { petId: 3 });
      expect(r.request).toMatchObject({ method: 'DELETE', url: '/pet/3' });

      r = await call('getInventory', {});
      expect(r.result.structuredContent).toEqual({ available: 3, sold: 1 });

      // The password query parameter is a credential: read from PETSTORE_PASSWORD, not an argument.
      r = await call('loginUser', { username: 'ann' });
      expect(r.request.url).toBe('/user/login?username=ann&password=p%26ss+w');

      r = await call('createUsersWithListInput', { body: [{ username: 'ann', email: 'a@example.com' }] });
      expect(r.request).toMatchObject({ method: 'POST', url: '/user/createWithList' });
      expect(JSON.parse(r.request.body)).toEqual([{ username: 'ann', email: 'a@example.com' }]);

      r = await call('updateUser', { username: 'a/b', email: 'x@example.com', phone: '123' });
      expect(r.request).toMatchObject({ method: 'PUT', url: '/user/a%2Fb' });
      expect(JSON.parse(r.request.body)).toEqual({ email: 'x@example.com', phone: '123' });
    } finally {
      await client.close();
    }
  });

  it('reports upstream errors, schema mismatches (leniently) and invalid arguments', async () => {
    const client = await connectStdio(bundle, '2025-11-25', {
      PETSTORE_BASE_URL: upstreamUrl,
      PETSTORE_API_KEY: API_KEY,
    });
    try {
      const missing = await client.callTool({ name: 'getPetById', arguments: { petId: 404 } });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toContain('HTTP 404');
      const odd = await client.callTool({ name: 'getPetById', arguments: { petId: 500 } });
      expect(odd.isError).toBeFalsy();
      expect(textOf(odd)).toContain('does not match the documented schema');
      seen.length = 0;
      const bad = await client.callTool({ name: 'getPetById', arguments: { petId: '../admin' } });
      expect(bad.isError).toBe(true);
      expect(seen).toHaveLength(0);
      const noKey = await connectStdio(bundle, '2025-11-25', {
        PETSTORE_BASE_URL: upstreamUrl,
        PETSTORE_API_KEY: '',
      });
      try {
        const res = await noKey.callTool({ name: 'getInventory', arguments: {} });
        expect(res.isError).toBe(true);
        expect(textOf(res)).toContain('PETSTORE_API_KEY');
      } finally {
        await noKey.close();
      }
    } finally {
      await client.close();
    }
  });
});

describe('headers, cookies, deepObject, multipart, form and OAuth2 client credentials', () => {
  let bundle: string;
  beforeAll(async () => {
    const str = { type: 'string' };
    const doc = {
      openapi: '3.0.3',
      info: { title: 'Kitchen Sink', version: '1.0.0' },
      servers: [{ url: 'https://sink.example.com' }],
      components: {
        securitySchemes: {
          machine: {
            type: 'oauth2',
            flows: { clientCredentials: { tokenUrl: `${upstreamUrl}/oauth/token`, scopes: { read: 'r' } } },
          },
        },
      },
      security: [{ machine: ['read'] }],
      paths: {
        '/things/{id}': {
          get: {
            operationId: 'getThing',
            parameters: [
              { name: 'id', in: 'path', required: true, schema: str },
              { name: 'X-Request-Id', in: 'header', schema: str },
              { name: 'session', in: 'cookie', schema: str },
              {
                name: 'filter',
                in: 'query',
                style: 'deepObject',
                schema: { type: 'object', properties: { color: str } },
              },
              {
                name: 'ids',
                in: 'query',
                explode: false,
                schema: { type: 'array', items: { type: 'integer' } },
              },
              { name: 'page[size]', in: 'query', schema: { type: 'integer' } },
            ],
            responses: {
              '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
            },
          },
        },
        '/upload': {
          post: {
            operationId: 'upload',
            requestBody: {
              required: true,
              content: {
                'multipart/form-data': {
                  schema: {
                    type: 'object',
                    required: ['file'],
                    properties: { file: { type: 'string', format: 'binary' }, note: str },
                  },
                  encoding: { file: { contentType: 'image/png' } },
                },
              },
            },
            responses: { '201': { description: 'ok' } },
          },
        },
        '/form': {
          post: {
            operationId: 'sendForm',
            requestBody: {
              content: {
                'application/x-www-form-urlencoded': {
                  schema: { type: 'object', properties: { tags: { type: 'array', items: str }, name: str } },
                },
              },
            },
            responses: { '204': { description: 'ok' } },
          },
        },
      },
    };
    const file = writeDoc(doc);
    bundle = await build(file, 'sink', { allowPrivateBaseUrl: true }); // the token URL is the local mock
  });

  it('sends each parameter where the document says', async () => {
    const client = await connectStdio(bundle, '2026-07-28', {
      KITCHEN_SINK_BASE_URL: upstreamUrl,
      KITCHEN_SINK_CLIENT_ID: 'client',
      KITCHEN_SINK_CLIENT_SECRET: 'secret',
    });
    try {
      seen.length = 0;
      const thing = await client.callTool({
        name: 'getThing',
        arguments: {
          id: 'a b',
          X_Request_Id: 'req-1',
          session: 's 1',
          filter: { color: 'red' },
          ids: [1, 2],
          page_size: 10,
        },
      });
      expect(thing.isError, textOf(thing)).toBeFalsy();
      const [token, call] = seen;
      expect(token).toMatchObject({ method: 'POST', url: '/oauth/token' });
      expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
        grant_type: 'client_credentials',
        scope: 'read',
      });
      const url = new URL(call!.url, 'http://x');
      expect(url.pathname).toBe('/things/a%20b');
      expect([...url.searchParams]).toEqual([
        ['filter[color]', 'red'],
        ['ids', '1,2'],
        ['page[size]', '10'],
      ]);
      expect(call!.headers).toMatchObject({
        'x-request-id': 'req-1',
        cookie: 'session=s%201',
        authorization: 'Bearer tok-1',
      });

      seen.length = 0;
      await client.callTool({ name: 'getThing', arguments: { id: 'x' } });
      expect(seen.map((s) => s.url)).toEqual(['/things/x']); // token cached; optional parameters left out
      expect(seen[0]!.headers).not.toHaveProperty('cookie');

      seen.length = 0;
      const up = await client.callTool({
        name: 'upload',
        arguments: { file: Buffer.from('hello png').toString('base64'), file_filename: 'h.png', note: 'n1' },
      });
      expect(up.isError, textOf(up)).toBeFalsy();
      expect(seen[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(seen[0]!.body).toContain('filename="h.png"');
      expect(seen[0]!.body).toContain('Content-Type: image/png');
      expect(seen[0]!.body).toContain('hello png');
      expect(seen[0]!.body).toMatch(/name="note"\r\n\r\nn1/);

      seen.length = 0;
      const form = await client.callTool({
        name: 'sendForm',
        arguments: { tags: ['a', 'b&c'], name: 'x y' },
      });
      expect(form.isError, textOf(form)).toBeFalsy();
      expect(seen[0]!.headers['content-type']).toContain('application/x-www-form-urlencoded');
      expect(seen[0]!.body).toBe('tags=a&tags=b%26c&name=x+y');
    } finally {
      await client.close();
    }
  });

  it('leaves an optional header out when it is not given', async () => {
    const client = await connectStdio(bundle, '2026-07-28', {
      KITCHEN_SINK_BASE_URL: upstreamUrl,
      KITCHEN_SINK_CLIENT_ID: 'client',
      KITCHEN_SINK_CLIENT_SECRET: 'secret',
    });
    try {
      seen.length = 0;
      await client.callTool({ name: 'getThing', arguments: { id: 'y' } });
      expect(seen.at(-1)!.headers).not.toHaveProperty('x-request-id');
    } finally {
      await client.close();
    }
  });
});

describe('a hostile document', () => {
  it('compiles into a server whose tools carry the text unchanged', async () => {
    const bundle = await build(writeDoc(hostileDoc()), 'hostile', {
      dynamic: false,
      validate: 'off',
      envPrefix: 'EVIL',
    });
    const client = await connectStdio(bundle, '2026-07-28', { EVIL_BASE_URL: upstreamUrl });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['a_process.exit_1', 'get_b', 'd']);
      expect(tools[0]!.description).toContain('Ends a comment */ `backticks` ${process.exit(1)} </script>');
      const d = tools.find((t) => t.name === 'd')!;
      expect(Object.keys(d.inputSchema.properties ?? {})).toEqual(['constructor_', 'a_b', 'toString_']);
      seen.length = 0;
      const res = await client.callTool({
        name: 'd',
        arguments: { constructor_: '*/', a_b: { 'c-d': 'x' } },
      });
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(JSON.parse(seen[0]!.body)).toEqual({ constructor: '*/', 'a-b': { 'c-d': 'x' }, toString: 5 });
    } finally {
      await client.close();
    }
  });
});

describe('twilio server (dynamic mode)', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await build(TWILIO, 'twilio');
  });

  it('searches, describes and invokes operations through the catalog', async () => {
    const env = { TWILIO_BASE_URL: upstreamUrl, TWILIO_USERNAME: 'AC0123', TWILIO_PASSWORD: 'tok' };
    const client = await connectStdio(bundle, '2026-07-28', env);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual([
        'search_operations',
        'describe_operation',
        'invoke_operation',
      ]);
      const found = await client.callTool({
        name: 'search_operations',
        arguments: { query: 'send message' },
      });
      expect(textOf(found)).toContain('CreateMessage');
      const described = await client.callTool({
        name: 'describe_operation',
        arguments: { operation: 'CreateMessage' },
      });
      expect(textOf(described)).toContain('"To"');

      const sid = `AC${'0'.repeat(32)}`;
      seen.length = 0;
      const sent = await client.callTool({
        name: 'invoke_operation',
        arguments: {
          operation: 'CreateMessage',
          arguments: { AccountSid: sid, To: '+15551234567', From: '+15557654321', Body: 'Hi & bye' },
        },
      });
      expect(sent.isError, textOf(sent)).toBeFalsy();
      expect(textOf(sent)).toContain('SM123');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: 'POST', url: `/2010-04-01/Accounts/${sid}/Messages.json` });
      expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('AC0123:tok').toString('base64')}`);
      expect(seen[0]!.headers['content-type']).toContain('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
        To: '+15551234567',
        From: '+15557654321',
        Body: 'Hi & bye',
      });

      seen.length = 0;
      const listed = await client.callTool({
        name: 'invoke_operation',
        arguments: {
          operation: 'ListCall',
          arguments: { AccountSid: sid, StartTime_gt: '2024-01-01', PageSize: 5 },
        },
      });
      expect(listed.isError, textOf(listed)).toBeFalsy();
      expect(seen[0]!.url).toBe(`/2010-04-01/Accounts/${sid}/Calls.json?StartTime%3E=2024-01-01&PageSize=5`);

      const invalid = await client.callTool({
        name: 'invoke_operation',
        arguments: { operation: 'CreateMessage', arguments: { AccountSid: 'nope' } },
      });
      expect(invalid.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});
