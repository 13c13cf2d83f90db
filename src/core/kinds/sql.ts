/**
 * The sql kind: one parameterised SQL statement on a database connection, with optional cursor pagination.
 * The statement is compiled to the connection's dialect at generation time; values are always bound.
 */
import { z } from 'zod';
import { valueToJsonSchema, wrapInResult } from '../codegen/json-schema.js';
import { lit } from '../codegen/literals.js';
import type { ServerSpec } from '../spec/model.js';
import { identifier } from '../spec/primitives.js';
import { checkSql } from '../spec/rules.js';
import { compileSql, type SqlDialect } from '../spec/sql.js';
import type { OutputPlan, ToolKind } from './types.js';

export const SqlImpl = z.strictObject({
  connection: identifier,
  statement: z.string().min(1).max(100_000).describe('One SQL statement; values as :param placeholders.'),
  result: z
    .enum(['rows', 'row', 'value', 'exec'])
    .default('rows')
    .describe(
      'rows: all rows; row: the first row or null; value: first column of the first row; exec: affected rows.',
    ),
  paginate: z.boolean().optional().describe('Add limit/cursor parameters and page through the rows.'),
});
export type SqlImpl = z.infer<typeof SqlImpl>;

const PAGE_PARAMETERS = ['limit', 'cursor'] as const;

/** The SQL dialect of a connection (MySQL placeholders for MySQL and MariaDB). */
export function dialectOf(spec: ServerSpec, connection: string): SqlDialect {
  const c = spec.connections.find((x) => x.name === connection);
  return c?.type === 'postgresql' ? 'postgresql' : c?.type === 'sqlite' ? 'sqlite' : 'mysql';
}

export const sqlKind: ToolKind<'sql', SqlImpl, z.input<typeof SqlImpl>> = {
  name: 'sql',
  schema: SqlImpl,
  authoring: {
    promptLine:
      "sql: { connection, statement, result: rows | row | value | exec, paginate } — one statement; every value is a :param placeholder naming a parameter; never build SQL from text. Search: name LIKE '%' || :query || '%'. Optional filter: (:category IS NULL OR category = :category) with the parameter not required.",
  },

  check(sql, { params, at, add, connection }) {
    connection(sql.connection, at('sql', 'connection'), 'sql');
    checkSql(sql.statement, params, at('sql', 'statement'), add);
    if (!sql.paginate) return;
    if (sql.result !== 'rows')
      add('SPEC_INVALID_VALUE', '`paginate` needs `result: rows`', at('sql', 'paginate'));
    for (const reserved of PAGE_PARAMETERS) {
      if (params.has(reserved)) {
        add(
          'SPEC_INVALID_VALUE',
          `parameter "${reserved}" is added by \`paginate\` and cannot be declared`,
          at('parameters', reserved),
        );
      }
    }
  },

  addedParameters: (sql) => (sql.paginate ? PAGE_PARAMETERS : []),

  parameters(sql, tool, pagination) {
    if (!sql.paginate) return tool.parameters;
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
  },

  output(sql, tool): OutputPlan {
    const returns = tool.returns;
    switch (sql.result) {
      case 'rows': {
        if (returns && returns.type === 'object')
          return { schema: valueToJsonSchema(returns, false), mode: 'object' };
        const rows = returns
          ? valueToJsonSchema(returns, false)
          : { type: 'array', items: { type: 'object' } };
        return {
          schema: {
            type: 'object',
            properties: { rows, ...(sql.paginate ? { nextCursor: { type: 'string' } } : {}) },
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
        // The first row or value may be missing: the advertised type admits null.
        return returns
          ? {
              schema: wrapInResult({ ...valueToJsonSchema(returns, false), type: [returns.type, 'null'] }),
              mode: 'wrap',
            }
          : { mode: 'none' };
    }
  },

  emit(sql, { spec, pagination }) {
    const compiled = compileSql(sql.statement, dialectOf(spec, sql.connection));
    const def = {
      connection: sql.connection,
      text: compiled.text,
      params: compiled.params,
      result: sql.result,
      ...(sql.paginate ? { paginate: pagination } : {}),
    };
    return { handler: `(args, ctx) => runtime.sql(${lit(def)}, args, ctx.signal)` };
  },

  connection: (sql) => sql.connection,

  label: (sql) => `SQL on \`${sql.connection}\``,
};
