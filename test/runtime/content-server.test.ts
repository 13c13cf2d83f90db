/**
 * A generated server, compiled and run, returns more than text: static content blocks, code tools' ctx.content,
 * and binary upstream answers of http tools (image, audio, embedded blobs without credentials in the URI), in
 * both protocol eras; bad blocks and oversized answers become error results. Cache hints: a read-only tool's in
 * result _meta, the list hint only on 2026-07-28 list results.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, connectStdio, ERAS, startHttp, textOf } from '../helpers/mcp.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PNG_BYTES = Buffer.from(PNG, 'base64');
const PDF_BYTES = Buffer.from('%PDF-1.4 fake\n\x00\x01\x02');
const MP3_BYTES = Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 1, 2, 3]);
const KEY = 'query-secret-123';
const HUGE = 6 * 1024 * 1024 + 1;

let upstream: Server;
let upstreamUrl: string;
let work: string;
let bundle: string;
const seen: string[] = [];

function answer(url: string): { type: string; body: Buffer | string; chunked?: boolean } {
  if (url.startsWith('/img')) return { type: 'image/png', body: PNG_BYTES };
  if (url.startsWith('/audio')) return { type: 'audio/mpeg', body: MP3_BYTES };
  if (url.startsWith('/doc')) return { type: 'application/pdf', body: PDF_BYTES };
  if (url.startsWith('/odd')) return { type: 'image/p<ng', body: PNG_BYTES };
  if (url.startsWith('/huge-declared')) return { type: 'application/octet-stream', body: Buffer.alloc(HUGE) };
  if (url.startsWith('/huge-chunked'))
    return { type: 'application/octet-stream', body: Buffer.alloc(HUGE), chunked: true };
  if (url.startsWith('/max')) return { type: 'application/octet-stream', body: Buffer.alloc(HUGE - 1, 7) };
  if (url.startsWith('/svg')) return { type: 'image/svg+xml', body: '<svg/>' };
  return { type: 'application/json', body: '{"ok":true}' };
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.url ?? '');
    const { type, body, chunked } = answer(req.url ?? '');
    if (chunked) {
      // No content-length: the cap must stop the download while reading.
      res.writeHead(200, { 'content-type': type });
      for (let i = 0; i < body.length; i += 1 << 20) res.write(body.subarray(i, i + (1 << 20)));
      res.end();
    } else res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  work = mkdtempSync(join(tmpdir(), 'mcpf-content-'));
  const get = (name: string, path: string) => ({
    name,
    description: `GET ${path}`,
    http: { connection: 'up', method: 'GET', path },
  });
  const result = validateSpec({
    name: 'content-server',
    production: { listCache: { ttlMs: 60000, scope: 'public' } },
    resources: [{ name: 'readme', uri: 'docs://readme', text: 'read me' }],
    prompts: [{ name: 'hello', messages: [{ text: 'say hello' }] }],
    connections: [
      {
        name: 'up',
        type: 'http',
        baseUrlEnv: 'UPSTREAM',
        auth: { type: 'api_key', in: 'query', name: 'key', envVar: 'UP_KEY' },
      },
    ],
    tools: [
      {
        name: 'card',
        description: 'a greeting card',
        parameters: { who: { type: 'string', required: true } },
        cache: { ttlMs: 5000, scope: 'public' },
        static: {
          content: [
            { text: 'Hello {{who}}' },
            { image: { data: PNG, mimeType: 'image/png' } },
            { resource: { uri: 'card://note', mimeType: 'text/plain', text: 'for {{who}}' } },
            { link: { uri: 'https://example.com/card.pdf', name: 'card.pdf', mimeType: 'application/pdf' } },
          ],
        },
      },
      get('photo', '/img'),
      get('clip', '/audio'),
      { ...get('doc', '/doc/{{id}}'), parameters: { id: { type: 'string', required: true } } },
      get('odd', '/odd'),
      get('huge_declared', '/huge-declared'),
      get('huge_chunked', '/huge-chunked'),
      get('max', '/max'),
      get('svg', '/svg'),
      {
        ...get('photo_text', '/img'),
        http: { connection: 'up', method: 'GET', path: '/img', response: 'text' },
      },
      { ...get('photo_typed', '/img'), returns: { type: 'object', properties: { id: { type: 'string' } } } },
      get('json', '/json'),
      {
        name: 'pic',
        description: 'an image from bytes',
        code: {
          source:
            "return ctx.content([{ type: 'image', data: new Uint8Array([137, 80, 78, 71]), mimeType: 'image/png' }, { type: 'text', text: 'caption' }]);",
        },
      },
      {
        name: 'counted',
        description: 'content plus a structured value',
        returns: { type: 'object', properties: { n: { type: 'integer' } } },
        code: { source: "return ctx.content([{ type: 'text', text: 'one' }], { n: 1 });" },
      },
      {
        name: 'bad_b64',
        description: 'bad base64',
        code: { source: "return ctx.content([{ type: 'image', data: '!!!!', mimeType: 'image/png' }]);" },
      },
      {
        name: 'inject',
        description: 'a MIME type with a line break',
        code: {
          source:
            "return ctx.content([{ type: 'image', data: 'AAEC', mimeType: 'image/png\\r\\nX-Injected: y' }]);",
        },
      },
      {
        name: 'plain',
        description: 'a plain value',
        code: { source: 'return { a: 1 };' },
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  bundle = created.bundle.file;
}, 120_000);

afterAll(() => {
  upstream?.closeAllConnections();
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The raw JSON-RPC answer to tools/list of a 2025-11-25 session (what is on the wire, before any client parsing). */
async function rawLegacyToolsList(): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [bundle, '--transport', 'stdio'], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  try {
    const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    for await (const line of createInterface({ input: child.stdout })) {
      const message = JSON.parse(line) as { id?: number; result?: Record<string, unknown> };
      if (message.id === 2) return message.result ?? {};
    }
    throw new Error('no answer');
  } finally {
    child.kill();
  }
}

it('over stateless HTTP: the list hint on 2026-07-28, blocks and the tool hint in both eras', async () => {
  const http = await startHttp(bundle, { UPSTREAM: upstreamUrl, UP_KEY: KEY });
  try {
    for (const era of ERAS) {
      const client = await connectHttp(http.url, era);
      try {
        const list = (await client.listTools()) as Record<string, unknown>;
        expect(list.ttlMs).toBe(era === '2026-07-28' ? 60000 : undefined);
        const r = (await client.callTool({ name: 'photo' })) as { content: unknown[]; _meta?: unknown };
        expect(r.content).toEqual([{ type: 'image', data: PNG, mimeType: 'image/png' }]);
        const card = (await client.callTool({ name: 'card', arguments: { who: 'Bo' } })) as {
          _meta?: Record<string, unknown>;
        };
        expect(card._meta?.['mcp-factory/cache']).toEqual({ ttlMs: 5000, cacheScope: 'public' });
      } finally {
        await client.close();
      }
    }
  } finally {
    await http.stop();
  }
});

it('2025-11-25: no cache fields on the wire', async () => {
  const raw = await rawLegacyToolsList();
  expect((raw.tools as unknown[]).length).toBeGreaterThan(10);
  expect(Object.keys(raw).filter((k) => /ttl|cache/i.test(k))).toEqual([]);
});

describe.each(ERAS)('%s', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectStdio(bundle, era, { UPSTREAM: upstreamUrl, UP_KEY: KEY });
  });
  afterAll(async () => {
    await client?.close();
  });
  const call = (name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<{
      content: Array<Record<string, unknown>>;
      isError?: boolean;
      structuredContent?: unknown;
      _meta?: Record<string, unknown>;
    }>;

  it('static content: every block arrives, placeholders filled, the cache hint in _meta', async () => {
    const r = await call('card', { who: 'Ann' });
    expect(r.isError).toBeFalsy();
    expect(r.content).toEqual([
      { type: 'text', text: 'Hello Ann' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'card://note', mimeType: 'text/plain', text: 'for Ann' } },
      {
        type: 'resource_link',
        uri: 'https://example.com/card.pdf',
        name: 'card.pdf',
        mimeType: 'application/pdf',
      },
    ]);
    expect(r._meta?.['mcp-factory/cache']).toEqual({ ttlMs: 5000, cacheScope: 'public' });
    expect((await call('plain'))._meta?.['mcp-factory/cache']).toBeUndefined();
  });

  it('http: image and audio answers become image and audio blocks', async () => {
    expect((await call('photo')).content).toEqual([{ type: 'image', data: PNG, mimeType: 'image/png' }]);
    // `response: text` (what OpenAPI imports set for non-JSON answers) still yields an image.
    expect((await call('photo_text')).content).toEqual([{ type: 'image', data: PNG, mimeType: 'image/png' }]);
    const typed = await call('photo_typed');
    expect(typed.isError).toBe(true);
    expect(textOf(typed)).toMatch(/declares `returns`/);
    expect((await call('clip')).content).toEqual([
      { type: 'audio', data: MP3_BYTES.toString('base64'), mimeType: 'audio/mpeg' },
    ]);
  });

  it('http: other binary answers are embedded blobs whose URI carries no credential', async () => {
    seen.length = 0;
    const r = await call('doc', { id: 'r1' });
    expect(seen[0]).toContain(`key=${KEY}`); // the key went upstream …
    expect(r.content).toEqual([
      {
        type: 'resource',
        resource: {
          uri: `${upstreamUrl}/doc/r1`,
          mimeType: 'application/pdf',
          blob: PDF_BYTES.toString('base64'),
        },
      },
    ]);
    expect(JSON.stringify(r)).not.toContain(KEY); // … but not back to the client
    const odd = await call('odd');
    expect(odd.content[0]).toMatchObject({
      type: 'resource',
      resource: { mimeType: 'application/octet-stream' },
    });
  });

  it('http: answers over the cap are refused, declared or streamed; text and JSON unchanged', async () => {
    for (const name of ['huge_declared', 'huge_chunked']) {
      const r = await call(name);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/more than the 6291456 bytes a tool result may carry/);
    }
    // At the cap the message still fits the SDK client's 10 MiB stdio buffer.
    const max = await call('max');
    expect(max.isError).toBeFalsy();
    expect((max.content[0]!.resource as { blob: string }).blob).toHaveLength(8 * 1024 * 1024);
    expect(await call('svg')).toMatchObject({ content: [{ type: 'text', text: '<svg/>' }] });
    expect(await call('json')).toMatchObject({ structuredContent: { ok: true } });
  });

  it('code: ctx.content returns blocks (bytes encoded), with a structured value when the tool has returns', async () => {
    expect((await call('pic')).content).toEqual([
      { type: 'image', data: 'iVBORw==', mimeType: 'image/png' },
      { type: 'text', text: 'caption' },
    ]);
    const counted = await call('counted');
    expect(counted.content).toEqual([{ type: 'text', text: 'one' }]);
    expect(counted.structuredContent).toEqual({ n: 1 });
    expect(await call('plain')).toMatchObject({
      content: [{ type: 'text', text: '{\n  "a": 1\n}' }],
      structuredContent: { a: 1 },
    });
  });

  it('code: bad base64 and an injected MIME type are error results, nothing else sent', async () => {
    const bad = await call('bad_b64');
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/content block 0: data is not valid base64/);
    const inject = await call('inject');
    expect(inject.isError).toBe(true);
    expect(inject.content).toHaveLength(1);
    expect(JSON.stringify(inject)).not.toContain('X-Injected: y"');
  });

  it('tools, resources and prompts lists carry the list cache hint on 2026-07-28 only', async () => {
    const list = (await client.listTools()) as Record<string, unknown>;
    expect(Array.isArray(list.tools)).toBe(true);
    if (era === '2026-07-28') {
      expect(list).toMatchObject({ ttlMs: 60000, cacheScope: 'public' });
      expect(await client.listResources()).toMatchObject({ ttlMs: 60000, cacheScope: 'public' });
      expect(await client.listPrompts()).toMatchObject({ ttlMs: 60000, cacheScope: 'public' });
    } else {
      expect(list.ttlMs).toBeUndefined();
      expect(list.cacheScope).toBeUndefined();
    }
  });
});
