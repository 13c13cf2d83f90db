/** Document versions (Swagger 2.0, OpenAPI 3.1) and broken documents: a clear error or report, never a crash. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FactoryError } from '../../../src/core/errors/index.js';
import { importOpenApi } from '../../../src/sources/openapi/index.js';
import { expectValid, fixture, importDoc, oas, op, PETSTORE, toolOf, writeDoc } from './helpers.js';

describe('Swagger 2.0', () => {
  it('maps host/basePath, body and formData parameters, collection formats and security definitions', async () => {
    const { spec, report, operations } = await importOpenApi(fixture('swagger2.yaml'), { dynamic: false });
    expectValid(spec);
    expect(report.specification).toBe('swagger-2.0');
    expect(spec).toMatchObject({ name: 'legacy-shop-mcp', version: '1.2.0', title: 'Legacy Shop API' });
    expect(spec.connections![0]).toMatchObject({
      baseUrl: 'https://shop.example.com/api',
      baseUrlEnv: 'LEGACY_SHOP_BASE_URL',
      auth: { type: 'api_key', in: 'header', name: 'X-Shop-Key', envVar: 'LEGACY_SHOP_API_KEY' },
    });
    const list = toolOf(spec, 'listItems');
    expect(list.http!.query).toEqual({
      tags: { param: 'tags', style: 'form', explode: true },
      ids: { param: 'ids', style: 'pipeDelimited', explode: false },
      price: '{{price}}',
    });
    expect(list.parameters!.price).toEqual({ type: 'number', exclusiveMinimum: 0, maximum: 1000 });
    expect(list.returns).toMatchObject({ type: 'array', items: { type: 'object' } });
    const create = toolOf(spec, 'createItem');
    expect(Object.keys(create.parameters!)).toEqual(['name', 'price', 'category']);
    expect(create.parameters!.price).toEqual({ type: 'number', nullable: true });
    expect(create.parameters!.category!.properties!.parent).toEqual({ type: 'object' });
    expect(toolOf(spec, 'uploadItemImage').http).toMatchObject({
      bodyEncoding: 'multipart',
      body: { image: { file: 'image', filename: '{{image_filename}}' }, caption: '{{caption}}' },
    });
    expect(toolOf(spec, 'login').http).toMatchObject({
      bodyEncoding: 'form',
      body: { user: '{{user}}', pass: '{{pass}}' },
    });
    expect(operations.find((o) => o.operationId === 'login')!.security).toEqual([]);
  });
});

describe('OpenAPI 3.1', () => {
  it('reads type arrays, const, $ref siblings and path item references; ignores webhooks', async () => {
    const { spec, report } = await importOpenApi(fixture('openapi31.yaml'), { dynamic: false });
    expectValid(spec);
    expect(report.specification).toBe('openapi-3.1');
    expect(spec.connections![0]).toMatchObject({ auth: { type: 'bearer', envVar: 'NOTES_TOKEN' } });
    const note = toolOf(spec, 'getNote');
    expect(note.http!.path).toBe('/notes/{{id}}');
    expect(note.returns!.properties).toMatchObject({
      rating: { type: 'integer', nullable: true, minimum: 0, exclusiveMaximum: 6 },
      kind: { type: 'string', enum: ['memo'] },
      parent: { type: 'object', description: 'The note this one answers.' },
    });
    const create = toolOf(spec, 'createNote');
    expect(create.parameters).toMatchObject({
      text: { type: 'string', required: true },
      rating: { type: 'integer', nullable: true },
      visibility: { type: 'string', nullable: true, enum: ['public', 'private'] },
    });
    expect(report.entries.some((e) => e.reason.includes('webhooks'))).toBe(true);
  });
});

describe('broken documents', () => {
  const failsWith = async (file: string, code: string, text: string) => {
    const error = await importOpenApi(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe(code);
    const all = `${(error as FactoryError).message} ${(error as FactoryError).issues.map((i) => `${i.message} ${i.hint}`).join(' ')}`;
    expect(all).toContain(text);
    return error as FactoryError;
  };

  it('truncated JSON: load error with line and column', async () => {
    const error = await failsWith(fixture('broken/truncated.json'), 'OPENAPI_LOAD_FAILED', 'invalid JSON');
    expect(error.issues[0]).toMatchObject({ file: expect.stringContaining('truncated.json'), line: 5 });
  });

  it('invalid YAML: load error with position', async () => {
    const error = await failsWith(fixture('broken/invalid.yaml'), 'OPENAPI_LOAD_FAILED', 'invalid YAML');
    expect(error.issues[0]!.line).toBeGreaterThan(1);
  });

  it('other problems of the document itself', async () => {
    await failsWith(fixture('broken/not-openapi.yaml'), 'OPENAPI_INVALID', 'not an OpenAPI document');
    await failsWith(fixture('broken/version4.yaml'), 'OPENAPI_INVALID', 'unsupported version');
    await failsWith(fixture('broken/empty.yaml'), 'OPENAPI_LOAD_FAILED', 'empty');
    await failsWith(fixture('broken/array.json'), 'OPENAPI_INVALID', 'must be a mapping');
    await failsWith(fixture('broken/alias-cycle.yaml'), 'OPENAPI_LOAD_FAILED', 'cycle');
    await failsWith(fixture('does-not-exist.yaml'), 'OPENAPI_LOAD_FAILED', 'does-not-exist.yaml');
    await failsWith(
      writeDoc('openapi: 3.0.0\ninfo: {title: a, version: "1"}\ninfo: {}\npaths: {}\n', 'yaml'),
      'OPENAPI_LOAD_FAILED',
      'Map keys must be unique',
    );
    await failsWith(
      writeDoc({ openapi: '3.0.0', info: { title: 'a', version: '1' }, paths: [] }),
      'OPENAPI_INVALID',
      '`paths` must be a mapping',
    );
    await failsWith(
      writeDoc({ openapi: '3.1.0', info: { title: 'a', version: '1' } }),
      'OPENAPI_NO_OPERATIONS',
      'no operations',
    );
    await failsWith(writeDoc('just some text', 'txt'), 'OPENAPI_INVALID', 'must be a mapping');
  });

  it('exponential YAML aliases (billion laughs) fail fast', async () => {
    const lines = ['openapi: 3.0.0', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    await failsWith(writeDoc(`${lines.join('\n')}\n`, 'yaml'), 'OPENAPI_LOAD_FAILED', 'invalid YAML');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('schema violations: reported by default, an error in strict mode', async () => {
    const doc = oas({
      '/a': {
        get: {
          operationId: 'a',
          responses: { '200': { description: 'ok' } },
          parameters: [{ name: 'x', in: 'query', schema: { type: 'string' }, bogus: 1 }],
        },
      },
    });
    const { spec, report } = await importDoc(doc);
    expectValid(spec);
    expect(
      report.entries.some((e) => e.severity === 'warning' && e.reason.startsWith('schema validation')),
    ).toBe(true);
    await expect(importDoc(doc, { validate: 'strict' })).rejects.toMatchObject({ code: 'OPENAPI_INVALID' });
    const off = await importDoc(doc, { validate: 'off' });
    expect(off.report.entries.some((e) => e.reason.startsWith('schema validation'))).toBe(false);
  });

  it('garbage inside operations is skipped or degraded, never a crash', async () => {
    const doc = {
      openapi: '3.0.0',
      info: { title: 7, version: { no: 1 } },
      servers: 'https://x.example.com',
      paths: {
        '/a': 5,
        '/b': { get: 'string', post: null, put: [] },
        '/c': { get: { parameters: 'x', responses: [], requestBody: 4, security: 'none', tags: [1, 'ok'] } },
        '/d': {
          get: {
            parameters: [null, 3, { name: 'q' }, { in: 'query' }, { name: 'q', in: 'body' }],
            responses: { '200': 'x' },
          },
        },
        '/e': {
          get: {
            responses: {
              '200': {
                content: {
                  'application/json': {
                    schema: { type: 'wat', properties: 3, items: 'x', enum: 'y', allOf: 1, oneOf: [null, 2] },
                  },
                },
              },
            },
          },
        },
        '/f': { parameters: [{ $ref: 5 }], get: op({ 'x-mcp': 'nope' }) },
        a: { get: op() },
      },
    };
    const { spec, report } = await importDoc(doc, { dynamic: false, validate: 'off' });
    expectValid(spec);
    expect(spec.tools!.map((t) => t.name)).toEqual(['get_c', 'get_d', 'get_e', 'get_f']);
    expect(report.entries).toContainEqual(expect.objectContaining({ operation: 'GET a', severity: 'error' }));
  });

  it('random corruptions of valid documents never crash, and every spec produced validates', async () => {
    const originals = [
      parse(readFileSync(PETSTORE, 'utf8')),
      parse(readFileSync(fixture('swagger2.yaml'), 'utf8')),
      parse(readFileSync(fixture('openapi31.yaml'), 'utf8')),
      parse(readFileSync(fixture('recursive.yaml'), 'utf8')),
    ] as Array<Record<string, unknown>>;
    let seed = 42;
    const random = () => {
      // mulberry32: deterministic and well spread
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const replacements: unknown[] = [
      null,
      0,
      -1,
      1e308,
      'x',
      '',
      [],
      {},
      true,
      { $ref: '#/nowhere' },
      { $ref: '#/components' },
      { $ref: '#' },
      { type: 'array' },
      { type: ['null'] },
      { allOf: [{ type: 'string' }, { type: 'object' }] },
      { type: 'object', properties: { 'a b': {} } },
      '{{x}}',
      '__proto__',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789AB',
    ];
    let produced = 0;
    for (let round = 0; round < 200; round++) {
      const doc = structuredClone(originals[round % originals.length]!);
      for (let m = 0, n = 1 + Math.floor(random() * 8); m < n; m++) {
        // Walk to a random node and replace or delete one of its members.
        let node: Record<string, unknown> = doc;
        for (let depth = 0; depth < 12; depth++) {
          const keys = Object.keys(node);
          if (keys.length === 0) break;
          const key = keys[Math.floor(random() * keys.length)]!;
          const child = node[key];
          if (child && typeof child === 'object' && random() < 0.8) node = child as Record<string, unknown>;
          else {
            if (random() < 0.3) delete node[key];
            else node[key] = structuredClone(replacements[Math.floor(random() * replacements.length)]);
            break;
          }
        }
      }
      try {
        const { spec } = await importDoc(doc, {
          validate: round % 10 === 0 ? 'warn' : 'off',
          dynamic: round % 2 === 0,
        });
        expectValid(spec);
        produced++;
      } catch (error) {
        expect(error, String((error as Error)?.stack)).toBeInstanceOf(FactoryError);
      }
    }
    expect(produced).toBeGreaterThan(50);
  });
});
