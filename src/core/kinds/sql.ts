/**
 * The sql kind: one parameterised SQL statement on a database connection, with optional cursor pagination.
 * The statement is compiled to the connection's dialect at generation time; values are always bound.
 */
import { z } from 'zod';
import { valueToJsonSchema, wrapInResult } from '../codegen/json-schema.js';
import { lit } from '../codegen/literals.js';
import type { ServerSpec } from '../spec/model.js';
import type { PathSegment } from '../spec/path.js';
import { identifier } from '../spec/primitives.js';
import { checkSql } from '../spec/rules.js';
import { compileSql, type SqlDialect } from '../spec/sql.js';
import type { KindCheckContext, OutputPlan, ToolKind } from './types.js';

/** A result column of the statement (its name as the rows carry it). */
const ResultColumn = z.strictObject({
  column: z
    .string()
    .min(1)
    .max(128)
    .refine((c) => !c.includes('\0'), 'must not contain NUL'),
  nullable: z.boolean().optional().describe('The column can hold NULL.'),
});

/** Keyset pages: ORDER BY the chosen sort column, then the key; the next page starts after the last row. */
const Keyset = z.strictObject({
  key: z
    .array(ResultColumn)
    .min(1)
    .max(16)
    .describe('Columns unique and non-null together (the primary key): the tiebreak of every order.'),
  sort: z
    .strictObject({
      parameter: identifier.describe('The parameter whose value picks the sort column.'),
      columns: z.record(z.string().min(1).max(128), ResultColumn).describe('Sort column by parameter value.'),
    })
    .optional(),
  direction: identifier.optional().describe('The parameter whose value is asc or desc.'),
});
export type SqlKeyset = z.infer<typeof Keyset>;

export const SqlImpl = z.strictObject({
  connection: identifier,
  statement: z.string().min(1).max(100_000).describe('One SQL statement; values as :param placeholders.'),
  result: z
    .enum(['rows', 'row', 'value', 'exec'])
    .default('rows')
    .describe(
      'rows: all rows; row: the first row or null; value: first column of the first row; exec: affected rows.',
    ),
  paginate: z
    .union([z.boolean(), Keyset])
    .optional()
    .describe(
      "Add limit/cursor parameters and page through the rows: true pages by OFFSET in the statement's own order; a key pages by key (fast at any depth; the statement then has no ORDER BY).",
    ),
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

  check(sql, { params, at, add, connection, tool }) {
    connection(sql.connection, at('sql', 'connection'), 'sql');
    checkSql(sql.statement, params, at('sql', 'statement'), add);
    if (!sql.paginate) return;
    if (typeof sql.paginate === 'object') checkKeyset(sql.paginate, { params, at, add, tool });
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

  emit(sql, { spec, pagination, tool }) {
    const compiled = compileSql(sql.statement, dialectOf(spec, sql.connection));
    const def = {
      connection: sql.connection,
      text: compiled.text,
      params: compiled.params,
      result: sql.result,
      ...(sql.paginate
        ? {
            paginate: {
              ...pagination,
              tool: tool.name,
              dialect: dialectOf(spec, sql.connection),
              ...(typeof sql.paginate === 'object' ? { keyset: sql.paginate } : {}),
            },
          }
        : {}),
    };
    return { handler: `(args, ctx) => runtime.sql(${lit(def)}, args, ctx.signal)` };
  },

  connection: (sql) => sql.connection,

  label: (sql) => `SQL on \`${sql.connection}\``,
};

/** The sort and direction parameters must be declared enums whose values the keyset knows. */
function checkKeyset(keyset: SqlKeyset, ctx: Pick<KindCheckContext, 'params' | 'at' | 'add' | 'tool'>): void {
  const { params, at, add, tool } = ctx;
  const enumOf = (name: string, path: PathSegment[]): readonly unknown[] | undefined => {
    if (!params.has(name)) {
      add('SPEC_INVALID_VALUE', `paginate names parameter "${name}", which is not declared`, path);
      return undefined;
    }
    const values = tool.parameters[name]?.enum;
    if (!values) add('SPEC_INVALID_VALUE', `parameter "${name}" must be an enum to order pages`, path);
    return values;
  };
  if (keyset.sort) {
    const path = at('sql', 'paginate', 'sort', 'parameter');
    for (const v of enumOf(keyset.sort.parameter, path) ?? []) {
      if (typeof v !== 'string' || !Object.hasOwn(keyset.sort.columns, v))
        add(
          'SPEC_INVALID_VALUE',
          `sort value ${JSON.stringify(v)} has no column in paginate.sort.columns`,
          path,
        );
    }
  }
  if (keyset.direction) {
    const path = at('sql', 'paginate', 'direction');
    for (const v of enumOf(keyset.direction, path) ?? []) {
      if (v !== 'asc' && v !== 'desc')
        add('SPEC_INVALID_VALUE', `direction value ${JSON.stringify(v)} is not asc or desc`, path);
    }
  }
}
