/** JSON Schema → ValueSchema: merged, loosened, made consistent (the spec validator must accept every result). */
import { describe, expect, it } from 'vitest';
import type { ValueSchema } from '../../../src/core/spec/model.js';
import type { JsonSchema } from '../../../src/sources/openapi/model.js';
import { Resolver } from '../../../src/sources/openapi/refs.js';
import { type ConvertOptions, toValueSchema } from '../../../src/sources/openapi/schema.js';
import { expectValid } from './helpers.js';

function convert(schema: JsonSchema, mode: ConvertOptions['mode'] = 'input', fallback?: ValueSchema['type']) {
  const notes = new Set<string>();
  const value = toValueSchema(schema, { mode, maxDescription: 1000, notes }, fallback);
  return { value, notes: [...notes] };
}

/** The converted schema as a parameter of a tool must pass spec validation. */
function expectAccepted(value: ValueSchema | undefined) {
  expect(value).toBeDefined();
  expectValid({
    name: 'x-mcp',
    tools: [{ name: 't', description: 'd', parameters: { p: value! }, static: { text: 'x' } }],
  });
}

describe('ValueSchema conversion', () => {
  it('keeps the supported keywords', () => {
    const { value } = convert({
      type: 'string',
      minLength: 2,
      maxLength: 5,
      pattern: '^[a-z]+$',
      enum: ['ab', 'cd'],
      default: 'ab',
      description: 'Letters.',
    });
    expect(value).toEqual({
      type: 'string',
      minLength: 2,
      maxLength: 5,
      pattern: '^[a-z]+$',
      enum: ['ab', 'cd'],
      default: 'ab',
      description: 'Letters.',
    });
  });

  it('turns OpenAPI 3.0 boolean exclusive bounds into numbers', () => {
    const { value } = convert({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 10,
      exclusiveMaximum: false,
    });
    expect(value).toEqual({ type: 'number', exclusiveMinimum: 0, maximum: 10 });
    expectAccepted(value);
  });

  it('reads nullability from 3.0 nullable, 3.1 type arrays, enums and oneOf null branches', () => {
    expect(convert({ type: 'string', nullable: true }).value).toEqual({ type: 'string', nullable: true });
    expect(convert({ type: ['integer', 'null'] }).value).toEqual({ type: 'integer', nullable: true });
    expect(convert({ type: 'string', enum: ['a', null] }).value).toEqual({
      type: 'string',
      nullable: true,
      enum: ['a'],
    });
    expect(convert({ oneOf: [{ type: 'string' }, { type: 'null' }] }).value).toEqual({
      type: 'string',
      nullable: true,
    });
  });

  it('drops defaults and enum values that break the schema, and contradictory bounds', () => {
    expect(convert({ type: 'integer', minimum: 1, default: 0 }).value).toEqual({
      type: 'integer',
      minimum: 1,
    });
    expect(convert({ type: 'integer', enum: [1, '2', 'x', 2.5] }).value).toEqual({
      type: 'integer',
      enum: [1, 2],
    });
    expect(convert({ type: 'string', enum: [1, true] }).value).toEqual({
      type: 'string',
      enum: ['1', 'true'],
    });
    expect(convert({ type: 'integer', minimum: 5, maximum: 1 }).value).toEqual({ type: 'integer' });
    expect(convert({ type: 'string', minLength: 5, maxLength: 1 }).value).toEqual({ type: 'string' });
    expect(convert({ type: 'string', default: null }).value).toEqual({ type: 'string' });
    const { value, notes } = convert({ type: 'string', pattern: '(a+)+$' });
    expect(value).toEqual({ type: 'string' });
    expect(notes.join()).toContain('catastrophic');
    expect(convert({ type: 'string', pattern: '[' }).value).toEqual({ type: 'string' });
  });

  it('mentions formats in input descriptions instead of enforcing them', () => {
    expect(convert({ type: 'string', format: 'date-time' }).value).toEqual({
      type: 'string',
      description: 'Format: date-time.',
    });
    expect(convert({ type: 'string', format: 'date-time' }, 'output').value).toEqual({ type: 'string' });
    expect(convert({ type: 'integer', format: 'int64' }).value).toEqual({ type: 'integer' });
  });

  it('merges allOf (properties, required) and notes conflicting types', () => {
    const { value } = convert({
      allOf: [
        {
          type: 'object',
          properties: { a: { type: 'string' } },
          required: ['a'],
          additionalProperties: false,
        },
        { type: 'object', properties: { b: { type: 'integer' } }, required: ['b'] },
      ],
    });
    expect(value).toEqual({
      type: 'object',
      properties: { a: { type: 'string', required: true }, b: { type: 'integer', required: true } },
    });
    const conflict = convert({ allOf: [{ type: 'string' }, { type: 'integer' }] });
    expect(conflict.value?.type).toBe('string');
    expect(conflict.notes.join()).toContain('conflicting types');
    expectAccepted(conflict.value);
  });

  it('reduces oneOf/anyOf to the loosest common form', () => {
    expect(
      convert({
        anyOf: [
          { type: 'string', enum: ['a'] },
          { type: 'string', enum: ['b'] },
        ],
      }).value,
    ).toEqual({
      type: 'string',
      enum: ['a', 'b'],
    });
    expect(convert({ oneOf: [{ type: 'integer' }, { type: 'number' }] }).value).toEqual({ type: 'number' });
    const objects = convert({
      oneOf: [
        {
          type: 'object',
          properties: { kind: { type: 'string' }, a: { type: 'string' } },
          required: ['kind', 'a'],
        },
        {
          type: 'object',
          properties: { kind: { type: 'string' }, b: { type: 'integer' } },
          required: ['kind'],
        },
      ],
    }).value;
    expect(objects).toEqual({
      type: 'object',
      properties: { kind: { type: 'string', required: true }, a: { type: 'string' }, b: { type: 'integer' } },
      additionalProperties: true,
    });
    // No common type: inputs offer the first alternative, outputs leave the value undescribed.
    const mixed = convert({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] });
    expect(mixed.value).toEqual({ type: 'string' });
    expect(mixed.notes.join()).toContain('no common type');
    expect(convert({ oneOf: [{ type: 'string' }, { type: 'object' }] }, 'output').value).toBeUndefined();
  });

  it('keeps only identifier property names; inputs with other names become free-form objects', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { ok_name: { type: 'string' }, 'first-name': { type: 'string' }, $ref: { type: 'string' } },
    };
    expect(convert(schema, 'output').value).toEqual({
      type: 'object',
      properties: { ok_name: { type: 'string' } },
    });
    const input = convert(schema, 'input');
    expect(input.value?.properties).toBeUndefined();
    expect(input.value?.description).toContain('first-name');
    expectAccepted(input.value);
  });

  it('drops readOnly properties from inputs and writeOnly ones from outputs', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        id: { type: 'integer', readOnly: true },
        secret: { type: 'string', writeOnly: true },
        name: { type: 'string' },
      },
    };
    expect(Object.keys(convert(schema, 'input').value!.properties!)).toEqual(['secret', 'name']);
    expect(Object.keys(convert(schema, 'output').value!.properties!)).toEqual(['id', 'name']);
  });

  it('infers missing types and falls back when nothing is known', () => {
    expect(convert({ properties: { a: { type: 'string' } } }).value?.type).toBe('object');
    expect(convert({ items: { type: 'string' } }).value?.type).toBe('array');
    expect(convert({ enum: ['x', 'y'] }).value).toEqual({ type: 'string', enum: ['x', 'y'] });
    expect(convert({}, 'output').value).toBeUndefined();
    expect(convert({}, 'input', 'string').value).toEqual({ type: 'string' });
  });

  it('cuts recursive references into a plain object (no stack overflow)', () => {
    const doc = {
      components: {
        schemas: {
          Node: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
            },
          },
        },
      },
    };
    const resolver = new Resolver(new Map([['file:///doc.json', { data: doc }]]), {
      recursionDepth: 1,
      maxSchemaDepth: 12,
      maxNodes: 20_000,
    });
    const ctx = { problems: new Set<string>(), nodes: 0 };
    const resolved = resolver.schema({ $ref: '#/components/schemas/Node' }, 'file:///doc.json', ctx);
    expect([...ctx.problems].join()).toContain('recursive schema');
    const { value } = convert(resolved, 'output');
    expect(value).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { type: 'object' } } },
    });
    // Two expansions when asked for.
    const deeper = new Resolver(new Map([['file:///doc.json', { data: doc }]]), {
      recursionDepth: 2,
      maxSchemaDepth: 12,
      maxNodes: 20_000,
    }).schema({ $ref: '#/components/schemas/Node' }, 'file:///doc.json', { problems: new Set(), nodes: 0 });
    const twice = convert(deeper, 'output').value!;
    expect(twice.properties?.children?.items?.properties?.children?.items).toEqual({ type: 'object' });
  });

  it('survives absurd nesting without throwing', () => {
    let schema: JsonSchema = { type: 'string' };
    for (let i = 0; i < 5000; i++) schema = { type: 'array', items: schema };
    const { value } = convert(schema, 'input');
    expect(value?.type).toBe('array');
    let allOf: JsonSchema = { type: 'string' };
    for (let i = 0; i < 5000; i++) allOf = { allOf: [allOf] };
    expect(() => convert(allOf, 'input')).not.toThrow();
  });
});
