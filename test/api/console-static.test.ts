/**
 * The web console's static files at /ui (surfaces/console/static.ts) through the API core and a real socket:
 * files, SPA fallback, caching, security headers on every answer, the 503 page when the console is not built,
 * and attacks (traversal, encoded slashes, NUL bytes, a symlink out of the folder) answered 404 with nothing
 * from outside served.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, type ServedApi, serveApi, TokenStore } from '../../src/surfaces/api/index.js';
import { CONSOLE_CSP, createConsoleHandler } from '../../src/surfaces/console/static.js';
import { FakeControlPlane } from './fake-control-plane.js';

const BASE = 'http://127.0.0.1:8080';
const SECRET = 'top-secret-outside-the-console';
let temp: string;
let registry: Registry;
let api: Api;
let bare: Api;
let unbuilt: Api;
let served: ServedApi;

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'mcpf-console-'));
  const dir = join(temp, 'console');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-Bx3kP9aZ.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(temp, 'secret.txt'), SECRET);
  symlinkSync(join(temp, 'secret.txt'), join(dir, 'assets', 'link-abcdefgh.js'));
  symlinkSync(temp, join(dir, 'outside'));
  registry = await openRegistry({ home: join(temp, 'home') });
  const tokens = TokenStore.open({ home: join(temp, 'home') });
  const common = { controlPlane: new FakeControlPlane(registry), registry, tokens };
  api = createApi({ ...common, console: createConsoleHandler({ dir }) });
  bare = createApi(common);
  unbuilt = createApi({ ...common, console: createConsoleHandler({ dir: join(temp, 'missing') }) });
  served = await serveApi({ ...common, api });
});

afterAll(async () => {
  await served.close();
  await registry.close();
  rmSync(temp, { recursive: true, force: true });
});

async function get(path: string, on: Api = api, method = 'GET') {
  const response = await on.fetch(new Request(`${BASE}${path}`, { method }));
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toBe(CONSOLE_CSP);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-frame-options')).toBe('DENY');
}

/** A raw request line over a socket: the path is sent exactly as written (no URL normalisation by a client). */
function raw(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(served.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('console files', () => {
  it('serves index.html at /ui, /ui/ and every extension-less path (SPA fallback), never cached', async () => {
    for (const path of ['/ui', '/ui/', '/ui/servers', '/ui/servers/demo', '/ui/create?from=template']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.text).toContain('<div id="root">');
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expectSecurityHeaders(r.headers);
    }
  });

  it('serves hashed assets immutable with their type, other files briefly cached', async () => {
    const js = await get('/ui/assets/index-Bx3kP9aZ.js');
    expect(js.status).toBe(200);
    expect(js.text).toBe('console.log(1)');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(js.headers);
    const svg = await get('/ui/favicon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('public, max-age=300');
    const head = await get('/ui/assets/index-Bx3kP9aZ.js', api, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('answers a missing file with an extension 404 (no fallback), with the headers', async () => {
    const r = await get('/ui/assets/nope-12345678.js');
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('id="root"');
    expectSecurityHeaders(r.headers);
  });

  it('refuses other methods', async () => {
    const r = await get('/ui/', api, 'POST');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
  });

  it('needs no token (the console is public; its data is not)', async () => {
    expect((await get('/ui/')).status).toBe(200);
    expect((await get('/mcp/servers')).status).toBe(401);
  });
});

describe('attacks on /ui paths', () => {
  const attacks = [
    '/ui/%2e%2e/secret.txt',
    '/ui/assets/%2e%2e/%2e%2e/secret.txt',
    '/ui/assets%2f..%2f..%2fsecret.txt',
    '/ui/..%2fsecret.txt',
    '/ui/..%5csecret.txt',
    '/ui/assets/index-Bx3kP9aZ.js%00.html',
    '/ui/%00',
    '/ui/%E0%A4%A.js',
    '/ui/assets/link-abcdefgh.js',
    '/ui/outside/secret.txt',
  ];

  it('answers each with 404 and serves nothing from outside the folder', async () => {
    for (const path of attacks) {
      const r = await get(path);
      // The URL parser resolves %2e%2e itself: such a path leaves /ui and meets the API's authentication (401).
      const underUi = new URL(`${BASE}${path}`).pathname.startsWith('/ui/');
      expect(r.status, path).toBe(underUi ? 404 : 401);
      expect(r.text, path).not.toContain(SECRET);
      if (underUi) expectSecurityHeaders(r.headers);
    }
  });

  it('over a real socket too, with un-normalised paths, and the server keeps answering', async () => {
    for (const path of [
      ...attacks,
      '/ui/../secret.txt',
      '/ui/assets/../../secret.txt',
      '/ui//..//secret.txt',
    ]) {
      const r = await raw(path);
      expect(r.status, path).not.toBe(200);
      expect(r.body, path).not.toContain(SECRET);
    }
    expect((await raw('/ui/')).status).toBe(200);
  });
});

describe('console off or not built', () => {
  it('answers a clear 503 page naming npm run build when dist/console is missing', async () => {
    const r = await get('/ui/servers', unbuilt);
    expect(r.status).toBe(503);
    expect(r.text).toContain('npm run build');
    expect(r.text).not.toMatch(/<script|style=/);
    expectSecurityHeaders(r.headers);
  });

  it('is not served without a console handler (serve --no-console)', async () => {
    const r = await get('/ui/', bare);
    expect(r.status).toBe(401);
    expect(r.text).not.toContain('id="root"');
  });
});
