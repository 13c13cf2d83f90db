/**
 * The query kind: guarded ad-hoc read-only SQL on a database connection. The tool takes `sql` and `params`
 * (declared parameters are refused); the runtime enforces read-only, a row limit and a timeout.
 */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import { identifier } from '../spec/primitives.js';
import type { ToolKind } from './types.js';

export const QueryImpl = z.strictObject({
  connection: identifier,
  maxRows: z.number().int().min(1).max(100_000).default(1000),
  timeoutMs: z.number().int().min(1).max(600_000).default(5000),
});
export type QueryImpl = z.infer<typeof QueryImpl>;

export const queryKind: ToolKind<'query', QueryImpl, z.input<typeof QueryImpl>> = {
  name: 'query',
  schema: QueryImpl,
  fieldDescription: 'Guarded ad-hoc read-only SQL; parameters `sql` and `params` are added.',

  check(query, { params, at, add, connection }) {
    connection(query.connection, at('query', 'connection'), 'sql');
    if (params.size)
      add(
        'SPEC_INVALID_VALUE',
        'a query tool takes no declared parameters (sql and params are added)',
        at('parameters'),
        'Remove `parameters`.',
      );
  },

  parameters: () => ({
    sql: {
      type: 'string',
      required: true,
      minLength: 1,
      maxLength: 100_000,
      description:
        'One read-only SQL statement (SELECT, WITH, VALUES, EXPLAIN); no comments. Reading stops at the row limit or 5 MB of rows (truncated: true); the statement is stopped at the tool timeout.',
    },
    params: {
      type: 'array',
      description: 'Values bound to the statement placeholders (? or $1, $2 …).',
      maxItems: 100,
    },
  }),

  output: () => ({
    schema: {
      type: 'object',
      properties: { rows: { type: 'array', items: { type: 'object' } }, truncated: { type: 'boolean' } },
      required: ['rows', 'truncated'],
    },
    mode: 'object',
  }),

  annotations: () => ({ readOnly: true }),

  emit(query) {
    const def = { connection: query.connection, maxRows: query.maxRows, timeoutMs: query.timeoutMs };
    return { handler: `(args, ctx) => runtime.query(${lit(def)}, args, ctx.signal)` };
  },

  testCases: (_query, { tool, requiresEnv }) => [
    {
      tool: tool.name,
      name: `${tool.name} runs a trivial query`,
      arguments: { sql: 'SELECT 1 AS one' },
      expectError: false,
      contains: 'one',
      requiresEnv,
    },
    {
      tool: tool.name,
      name: `${tool.name} refuses a write`,
      arguments: { sql: 'DELETE FROM nothing_here' },
      expectError: true,
      requiresEnv: [],
    },
  ],

  connection: (query) => query.connection,

  label: (query) => `read-only SQL on \`${query.connection}\``,
};
