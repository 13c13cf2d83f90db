/**
 * GET /mcp/capabilities and POST /mcp/import/openapi (surfaces/operations/console-sources.ts): what the console
 * may offer, and an uploaded OpenAPI document → spec, report and operations. Attacks are checked by their
 * effect: file references read nothing outside the upload's private folder, remote references contact nobody,
 * server URLs on loopback are refused, a viewer imports nothing, the temporary folder is gone afterwards.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmConfigured } from '../../src/surfaces/operations/console-sources.js';
import { type Factory, LOCAL, PASSWORD, startFactory } from '../identity/auth-helpers.js';

let f: Factory;
let admin: string;
let viewer: string;
let probe: Server;
let probeHits = 0;
let probeUrl = '';

const PUBLIC_SERVER = 'https://93.184.216.34/v1'; // an address literal: no DNS lookup, not private

function petstore(extra: Record<string, unknown> = {}, servers = [{ url: PUBLIC_SERVER }]) {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Pet Store', version: '1.2.0' },
    servers,
    paths: {
      '/pets': {
        get: {
          operationId: 'listPets',
          summary: 'List pets',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
          responses: {
            200: {
              description: 'ok',
              content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } },
            },
          },
        },
      },
      '/pets/{id}': {
        get: {
          operationId: 'getPet',
          summary: 'One pet',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description: 'ok',
              content: { 'application/json': { schema: { type: 'object', ...extra } } },
            },
          },
        },
      },
    },
  });
}

const uploads = () => readdirSync(tmpdir()).filter((n) => n.startsWith('mcpf-openapi-')).length;

beforeAll(async () => {
  f = await startFactory();
  await f.users.create(LOCAL, 'test', { name: 'alice', role: 'admin', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', password: PASSWORD });
  admin = (await f.login('alice')).access;
  viewer = (await f.login('victor')).access;
  probe = createServer((_req, res) => {
    probeHits++;
    res.end('{"type":"object"}');
  });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  probeUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/schema.json`;
});

afterAll(async () => {
  await new Promise((resolve) => probe.close(resolve));
  await f.close();
});

describe('GET /mcp/capabilities', () => {
  it('tells any signed-in caller what the factory offers, and nobody else', async () => {
    const r = await f.send('GET', '/mcp/capabilities', { token: viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      llm: expect.any(Boolean),
      toolsmith: false,
      imports: { openapi: true, database: false },
      gateway: null,
    });
    expect((await f.send('GET', '/mcp/capabilities')).status).toBe(401);
  });

  it('reports an LLM provider only when one is configured and its key is present', () => {
    const config = join(f.home, 'empty-config.json');
    writeFileSync(config, '{}');
    const none = { MCP_FACTORY_CONFIG: config };
    expect(llmConfigured(none)).toBe(false);
    expect(llmConfigured({ ...none, ANTHROPIC_API_KEY: 'sk-test' })).toBe(true);
    expect(llmConfigured({ ...none, MCP_FACTORY_LLM_PROVIDER: 'anthropic' })).toBe(false);
  });
});

describe('POST /mcp/import/openapi', () => {
  it('answers the spec, the report and the operations; include narrows the spec', async () => {
    const before = uploads();
    const all = await f.send('POST', '/mcp/import/openapi', { token: admin, body: { document: petstore() } });
    expect(all.status, all.text).toBe(200);
    expect(all.body.operations).toEqual([
      { key: 'GET /pets', operationId: 'listPets', summary: 'List pets' },
      { key: 'GET /pets/{id}', operationId: 'getPet', summary: 'One pet' },
    ]);
    expect(all.body.report).toMatchObject({
      source: 'uploaded document',
      counts: { operations: 2, imported: 2 },
    });
    expect(all.body.specText).toMatch(/list_pets|listPets/);
    const one = await f.send('POST', '/mcp/import/openapi', {
      token: admin,
      body: { document: petstore(), include: ['GET /pets/{id}'], name: 'pets' },
    });
    expect(one.status, one.text).toBe(200);
    expect(one.body.specText).toMatch(/^name: pets$/m);
    expect(one.body.report.counts).toMatchObject({ imported: 1, excluded: 1 });
    // The spec it answers is one the factory accepts.
    const check = await f.send('POST', '/mcp/validate', {
      token: admin,
      body: { specText: one.body.specText },
    });
    expect(check.body, check.text).toMatchObject({ ok: true, tools: 1 });
    expect(uploads()).toBe(before);
  });

  it('reads no file outside the upload and names no temporary path', async () => {
    for (const ref of ['/etc/passwd', '../../../../etc/hostname', 'file:///etc/passwd']) {
      const r = await f.send('POST', '/mcp/import/openapi', {
        token: admin,
        body: { document: petstore({ properties: { x: { $ref: ref } } }) },
      });
      expect(r.status, ref).toBeGreaterThanOrEqual(400);
      expect(r.text).not.toMatch(/root:|mcpf-openapi-/);
      expect(r.body.error, r.text).toMatch(/^OPENAPI_/);
    }
  });

  it('fetches no remote reference and accepts no loopback server URL', async () => {
    const remote = await f.send('POST', '/mcp/import/openapi', {
      token: admin,
      body: { document: petstore({ properties: { x: { $ref: probeUrl } } }) },
    });
    expect(remote.status).toBeGreaterThanOrEqual(400);
    expect(remote.body.error).toBe('OPENAPI_REMOTE_REF_REFUSED');
    expect(probeHits).toBe(0);
    const loopback = await f.send('POST', '/mcp/import/openapi', {
      token: admin,
      body: { document: petstore({}, [{ url: 'http://127.0.0.1:9/v1' }]) },
    });
    expect(loopback.status).toBeGreaterThanOrEqual(400);
    expect(loopback.body.error).toBe('OPENAPI_PRIVATE_BASE_URL');
  });

  it('refuses callers who may not create servers, and bad input, before reading anything', async () => {
    const before = uploads();
    const denied = await f.send('POST', '/mcp/import/openapi', {
      token: viewer,
      body: { document: petstore() },
    });
    expect(denied.status).toBe(403);
    for (const body of [
      {},
      { document: '' },
      { document: petstore(), include: [] },
      { document: petstore(), extra: 1 },
    ]) {
      const r = await f.send('POST', '/mcp/import/openapi', { token: admin, body });
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    const garbage = await f.send('POST', '/mcp/import/openapi', {
      token: admin,
      body: { document: 'not: [an openapi' },
    });
    expect(garbage.status).toBeGreaterThanOrEqual(400);
    expect(garbage.status).toBeLessThan(500);
    expect(uploads()).toBe(before);
    // Still answering.
    expect((await f.send('GET', '/mcp/capabilities', { token: viewer })).status).toBe(200);
  });
});
