/** Generated artefacts that must stay in sync with the sources: the error table and the published JSON Schema. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { errorsMarkdown } from '../src/core/errors/docs.js';
import { ERROR_CODES, type ErrorCode } from '../src/core/errors/index.js';
import { specJsonSchema, specJsonSchemaText } from '../src/core/spec/index.js';
import { statusOf } from '../src/surfaces/http/errors.js';

describe('docs/errors.md', () => {
  it('is generated from src/core/errors/codes.ts (run npm run schema)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(errorsMarkdown());
  });
  it('lists every code with a hint', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(e.hint.length).toBeGreaterThan(10);
    }
  });
  it('gives every code an HTTP status in 400-599, the one the API answers with', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      expect(Number.isInteger(e.status), code).toBe(true);
      expect(e.status, code).toBeGreaterThanOrEqual(400);
      expect(e.status, code).toBeLessThanOrEqual(599);
      expect(statusOf(code as ErrorCode), code).toBe(e.status);
    }
    // Internal errors are the server's fault.
    for (const [code, e] of Object.entries(ERROR_CODES))
      if (e.kind === 'internal') expect(e.status, code).toBeGreaterThanOrEqual(500);
  });
});

describe('schema/mcp-spec.schema.json', () => {
  it('is generated from the spec model (run npm run schema)', () => {
    expect(readFileSync('schema/mcp-spec.schema.json', 'utf8')).toBe(specJsonSchemaText());
  });
  it('accepts the examples and rejects an unknown field', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(specJsonSchema());
    for (const f of ['examples/inventory.yaml', 'examples/rest-wrapper.yaml', 'examples/text-tools.yaml']) {
      expect(validate(parse(readFileSync(f, 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ name: 'x', tools: [], bogus: 1 })).toBe(false);
  });
});
