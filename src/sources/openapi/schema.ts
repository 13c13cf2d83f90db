/**
 * Resolved JSON Schema → the IR's `ValueSchema`. allOf is merged, oneOf/anyOf become their loosest common
 * form, keywords the IR cannot hold are dropped, and everything kept is made consistent (defaults and enum
 * values that break their own constraints are removed) so that the spec validator accepts the result.
 */
import { IDENTIFIER, type ValueSchema } from '../../core/spec/model.js';
import type { JsonSchema } from './model.js';
import { isUnsafeKey } from './names.js';
import { cleanText, isSecretLike } from './text.js';

export type ValueType = ValueSchema['type'];
const TYPES = new Set<string>(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const FORMATS = new Set(['email', 'uri', 'date', 'date-time', 'uuid']);

export interface ConvertOptions {
  /** input: parameters (readOnly properties dropped); output: `returns` (writeOnly dropped, open objects). */
  mode: 'input' | 'output';
  maxDescription: number;
  /** Notes about lossy conversions (deduplicated by the caller). */
  notes: Set<string>;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------- flattening: allOf / oneOf / anyOf ----------

/** A schema without allOf/oneOf/anyOf. `x-mcp-mixed` lists the types of a union that has no common type. */
export function flatten(schema: JsonSchema, notes: Set<string>, depth = 0): JsonSchema {
  if (depth > 32) return {};
  let own: JsonSchema = { ...schema };
  const allOf = Array.isArray(own.allOf) ? (own.allOf as JsonSchema[]) : undefined;
  const union = Array.isArray(own.oneOf)
    ? (own.oneOf as JsonSchema[])
    : Array.isArray(own.anyOf)
      ? (own.anyOf as JsonSchema[])
      : undefined;
  delete own.allOf;
  delete own.oneOf;
  delete own.anyOf;
  if (allOf) {
    for (const part of allOf) own = merge(own, flatten(isObj(part) ? part : {}, notes, depth + 1), notes);
  }
  if (union && union.length > 0) {
    const loose = loosest(
      union.map((b) => flatten(isObj(b) ? b : {}, notes, depth + 1)),
      notes,
    );
    // Keywords next to oneOf/anyOf apply to every branch: merge them into the union's common form.
    const annotationsOnly = Object.keys(own).every((k) =>
      [
        'description',
        'title',
        'default',
        'nullable',
        'readOnly',
        'writeOnly',
        'deprecated',
        'discriminator',
      ].includes(k),
    );
    own = annotationsOnly ? { ...loose, ...own } : merge(own, loose, notes);
  }
  return own;
}

function typesOf(s: JsonSchema): { types: string[]; nullable: boolean } {
  let nullable = s.nullable === true;
  let types: string[] = [];
  if (typeof s.type === 'string') types = [s.type];
  else if (Array.isArray(s.type)) types = s.type.filter((t): t is string => typeof t === 'string');
  if (types.includes('null')) {
    nullable = true;
    types = types.filter((t) => t !== 'null');
  }
  if (types.includes('file')) types = types.map((t) => (t === 'file' ? 'string' : t));
  if (types.length === 0) {
    const inferred = inferType(s);
    if (inferred) types = [inferred];
  }
  if (Array.isArray(s.enum) && s.enum.includes(null)) nullable = true;
  return { types: [...new Set(types)].filter((t) => TYPES.has(t)), nullable };
}

function inferType(s: JsonSchema): string | undefined {
  if (isObj(s.properties) || s.additionalProperties !== undefined) return 'object';
  if (s.items !== undefined || s.minItems !== undefined || s.maxItems !== undefined) return 'array';
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined) return 'string';
  if (typeof s.format === 'string' && FORMATS.has(s.format)) return 'string';
  if (s.minimum !== undefined || s.maximum !== undefined) return 'number';
  const samples = Array.isArray(s.enum)
    ? s.enum.filter((v) => v !== null)
    : s.const !== undefined
      ? [s.const]
      : [];
  if (samples.length > 0) {
    const kinds = new Set(
      samples.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)),
    );
    if (kinds.size === 1) {
      const [kind] = kinds;
      if (kind === 'string' || kind === 'boolean' || kind === 'integer' || kind === 'number') return kind;
    }
    if ([...kinds].every((k) => k === 'integer' || k === 'number')) return 'number';
  }
  return undefined;
}

/** allOf: both must hold. Conflicting types keep the first and are noted. */
function merge(a: JsonSchema, b: JsonSchema, notes: Set<string>): JsonSchema {
  const out: JsonSchema = { ...b, ...a };
  const ta = typesOf(a);
  const tb = typesOf(b);
  if (ta.types.length && tb.types.length) {
    const common = ta.types.filter(
      (t) => tb.types.includes(t) || (t === 'integer' && tb.types.includes('number')),
    );
    const common2 = tb.types.filter((t) => t === 'integer' && ta.types.includes('number'));
    const both = [...new Set([...common, ...common2])];
    if (both.length === 0) {
      notes.add(
        `allOf combines conflicting types (${ta.types.join('|')} and ${tb.types.join('|')}); the first is used`,
      );
      out.type = ta.types[0];
    } else out.type = both.length === 1 ? both[0] : both;
  } else if (tb.types.length && !ta.types.length) out.type = tb.types.length === 1 ? tb.types[0] : tb.types;
  // nullable: the common OpenAPI 3.0 idiom `allOf: [{$ref}, {nullable: true}]` means "nullable".
  if (a.nullable === true || b.nullable === true) out.nullable = true;
  if (isObj(a.properties) || isObj(b.properties)) {
    const props: Record<string, JsonSchema> = { ...((b.properties as Record<string, JsonSchema>) ?? {}) };
    for (const [k, v] of Object.entries((a.properties as Record<string, JsonSchema>) ?? {}))
      props[k] = props[k] ? merge(v, props[k]!, notes) : v;
    out.properties = props;
  }
  const required = [...new Set([...stringArray(a.required), ...stringArray(b.required)])];
  if (required.length) out.required = required;
  else delete out.required;
  if (Array.isArray(a.enum) && Array.isArray(b.enum)) {
    const common = a.enum.filter((v) => (b.enum as unknown[]).includes(v));
    if (common.length) out.enum = common;
  }
  if (isObj(a.items) && isObj(b.items)) out.items = merge(a.items, b.items, notes);
  for (const [k, pick] of [
    ['minimum', Math.max],
    ['minLength', Math.max],
    ['minItems', Math.max],
    ['maximum', Math.min],
    ['maxLength', Math.min],
    ['maxItems', Math.min],
  ] as const) {
    if (typeof a[k] === 'number' && typeof b[k] === 'number') out[k] = pick(a[k] as number, b[k] as number);
  }
  // `additionalProperties: false` in one part of an allOf would forbid the other parts' properties.
  if (a.additionalProperties === false || b.additionalProperties === false) delete out.additionalProperties;
  if (a['x-mcp-cut'] && !b['x-mcp-cut']) delete out['x-mcp-cut'];
  return out;
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** oneOf/anyOf: any branch may hold, so keep only what all branches share. */
function loosest(branches: JsonSchema[], notes: Set<string>): JsonSchema {
  let nullable = false;
  const typed: Array<{ schema: JsonSchema; types: string[] }> = [];
  for (const b of branches) {
    const t = typesOf(b);
    if (t.nullable) nullable = true;
    if (
      t.types.length === 0 &&
      (b.type === 'null' || (Array.isArray(b.enum) && b.enum.length === 1 && b.enum[0] === null))
    )
      continue;
    typed.push({ schema: b, types: t.types });
  }
  if (typed.length === 0) return nullable ? { nullable: true } : {};
  const allTypes = [...new Set(typed.flatMap((t) => (t.types.length ? t.types : ['?'])))];
  let type: string | undefined;
  if (allTypes.length === 1 && allTypes[0] !== '?') type = allTypes[0];
  else if (allTypes.every((t) => t === 'integer' || t === 'number')) type = 'number';
  if (!type) {
    const known = allTypes.filter((t) => t !== '?');
    notes.add(`oneOf/anyOf of ${known.length ? known.join('|') : 'untyped schemas'} has no common type`);
    const out: JsonSchema = { 'x-mcp-mixed': allTypes, 'x-mcp-first': typed[0]!.schema };
    if (nullable) out.nullable = true;
    return out;
  }
  const out: JsonSchema = { type };
  if (nullable) out.nullable = true;
  const schemas = typed.map((t) => t.schema);
  const all = <T>(pick: (s: JsonSchema) => T | undefined): T[] | undefined => {
    const values = schemas.map(pick);
    return values.every((v) => v !== undefined) ? (values as T[]) : undefined;
  };
  if (type === 'object') {
    const props: Record<string, JsonSchema> = {};
    for (const s of schemas) {
      for (const [k, v] of Object.entries(
        isObj(s.properties) ? (s.properties as Record<string, JsonSchema>) : {},
      )) {
        props[k] = props[k] ? loosest([props[k]!, v], notes) : v;
      }
    }
    if (Object.keys(props).length) out.properties = props;
    const required = schemas.map((s) => stringArray(s.required));
    const common = required[0]?.filter((r) => required.every((list) => list.includes(r))) ?? [];
    if (common.length) out.required = common;
    if (schemas.some((s) => s.additionalProperties !== false)) out.additionalProperties = true;
  } else if (type === 'array') {
    const items = all((s) => (isObj(s.items) ? (s.items as JsonSchema) : undefined));
    if (items) out.items = loosest(items, notes);
  } else {
    const enums = all((s) =>
      Array.isArray(s.enum) ? s.enum : s.const !== undefined ? [s.const] : undefined,
    );
    if (enums) out.enum = [...new Set(enums.flat())];
    const formats = all((s) => (typeof s.format === 'string' ? s.format : undefined));
    if (formats && new Set(formats).size === 1) out.format = formats[0];
    const patterns = all((s) => (typeof s.pattern === 'string' ? s.pattern : undefined));
    if (patterns && new Set(patterns).size === 1) out.pattern = patterns[0];
    for (const [k, pick] of [
      ['minimum', Math.min],
      ['minLength', Math.min],
      ['maximum', Math.max],
      ['maxLength', Math.max],
    ] as const) {
      const values = all((s) => (typeof s[k] === 'number' ? (s[k] as number) : undefined));
      if (values) out[k] = pick(...values);
    }
  }
  const descriptions = schemas.map((s) => s.description).filter((d): d is string => typeof d === 'string');
  if (descriptions.length === 1) out.description = descriptions[0];
  return out;
}

// ---------- conversion ----------

/**
 * Convert; `undefined` when the schema says nothing usable about the type (callers pick a fallback).
 * `fallback` is used for an unknown type.
 */
export function toValueSchema(
  schema: JsonSchema | undefined,
  options: ConvertOptions,
  fallback?: ValueType,
  depth = 0,
): ValueSchema | undefined {
  const flat = flatten(schema ?? {}, options.notes);
  const { types, nullable } = typesOf(flat);
  let type: ValueType | undefined;
  let source = flat;
  if (types.length === 1) type = types[0] as ValueType;
  else if (types.length > 1) {
    type = types.every((t) => t === 'integer' || t === 'number') ? 'number' : undefined;
    if (!type) options.notes.add(`a value of several types (${types.join('|')}) has no single IR type`);
  }
  if (!type && Array.isArray(flat['x-mcp-mixed']) && options.mode === 'input' && isObj(flat['x-mcp-first'])) {
    // Input: offer the first alternative (its description keeps the others' existence visible).
    source = { ...flatten(flat['x-mcp-first'] as JsonSchema, options.notes), description: flat.description };
    const first = typesOf(source).types;
    if (first.length === 1) type = first[0] as ValueType;
  }
  if (!type && types.length > 1 && options.mode === 'input')
    type = types.includes('string') ? 'string' : (types[0] as ValueType);
  if (!type) type = fallback;
  if (!type) return undefined;

  const v: ValueSchema = { type };
  if (nullable) v.nullable = true;
  const description = cleanText(source.description ?? flat.description, options.maxDescription);
  if (description) v.description = description;
  if (flat['x-mcp-cut']) return v; // expansion stopped here: the type, nothing more

  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') {
    const values = enumValues(source, type);
    if (values.length > 0) v.enum = values;
  }
  if (type === 'number' || type === 'integer') numericKeywords(source, v);
  if (type === 'string') stringKeywords(source, v, options);
  if (type === 'array') {
    if (isObj(source.items) && depth < 40) {
      const items = toValueSchema(
        source.items,
        options,
        options.mode === 'input' ? 'string' : undefined,
        depth + 1,
      );
      if (items) v.items = items;
    }
    const min = nonNegativeInt(source.minItems);
    const max = nonNegativeInt(source.maxItems);
    if (min !== undefined && (max === undefined || min <= max)) v.minItems = min;
    if (max !== undefined && (min === undefined || min <= max)) v.maxItems = max;
  }
  if (type === 'object') objectKeywords(source, v, options, depth);
  if (source.default !== undefined && !isSecretLike(source.default) && accepts(v, source.default))
    v.default = source.default;
  const example = source.example;
  if (
    options.mode === 'input' &&
    depth === 0 &&
    (typeof example === 'number' ||
      typeof example === 'boolean' ||
      (typeof example === 'string' && example.length <= 100 && !isSecretLike(example))) &&
    v.enum === undefined
  ) {
    const hint = `Example: ${typeof example === 'string' ? JSON.stringify(example) : String(example)}.`;
    v.description = cleanText(v.description ? `${v.description} ${hint}` : hint, options.maxDescription);
  }
  return v;
}

function enumValues(s: JsonSchema, type: ValueType): Array<string | number | boolean> {
  const raw = Array.isArray(s.enum) ? s.enum : s.const !== undefined ? [s.const] : [];
  const out: Array<string | number | boolean> = [];
  for (const value of raw) {
    let v: unknown = value;
    if (type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) v = String(v);
    if (
      (type === 'integer' || type === 'number') &&
      typeof v === 'string' &&
      v.trim() !== '' &&
      Number.isFinite(Number(v))
    )
      v = Number(v);
    if (type === 'boolean' && (v === 'true' || v === 'false')) v = v === 'true';
    const ok =
      (type === 'string' && typeof v === 'string' && !isSecretLike(v) && v.length <= 4000) ||
      (type === 'integer' && typeof v === 'number' && Number.isInteger(v)) ||
      (type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
      (type === 'boolean' && typeof v === 'boolean');
    if (ok && !out.includes(v as string | number | boolean)) out.push(v as string | number | boolean);
  }
  return out;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function nonNegativeInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function numericKeywords(s: JsonSchema, v: ValueSchema): void {
  let min = finite(s.minimum);
  let max = finite(s.maximum);
  let exMin = finite(s.exclusiveMinimum);
  let exMax = finite(s.exclusiveMaximum);
  // OpenAPI 3.0 / Swagger 2.0: exclusiveMinimum/Maximum are booleans modifying minimum/maximum.
  if (s.exclusiveMinimum === true && min !== undefined) [exMin, min] = [min, undefined];
  if (s.exclusiveMaximum === true && max !== undefined) [exMax, max] = [max, undefined];
  const lower = min ?? exMin;
  const upper = max ?? exMax;
  if (lower !== undefined && upper !== undefined && lower > upper) return; // contradictory: drop the bounds
  if (min !== undefined) v.minimum = min;
  if (max !== undefined) v.maximum = max;
  if (exMin !== undefined) v.exclusiveMinimum = exMin;
  if (exMax !== undefined) v.exclusiveMaximum = exMax;
}

/** Nested quantifiers such as `(a+)+` backtrack exponentially; such patterns are not kept (ReDoS). */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

function stringKeywords(s: JsonSchema, v: ValueSchema, options: ConvertOptions): void {
  const min = nonNegativeInt(s.minLength);
  const max = nonNegativeInt(s.maxLength);
  if (min !== undefined && (max === undefined || min <= max)) v.minLength = min;
  if (max !== undefined && (min === undefined || min <= max)) v.maxLength = max;
  if (typeof s.pattern === 'string' && s.pattern.length <= 1000) {
    let ok = !NESTED_QUANTIFIER.test(s.pattern) && !isSecretLike(s.pattern);
    if (ok) {
      try {
        new RegExp(s.pattern, 'u');
      } catch {
        ok = false;
      }
    }
    if (ok) v.pattern = s.pattern;
    else
      options.notes.add(
        `pattern ${JSON.stringify(s.pattern.slice(0, 60))} dropped (invalid or prone to catastrophic backtracking)`,
      );
  }
  // Formats are not declared: generated servers enforce them (ajv-formats) and documents often use them loosely
  // (Twilio's date-time parameters accept YYYY-MM-DD). Inputs mention the format in the description instead.
  if (
    typeof s.format === 'string' &&
    options.mode === 'input' &&
    /^[\w.-]{1,40}$/.test(s.format) &&
    !['binary', 'byte', 'int32', 'int64', 'float', 'double', 'password'].includes(s.format)
  ) {
    const hint = `Format: ${s.format}.`;
    if (!v.description?.includes(hint))
      v.description = cleanText(v.description ? `${v.description} ${hint}` : hint, options.maxDescription);
  }
}

function objectKeywords(s: JsonSchema, v: ValueSchema, options: ConvertOptions, depth: number): void {
  const props = isObj(s.properties) ? (s.properties as Record<string, JsonSchema>) : undefined;
  const required = new Set(stringArray(s.required));
  const input = options.mode === 'input';
  if (props && depth < 40) {
    const out: Record<string, ValueSchema> = {};
    const odd: string[] = [];
    for (const [name, sub] of Object.entries(props)) {
      if (!isObj(sub) || isUnsafeKey(name)) continue;
      if (input && sub.readOnly === true) continue;
      if (!input && sub.writeOnly === true) continue;
      if (!IDENTIFIER.test(name)) {
        odd.push(name);
        continue;
      }
      const converted = toValueSchema(sub, options, input ? 'object' : undefined, depth + 1);
      if (!converted) continue;
      if (required.has(name)) converted.required = true;
      out[name] = converted;
    }
    if (odd.length > 0 && input) {
      // Property names the IR cannot declare: accept any object and name the fields in the description.
      options.notes.add(
        `object with property names that are not identifiers (${odd.slice(0, 3).join(', ')}) accepted as a free-form object`,
      );
      const names = Object.keys(props)
        .filter((n) => !(props[n]?.readOnly === true))
        .slice(0, 50);
      const hint = `Fields: ${names.join(', ')}.`;
      v.description = cleanText(v.description ? `${v.description}\n${hint}` : hint, options.maxDescription);
      return;
    }
    if (Object.keys(out).length > 0) v.properties = out;
  }
  if (input && v.properties) {
    if (s.additionalProperties === true || isObj(s.additionalProperties)) v.additionalProperties = true;
  }
}

/** Does `value` satisfy `v` (the checks the spec validator applies to defaults)? */
export function accepts(v: ValueSchema, value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (value === null) return v.nullable === true;
  switch (v.type) {
    case 'string':
      if (typeof value !== 'string') return false;
      if (v.minLength !== undefined && value.length < v.minLength) return false;
      if (v.maxLength !== undefined && value.length > v.maxLength) return false;
      if (v.pattern !== undefined) {
        try {
          if (!new RegExp(v.pattern, 'u').test(value)) return false;
        } catch {
          return false;
        }
      }
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (v.type === 'integer' && !Number.isInteger(value)) return false;
      if (v.minimum !== undefined && value < v.minimum) return false;
      if (v.maximum !== undefined && value > v.maximum) return false;
      if (v.exclusiveMinimum !== undefined && value <= v.exclusiveMinimum) return false;
      if (v.exclusiveMaximum !== undefined && value >= v.exclusiveMaximum) return false;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return false;
      break;
    case 'array':
      if (!Array.isArray(value) || value.length > 100) return false;
      if (v.minItems !== undefined && value.length < v.minItems) return false;
      if (v.maxItems !== undefined && value.length > v.maxItems) return false;
      if (v.items && !value.every((x) => accepts(v.items!, x, depth + 1))) return false;
      break;
    case 'object': {
      if (!isObj(value)) return false;
      if (Object.keys(value).some(isUnsafeKey)) return false;
      const props = v.properties ?? {};
      for (const [k, p] of Object.entries(props)) {
        if (value[k] === undefined) {
          if (p.required) return false;
        } else if (!accepts(p, value[k], depth + 1)) return false;
      }
      if (
        v.properties &&
        v.additionalProperties !== true &&
        Object.keys(value).some((k) => !Object.hasOwn(props, k))
      )
        return false;
      if (JSON.stringify(value).length > 10_000) return false;
      break;
    }
  }
  if (v.enum && !v.enum.some((e) => e === value)) return false;
  return true;
}
