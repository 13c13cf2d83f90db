/**
 * Column values as tool parameters: the ValueSchema of a column (filters, keys, writes), honouring the
 * bigint/decimal-as-string options, and example keys for the generated tests of get_ tools.
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import type { ColumnInfo } from '../types.js';
import type { ColumnPlan, MappingOptions } from './model.js';

/** The parameter schema of a column value (filters, keys, writes). */
export function valueSchema(
  column: ColumnInfo,
  options: MappingOptions,
  use: 'read' | 'write' | 'key' = 'read',
): ValueSchema {
  if (column.enumValues && column.enumValues.length > 0) return { type: 'string', enum: column.enumValues };
  switch (column.kind) {
    case 'integer':
      // Keys are always exact: a JSON number past 2^53 would silently address another row.
      if (column.precision === 'bigint' && (options.bigint === 'string' || use === 'key'))
        return { type: 'string', pattern: '^-?[0-9]{1,20}$' };
      return { type: 'integer' };
    case 'number':
      if (column.precision === 'decimal' && options.decimal === 'string')
        return { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' };
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', minLength: 10, maxLength: 40 };
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    case 'string':
      return column.maxLength !== undefined && use === 'write'
        ? { type: 'string', maxLength: column.maxLength }
        : { type: 'string' };
    default:
      return { type: 'string' };
  }
}

/** Examples for the generated tests of get_ tools: a plausible key, or skip when none can be made up. */
export function examplesFor(
  pk: ColumnPlan[],
  options: MappingOptions,
): { examples: Array<{ arguments: Record<string, unknown>; skip?: boolean }> } | Record<string, never> {
  const args: Record<string, unknown> = {};
  for (const c of pk) {
    const schema = valueSchema(c.column, options, 'key');
    if (schema.enum) args[c.param] = schema.enum[0];
    else if (c.column.kind === 'integer') args[c.param] = schema.type === 'string' ? '1' : 1;
    else if (c.column.kind === 'number') args[c.param] = schema.type === 'string' ? '1' : 1;
    else if (c.column.kind === 'string') args[c.param] = 'example';
    else if (c.column.kind === 'uuid') args[c.param] = '00000000-0000-4000-8000-000000000000';
    else if (c.column.kind === 'date') args[c.param] = '2024-01-01';
    else if (c.column.kind === 'datetime') args[c.param] = '2024-01-01 00:00:00';
    else if (c.column.kind === 'boolean') args[c.param] = true;
    else return { examples: [{ arguments: {}, skip: true }] };
  }
  return { examples: [{ arguments: args }] };
}

/** How a key is written when it is not a JSON number. */
export function keyNote(column: ColumnInfo, options: MappingOptions): string {
  return valueSchema(column, options, 'key').type === 'string' && column.kind === 'integer'
    ? ' (a 64-bit integer, as a decimal string such as "9007199254740993")'
    : '';
}
