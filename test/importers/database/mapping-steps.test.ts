// Unit tests for the steps the database mapping is split into (src/sources/database/mapping/), each called
// directly; mapping.test.ts covers the same behaviour through mapSchema.
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '../../../src/sources/database/mapping/model.js';
import { planTables, tableTools } from '../../../src/sources/database/mapping/plan.js';
import { describeColumnList, oneLine, titleOf } from '../../../src/sources/database/mapping/text.js';
import { examplesFor, valueSchema } from '../../../src/sources/database/mapping/values.js';
import { isSafeDefault } from '../../../src/sources/database/mapping/write-tools.js';
import type { ColumnInfo, DatabaseSchema, TableInfo } from '../../../src/sources/database/types.js';

const col = (name: string, kind: ColumnInfo['kind'], extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  dataType: kind,
  kind,
  nullable: true,
  generated: false,
  autoIncrement: false,
  ...extra,
});
const tbl = (
  schema: string,
  name: string,
  columns: ColumnInfo[],
  extra: Partial<TableInfo> = {},
): TableInfo => ({
  schema,
  name,
  type: 'table',
  columns,
  primaryKey: [],
  foreignKeys: [],
  ...extra,
});
const schemaOf = (
  tables: TableInfo[],
  dialect: DatabaseSchema['dialect'] = 'postgresql',
): DatabaseSchema => ({
  dialect,
  kind: dialect,
  database: 'shop',
  defaultSchema: 'public',
  tables,
  skipped: [],
});
const emptyReport = (): ImportReport => ({
  dialect: 'postgresql',
  kind: 'postgresql',
  database: 'shop',
  tables: 0,
  views: 0,
  tools: [],
  env: [],
  renamed: [],
  skipped: [],
  warnings: [],
});

describe('planTables', () => {
  it('qualifies names, prefixes colliding slugs with the schema, and renames columns around valid names', () => {
    const report = emptyReport();
    const plans = planTables(
      schemaOf([
        tbl('public', 'Items', [col('limit', 'integer'), col('limit_', 'integer'), col('a b', 'string')]),
        tbl('archive', 'items', [col('x\0', 'string'), col('id', 'integer', { castType: 'bigint' })]),
      ]),
      report,
    );
    expect(plans.map((p) => [p.label, p.qualified, p.slug])).toEqual([
      ['Items', '"public"."Items"', 'public_items'],
      ['archive.items', '"archive"."items"', 'archive_items'],
    ]);
    // `limit` is reserved; `limit_` keeps its name, so the renamed column gets the next free one.
    expect(plans[0]!.columns.map((c) => c.param)).toEqual(['limit_2', 'limit_', 'a_b']);
    expect(plans[1]!.columns[0]!.bind('id')).toBe('CAST(:id AS bigint)');
    expect(report.skipped).toEqual([
      { table: 'archive.items', what: 'column "x\\u0000"', reason: 'NUL in name' },
    ]);
    expect(report.renamed.map((r) => r.parameter)).toEqual(['limit_2', 'a_b']);
  });

  it('quotes only the table name on SQLite', () => {
    const [plan] = planTables(schemaOf([tbl('main', 't', [col('a', 'string')])], 'sqlite'), emptyReport());
    expect(plan!.qualified).toBe('"t"');
  });
});

describe('tableTools', () => {
  it('orders pages by the primary key, else by every sortable column, and reports what is missing', () => {
    const report = emptyReport();
    const [keyed, unkeyed, empty] = planTables(
      schemaOf([
        tbl('public', 'a', [col('id', 'integer'), col('doc', 'json')], {
          primaryKey: ['id'],
          comment: ' x\n y ',
        }),
        tbl('public', 'b', [col('n', 'integer'), col('s', 'string'), col('doc', 'json')]),
        tbl('public', 'c', [col('\0', 'string')]),
      ]),
      report,
    );
    const a = tableTools(keyed!, report)!;
    expect([a.hasPk, a.tiebreak, a.what]).toEqual([true, ['"id" ASC'], 'table a (x y)']);
    const b = tableTools(unkeyed!, report)!;
    expect([b.hasPk, b.tiebreak]).toEqual([false, ['"n" ASC', '"s" ASC']]);
    expect(tableTools(empty!, report)).toBeUndefined();
    expect(report.warnings).toEqual([
      'b has no primary key: no get_ tool, and pages follow all sortable columns',
    ]);
    expect(report.skipped.at(-1)).toEqual({ table: 'c', what: 'all tools', reason: 'no readable columns' });
  });
});

describe('values and text', () => {
  it('gives string schemas for exact bigint/decimal and example keys for get_ tests', () => {
    expect(valueSchema(col('n', 'integer', { precision: 'bigint' }), { bigint: 'string' })).toEqual({
      type: 'string',
      pattern: '^-?[0-9]{1,20}$',
    });
    expect(valueSchema(col('s', 'string', { maxLength: 5 }), {}, 'write')).toEqual({
      type: 'string',
      maxLength: 5,
    });
    const [plan] = planTables(
      schemaOf([tbl('public', 't', [col('id', 'uuid'), col('b', 'binary')], { primaryKey: ['id'] })]),
      emptyReport(),
    );
    expect(examplesFor([plan!.columns[0]!], {})).toEqual({
      examples: [{ arguments: { id: '00000000-0000-4000-8000-000000000000' } }],
    });
    expect(examplesFor([plan!.columns[1]!], {})).toEqual({ examples: [{ arguments: {}, skip: true }] });
    expect(describeColumnList(plan!, [plan!.columns[0]!], plan!.table)).toBe(
      'Columns: id (uuid, primary key, nullable), b (binary, nullable).',
    );
    expect(titleOf('List', 'x'.repeat(300))).toHaveLength(200);
    expect(oneLine(' a \n\t b ')).toBe('a b');
  });

  it('splices only single, placeholder-free default expressions', () => {
    expect(isSafeDefault("'new'")).toBe(true);
    expect(isSafeDefault('CURRENT_TIMESTAMP')).toBe(true);
    expect(isSafeDefault("'x'; DROP TABLE t")).toBe(false);
    expect(isSafeDefault(':param')).toBe(false);
    expect(isSafeDefault('1 -- comment')).toBe(false);
    expect(isSafeDefault('x'.repeat(501))).toBe(false);
  });
});
