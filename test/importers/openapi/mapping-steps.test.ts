// Unit tests for the steps the OpenAPI mapping is split into (src/sources/openapi/mapping/), each called
// directly with hand-built operations; mapping.test.ts covers the same behaviour through whole documents.
import { describe, expect, it } from 'vitest';
import { planAuth } from '../../../src/sources/openapi/mapping/auth.js';
import { planConnections } from '../../../src/sources/openapi/mapping/connections.js';
import { DYNAMIC_TOOLS, dynamicCatalog } from '../../../src/sources/openapi/mapping/dynamic.js';
import { type MappedOperation, parameterDescriptionMax } from '../../../src/sources/openapi/mapping/model.js';
import { assignNames } from '../../../src/sources/openapi/mapping/naming.js';
import { mapOperation } from '../../../src/sources/openapi/mapping/operation.js';
import { capEntries, dedupe, MAX_REPORT_ENTRIES } from '../../../src/sources/openapi/mapping/report.js';
import { exclusionReason } from '../../../src/sources/openapi/mapping/selection.js';
import { serverNameOf, toIdentifierLower, versionOf } from '../../../src/sources/openapi/mapping/server.js';
import type { ApiOperation, ReportEntry, Severity } from '../../../src/sources/openapi/model.js';

const operation = (over: Partial<ApiOperation> = {}): ApiOperation => ({
  key: 'GET /pets/{id}',
  method: 'GET',
  path: '/pets/{id}',
  tags: [],
  deprecated: false,
  parameters: [],
  security: [],
  servers: ['https://api.example.com/v1'],
  pointer: '#/paths/~1pets~1{id}/get',
  problems: [],
  ...over,
});

function collector() {
  const entries: Array<[string, string, Severity]> = [];
  return { entries, add: (o: string, r: string, s: Severity) => void entries.push([o, r, s]) };
}

describe('server identity', () => {
  it('derives names and versions, reporting what it replaced', () => {
    const { entries, add } = collector();
    expect(toIdentifierLower('PET_STORE')).toBe('pet_store');
    expect(toIdentifierLower('9LIVES')).toBe('api');
    expect(serverNameOf(undefined, 'PET_STORE', add)).toBe('pet-store-mcp');
    expect(serverNameOf('Bad Name', 'X', add)).toBe('x-mcp');
    expect(versionOf('v2', add)).toBe('2.0.0');
    expect(versionOf('1.2.3-beta.1', add)).toBe('1.2.3-beta.1');
    expect(versionOf('2024-01-01', add)).toBe('0.1.0');
    expect(entries.map(([, , s]) => s)).toEqual(['warning', 'info']);
  });
});

describe('selection', () => {
  it('applies x-mcp exclude, include (every criterion) and exclude (any criterion)', () => {
    const op = operation({ tags: ['pets'] });
    expect(exclusionReason(operation({ xMcp: { exclude: true } }))).toMatch(/x-mcp/);
    expect(exclusionReason(op, { paths: ['/pets/*'], methods: ['get'] })).toBeUndefined();
    expect(exclusionReason(op, { paths: ['/pets'] })).toMatch(/include/);
    expect(exclusionReason(op, undefined, { tags: ['pets'] })).toMatch(/exclude option/);
    expect(exclusionReason(op, { paths: ['/**'] })).toBeUndefined();
  });
});

describe('naming', () => {
  it('prefers overrides, then operationIds, and reports unused overrides', () => {
    const { entries, add } = collector();
    const a = operation({ key: 'GET /a', path: '/a', operationId: 'listThings' });
    const b = operation({ key: 'GET /b', path: '/b', operationId: 'listThings' });
    const names = assignNames([a, b], { 'GET /b': 'things', nothing: 'x' }, add);
    expect([names.get(a), names.get(b)]).toEqual(['listThings', 'things']);
    expect(entries).toEqual([['', 'the names option "nothing" matches no operation', 'warning']]);
  });
});

describe('auth and connections', () => {
  it('uses the most common supported scheme and one connection per base URL', () => {
    const { entries, add } = collector();
    const key = { key: 'key', type: 'apiKey' as const, in: 'header' as const, name: 'X-Key' };
    const a = operation({ key: 'GET /a', security: [[{ scheme: key, scopes: [] }]] });
    const b = operation({ key: 'GET /b', servers: ['https://other.example.com'] });
    const plan = planAuth([a, b], 'PETS', add);
    expect(plan.auth).toEqual({ type: 'api_key', in: 'header', name: 'X-Key', envVar: 'PETS_API_KEY' });
    const connections = planConnections([a, b], {}, 'PETS', 'pets', plan, add);
    expect(connections.list.map((c) => [c.name, c.type === 'http' && c.baseUrlEnv])).toEqual([
      ['pets', 'PETS_BASE_URL'],
      ['pets_2', 'EXAMPLE_OTHER_BASE_URL'],
    ]);
    expect(connections.byOperation.get(b)).toBe('pets_2');
    expect(entries.at(-1)?.[1]).toMatch(/2 different base URLs/);
  });
});

describe('mapOperation', () => {
  const ctx = (add: (reason: string, severity: Severity) => void) => ({
    connection: 'pets',
    authPlan: { headers: {}, satisfied: new Set<string>(), sentByConnection: new Set<string>() },
    maxDescription: 2000,
    flattenBody: true,
    add,
  });

  it('maps path placeholders (declared or not), the response and method annotations', () => {
    const notes: Array<[string, Severity]> = [];
    const mapped = mapOperation(
      operation({
        response: { status: '200', contentType: 'application/json', contentTypes: ['application/json'] },
      }),
      'get_pet',
      ctx((r, s) => notes.push([r, s])),
    );
    expect(mapped.http).toEqual({
      connection: 'pets',
      method: 'GET',
      path: '/pets/{{id}}',
      response: 'json',
    });
    expect(mapped.parameters).toEqual({ id: { type: 'string', required: true } });
    expect(mapped.annotations).toEqual({ openWorld: true, readOnly: true });
    expect(notes).toEqual([
      ['path parameter "id" is not declared; it is read as a required string', 'warning'],
    ]);
  });

  it('refuses unsupported methods and malformed paths', () => {
    expect(() =>
      mapOperation(
        operation({ method: 'TRACE' }),
        't',
        ctx(() => {}),
      ),
    ).toThrow(/TRACE method/);
    expect(() =>
      mapOperation(
        operation({ path: '/a/{b' }),
        't',
        ctx(() => {}),
      ),
    ).toThrow(/unbalanced/);
  });
});

describe('dynamic catalog', () => {
  it('puts every operation in one catalog behind the three fixed tools', () => {
    const result: MappedOperation = {
      name: 'get_pet',
      description: 'Get a pet.',
      parameters: {},
      annotations: { readOnly: true },
      http: { connection: 'pets', method: 'GET', path: '/pets' },
    };
    const { catalog, tools } = dynamicCatalog(
      [{ op: operation({ tags: ['pets'] }), result }],
      'pets',
      'Pets',
      2000,
    );
    expect(catalog.operations[0]?.description).toBe('Get a pet.\n\nGET /pets/{id} (pets)');
    expect(tools.map((t) => [t.name, t.catalog?.action])).toEqual([
      [DYNAMIC_TOOLS.search, 'search'],
      [DYNAMIC_TOOLS.describe, 'describe'],
      [DYNAMIC_TOOLS.invoke, 'invoke'],
    ]);
    expect(tools[0]?.description).toContain('Search the 1 operations of Pets');
  });
});

describe('report entries', () => {
  it('dedupes per operation and caps the total, keeping errors first', () => {
    const e = (severity: Severity, reason = 'r'): ReportEntry => ({ operation: 'x', reason, severity });
    expect(dedupe([e('info'), e('info'), e('warning')])).toEqual([e('info'), e('warning')]);
    const many = [...Array.from({ length: MAX_REPORT_ENTRIES }, () => e('info')), e('error', 'bad')];
    const capped = capEntries(many);
    expect(capped).toHaveLength(MAX_REPORT_ENTRIES);
    expect(capped).toContainEqual(e('error', 'bad'));
    expect(capped.at(-1)?.reason).toBe('…and 2 more entries');
    expect(parameterDescriptionMax(60)).toBe(50);
  });
});
