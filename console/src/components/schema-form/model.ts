/**
 * JSON Schema → a field model the form renders, and the form's raw values → the arguments a tool receives.
 * Pure (no DOM), so it is unit-tested on its own. Schemas come from tool definitions, which are untrusted:
 * descriptions are capped and stripped of control characters, deep or exotic schemas (refs, unions,
 * pattern properties…) fall back to a JSON text field instead of guessing.
 */

export type JsonSchema = Record<string, unknown>;
export type EnumValue = string | number | boolean | null;

interface FieldBase {
  /** Property name ('' for the root or an array item). */
  name: string;
  label: string;
  description?: string;
  required: boolean;
}

export type Field =
  | (FieldBase & {
      kind: 'string';
      default?: string;
      minLength?: number;
      maxLength?: number;
      pattern?: string;
      format?: string;
      /** Looks like a secret (password, token, key…): rendered as a password input. */
      secret: boolean;
    })
  | (FieldBase & {
      kind: 'number' | 'integer';
      default?: number;
      minimum?: number;
      maximum?: number;
      exclusiveMinimum?: number;
      exclusiveMaximum?: number;
    })
  | (FieldBase & { kind: 'boolean'; default?: boolean })
  | (FieldBase & { kind: 'enum'; options: EnumValue[]; default?: EnumValue })
  | (FieldBase & { kind: 'array'; item: Field; minItems?: number; maxItems?: number; default?: unknown[] })
  | (FieldBase & { kind: 'object'; fields: Field[] })
  | (FieldBase & { kind: 'json'; default?: unknown; reason: string });

/** What the form holds for a field: text for scalars and JSON, booleans, lists and records of raw values. */
export type RawValue = string | boolean | RawValue[] | { [key: string]: RawValue };

export interface FieldError {
  /** Dotted path of the field ('' for the root), e.g. `filters.0.name`. */
  path: string;
  message: string;
}

export const MAX_DESCRIPTION = 500;
const MAX_DEPTH = 6;
const MAX_PROPERTIES = 200;
const MAX_PATTERN = 500;
export const SECRET_NAME = /pass(word)?|secret|token|api[-_]?key|credential|private[-_]?key/i;

/** Untrusted text for display: no control characters, at most `max` characters. */
export function safeText(value: unknown, max = MAX_DESCRIPTION): string | undefined {
  if (typeof value !== 'string') return undefined;
  const clean = value.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (!clean) return undefined;
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The one non-null type of a schema (`["string", "null"]` is a nullable string), or undefined. */
function typeOf(schema: JsonSchema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null');
    return others.length === 1 && typeof others[0] === 'string' ? others[0] : undefined;
  }
  if (isRecord(schema.properties)) return 'object';
  return undefined;
}

const UNSUPPORTED_KEYS = [
  '$ref',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  'patternProperties',
  'dependentSchemas',
] as const;

/** A field for `schema` named `name`; anything the form cannot render faithfully becomes a JSON field. */
export function fieldFromSchema(schema: unknown, name = '', required = false, depth = 0): Field {
  const base: FieldBase = { name, label: labelOf(name, schema), required };
  const description = isRecord(schema) ? safeText(schema.description) : undefined;
  if (description) base.description = description;
  const json = (reason: string): Field => ({
    ...base,
    kind: 'json',
    reason,
    ...(isRecord(schema) && schema.default !== undefined ? { default: schema.default } : {}),
  });
  if (schema === true || (isRecord(schema) && Object.keys(schema).length === 0)) return json('any value');
  if (!isRecord(schema)) return json('the schema is not an object');
  if (depth > MAX_DEPTH) return json('nested too deeply for a form');
  const unsupported = UNSUPPORTED_KEYS.find((key) => schema[key] !== undefined);
  if (unsupported) return json(`uses ${unsupported}`);
  if (Array.isArray(schema.enum)) {
    const options = schema.enum.filter(
      (v): v is EnumValue => v === null || ['string', 'number', 'boolean'].includes(typeof v),
    );
    if (options.length === 0 || options.length !== schema.enum.length)
      return json('enum of structured values');
    return {
      ...base,
      kind: 'enum',
      options,
      ...(options.some((o) => o === schema.default) ? { default: schema.default as EnumValue } : {}),
    };
  }
  const type = typeOf(schema);
  switch (type) {
    case 'string':
      return {
        ...base,
        kind: 'string',
        secret: SECRET_NAME.test(name) || schema.format === 'password' || schema.writeOnly === true,
        ...(typeof schema.default === 'string' ? { default: schema.default } : {}),
        ...optionalNumber('minLength', schema.minLength),
        ...optionalNumber('maxLength', schema.maxLength),
        ...(typeof schema.pattern === 'string' && schema.pattern.length <= MAX_PATTERN
          ? { pattern: schema.pattern }
          : {}),
        ...(typeof schema.format === 'string' ? { format: schema.format } : {}),
      };
    case 'number':
    case 'integer':
      return {
        ...base,
        kind: type,
        ...optionalNumber('default', schema.default),
        ...optionalNumber('minimum', schema.minimum),
        ...optionalNumber('maximum', schema.maximum),
        ...optionalNumber('exclusiveMinimum', schema.exclusiveMinimum),
        ...optionalNumber('exclusiveMaximum', schema.exclusiveMaximum),
      };
    case 'boolean':
      return {
        ...base,
        kind: 'boolean',
        ...(typeof schema.default === 'boolean' ? { default: schema.default } : {}),
      };
    case 'array': {
      if (!isRecord(schema.items)) return json('array without a single item schema');
      const item = fieldFromSchema(schema.items, '', true, depth + 1);
      if (item.kind === 'json') return json(`items ${item.reason}`);
      return {
        ...base,
        kind: 'array',
        item: { ...item, label: 'Item' },
        ...optionalNumber('minItems', schema.minItems),
        ...optionalNumber('maxItems', schema.maxItems),
        ...(Array.isArray(schema.default) ? { default: schema.default } : {}),
      };
    }
    case 'object': {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const names = Object.keys(properties);
      // No properties: no arguments when nothing else is allowed, any object otherwise.
      if (names.length === 0)
        return schema.additionalProperties === false
          ? { ...base, kind: 'object', fields: [] }
          : json('free-form object');
      if (names.length > MAX_PROPERTIES) return json('too many properties for a form');
      if (isRecord(schema.additionalProperties)) return json('typed additional properties');
      const requiredNames = new Set(
        Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
      );
      return {
        ...base,
        kind: 'object',
        fields: names.map((n) => fieldFromSchema(properties[n], n, requiredNames.has(n), depth + 1)),
      };
    }
    default:
      return json(type ? `type ${type}` : 'no single type');
  }
}

function optionalNumber<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  const n = num(value);
  return n === undefined ? {} : ({ [key]: n } as Record<K, number>);
}

function labelOf(name: string, schema: unknown): string {
  const title = isRecord(schema) ? safeText(schema.title, 80) : undefined;
  return title ?? (name || 'Value');
}

/** The form's starting value for a field: its default, else empty. */
export function initialRaw(field: Field): RawValue {
  switch (field.kind) {
    case 'string':
      return field.default ?? '';
    case 'number':
    case 'integer':
      return field.default !== undefined ? String(field.default) : '';
    case 'boolean':
      return field.default ?? false;
    case 'enum': {
      const index = field.default === undefined ? -1 : field.options.indexOf(field.default);
      return index < 0 ? '' : String(index);
    }
    case 'array':
      return (field.default ?? []).map((v) => rawFromValue(field.item, v));
    case 'object':
      return Object.fromEntries(field.fields.map((f) => [f.name, initialRaw(f)]));
    case 'json':
      return field.default === undefined ? '' : JSON.stringify(field.default, null, 2);
  }
}

/** A value (a default, or a call from the history) as the form holds it. */
export function rawFromValue(field: Field, value: unknown): RawValue {
  switch (field.kind) {
    case 'string':
      return typeof value === 'string' ? value : '';
    case 'number':
    case 'integer':
      return typeof value === 'number' ? String(value) : '';
    case 'boolean':
      return value === true;
    case 'enum': {
      const index = field.options.indexOf(value as EnumValue);
      return index < 0 ? '' : String(index);
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => rawFromValue(field.item, v)) : [];
    case 'object': {
      const record = isRecord(value) ? value : {};
      return Object.fromEntries(field.fields.map((f) => [f.name, rawFromValue(f, record[f.name])]));
    }
    case 'json':
      return value === undefined ? '' : JSON.stringify(value, null, 2);
  }
}

const EMPTY = Symbol('empty');
type Built = unknown | typeof EMPTY;

/**
 * The arguments from the form: each raw value coerced to its type and checked against the schema's
 * constraints. Empty optional fields are left out; every problem is listed with its path.
 */
export function buildValue(field: Field, raw: RawValue): { value: unknown; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const built = build(field, raw, '', errors);
  return { value: built === EMPTY ? undefined : built, errors };
}

function join(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}

function build(field: Field, raw: RawValue, path: string, errors: FieldError[]): Built {
  const fail = (message: string): Built => {
    errors.push({ path, message });
    return EMPTY;
  };
  const missing = (): Built => (field.required ? fail('required') : EMPTY);
  switch (field.kind) {
    case 'string': {
      const text = typeof raw === 'string' ? raw : '';
      if (text === '') return field.required && (field.minLength ?? 1) > 0 ? fail('required') : EMPTY;
      if (field.minLength !== undefined && text.length < field.minLength)
        return fail(`at least ${field.minLength} characters`);
      if (field.maxLength !== undefined && text.length > field.maxLength)
        return fail(`at most ${field.maxLength} characters`);
      if (field.pattern !== undefined && !matches(field.pattern, text))
        return fail(`must match the pattern ${field.pattern}`);
      return text;
    }
    case 'number':
    case 'integer': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (text === '') return missing();
      const pattern = field.kind === 'integer' ? /^[-+]?\d+$/ : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
      const n = Number(text);
      if (!pattern.test(text) || !Number.isFinite(n))
        return fail(field.kind === 'integer' ? 'a whole number' : 'a number');
      if (field.kind === 'integer' && !Number.isSafeInteger(n)) return fail('too large for a whole number');
      if (field.minimum !== undefined && n < field.minimum) return fail(`at least ${field.minimum}`);
      if (field.maximum !== undefined && n > field.maximum) return fail(`at most ${field.maximum}`);
      if (field.exclusiveMinimum !== undefined && n <= field.exclusiveMinimum)
        return fail(`more than ${field.exclusiveMinimum}`);
      if (field.exclusiveMaximum !== undefined && n >= field.exclusiveMaximum)
        return fail(`less than ${field.exclusiveMaximum}`);
      return n;
    }
    case 'boolean':
      return raw === true;
    case 'enum': {
      if (raw === '' || typeof raw !== 'string') return missing();
      const index = Number(raw);
      if (!Number.isInteger(index) || index < 0 || index >= field.options.length)
        return fail('choose an option');
      return field.options[index];
    }
    case 'array': {
      const items = Array.isArray(raw) ? raw : [];
      const values: unknown[] = [];
      items.forEach((item, i) => {
        const built = build(field.item, item, join(path, String(i)), errors);
        if (built !== EMPTY) values.push(built);
      });
      if (values.length === 0 && !field.required && (field.minItems ?? 0) === 0) return EMPTY;
      if (field.minItems !== undefined && values.length < field.minItems)
        return fail(`at least ${field.minItems} item${field.minItems === 1 ? '' : 's'}`);
      if (field.maxItems !== undefined && values.length > field.maxItems)
        return fail(`at most ${field.maxItems} item${field.maxItems === 1 ? '' : 's'}`);
      return values;
    }
    case 'object': {
      const record = isRecord(raw) ? (raw as Record<string, RawValue>) : {};
      const out: Record<string, unknown> = {};
      for (const child of field.fields) {
        const built = build(child, record[child.name] ?? initialRaw(child), join(path, child.name), errors);
        if (built !== EMPTY) out[child.name] = built;
      }
      if (Object.keys(out).length === 0 && !field.required && path !== '') return EMPTY;
      return out;
    }
    case 'json': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (text === '') return missing();
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        return fail(`not valid JSON (${error instanceof Error ? error.message : 'parse error'})`);
      }
    }
  }
}

/** A schema pattern test that never throws (a pattern the browser cannot compile accepts the value). */
function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return true;
  }
}
