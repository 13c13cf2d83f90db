// Unit tests for the steps the OpenAPI normaliser is split into (src/sources/openapi/normalize/), each called
// directly; documents.test.ts and the corpus tests cover the same behaviour through whole documents.
import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../../src/sources/openapi/model.js';
import { bodyKind, swaggerBody } from '../../../src/sources/openapi/normalize/bodies.js';
import { str } from '../../../src/sources/openapi/normalize/common.js';
import { swaggerParameter, swaggerSchemaOf } from '../../../src/sources/openapi/normalize/parameters.js';
import { readRequirements } from '../../../src/sources/openapi/normalize/security.js';
import { readServers, swaggerServers } from '../../../src/sources/openapi/normalize/servers.js';
import { bodyKind as bodyKindFromNormalize, METHODS } from '../../../src/sources/openapi/normalize.js';

function problems() {
  const list: Array<[string, ReportEntry['severity'] | undefined]> = [];
  return {
    list,
    add: (reason: string, severity?: ReportEntry['severity']) => void list.push([reason, severity]),
  };
}

describe('servers', () => {
  it('fills variables from defaults or the first enum value and drops servers it cannot complete', () => {
    const notes: string[] = [];
    const servers = readServers(
      [
        { url: 'https://{env}.example.com/{v}', variables: { env: { default: 'api' }, v: { enum: ['v2'] } } },
        { url: 'https://{region}.example.com' },
        { nourl: true },
      ],
      (r) => notes.push(r),
      '#/servers',
    );
    expect(servers).toEqual(['https://api.example.com/v2']);
    expect(notes).toEqual([
      'server URL https://{region}.example.com (#/servers) has a variable without a default and was ignored',
    ]);
  });

  it('builds the Swagger 2.0 base URL, preferring https', () => {
    expect(swaggerServers({ host: 'h', basePath: '/v1', schemes: ['http', 'https'] })).toEqual([
      'https://h/v1',
    ]);
    expect(swaggerServers({ host: 'h', schemes: ['http'] })).toEqual(['http://h']);
    expect(swaggerServers({ basePath: '/v1' })).toEqual(['/v1']);
    expect(swaggerServers({})).toEqual(['/']);
  });
});

describe('parameters and bodies', () => {
  it('maps collectionFormat onto style and explode, noting unknown formats', () => {
    const { list, add } = problems();
    const schemaOf = (node: unknown) => node as Record<string, unknown>;
    const pipes = swaggerParameter({ type: 'array', collectionFormat: 'pipes' }, 'q', 'query', schemaOf, add);
    expect([pipes.style, pipes.explode]).toEqual(['pipeDelimited', false]);
    const odd = swaggerParameter({ type: 'array', collectionFormat: 'odd' }, 'p', 'path', schemaOf, add);
    expect([odd.style, odd.explode, odd.required]).toEqual(['simple', false, true]);
    expect(list).toEqual([['parameter "p": unknown collectionFormat "odd", read as csv', 'info']]);
    expect(swaggerSchemaOf({ type: 'file', in: 'formData' })).toEqual({ type: 'string', format: 'binary' });
  });

  it('folds Swagger formData parameters into one object body', () => {
    const { add } = problems();
    const body = swaggerBody(
      [],
      [
        { value: { name: 'f', in: 'formData', type: 'file', required: true }, base: '' },
        { value: { name: 'g', in: 'formData', type: 'string' }, base: '' },
      ],
      [],
      (node) => node as Record<string, unknown>,
      add,
    );
    expect(body).toEqual({
      required: true,
      content: [
        {
          contentType: 'multipart/form-data',
          schema: {
            type: 'object',
            properties: { f: { type: 'string', format: 'binary' }, g: { type: 'string' } },
            required: ['f'],
          },
        },
      ],
    });
  });

  it('classifies media types and stays reachable from normalize.ts', () => {
    expect(bodyKind('application/vnd.api+json; charset=utf-8')).toBe('json');
    expect(bodyKind('multipart/mixed')).toBe('multipart');
    expect(bodyKind('application/xml')).toBeUndefined();
    expect(bodyKindFromNormalize).toBe(bodyKind);
    expect(METHODS).toContain('trace');
  });
});

describe('security and text', () => {
  it('keeps requirements on undefined schemes as unknown and says so', () => {
    const { list, add } = problems();
    const schemes = new Map([['key', { key: 'key', type: 'apiKey' as const }]]);
    const requirements = readRequirements([{ key: [], nope: ['s', 1] }, 'junk'], schemes, add);
    expect(requirements).toEqual([
      [
        { scheme: { key: 'key', type: 'apiKey' }, scopes: [] },
        { scheme: { key: 'nope', type: 'unknown' }, scopes: ['s'] },
      ],
    ]);
    expect(list).toEqual([['security requirement names the undefined scheme "nope"', 'info']]);
  });

  it('caps document text', () => {
    expect(str('x'.repeat(30_000))).toHaveLength(20_000);
    expect(str(5)).toBeUndefined();
  });
});
