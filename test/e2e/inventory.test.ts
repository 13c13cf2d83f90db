/** The main job: examples/inventory.yaml → generated, checked, bundled server → real SDK clients in both eras. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreateResult, createServerProject } from '../../src/build/create.js';
import { parseSpecOrThrow } from '../../src/core/spec/index.js';
import {
  connectHttp,
  connectStdio,
  ERAS,
  type HttpServerProcess,
  startHttp,
  textOf,
} from '../helpers/mcp.js';

const specFile = resolve('examples/inventory.yaml');
const API_KEY = 'test-key-0123456789';
let work: string;
let result: CreateResult;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-inventory-'));
  const spec = parseSpecOrThrow(readFileSync(specFile, 'utf8'), { file: specFile });
  result = await createServerProject({
    spec,
    specDir: dirname(specFile),
    outDir: join(work, 'inventory-mcp'),
  });
  bundle = result.bundle.file;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('create', () => {
  it('runs every step and the generated tests pass', () => {
    expect(result.log.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'generate:ok',
      'write:ok',
      'typecheck:ok',
      'security-scan:ok',
      'bundle:ok',
      'generated-tests:ok',
    ]);
    expect(result.tests?.failed).toBe(0);
    expect(result.tests?.passed).toBeGreaterThanOrEqual(4);
    expect(
      result.security.findings.filter((f) => f.severity === 'high' || f.severity === 'critical'),
    ).toEqual([]);
  });

  it('writes the publishing files', () => {
    const dir = result.outDir;
    for (const f of [
      'package.json',
      'tsconfig.json',
      'README.md',
      'SKILL.md',
      'Dockerfile',
      '.github/workflows/ci.yml',
      'server.json',
      'manifest.json',
      'EXECUTION_LOG.md',
      'execution_log.json',
      'data/inventory.db',
      'dist/server.mjs',
    ]) {
      expect(() => readFileSync(join(dir, f)), f).not.toThrow();
    }
    const serverJson = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8'));
    expect(serverJson.$schema).toContain('2025-12-11');
    // The HTTP transport's key: asked of HTTP clients (the remote's header), not of stdio launches.
    expect(serverJson.packages[0].environmentVariables ?? []).not.toContainEqual(
      expect.objectContaining({ name: 'INVENTORY_API_KEY' }),
    );
    expect(serverJson.remotes[0].headers).toContainEqual(
      expect.objectContaining({ name: 'X-API-Key', isSecret: true, isRequired: true }),
    );
    const log = JSON.parse(readFileSync(join(dir, 'execution_log.json'), 'utf8'));
    expect(log.steps.length).toBe(6);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('| `search_products` |');
    expect(readme).toContain('claude_desktop_config.json');
    expect(readme).toContain('.vscode/mcp.json');
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/^ARG NODE_IMAGE=/m);
  });
});

async function exerciseInventory(client: Client) {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([
    'adjust_stock',
    'get_product',
    'low_stock_report',
    'search_products',
    'stock_value',
  ]);
  const search = tools.find((t) => t.name === 'search_products')!;
  expect(search.annotations?.readOnlyHint).toBe(true);
  expect(search.inputSchema.required).toEqual(['query']);
  expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(['query', 'category', 'limit', 'cursor']);

  const found = await client.callTool({ name: 'search_products', arguments: { query: 'laptop' } });
  expect(found.isError).toBeFalsy();
  expect((found.structuredContent as { rows: Array<{ sku: string }> }).rows.map((r) => r.sku)).toEqual([
    'EL-1001',
    'EL-1002',
  ]);

  const page1 = await client.callTool({ name: 'search_products', arguments: { query: '-', limit: 3 } });
  const p1 = page1.structuredContent as { rows: unknown[]; nextCursor?: string };
  expect(p1.rows).toHaveLength(3);
  expect(p1.nextCursor).toBeTypeOf('string');
  const page3 = await client.callTool({
    name: 'search_products',
    arguments: {
      query: '-',
      limit: 3,
      cursor: (
        await client.callTool({
          name: 'search_products',
          arguments: { query: '-', limit: 3, cursor: p1.nextCursor },
        })
      ).structuredContent!.nextCursor,
    },
  });
  expect((page3.structuredContent as { rows: unknown[]; nextCursor?: string }).rows).toHaveLength(2);
  expect((page3.structuredContent as { nextCursor?: string }).nextCursor).toBeUndefined();

  const product = await client.callTool({ name: 'get_product', arguments: { sku: 'CL-2001' } });
  expect(product.structuredContent).toEqual({
    result: { sku: 'CL-2001', name: 'Rain jacket', price: 89, stock: 25 },
  });

  const invalid = await client.callTool({ name: 'get_product', arguments: { sku: 'nope' } });
  expect(invalid.isError).toBe(true);
  expect(textOf(invalid)).toMatch(/pattern/);

  const badEnum = await client.callTool({
    name: 'search_products',
    arguments: { query: 'x', category: 'toys' },
  });
  expect(badEnum.isError).toBe(true);

  const value = await client.callTool({ name: 'stock_value', arguments: {} });
  expect(value.structuredContent).toMatchObject({
    currency: 'EUR',
    byCategory: { electronics: expect.any(Number) },
  });

  const low = await client.callTool({ name: 'low_stock_report', arguments: {} });
  expect(textOf(low)).toContain('EL-1004');

  const tooLow = await client.callTool({ name: 'adjust_stock', arguments: { sku: 'EL-1004', delta: -1 } });
  expect(tooLow.structuredContent).toEqual({ affectedRows: 0 });

  const resource = await client.readResource({ uri: 'inventory://categories' });
  expect(JSON.parse((resource.contents[0] as { text: string }).text).rows).toHaveLength(3);
  const templated = await client.readResource({ uri: 'inventory://products/FD-3002' });
  expect((templated.contents[0] as { text: string }).text).toContain('Green tea');

  const prompt = await client.getPrompt({ name: 'restock_plan', arguments: { category: 'food' } });
  expect((prompt.messages[0]!.content as { text: string }).text).toContain('the food category');
}

describe.each(ERAS)('stdio, protocol %s', (era) => {
  it('serves tools, resources and prompts', async () => {
    const client = await connectStdio(bundle, era);
    try {
      await exerciseInventory(client);
    } finally {
      await client.close();
    }
  });
});

describe('streamable http', () => {
  let server: HttpServerProcess;
  beforeAll(async () => {
    server = await startHttp(bundle, { INVENTORY_API_KEY: API_KEY });
  });
  afterAll(() => server?.stop());

  it.each(ERAS)('serves protocol %s with the API key', async (era) => {
    const client = await connectHttp(server.url, era, { 'X-API-Key': API_KEY });
    try {
      await exerciseInventory(client);
    } finally {
      await client.close();
    }
  });

  it('refuses requests without the API key, or with a wrong one', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(server.url, { method: 'POST', headers, body })).status).toBe(401);
    expect(
      (await fetch(server.url, { method: 'POST', headers: { ...headers, 'x-api-key': 'wrong' }, body }))
        .status,
    ).toBe(401);
  });

  it('rejects a foreign Origin (DNS rebinding protection)', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example', 'x-api-key': API_KEY },
      body: '{}',
    });
    expect(res.status).toBe(403);
  });

  it('serves /health without auth and Prometheus /metrics with it', async () => {
    const base = new URL(server.url);
    const health = await fetch(new URL('/health', base));
    expect(await health.json()).toMatchObject({ status: 'ok', name: 'inventory-mcp', version: '1.0.0' });
    const metrics = await fetch(new URL('/metrics', base), { headers: { 'x-api-key': API_KEY } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('mcp_tool_calls_total{tool="search_products",outcome="ok"}');
  });

  it('logs structured JSON to stderr', async () => {
    const lines: string[] = [];
    server.child.stderr!.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const client = await connectHttp(server.url, '2026-07-28', { 'X-API-Key': API_KEY });
    await client.callTool({ name: 'low_stock_report', arguments: {} });
    await client.close();
    await new Promise((r) => setTimeout(r, 100));
    const entry = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'tool call' && l.tool === 'low_stock_report');
    expect(entry).toMatchObject({ level: 'info', server: 'inventory-mcp', outcome: 'ok' });
  });
});
