/** examples/rest-wrapper.yaml against a local mock upstream: every request must be well-formed. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import { connectStdio, ERAS, textOf } from '../helpers/mcp.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const TOKEN = 'upstream-token-abc';
let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
let flaky = 0;
let work: string;
let bundle: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad token"}');
        return;
      }
      if (url.pathname === '/flaky' || (url.pathname === '/posts/7' && flaky++ < 2)) {
        res.writeHead(503, { 'retry-after': '0' }).end('try later');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/posts') {
        const userId = url.searchParams.get('userId');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify([{ id: 1, userId: Number(userId ?? 1), title: 't', body: 'b' }]));
      } else if (req.method === 'GET' && /^\/posts\/\d+$/.test(url.pathname)) {
        const id = Number(url.pathname.split('/')[2]);
        if (id === 404)
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such post"}');
        else
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ id, userId: 1, title: `post ${id}`, body: 'text' }));
      } else if (req.method === 'POST' && url.pathname === '/posts') {
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 101, ...JSON.parse(body) }));
      } else if (req.method === 'DELETE') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  work = mkdtempSync(join(tmpdir(), 'mcpf-rest-'));
  const file = resolve('examples/rest-wrapper.yaml');
  const spec = parseSpecOrThrow(readFileSync(file, 'utf8'), { file });
  const result = await createServerProject({
    spec,
    specDir: dirname(file),
    outDir: join(work, 'posts'),
    testEnv: { POSTS_API_URL: upstreamUrl, POSTS_API_TOKEN: TOKEN },
  });
  expect(result.tests?.failed).toBe(0);
  expect(result.tests?.passed).toBeGreaterThan(0);
  // The generated tests called every tool against their own mock upstream, never this one (nor the real API).
  expect(seen).toHaveLength(0);
  expect(result.tests?.skipped.filter((s) => /list_posts|get_post|create_post|delete_post/.test(s))).toEqual(
    [],
  );
  bundle = result.bundle.file;
});

afterAll(() => {
  upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ POSTS_API_URL: upstreamUrl, POSTS_API_TOKEN: TOKEN });

describe.each(ERAS)('protocol %s', (era) => {
  it('sends well-formed requests and returns upstream data', async () => {
    const client = await connectStdio(bundle, era, env());
    try {
      seen.length = 0;
      const list = await client.callTool({ name: 'list_posts', arguments: { userId: 3 } });
      expect(list.isError).toBeFalsy();
      expect(seen[0]).toMatchObject({ method: 'GET', url: '/posts?userId=3' });
      expect(seen[0]!.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        'x-client': 'mcp-factory-example',
        'user-agent': 'posts-api-mcp/1.0.0',
      });

      seen.length = 0;
      await client.callTool({ name: 'list_posts', arguments: {} });
      expect(seen[0]!.url).toBe('/posts');

      const post = await client.callTool({ name: 'get_post', arguments: { id: 5 } });
      expect(post.structuredContent).toEqual({ id: 5, userId: 1, title: 'post 5', body: 'text' });

      seen.length = 0;
      const created = await client.callTool({
        name: 'create_post',
        arguments: { userId: 2, title: 'Hi "there" & ${x}', body: 'é/?#', tags: ['a', 'b'] },
      });
      expect(created.isError).toBeFalsy();
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/posts' });
      expect(seen[0]!.headers['content-type']).toBe('application/json');
      expect(seen[0]!.headers['x-request-source']).toBe('mcp/2');
      expect(JSON.parse(seen[0]!.body)).toEqual({
        userId: 2,
        title: 'Hi "there" & ${x}',
        body: 'é/?#',
        tags: ['a', 'b'],
      });

      seen.length = 0;
      const deleted = await client.callTool({ name: 'delete_post', arguments: { id: 9 } });
      expect(deleted.isError).toBeFalsy();
      expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/posts/9' });

      const missing = await client.callTool({ name: 'get_post', arguments: { id: 404 } });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toContain('HTTP 404');
    } finally {
      await client.close();
    }
  });
});

describe('resilience', () => {
  it('retries idempotent requests on 503 with backoff', async () => {
    flaky = 0;
    seen.length = 0;
    const client = await connectStdio(bundle, '2026-07-28', env());
    try {
      const post = await client.callTool({ name: 'get_post', arguments: { id: 7 } });
      expect(post.isError).toBeFalsy();
      expect(seen.filter((s) => s.url === '/posts/7')).toHaveLength(3);
    } finally {
      await client.close();
    }
  });

  it('reports a missing credential as a tool error naming the variable', async () => {
    const client = await connectStdio(bundle, '2025-11-25', {
      POSTS_API_URL: upstreamUrl,
      POSTS_API_TOKEN: '',
    });
    try {
      const res = await client.callTool({ name: 'get_post', arguments: { id: 1 } });
      expect(res.isError).toBe(true);
      expect(textOf(res)).toContain('POSTS_API_TOKEN is not set');
    } finally {
      await client.close();
    }
  });

  it('encodes path parameters so they cannot escape the path', async () => {
    const client = await connectStdio(bundle, '2026-07-28', env());
    try {
      const res = await client.callTool({ name: 'get_post', arguments: { id: '../admin' } });
      expect(res.isError).toBe(true); // rejected by the integer schema before any request is made
    } finally {
      await client.close();
    }
  });
});
