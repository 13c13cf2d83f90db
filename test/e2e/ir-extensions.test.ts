/**
 * IR features the importers rely on: OpenAPI query styles, cookies, form and multipart bodies, api-key cookies,
 * OAuth2 client credentials, lenient output validation, catalogs (dynamic mode) and the guarded query tool.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, textOf } from '../helpers/mcp.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const seen: Seen[] = [];
let tokenRequests = 0;
let upstream: Server;
let base: string;
let work: string;
let client: Client;

function last(path: string): Seen {
  const s = [...seen].reverse().find((x) => x.url.startsWith(path));
  if (!s) throw new Error(`no request to ${path}`);
  return s;
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, data: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
      if (req.url === '/token') {
        tokenRequests++;
        const ok =
          req.headers.authorization === `Basic ${Buffer.from('client-1:secret-1').toString('base64')}` &&
          body.toString().includes('grant_type=client_credentials');
        return ok
          ? json(200, { access_token: 'tok-123', token_type: 'bearer', expires_in: 3600 })
          : json(401, { error: 'invalid_client' });
      }
      if (req.url?.startsWith('/whoami')) return json(200, { cookie: req.headers.cookie ?? null });
      if (req.headers.authorization !== 'Bearer tok-123') return json(401, { error: 'no token' });
      if (req.url?.startsWith('/lenient')) return json(200, { id: 'not-a-number', extra: true });
      return json(200, { ok: true, url: req.url });
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  work = mkdtempSync(join(tmpdir(), 'mcpf-ir-'));
  copyFileSync(resolve('examples/inventory/inventory.db'), join(work, 'shop.db'));
  const result = validateSpec({
    name: 'ir-extensions',
    connections: [
      {
        name: 'api',
        type: 'http',
        baseUrlEnv: 'MOCK_URL',
        auth: {
          type: 'oauth2_client_credentials',
          tokenUrl: `${base}/token`,
          clientIdEnv: 'CLIENT_ID',
          clientSecretEnv: 'CLIENT_SECRET',
          scopes: ['read', 'write'],
        },
      },
      {
        name: 'cookie_api',
        type: 'http',
        baseUrlEnv: 'MOCK_URL',
        auth: { type: 'api_key', in: 'cookie', name: 'api_key', envVar: 'COOKIE_KEY' },
      },
      { name: 'shop', type: 'sqlite', path: 'shop.db' },
    ],
    tools: [
      {
        name: 'styled',
        description: 'query styles and cookies',
        parameters: {
          tags: { type: 'array', items: { type: 'string' } },
          ids: { type: 'array', items: { type: 'integer' } },
          filter: { type: 'object', properties: { color: { type: 'string' }, size: { type: 'integer' } } },
          piped: { type: 'array', items: { type: 'string' } },
          session: { type: 'string' },
        },
        http: {
          connection: 'api',
          path: '/search',
          query: {
            tags: { param: 'tags' },
            ids: { param: 'ids', style: 'form', explode: false },
            filter: { param: 'filter', style: 'deepObject' },
            piped: { param: 'piped', style: 'pipeDelimited' },
          },
          cookies: { session: '{{session}}' },
        },
      },
      {
        name: 'form_post',
        description: 'urlencoded body',
        parameters: {
          a: { type: 'string', required: true },
          list: { type: 'array', items: { type: 'string' } },
        },
        http: {
          connection: 'api',
          method: 'POST',
          path: '/form',
          bodyEncoding: 'form',
          body: { a: '{{a}}', list: '{{list}}' },
        },
      },
      {
        name: 'upload',
        description: 'multipart file upload',
        parameters: {
          title: { type: 'string', required: true },
          name: { type: 'string', required: true },
          content: { type: 'string', required: true },
        },
        http: {
          connection: 'api',
          method: 'POST',
          path: '/upload',
          bodyEncoding: 'multipart',
          body: {
            meta: '{{title}}',
            file: { file: 'content', filename: '{{name}}', contentType: 'text/plain' },
          },
        },
      },
      {
        name: 'lenient',
        description: 'returns a body that does not match its schema',
        returns: { type: 'object', properties: { id: { type: 'integer', required: true } } },
        outputValidation: 'lenient',
        http: { connection: 'api', path: '/lenient' },
      },
      {
        name: 'whoami',
        description: 'api key in a cookie',
        http: { connection: 'cookie_api', path: '/whoami' },
      },
      { name: 'sql_query', description: 'guarded read-only SQL', query: { connection: 'shop', maxRows: 3 } },
      {
        name: 'search_operations',
        description: 'find operations',
        catalog: { catalog: 'ops', action: 'search' },
      },
      {
        name: 'describe_operation',
        description: 'describe one',
        catalog: { catalog: 'ops', action: 'describe' },
      },
      { name: 'invoke_operation', description: 'call one', catalog: { catalog: 'ops', action: 'invoke' } },
    ],
    catalogs: [
      {
        name: 'ops',
        operations: [
          {
            name: 'get_widget',
            description: 'Get a widget by id',
            parameters: { id: { type: 'integer', required: true } },
            http: { connection: 'api', path: '/widgets/{{id}}' },
          },
          {
            name: 'list_gadgets',
            description: 'List gadgets',
            parameters: { limit: { type: 'integer', default: 5 } },
            http: { connection: 'api', path: '/gadgets', query: { limit: '{{limit}}' } },
          },
        ],
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  const env = { MOCK_URL: base, CLIENT_ID: 'client-1', CLIENT_SECRET: 'secret-1', COOKIE_KEY: 'ck-9' };
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
    testEnv: env,
  });
  expect(created.tests?.failed).toBe(0);
  client = await connectStdio(created.bundle.file, '2026-07-28', env);
});

afterAll(async () => {
  await client?.close();
  upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('http extensions', () => {
  it('serialises query styles, sends cookies and fetches an OAuth2 token once', async () => {
    const before = tokenRequests;
    const res = await client.callTool({
      name: 'styled',
      arguments: {
        tags: ['a', 'b c'],
        ids: [1, 2, 3],
        filter: { color: 'red', size: 2 },
        piped: ['x', 'y'],
        session: 's 1',
      },
    });
    expect(res.isError).toBeFalsy();
    const url = new URL(last('/search').url, base);
    expect(url.searchParams.getAll('tags')).toEqual(['a', 'b c']);
    expect(url.searchParams.get('ids')).toBe('1,2,3');
    expect(url.searchParams.get('filter[color]')).toBe('red');
    expect(url.searchParams.get('filter[size]')).toBe('2');
    expect(url.searchParams.get('piped')).toBe('x|y');
    expect(last('/search').headers.cookie).toBe('session=s%201');
    expect(last('/search').headers.authorization).toBe('Bearer tok-123');
    await client.callTool({ name: 'styled', arguments: {} });
    expect(tokenRequests - before).toBeLessThanOrEqual(1);
    expect(new URL(last('/search').url, base).search).toBe('');
  });

  it('sends form-urlencoded and multipart bodies', async () => {
    await client.callTool({ name: 'form_post', arguments: { a: 'x&y=z', list: ['1', '2'] } });
    const form = last('/form');
    expect(form.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(form.body.toString())).toEqual(
      new URLSearchParams([
        ['a', 'x&y=z'],
        ['list', '1'],
        ['list', '2'],
      ]),
    );

    await client.callTool({
      name: 'upload',
      arguments: { title: 'Report', name: 'r.txt', content: Buffer.from('hello file').toString('base64') },
    });
    const upload = last('/upload');
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const text = upload.body.toString();
    expect(text).toContain('name="meta"\r\n\r\nReport');
    expect(text).toMatch(/name="file"; filename="r.txt"\r\nContent-Type: text\/plain\r\n\r\nhello file/);
  });

  it('puts an API key in a cookie', async () => {
    const res = await client.callTool({ name: 'whoami', arguments: {} });
    expect(res.structuredContent).toEqual({ cookie: 'api_key=ck-9' });
  });

  it('lenient output: returns the data and notes the mismatching field', async () => {
    const res = await client.callTool({ name: 'lenient', arguments: {} });
    expect(res.isError).toBeFalsy();
    expect(res.structuredContent).toEqual({ id: 'not-a-number', extra: true });
    expect(textOf(res)).toMatch(/does not match the documented schema \(id must be integer\)/);
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'lenient')?.outputSchema).toBeUndefined();
  });
});

describe('catalog (dynamic mode)', () => {
  it('searches, describes and invokes operations with validation and defaults', async () => {
    const found = await client.callTool({ name: 'search_operations', arguments: { query: 'widget' } });
    expect(
      (found.structuredContent as { operations: Array<{ name: string }> }).operations.map((o) => o.name),
    ).toEqual(['get_widget']);
    const described = await client.callTool({
      name: 'describe_operation',
      arguments: { operation: 'get_widget' },
    });
    expect(described.structuredContent).toMatchObject({
      name: 'get_widget',
      method: 'GET',
      inputSchema: { required: ['id'] },
    });
    const called = await client.callTool({
      name: 'invoke_operation',
      arguments: { operation: 'get_widget', arguments: { id: 7 } },
    });
    expect(called.structuredContent).toMatchObject({ ok: true, url: '/widgets/7' });
    const defaults = await client.callTool({
      name: 'invoke_operation',
      arguments: { operation: 'list_gadgets' },
    });
    expect(defaults.structuredContent).toMatchObject({ url: '/gadgets?limit=5' });
    const invalid = await client.callTool({
      name: 'invoke_operation',
      arguments: { operation: 'get_widget', arguments: { id: 'x' } },
    });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toContain('invalid arguments for get_widget');
    const unknown = await client.callTool({ name: 'invoke_operation', arguments: { operation: 'nope' } });
    expect(textOf(unknown)).toContain('no operation "nope"');
  });
});

describe('guarded query tool (SQLite)', () => {
  it('runs one read-only statement with a row limit', async () => {
    const res = await client.callTool({
      name: 'sql_query',
      arguments: { sql: 'SELECT sku FROM products WHERE price > ? ORDER BY sku;', params: [10] },
    });
    expect(res.structuredContent).toEqual({
      rows: [{ sku: 'CL-2001' }, { sku: 'CL-2002' }, { sku: 'EL-1001' }],
      truncated: true,
    });
  });

  it.each([
    ['a write', 'DELETE FROM products'],
    ['stacked statements', 'SELECT 1; DELETE FROM products'],
    ['a COMMIT escape', 'COMMIT; DELETE FROM products'],
    ['a line comment', 'SELECT 1 -- hidden'],
    ['a block comment', 'SELECT /* x */ 1'],
    ['an attach', "ATTACH DATABASE '/tmp/x.db' AS x"],
    ['a pragma', 'PRAGMA query_only = OFF'],
    ['a write through a CTE', 'WITH x AS (SELECT 1) DELETE FROM products'],
  ])('refuses %s', async (_label, sql) => {
    const res = await client.callTool({ name: 'sql_query', arguments: { sql } });
    expect(res.isError).toBe(true);
    const count = await client.callTool({
      name: 'sql_query',
      arguments: { sql: 'SELECT COUNT(*) AS n FROM products' },
    });
    expect(count.structuredContent).toEqual({ rows: [{ n: 8 }], truncated: false });
  });
});
