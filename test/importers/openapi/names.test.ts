/** Tool names and parameter identifiers: valid, unique, at most 64 characters, stable between runs. */
import { describe, expect, it } from 'vitest';
import { IDENTIFIER } from '../../../src/core/spec/model.js';
import {
  envPrefixFromTitle,
  IdentifierAllocator,
  methodPathName,
  sanitizeToolName,
  ToolNamer,
  toIdentifier,
} from '../../../src/sources/openapi/names.js';
import { expectValid, importDoc, oas, op } from './helpers.js';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

describe('name helpers', () => {
  it('sanitises tool names to [A-Za-z0-9_.-]', () => {
    expect(sanitizeToolName('repos/get-content')).toBe('repos_get-content');
    expect(sanitizeToolName('créer Utilisateur!')).toBe('creer_Utilisateur');
    expect(sanitizeToolName('  __weird..name--  ')).toBe('weird..name');
    expect(sanitizeToolName('日本語')).toBe('');
    expect(methodPathName('GET', '/pets/{petId}/photos')).toBe('get_pets_petId_photos');
    expect(methodPathName('DELETE', '/')).toBe('delete_root');
  });

  it('maps parameter names to identifiers', () => {
    expect(toIdentifier('X-Request-Id')).toBe('X_Request_Id');
    expect(toIdentifier('page[size]')).toBe('page_size');
    expect(toIdentifier('$filter')).toBe('filter');
    expect(toIdentifier('user.name')).toBe('user_name');
    expect(toIdentifier('1st')).toBe('_1st');
    expect(toIdentifier('_private')).toBe('_private');
    expect(toIdentifier('StartTime<')).toBe('StartTime_lt');
    expect(toIdentifier('StartTime>=')).toBe('StartTime_gte');
    expect(toIdentifier('---')).toBe('param');
    expect(toIdentifier('constructor')).toBe('constructor_');
    expect(toIdentifier('__proto__')).toBe('__proto___');
    const long = toIdentifier('x'.repeat(200));
    expect(long).toMatch(IDENTIFIER);
    expect(long.length).toBe(64);
    expect(toIdentifier('x'.repeat(200))).toBe(long); // stable
    expect(toIdentifier(`${'x'.repeat(199)}y`)).not.toBe(long); // distinct inputs stay distinct
  });

  it('allocates unique identifiers: location prefix, then a counter', () => {
    const ids = new IdentifierAllocator();
    expect(ids.allocate('id', 'path')).toBe('id');
    expect(ids.allocate('id', 'query')).toBe('query_id');
    expect(ids.allocate('id', 'query')).toBe('id_2');
    expect(ids.allocate('page[size]')).toBe('page_size');
    expect(ids.allocate('page.size')).toBe('page_size_2');
  });

  it('allocates unique tool names case-insensitively and within 64 characters', () => {
    const namer = new ToolNamer();
    expect(namer.allocate('getPet', 'a')).toBe('getPet');
    expect(namer.allocate('GetPet', 'b')).toBe('GetPet_2');
    expect(namer.allocate('toString', 'c')).toBe('toString_');
    const long = 'a'.repeat(100);
    const first = namer.allocate(long, 'GET /x');
    const second = namer.allocate(long, 'GET /x');
    expect(first.length).toBeLessThanOrEqual(64);
    expect(second.length).toBeLessThanOrEqual(64);
    expect(second).not.toBe(first);
    expect(first).toMatch(/^a+_[0-9a-f]{8}$/);
  });

  it('derives environment prefixes from titles', () => {
    expect(envPrefixFromTitle('Swagger Petstore - OpenAPI 3.0')).toBe('PETSTORE');
    expect(envPrefixFromTitle('Twilio - Api')).toBe('TWILIO');
    expect(envPrefixFromTitle('GitHub v3 REST API')).toBe('GITHUB');
    expect(envPrefixFromTitle('Acme Widgets Inventory API')).toBe('ACME_WIDGETS');
    expect(envPrefixFromTitle('')).toBe('API');
    expect(envPrefixFromTitle('3D Printing')).toBe('API_3D_PRINTING');
  });
});

describe('tool names of an imported document', () => {
  const colliding = oas({
    '/pets': {
      get: op({ operationId: 'get pets' }),
      post: op({ operationId: 'get-pets' }),
      put: op({ operationId: 'get_pets' }),
      patch: op({ operationId: 'GET/pets' }),
      delete: op({ operationId: 'GET_PETS' }),
    },
    '/pets/{id}': {
      get: op({
        operationId: `${'veryLongOperationName'.repeat(6)}A`,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      }),
      put: op({
        operationId: `${'veryLongOperationName'.repeat(6)}B`,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      }),
      delete: op({ parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] }),
      post: op({
        operationId: '日本語',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      }),
    },
  });

  it('are valid, unique, at most 64 characters, and resolved in document order', async () => {
    const { spec, report } = await importDoc(colliding, { dynamic: false, validate: 'off' });
    expectValid(spec);
    const names = spec.tools!.map((t) => t.name);
    for (const n of names) expect(n).toMatch(TOOL_NAME);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    // Case-insensitive: `GET_pets` collides with `get_pets` and the suffixes already taken.
    expect(names.slice(0, 5)).toEqual(['get_pets', 'get-pets', 'get_pets_2', 'GET_pets_3', 'GET_PETS_4']);
    expect(names[5]!.length).toBe(64);
    expect(names[6]!.length).toBe(64);
    expect(names[5]).not.toBe(names[6]);
    expect(names[7]).toBe('delete_pets_id');
    expect(names[8]).toBe('post_pets_id'); // nothing usable left of the operationId
    expect(
      report.entries.some(
        (e) => e.operation === 'PUT /pets' && e.reason.includes('differs from operationId'),
      ),
    ).toBe(true);
  });

  it('are stable between runs', async () => {
    const a = await importDoc(colliding, { dynamic: false, validate: 'off' });
    const b = await importDoc(colliding, { dynamic: false, validate: 'off' });
    expect(a.spec.tools!.map((t) => t.name)).toEqual(b.spec.tools!.map((t) => t.name));
    expect(a.report.names).toEqual(b.report.names);
    expect(JSON.stringify(a.spec)).toBe(JSON.stringify(b.spec));
  });

  it('do not change when filters change', async () => {
    const all = await importDoc(colliding, { dynamic: false, validate: 'off' });
    const some = await importDoc(colliding, {
      dynamic: false,
      validate: 'off',
      include: { methods: ['put'] },
    });
    for (const [key, name] of Object.entries(some.report.names)) expect(all.report.names[key]).toBe(name);
  });

  it('can be overridden by option (operationId or METHOD /path) and by x-mcp', async () => {
    const doc = oas({
      '/a': {
        get: op({ operationId: 'listA' }),
        post: op({ operationId: 'createA', 'x-mcp': { name: 'make_a' } }),
      },
      '/b': { get: op(), delete: op({ 'x-mcp': { name: 'bad name!' } }) },
    });
    const { spec, report } = await importDoc(doc, {
      names: { listA: 'list_all_a', 'GET /b': 'read_b', nothingMatches: 'x' },
      dynamic: false,
    });
    expectValid(spec);
    expect(spec.tools!.map((t) => t.name)).toEqual(['list_all_a', 'make_a', 'read_b', 'delete_b']);
    expect(report.entries.find((e) => e.operation === 'DELETE /b')?.reason).toContain(
      'not a valid tool name',
    );
    expect(report.entries.some((e) => e.reason.includes('"nothingMatches" matches no operation'))).toBe(true);
  });

  it('give an override precedence over a derived name that would collide', async () => {
    const doc = oas({
      '/a': { get: op({ operationId: 'fetch' }) },
      '/b': { get: op({ operationId: 'other' }) },
    });
    const { spec } = await importDoc(doc, { names: { other: 'fetch' }, dynamic: false });
    expect(spec.tools!.map((t) => t.name)).toEqual(['fetch_2', 'fetch']);
  });
});
