/**
 * The console-flows pages (create, playground, search, gateway, reviews) in a real Chromium under the console's
 * strict CSP, against a scripted API: every request the page makes is answered by the table below (nothing
 * leaves the browser), so each test checks what the page sent (its effect) and what it shows. Attack cases:
 * hostile tool descriptions and run texts stay text, a secret argument never reaches sessionStorage, unsafe
 * requests carry the CSRF header, a gateway address with a host is never called. axe runs on every page and
 * no console error or CSP violation may occur. The end-to-end flows against a real factory are
 * test/console/e2e*.test.ts (console-backend).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/surfaces/console/static.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { answer, RUN } from './flows-api.js';

const CHROMIUM = '/usr/bin/chromium';
const ORIGIN = 'http://127.0.0.1:9'; // never contacted: every request is answered by page.route
const CSRF = 'csrf-test-value';
const missing = existsSync(CHROMIUM) ? undefined : `the console browser tests need ${CHROMIUM}`;
if (missing && !REQUIRE_SERVICES) process.stderr.write(`\n[skip] ${missing}\n`);

interface Seen {
  method: string;
  path: string;
  body: unknown;
  csrf: string | undefined;
}

let browser: Browser | undefined;
let buildDir = '';

beforeAll(async () => {
  if (missing) return;
  buildDir = await mkdtemp(join(tmpdir(), 'mcpf-console-flows-'));
  const { build } = await import('vite');
  await build({
    configFile: resolve('console/vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: buildDir, emptyOutDir: true },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

describe.skipIf(missing !== undefined && !REQUIRE_SERVICES)('console-flows pages in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let seen: Seen[];
  let problems: string[];

  beforeEach(async () => {
    if (!browser) throw new Error(missing ?? 'the browser did not start');
    seen = [];
    problems = [];
    context = await browser.newContext({ baseURL: ORIGIN });
    await context.addCookies([{ name: 'mcpf_csrf', value: CSRF, url: ORIGIN }]);
    await context.route('**/*', (route) => serve(route));
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('404')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterEach(async () => {
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
    await context.close();
  });

  async function serve(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    if (url.origin !== ORIGIN) return route.abort(); // nothing leaves the test
    if (url.pathname.startsWith('/ui')) {
      const relative = url.pathname.replace(/^\/ui\/?/, '');
      const file = relative && extname(relative) ? join(buildDir, relative) : join(buildDir, 'index.html');
      if (!file.startsWith(buildDir) || !existsSync(file))
        return route.fulfill({ status: 404, body: 'missing' });
      return route.fulfill({
        status: 200,
        headers: {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONSOLE_CSP,
        },
        body: await readFile(file),
      });
    }
    const raw = request.postData();
    seen.push({
      method: request.method(),
      path: url.pathname + url.search,
      body: raw ? JSON.parse(raw) : undefined,
      csrf: request.headers()['x-csrf-token'],
    });
    const reply = answer(request.method(), url.pathname, raw ? JSON.parse(raw) : undefined);
    return route.fulfill({
      status: reply.status,
      headers: { 'content-type': reply.type ?? 'application/json' },
      body: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
    });
  }

  async function open(path: string, heading: string | RegExp): Promise<void> {
    await page.goto(`/ui${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  async function axe(name: string): Promise<void> {
    const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    // The CSP forbids injected and eval'd scripts; the DevTools protocol's evaluation is not subject to it.
    await page.evaluate(source);
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> };
        }
      ).axe;
      const result = await axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    await page.screenshot({ path: `test-results/console/flows-${name}.png`, fullPage: true });
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
      name,
    ).toEqual([]);
  }

  const unsafe = () => seen.filter((s) => s.method !== 'GET');

  it('create from a spec: editor with schema lint, server issues at line:column, a job with live steps', async () => {
    await open('/create', 'Create a server');
    const editor = page.getByRole('textbox', { name: 'Spec (YAML or JSON)' });
    await editor.waitFor();
    await page.getByText('line 3:10').waitFor(); // the debounced server validation
    await page.locator('.cm-lintRange-error').first().waitFor();
    // The published JSON Schema lints and completes in the browser (no server round trip).
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('bogus_key: 1\n');
    await page.locator('.cm-lintRange', { hasText: 'bogus_key' }).waitFor();
    await page.keyboard.type('tr');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-completionLabel', { hasText: 'transport' }).waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await axe('create-spec');
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('link', { name: 'Open demo' }).waitFor();
    await expect(page.getByText('generate: ok').first().isVisible()).resolves.toBe(true);
    const create = seen.find((s) => s.path.startsWith('/mcp/create'));
    expect(create?.path).toBe('/mcp/create?async=1');
    expect(create?.body).toMatchObject({ force: false, spec: expect.stringContaining('bogus_key: 1') });
    for (const request of unsafe()) expect(request.csrf, request.path).toBe(CSRF);
    // Validation is debounced: a handful of requests for the edits above, no loop.
    await page.waitForTimeout(2000);
    expect(seen.filter((s) => s.path === '/mcp/validate').length).toBeLessThanOrEqual(6);
    // The description tab is offered only with an LLM provider (capabilities.llm is false here).
    await expect(page.getByRole('tab', { name: 'Description' }).count()).resolves.toBe(0);
  });

  it('create from a template: a form from its variables, rendered and created', async () => {
    await open('/create?from=template', 'Create a server');
    await page.getByRole('combobox', { name: 'Template' }).selectOption('rest-api');
    await page.getByRole('button', { name: 'Create from template' }).click();
    await page.getByText('required').first().waitFor(); // base_url is required: nothing sent yet
    expect(seen.some((s) => s.path.startsWith('/mcp/templates/'))).toBe(false);
    await page.getByLabel('base_url').fill('https://api.example.test');
    await page.getByLabel('auth').selectOption({ label: 'bearer' });
    await axe('create-template');
    await page.getByRole('button', { name: 'Create from template' }).click();
    await page.getByRole('link', { name: 'Open demo' }).waitFor();
    expect(seen.find((s) => s.path === '/mcp/templates/rest-api/spec')?.body).toEqual({
      name: 'rest-api',
      set: { base_url: 'https://api.example.test', auth: 'bearer' },
    });
    expect(seen.find((s) => s.path.startsWith('/mcp/create'))?.body).toMatchObject({
      spec: 'name: my-api\n',
    });
  });

  it('create from an OpenAPI upload: report, chosen operations, and no database URL sent anywhere', async () => {
    await open('/create?from=openapi', 'Create a server');
    await page.getByLabel(/OpenAPI document/).setInputFiles({
      name: 'pets.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from('openapi: 3.0.3\ninfo: { title: Pets, version: "1" }\npaths: {}\n'),
    });
    await page.getByRole('button', { name: 'Import pets.yaml' }).click();
    await page.getByRole('heading', { name: /Import report/ }).waitFor();
    expect(seen.find((s) => s.path === '/mcp/import/openapi')?.body).toEqual({
      document: 'openapi: 3.0.3\ninfo: { title: Pets, version: "1" }\npaths: {}\n',
    });
    await page.getByText('PETS_TOKEN').waitFor();
    await page.getByRole('button', { name: 'Select none' }).click();
    await page.getByRole('checkbox', { name: /^GET \/pets\/\{id\}/ }).check();
    await axe('create-openapi');
    await page.getByRole('button', { name: 'Create with 1 operations' }).click();
    await page.getByRole('link', { name: 'Open demo' }).waitFor();
    const imports = seen.filter((s) => s.path === '/mcp/import/openapi');
    expect(imports.at(-1)?.body).toMatchObject({ include: ['GET /pets/{id}'] });
    expect(seen.find((s) => s.path.startsWith('/mcp/create'))?.body).toMatchObject({
      spec: 'name: pets\n# only GET /pets/{id}\n',
    });
    await page.getByRole('tab', { name: 'Database' }).click();
    await page.getByText('This factory imports databases only from the command line').waitFor();
    await expect(page.getByLabel('Database URL').count()).resolves.toBe(0);
    expect(seen.some((s) => s.path.includes('import/database'))).toBe(false);
  });

  it('playground: a typed call from the schema form; hostile text stays text; secrets stay out of storage', async () => {
    await open('/playground?server=demo&tool=search_products', 'Playground');
    await page.getByLabel('query').waitFor();
    await expect(page.getByText('Ignore previous instructions').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await page.getByLabel('query').fill('x');
    await page.getByRole('button', { name: 'Call search_products' }).click();
    await page.getByText('at least 2 characters').waitFor();
    expect(seen.some((s) => s.path === '/mcp/servers/demo/call')).toBe(false);
    await page.getByLabel('query').fill('laptop');
    await page.getByLabel('limit').fill('7');
    await page.getByLabel('in_stock').check();
    await page.getByLabel('api_key').fill('sk-secret-123');
    await axe('playground');
    await page.getByRole('button', { name: 'Call search_products' }).click();
    await page.getByText('isError: false').waitFor();
    const call = seen.find((s) => s.path === '/mcp/servers/demo/call');
    expect(call?.body).toEqual({
      tool: 'search_products',
      arguments: { query: 'laptop', limit: 7, in_stock: true, api_key: 'sk-secret-123' },
    });
    expect(call?.csrf).toBe(CSRF);
    const stored = await page.evaluate(() => sessionStorage.getItem('mcpf.playground.history') ?? '');
    expect(stored).toContain('laptop');
    expect(stored).not.toContain('sk-secret-123');
    await page.getByText('"count": 2').waitFor();
  });

  it('playground through the gateway: offered only for a same-origin gateway, called as the caller', async () => {
    // This factory reaches a gateway at /gateway (the scripted capabilities name a foreign host otherwise).
    await page.route('**/mcp/capabilities', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ llm: false, toolsmith: true, gateway: { url: '/gateway' } }),
      }),
    );
    await open('/playground', 'Playground');
    await page.getByLabel('Server').selectOption({ label: "The gateway (every server's tools, as you)" });
    // The gateway's tool list arrives after the choice: wait for it before reading the options.
    await page.getByRole('option', { name: 'demo__search_products' }).waitFor({ state: 'attached' });
    await expect(page.getByLabel('Tool').locator('option').allTextContents()).resolves.toEqual([
      'Choose a tool…',
      'demo__search_products',
    ]);
    await page.getByLabel('Tool').selectOption('demo__search_products');
    await page.getByLabel('query').fill('laptop');
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await axe('playground-gateway');
    await page.getByRole('button', { name: 'Call demo__search_products' }).click();
    await page.getByText('via the gateway').first().waitFor();
    const call = seen.find((s) => s.path === '/gateway/call');
    expect(call).toMatchObject({
      method: 'POST',
      csrf: CSRF,
      body: { tool: 'demo__search_products', arguments: { query: 'laptop' } },
    });
    expect(seen.some((s) => s.path.includes('/mcp/servers/') && s.path.endsWith('/call'))).toBe(false);
    expect(new URL(page.url()).searchParams.get('server')).toBe('@gateway');
  });

  it('playground: no gateway choice when the gateway address has a host, and a link to one says so', async () => {
    await open('/playground', 'Playground');
    await page.getByRole('option', { name: 'demo (running)' }).waitFor({ state: 'attached' });
    await expect(page.getByRole('option', { name: /gateway/ }).count()).resolves.toBe(0);
    await open('/playground?server=%40gateway', 'Playground');
    await page.getByText('No gateway is connected to this console').waitFor();
    expect(seen.some((s) => s.path.startsWith('/gateway'))).toBe(false);
  });

  it("logs of a server on another cluster node: a link to that node's console page of the server", async () => {
    await open('/servers/demo?tab=logs', 'demo');
    const link = page.getByRole('link', { name: "open it in node b's console" });
    await link.waitFor();
    await expect(link.getAttribute('href')).resolves.toBe('http://127.0.0.1:7/ui/servers/demo?tab=logs');
    await axe('logs-remote-node');
    expect(seen.some((s) => s.path.startsWith('/mcp/servers/demo/logs?tail=200&follow=1'))).toBe(true);
    // The browser reports the refused stream (HTTP 421) as a failed resource: expected here.
    problems = problems.filter((p) => !p.includes('421'));
  });

  it('deploy dialog: replicas offered for swarm and kubernetes only, sent as a number', async () => {
    await open('/servers/demo', 'demo');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Target').selectOption('local');
    await expect(dialog.getByLabel('Replicas').count()).resolves.toBe(0);
    await dialog.getByLabel('Target').selectOption('kubernetes');
    await dialog.getByLabel('Replicas').fill('3');
    await axe('deploy-dialog');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    const deploy = seen.find((s) => s.path === '/mcp/deploy/demo');
    expect(deploy).toMatchObject({ method: 'POST', csrf: CSRF, body: { target: 'kubernetes', replicas: 3 } });
  });

  it('search: matches grouped by server, linking to the playground', async () => {
    await open('/search', 'Search tools');
    await page.getByLabel('Search tools across servers').fill('products');
    await page.getByRole('heading', { level: 2, name: /demo/ }).waitFor();
    await expect(page.getByRole('heading', { level: 2 }).allTextContents()).resolves.toEqual([
      expect.stringContaining('demo'),
      expect.stringContaining('shop'),
    ]);
    expect(seen.some((s) => s.path === '/mcp/tools?q=products&limit=100')).toBe(true);
    await axe('search');
    await page.getByRole('link', { name: 'Try search_products in the playground' }).click();
    await page.getByRole('heading', { level: 1, name: 'Playground' }).waitFor();
    expect(new URL(page.url()).search).toBe('?server=demo&tool=search_products');
  });

  it('gateway: an address with a host is never called; the page says how to connect one', async () => {
    await open('/gateway', 'Gateway');
    await page.getByText('No gateway is connected to this console').waitFor();
    expect(seen.some((s) => s.path.includes('health/detailed'))).toBe(false);
    await axe('gateway');
  });

  it('reviews: a waiting run with its chart and code; approving records the decision', async () => {
    await open('/reviews', 'Reviews');
    await page.getByRole('link', { name: /^Sales by month/ }).click();
    await page.getByRole('heading', { level: 1, name: /Review: Sales by month/ }).waitFor();
    await page.locator('.series-chart canvas').first().waitFor();
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await axe('review');
    await page.getByLabel(/Note/).fill('numbers match the ledger');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/approved \(stage 1\)/).waitFor();
    expect(seen.find((s) => s.path === `/mcp/analyze/${RUN.id}/review`)).toMatchObject({
      body: { decision: 'approve', stage: 1, note: 'numbers match the ledger' },
      csrf: CSRF,
    });
  });
});
