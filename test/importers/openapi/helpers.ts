/** Shared helpers of the OpenAPI importer tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { validateSpec } from '../../../src/core/spec/load.js';
import type { ServerSpec, ServerSpecInput } from '../../../src/core/spec/model.js';
import { type ImportOptions, type ImportResult, importOpenApi } from '../../../src/sources/openapi/index.js';
import { corpusFile } from '../../helpers/corpus.js';

export const FIXTURES = resolve('test/fixtures/openapi');
export const PETSTORE = corpusFile('petstore-3.0.yaml');
export const TWILIO = corpusFile('twilio_api_v2010.json');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

let dir: string | undefined;
let counter = 0;

/** Write a document (object → JSON, string as is) into a temporary file and return its path. */
export function writeDoc(doc: unknown, ext = 'json'): string {
  dir ??= mkdtempSync(join(tmpdir(), 'mcpf-openapi-'));
  const file = join(dir, `doc-${++counter}.${ext}`);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return file;
}

/** A minimal OpenAPI 3.0 document around the given paths. */
export function oas(
  paths: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'Test API', version: '1.0.0' },
    servers: [{ url: 'https://api.example.com/v1' }],
    paths,
    ...extra,
  };
}

export async function importDoc(
  doc: unknown,
  options: ImportOptions = {},
  ext = 'json',
): Promise<ImportResult> {
  return importOpenApi(writeDoc(doc, ext), options);
}

/** The spec must pass the project's own validation (as JSON: exactly what would be written to a file). */
export function expectValid(spec: ServerSpecInput): ServerSpec {
  const result = validateSpec(JSON.parse(JSON.stringify(spec)));
  expect(result.issues, JSON.stringify(result.issues.slice(0, 5), null, 2)).toEqual([]);
  expect(result.ok).toBe(true);
  return result.spec!;
}

export function toolOf(spec: ServerSpecInput, name: string) {
  const tool = spec.tools?.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}: ${spec.tools?.map((t) => t.name).join(', ')}`);
  return tool;
}

/** An operation with a JSON 200 response, for compact documents. */
export function op(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    responses: {
      '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
    },
    ...extra,
  };
}

/** A document full of hostile text: comment terminators, template syntax, control characters, secrets, odd names. */
export function hostileDoc(): Record<string, unknown> {
  const str = { type: 'string' };
  const evil = 'Ends a comment */ `backticks` ${process.exit(1)} </script> \u0000\u001b[31mred\u202e';
  return oas(
    {
      '/a/{id}': {
        get: op({
          operationId: "a'; process.exit(1); //",
          summary: `Line one\nline two ${evil}`,
          description: `${evil}\n${'x'.repeat(10_000)}`,
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: evil,
              schema: { type: 'string', default: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789AB' },
            },
            { name: '__proto__', in: 'query', schema: str },
            {
              name: 'constructor',
              in: 'query',
              schema: { type: 'string', enum: ['ok', 'AKIAABCDEFGHIJKLMNOP'] },
            },
          ],
        }),
      },
      '/b': {
        get: op({ description: 'Token for tests: sk-live_abcdefghijklmnopqrstuvwxyz0123 (do not use)' }),
      },
      '/c{{x}}': { get: op() },
      '/d': {
        post: {
          operationId: 'd',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    // A computed key: an own property named __proto__, as JSON.parse would make it.
                    ['__proto__']: str,
                    constructor: { type: 'string', enum: ['*/', '${x}', '`'] },
                    'a-b': { type: 'object', properties: { 'c-d': str } },
                    toString: { type: 'integer', default: 5, description: evil },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: evil,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { 'a-b': str, constructor: str, ok: { type: 'string', description: evil } },
                  },
                },
              },
            },
          },
        },
      },
    },
    { info: { title: `Evil ${evil}`, version: '1.0.0', description: evil } },
  );
}
