/**
 * Per-table planning before any tool is made: the quoted (schema-qualified when needed) table name, the tool
 * name slug, a unique parameter name per column, and what the table's tools share (key, select list, order).
 * Problems (NUL in a column name, no readable columns, no primary key) go to the report, in table order.
 */
import { NameAllocator, parameterBase, RESERVED_PARAMETERS, snakeSlug } from '../names.js';
import { quoteIdent } from '../quote.js';
import type { ColumnInfo, ColumnKind, DatabaseSchema } from '../types.js';
import type { ColumnPlan, ImportReport, TablePlan, TableTools } from './model.js';
import { shownName } from './screen.js';
import { describeColumnList, oneLine } from './text.js';

/** Column kinds a client can filter and sort by. */
export const FILTERABLE = new Set<ColumnKind>([
  'string',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
  'uuid',
]);

export function planTables(schema: DatabaseSchema, report: ImportReport): TablePlan[] {
  const dialect = schema.dialect;
  const q = (name: string) => quoteIdent(dialect, name);

  // Tool name slugs: the table name, with the schema in front when two included schemas share a name.
  const nameCount = new Map<string, number>();
  for (const t of schema.tables)
    nameCount.set(snakeSlug(t.name), (nameCount.get(snakeSlug(t.name)) ?? 0) + 1);

  const plans: TablePlan[] = [];
  for (const table of schema.tables) {
    const label = shownName(
      table.schema === schema.defaultSchema ? table.name : `${table.schema}.${table.name}`,
    );
    const qualified =
      dialect === 'sqlite' || (dialect === 'mysql' && table.schema === schema.defaultSchema)
        ? q(table.name)
        : `${q(table.schema)}.${q(table.name)}`;
    const slugBase = snakeSlug(table.name);
    const slug = (nameCount.get(slugBase) ?? 0) > 1 ? `${snakeSlug(table.schema)}_${slugBase}` : slugBase;
    const allocator = new NameAllocator(RESERVED_PARAMETERS);
    const columns: ColumnPlan[] = [];
    // Columns whose names are already valid parameter names keep them; the others are renamed around them.
    const params = new Map<ColumnInfo, string>();
    for (const pass of ['valid', 'renamed'] as const) {
      for (const column of table.columns) {
        if (column.name.includes('\0')) continue;
        const base = parameterBase(column.name);
        if ((base === column.name) === (pass === 'valid')) params.set(column, allocator.take(base));
      }
    }
    for (const column of table.columns) {
      const param = params.get(column);
      if (param === undefined) {
        report.skipped.push({
          table: label,
          what: `column ${JSON.stringify(column.name)}`,
          reason: 'NUL in name',
        });
        continue;
      }
      if (param !== column.name) report.renamed.push({ table: label, column: column.name, parameter: param });
      const ident = q(column.name);
      // PostgreSQL: every parameter gets its column type. MySQL/MariaDB: 64-bit keys arrive as strings, and
      // BIGINT = 'string' compares as DOUBLE there (2^53 + 1 would match 2^53), so they are cast to integers.
      const cast =
        dialect === 'postgresql' && column.castType
          ? column.castType
          : dialect === 'mysql' && column.precision === 'bigint'
            ? /unsigned/i.test(column.dataType)
              ? 'UNSIGNED'
              : 'SIGNED'
            : undefined;
      columns.push({
        column,
        param,
        ident,
        bind: (p) => (cast ? `CAST(:${p} AS ${cast})` : `:${p}`),
      });
    }
    plans.push({ table, label, qualified, slug, columns, allocator });
  }
  return plans;
}

/** What the tools of one table share; undefined (and reported) when the table has no readable column. */
export function tableTools(plan: TablePlan, report: ImportReport): TableTools | undefined {
  const { table, label } = plan;
  const pk = table.primaryKey
    .map((name) => plan.columns.find((c) => c.column.name === name))
    .filter((c): c is ColumnPlan => c !== undefined);
  const hasPk = table.type === 'table' && pk.length > 0 && pk.length === table.primaryKey.length;
  const selectList = plan.columns.map((c) => c.ident).join(', ');
  if (plan.columns.length === 0) {
    report.skipped.push({ table: label, what: 'all tools', reason: 'no readable columns' });
    return undefined;
  }
  const sortable = plan.columns.filter((c) => FILTERABLE.has(c.column.kind));
  // A total order makes pages stable: the primary key, else every sortable column.
  const tiebreak = (hasPk ? pk : sortable).map((c) => `${c.ident} ASC`);
  if (!hasPk && table.type === 'table')
    report.warnings.push(`${label} has no primary key: no get_ tool, and pages follow all sortable columns`);
  const describeColumns = describeColumnList(plan, pk, table);
  const what = `${table.type === 'view' ? 'view' : 'table'} ${label}${table.comment ? ` (${oneLine(table.comment)})` : ''}`;
  return { plan, pk, hasPk, selectList, sortable, tiebreak, describeColumns, what };
}
