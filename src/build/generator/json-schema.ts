/** ValueSchema (spec) → JSON Schema (wire) and → TypeScript types (code tools). */
import type { Tool, ValueSchema } from '../../core/spec/model.js';
import { lit } from './emit.js';

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

/** Parameters a tool really takes: declared ones plus the ones pagination adds. */
export function effectiveParameters(
  tool: Tool,
  pagination: { defaultLimit: number; maxLimit: number },
): Record<string, ValueSchema> {
  if (tool.query) {
    return {
      sql: {
        type: 'string',
        required: true,
        minLength: 1,
        maxLength: 100_000,
        description: 'One read-only SQL statement (SELECT, WITH, VALUES, EXPLAIN); no comments.',
      },
      params: {
        type: 'array',
        description: 'Values bound to the statement placeholders (? or $1, $2 …).',
        maxItems: 100,
      },
    };
  }
  if (tool.catalog) return CATALOG_PARAMETERS[tool.catalog.action];
  if (!tool.sql?.paginate) return tool.parameters;
  return {
    ...tool.parameters,
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: pagination.maxLimit,
      default: pagination.defaultLimit,
      description: 'Rows per page.',
    },
    cursor: { type: 'string', description: 'nextCursor from the previous page; omit for the first page.' },
  };
}

export interface OutputPlan {
  schema?: JsonSchema;
  mode: 'object' | 'wrap' | 'none';
}

/** How a tool's value maps to structuredContent and which outputSchema advertises it. */
const CATALOG_PARAMETERS: Record<'search' | 'describe' | 'invoke', Record<string, ValueSchema>> = {
  search: {
    query: {
      type: 'string',
      required: true,
      maxLength: 500,
      description: 'Words to look for in operation names and descriptions.',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 10,
      description: 'How many operations to return.',
    },
  },
  describe: {
    operation: {
      type: 'string',
      required: true,
      description: 'Operation name, as returned by the search tool.',
    },
  },
  invoke: {
    operation: {
      type: 'string',
      required: true,
      description: 'Operation name, as returned by the search tool.',
    },
    arguments: {
      type: 'object',
      description: 'Arguments matching the operation input schema (see the describe tool).',
    },
  },
};

export function outputPlan(tool: Tool): OutputPlan {
  const returns = tool.returns;
  if (tool.query) {
    return {
      schema: {
        type: 'object',
        properties: { rows: { type: 'array', items: { type: 'object' } }, truncated: { type: 'boolean' } },
        required: ['rows', 'truncated'],
      },
      mode: 'object',
    };
  }
  if (tool.catalog) return { mode: 'none' };
  if (tool.sql) {
    switch (tool.sql.result) {
      case 'rows': {
        if (returns && returns.type === 'object')
          return { schema: valueToJsonSchema(returns, false), mode: 'object' };
        const rows = returns
          ? valueToJsonSchema(returns, false)
          : { type: 'array', items: { type: 'object' } };
        return {
          schema: {
            type: 'object',
            properties: { rows, ...(tool.sql.paginate ? { nextCursor: { type: 'string' } } : {}) },
            required: ['rows'],
          },
          mode: 'object',
        };
      }
      case 'exec':
        return {
          schema: {
            type: 'object',
            properties: { affectedRows: { type: 'integer' } },
            required: ['affectedRows'],
          },
          mode: 'object',
        };
      case 'row':
      case 'value':
        return returns
          ? { schema: wrap({ ...valueToJsonSchema(returns, false), ...nullableType(returns) }), mode: 'wrap' }
          : { mode: 'none' };
    }
  }
  if (!returns) return { mode: 'none' };
  if (returns.type === 'object' && !returns.nullable)
    return { schema: valueToJsonSchema(returns, false), mode: 'object' };
  return { schema: wrap(valueToJsonSchema(returns, false)), mode: 'wrap' };
}

function nullableType(v: ValueSchema): JsonSchema {
  return { type: [v.type, 'null'] };
}

function wrap(schema: JsonSchema): JsonSchema {
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
