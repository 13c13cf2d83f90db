import { describe, expect, it } from 'vitest';
import {
  buildValue,
  type Field,
  fieldFromSchema,
  initialRaw,
  MAX_DESCRIPTION,
  rawFromValue,
  safeText,
} from '../../../console/src/components/schema-form/model.ts';

const toolSchema = {
  type: 'object',
  properties: {
    query: { type: 'string', description: 'What to look for', minLength: 2 },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    ratio: { type: ['number', 'null'], exclusiveMaximum: 1 },
    exact: { type: 'boolean' },
    sort: { enum: ['asc', 'desc'], default: 'asc' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    range: {
      type: 'object',
      properties: { from: { type: 'string' }, to: { type: 'string' } },
      required: ['from'],
    },
    apiKey: { type: 'string' },
    filter: { anyOf: [{ type: 'string' }, { type: 'number' }] },
  },
  required: ['query'],
  additionalProperties: false,
};

function fieldsOf(field: Field): Record<string, Field> {
  if (field.kind !== 'object') throw new Error(`expected an object field, got ${field.kind}`);
  return Object.fromEntries(field.fields.map((f) => [f.name, f]));
}

describe('fieldFromSchema', () => {
  it('maps each JSON Schema type to its field kind, with required, defaults and constraints', () => {
    const fields = fieldsOf(fieldFromSchema(toolSchema, '', true));
    expect(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.kind]))).toEqual({
      query: 'string',
      limit: 'integer',
      ratio: 'number',
      exact: 'boolean',
      sort: 'enum',
      tags: 'array',
      range: 'object',
      apiKey: 'string',
      filter: 'json',
    });
    expect(fields.query).toMatchObject({ required: true, minLength: 2, description: 'What to look for' });
    expect(fields.limit).toMatchObject({ required: false, default: 10, minimum: 1, maximum: 100 });
    expect(fields.apiKey).toMatchObject({ secret: true });
    expect(fields.query).toMatchObject({ secret: false });
    expect(fields.filter).toMatchObject({ reason: 'uses anyOf' });
  });

  it('falls back to a JSON field for refs, free-form objects, structured enums and deep nesting', () => {
    expect(fieldFromSchema({ $ref: '#/x' }).kind).toBe('json');
    expect(fieldFromSchema({ type: 'object' }).kind).toBe('json');
    // A tool without parameters: an object with no fields, whose value is {}.
    const none = fieldFromSchema({ type: 'object', properties: {}, additionalProperties: false }, '', true);
    expect(none).toMatchObject({ kind: 'object', fields: [] });
    expect(buildValue(none, initialRaw(none))).toEqual({ value: {}, errors: [] });
    expect(fieldFromSchema({ enum: [{ a: 1 }] }).kind).toBe('json');
    expect(fieldFromSchema(true).kind).toBe('json');
    expect(fieldFromSchema('nonsense').kind).toBe('json');
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20; i++) deep = { type: 'object', properties: { inner: deep } };
    let field = fieldFromSchema(deep);
    let depth = 0;
    while (field.kind === 'object') {
      field = field.fields[0] as Field;
      depth++;
    }
    expect(field.kind).toBe('json');
    expect(depth).toBeLessThanOrEqual(7);
  });

  it('treats descriptions and titles as untrusted: control and bidi characters removed, length capped', () => {
    const long = `<img src=x onerror=alert(1)>\u0007\u202e${'a'.repeat(5000)}`;
    const field = fieldFromSchema({ type: 'string', description: long, title: 'T\u0000itle' }, 'x');
    expect(field.description?.length).toBe(MAX_DESCRIPTION);
    expect(field.description).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(field.description?.startsWith('<img')).toBe(true); // kept as text; React escapes it
    expect(field.label).toBe('Title');
    expect(safeText('   ')).toBeUndefined();
    expect(safeText(42)).toBeUndefined();
  });
});

describe('buildValue', () => {
  const field = fieldFromSchema(toolSchema, '', true);

  it('coerces the raw form values into typed arguments and leaves empty optional fields out', () => {
    const raw = rawFromValue(field, {
      query: 'laptop',
      limit: 5,
      exact: true,
      sort: 'desc',
      tags: ['a', 'b'],
      range: { from: '2024' },
      filter: 3,
    });
    expect(buildValue(field, raw)).toEqual({
      value: {
        query: 'laptop',
        limit: 5,
        exact: true,
        sort: 'desc',
        tags: ['a', 'b'],
        range: { from: '2024' },
        filter: 3,
      },
      errors: [],
    });
  });

  it('starts from the defaults', () => {
    const built = buildValue(field, { ...(initialRaw(field) as Record<string, never>), query: 'ab' });
    expect(built.value).toEqual({ query: 'ab', limit: 10, exact: false, sort: 'asc' });
  });

  it('reports every invalid field with its path', () => {
    const raw = {
      ...(initialRaw(field) as Record<string, never>),
      query: 'a',
      limit: '1.5',
      ratio: '1',
      tags: ['x', 'y', 'z'],
      range: { from: '', to: 'z' },
      filter: '{not json',
    };
    const { errors } = buildValue(field, raw as never);
    expect(Object.fromEntries(errors.map((e) => [e.path, e.message]))).toEqual({
      query: 'at least 2 characters',
      limit: 'a whole number',
      ratio: 'less than 1',
      tags: 'at most 2 items',
      'range.from': 'required',
      filter: expect.stringMatching(/^not valid JSON/),
    });
  });

  it('refuses numbers in disguise and out-of-range values', () => {
    const limit = fieldsOf(field).limit as Field;
    for (const text of ['0x10', '1e3', ' ', 'Infinity', '99999999999999999999', '0', '101'])
      expect(buildValue({ ...limit, required: true }, text).errors.length, text).toBe(1);
    expect(buildValue(limit, '100').value).toBe(100);
  });

  it('accepts only the listed enum options', () => {
    const sort = fieldsOf(field).sort as Field;
    expect(buildValue(sort, '1').value).toBe('desc');
    expect(buildValue(sort, '7').errors).toEqual([{ path: '', message: 'choose an option' }]);
  });

  it('never throws on a pattern the browser cannot compile', () => {
    const f = fieldFromSchema({ type: 'string', pattern: '(?<' }, 'x', true);
    expect(buildValue(f, 'anything')).toEqual({ value: 'anything', errors: [] });
    const g = fieldFromSchema({ type: 'string', pattern: '^[a-z]+$' }, 'x', true);
    expect(buildValue(g, 'ABC').errors).toHaveLength(1);
  });

  it('round-trips values through the raw form state', () => {
    const value = {
      query: 'qq',
      limit: 3,
      tags: ['t'],
      range: { from: 'a', to: 'b' },
      exact: false,
      sort: 'asc',
    };
    expect(buildValue(field, rawFromValue(field, value)).value).toEqual(value);
  });
});
