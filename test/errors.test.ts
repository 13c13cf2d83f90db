/** Generated artefacts that must stay in sync with the sources: the error table and the published JSON Schema. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { errorsMarkdown } from '../src/core/errors/docs.js';
import { ERROR_CODES } from '../src/core/errors/index.js';
import { specJsonSchema, specJsonSchemaText } from '../src/core/spec/index.js';

describe('docs/errors.md', () => {
  it('is generated from src/errors/codes.ts (run npm run schema)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(errorsMarkdown());
  });
  it('lists every code with a hint', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(e.hint.length).toBeGreaterThan(10);
    }
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
