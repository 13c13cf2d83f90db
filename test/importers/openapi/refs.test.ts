/** `$ref` resolution: local, recursive, split across files, remote (refused / allowed), and the `$ref` property. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { expectValid, fixture, oas, op, toolOf } from './helpers.js';

describe('local references', () => {
  it('resolve schemas, parameters, responses and request bodies', async () => {
    const doc = oas(
      {
        '/a/{id}': {
          post: {
            operationId: 'a',
            parameters: [{ $ref: '#/components/parameters/Id' }],
            requestBody: { $ref: '#/components/requestBodies/Thing' },
            responses: { '200': { $ref: '#/components/responses/Thing' } },
          },
        },
      },
      {
        components: {
          parameters: {
            Id: { name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } },
          },
          requestBodies: {
            Thing: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
            },
          },
          responses: {
            Thing: {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
            },
          },
          schemas: {
            Id: { type: 'integer', minimum: 1 },
            Thing: {
              type: 'object',
              required: ['label'],
              properties: { label: { type: 'string' }, 'a~b/c': { type: 'string' } },
            },
            'odd name/with~chars': { type: 'string' },
          },
        },
      },
    );
    const { spec, operations } = await (await import('./helpers.js')).importDoc(doc, { dynamic: false });
    expectValid(spec);
    const tool = toolOf(spec, 'a');
    expect(tool.parameters).toMatchObject({
      id: { type: 'integer', minimum: 1, required: true },
      label: { type: 'string', required: true },
    });
    expect(tool.http!.body).toEqual({ label: '{{label}}', 'a~b/c': '{{a_b_c}}' });
    expect(operations[0]!.response?.schema).toMatchObject({ type: 'object' });
  });

  it('cut recursion and report it, without stack overflow; broken references skip or degrade', async () => {
    const { spec, report } = await importOpenApi(fixture('recursive.yaml'), { dynamic: false });
    expectValid(spec);
    const tree = toolOf(spec, 'getTree').returns!;
    expect(tree.properties!.children).toEqual({ type: 'array', items: { type: 'object' } });
    expect(tree.properties!.parent).toEqual({ type: 'object' });
    expect(toolOf(spec, 'putTree').parameters!.children).toEqual({
      type: 'array',
      items: { type: 'object' },
    });
    const mutual = toolOf(spec, 'getMutual').returns!;
    expect(mutual.properties!.b!.properties!.a).toEqual({ type: 'object' });
    expect(toolOf(spec, 'getChain').returns).toBeUndefined();
    expect(toolOf(spec, 'getMissing').returns).toBeUndefined();
    // 20 levels of nesting are cut at the depth limit.
    let deep = toolOf(spec, 'getDeep').returns!;
    let levels = 0;
    while (deep.properties?.next) {
      deep = deep.properties.next;
      levels++;
    }
    expect(levels).toBeGreaterThan(5);
    expect(levels).toBeLessThan(20);
    const by = (key: string) => report.entries.filter((e) => e.operation === key);
    expect(
      by('GET /tree')
        .map((e) => e.reason)
        .join(),
    ).toContain('recursive schema');
    expect(by('GET /missing-response')).toContainEqual(
      expect.objectContaining({ severity: 'warning', reason: expect.stringContaining('DoesNotExist') }),
    );
    expect(by('POST /missing-body')).toContainEqual(
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('Nope') }),
    );
    expect(by('GET /param-cycle')).toContainEqual(
      expect.objectContaining({ severity: 'error', reason: expect.stringContaining('circular') }),
    );
    expect(
      by('GET /deep')
        .map((e) => e.reason)
        .join(),
    ).toContain('nested deeper than');
    expect(spec.tools!.map((t) => t.name)).not.toContain('postMissing');
  });

  it('keep a property literally named $ref (GitHub)', async () => {
    const { spec, operations } = await importOpenApi(fixture('github-ref-property.json'), { dynamic: false });
    expectValid(spec);
    const body = operations[0]!.requestBody!.content[0]!.schema!;
    expect(Object.keys(body.properties as object)).toEqual(['ref', 'sha', '$ref']);
    const tool = toolOf(spec, 'git_create-ref');
    expect(tool.http!.body).toEqual({ ref: '{{ref}}', sha: '{{sha}}', $ref: '{{body_ref}}' });
    expect(tool.parameters!.body_ref).toMatchObject({
      type: 'string',
      description: 'A property literally named $ref.',
    });
    expect(tool.http!.path).toBe('/repos/{{owner}}/{{repo}}/git/refs');
    const response = operations[0]!.response!.schema!;
    expect(Object.keys(response.properties as object)).toEqual(['ref', '$ref', 'node_id', 'object']);
    expect(Object.keys(tool.returns!.properties!)).toEqual(['ref', 'node_id', 'object']);
  });
});

describe('references across files', () => {
  it('resolve relative files, nested relative references and recursion inside another file', async () => {
    const { spec, report } = await importOpenApi(fixture('multi/root.yaml'), { dynamic: false });
    expectValid(spec);
    expect(spec.connections![0]).toMatchObject({
      baseUrl: 'https://zoo.example.com/v2',
      baseUrlEnv: 'SPLIT_ZOO_BASE_URL',
    });
    expect(spec.tools!.map((t) => t.name)).toEqual(['listAnimals', 'createAnimal', 'getAnimal']);
    expect(toolOf(spec, 'listAnimals').parameters).toEqual({
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
    const create = toolOf(spec, 'createAnimal');
    expect(Object.keys(create.parameters!)).toEqual(['name', 'species', 'keeper']);
    expect(create.parameters!.species).toEqual({
      type: 'string',
      enum: ['lion', 'zebra', 'penguin'],
      required: true,
    });
    expect(create.parameters!.keeper!.properties!.mentor).toEqual({ type: 'object' });
    expect(toolOf(spec, 'getAnimal').parameters).toEqual({
      animalId: { type: 'integer', minimum: 1, required: true },
    });
    // The schema validator sees the referenced files too (served from memory): no false alarms.
    expect(report.entries.filter((e) => e.severity !== 'info')).toEqual([]);
  });

  it('refuse files outside the root document directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-openapi-outside-'));
    try {
      mkdirSync(join(dir, 'api'));
      writeFileSync(join(dir, 'secret.yaml'), 'Thing: { type: string }\n');
      writeFileSync(
        join(dir, 'api', 'root.json'),
        JSON.stringify(
          oas({
            '/a': {
              get: op({
                responses: {
                  '200': {
                    description: 'x',
                    content: { 'application/json': { schema: { $ref: '../secret.yaml#/Thing' } } },
                  },
                },
              }),
            },
          }),
        ),
      );
      await expect(importOpenApi(join(dir, 'api', 'root.json'))).rejects.toMatchObject({
        code: 'OPENAPI_FILE_REF_REFUSED',
        issues: [
          expect.objectContaining({ path: '#/paths/~1a/get/responses/200/content/application~1json/schema' }),
        ],
      });
      const allowed = await importOpenApi(join(dir, 'api', 'root.json'), { refRoot: dir, dynamic: false });
      expect(allowed.spec.tools![0]!.returns).toEqual({ type: 'string' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('report a missing referenced file on the operations that use it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-openapi-missing-'));
    try {
      writeFileSync(
        join(dir, 'root.json'),
        JSON.stringify(
          oas({
            '/a': {
              get: op({
                responses: {
                  '200': {
                    description: 'x',
                    content: { 'application/json': { schema: { $ref: 'nope.yaml#/X' } } },
                  },
                },
              }),
            },
            '/b': { get: op({ parameters: [{ $ref: 'nope.yaml#/P' }] }) },
          }),
        ),
      );
      const { spec, report } = await importOpenApi(join(dir, 'root.json'), { dynamic: false });
      expectValid(spec);
      expect(spec.tools!.map((t) => t.name)).toEqual(['get_a']);
      expect(report.entries).toContainEqual(
        expect.objectContaining({
          operation: 'GET /b',
          severity: 'error',
          reason: expect.stringContaining('nope.yaml'),
        }),
      );
      expect(report.entries).toContainEqual(
        expect.objectContaining({
          operation: 'GET /a',
          severity: 'warning',
          reason: expect.stringContaining('nope.yaml'),
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('remote references', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  let dir: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/schemas/pet.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            Pet: {
              type: 'object',
              properties: { name: { type: 'string' }, owner: { $ref: 'owner.yaml#/Owner' } },
            },
          }),
        );
      } else if (req.url === '/schemas/owner.yaml') {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.end('Owner:\n  type: object\n  properties:\n    email: { type: string }\n');
      } else if (req.url === '/api/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            oas({ '/pets': { get: op({ operationId: 'listPets' }) } }, { servers: [{ url: '/v1' }] }),
          ),
        );
      } else if (req.url === '/api/with-file-ref.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(oas({ '/p': { get: op({ parameters: [{ $ref: 'file:///etc/passwd#/x' }] }) } })),
        );
      } else if (req.url === '/huge.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"openapi":"3.0.0","pad":"${'x'.repeat(4096)}"}`);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'mcpf-openapi-remote-'));
    writeFileSync(
      join(dir, 'root.json'),
      JSON.stringify(
        oas({
          '/pets': {
            post: op({
              operationId: 'addPet',
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { $ref: `${base}/schemas/pet.json#/Pet` } } },
              },
            }),
          },
        }),
      ),
    );
  });

  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are refused by default, without any request', async () => {
    requests.length = 0;
    const error = await importOpenApi(join(dir, 'root.json')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OPENAPI_REMOTE_REF_REFUSED' });
    const issue = (error as { issues: Array<{ message: string; hint: string; path: string }> }).issues[0]!;
    expect(issue.message).toContain(`${base}/schemas/pet.json`);
    expect(issue.hint).toContain('allowRemoteRefs');
    expect(issue.path).toBe('#/paths/~1pets/post/requestBody/content/application~1json/schema');
    expect(requests).toEqual([]);
  });

  it('are fetched with allowRemoteRefs, including relative references inside them', async () => {
    const { spec } = await importOpenApi(join(dir, 'root.json'), { allowRemoteRefs: true, dynamic: false });
    expectValid(spec);
    expect(toolOf(spec, 'addPet').parameters).toEqual({
      name: { type: 'string' },
      owner: { type: 'object', properties: { email: { type: 'string' } } },
    });
    // Each document is fetched once: the validator reads the loader's copies.
    expect(requests.filter((r) => r === '/schemas/owner.yaml')).toHaveLength(1);
    expect(requests.filter((r) => r === '/schemas/pet.json')).toHaveLength(1);
  });

  it('load a root document from a URL and resolve relative servers against it', async () => {
    const { spec, report } = await importOpenApi(`${base}/api/openapi.json`, { dynamic: false });
    expectValid(spec);
    expect(spec.connections![0]).toMatchObject({ baseUrl: `${base}/v1` });
    expect(report.source).toBe(`${base}/api/openapi.json`);
  });

  it('never let a remote document read local files', async () => {
    await expect(
      importOpenApi(`${base}/api/with-file-ref.json`, { allowRemoteRefs: true }),
    ).rejects.toMatchObject({
      code: 'OPENAPI_REMOTE_REF_REFUSED',
      issues: [
        expect.objectContaining({ message: expect.stringContaining('may not reference local files') }),
      ],
    });
  });

  it('report unreachable and oversized documents as load failures', async () => {
    await expect(importOpenApi(`${base}/missing.json`)).rejects.toMatchObject({
      code: 'OPENAPI_LOAD_FAILED',
      message: expect.stringContaining('HTTP 404'),
    });
    await expect(importOpenApi(`${base}/huge.json`, { maxDocumentBytes: 1000 })).rejects.toMatchObject({
      code: 'OPENAPI_LOAD_FAILED',
      message: expect.stringContaining('maximum'),
    });
  });
});
