/**
 * ValueSchema (spec) → JSON Schema (wire) and → TypeScript types (code tools). Pure: the tool kinds derive
 * their input and output schemas with it, the generator prints them.
 */
import type { ValueSchema } from '../spec/model.js';
import { lit } from './literals.js';

export type JsonSchema = Record<string, unknown>;

export function valueToJsonSchema(v: ValueSchema, forInput: boolean): JsonSchema {
  const out: JsonSchema = { type: v.nullable ? [v.type, 'null'] : v.type };
  const copy = [
    'description',
    'enum',
    'default',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'minLength',
    'maxLength',
    'pattern',
    'format',
    'minItems',
    'maxItems',
  ] as const;
  for (const key of copy) if (v[key] !== undefined) out[key] = v[key];
  if (v.items) out.items = valueToJsonSchema(v.items, forInput);
  if (v.type === 'object') {
    const props = v.properties ?? {};
    out.properties = Object.fromEntries(
      Object.entries(props).map(([k, p]) => [k, valueToJsonSchema(p, forInput)]),
    );
    const required = Object.entries(props)
      .filter(([, p]) => p.required)
      .map(([k]) => k);
    if (required.length) out.required = required;
    if (v.additionalProperties !== undefined) out.additionalProperties = v.additionalProperties;
    else if (forInput && v.properties) out.additionalProperties = false;
  }
  return out;
}

export function inputSchema(parameters: Record<string, ValueSchema>): JsonSchema {
  const required = Object.entries(parameters)
    .filter(([, p]) => p.required && p.default === undefined)
    .map(([k]) => k);
  return {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(parameters).map(([k, p]) => [k, valueToJsonSchema(p, true)]),
    ),
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };
}

/** structuredContent must be an object: a non-object value travels as `{ result: value }`. */
export function wrapInResult(schema: JsonSchema): JsonSchema {
  return { type: 'object', properties: { result: schema }, required: ['result'] };
}

/** A TypeScript type for a value schema (used for code tool arguments). */
export function tsType(v: ValueSchema, indent = ''): string {
  let t: string;
  if (v.enum) t = v.enum.map((e) => lit(e)).join(' | ');
  else
    switch (v.type) {
      case 'string':
        t = 'string';
        break;
      case 'number':
      case 'integer':
        t = 'number';
        break;
      case 'boolean':
        t = 'boolean';
        break;
      case 'array':
        t = `Array<${v.items ? tsType(v.items, indent) : 'unknown'}>`;
        break;
      case 'object':
        t = v.properties ? tsObject(v.properties, indent, (p) => !!p.required) : 'Record<string, unknown>';
        break;
    }
  return v.nullable ? `${t} | null` : t;
}

export function tsObject(
  props: Record<string, ValueSchema>,
  indent: string,
  isRequired: (p: ValueSchema) => boolean,
): string {
  const inner = `${indent}  `;
  const lines = Object.entries(props).map(
    ([k, p]) => `${inner}${lit(k)}${isRequired(p) ? '' : '?'}: ${tsType(p, inner)};`,
  );
  return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, never>';
}
