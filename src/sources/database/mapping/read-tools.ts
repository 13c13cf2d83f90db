/**
 * The read tools of one table: list_ (equality and range filters, a client-chosen sort, pages), get_ (one row
 * by primary key) and search_ (substring over the text columns). Identifiers are quoted by the plan; client
 * values are bound parameters; the sort column and direction are enums compared inside static CASE expressions.
 */
import type { SqlKeyset } from '../../../core/kinds/sql.js';
import type { ValueSchema } from '../../../core/spec/model.js';
import { safeLiteral } from '../quote.js';
import type { ColumnKind, SqlDialectName } from '../types.js';
import {
  type ColumnPlan,
  type MappingContext,
  READ_ANNOTATIONS,
  ROW_OR_NULL,
  type TableTools,
} from './model.js';
import { FILTERABLE } from './plan.js';
import { shownName } from './screen.js';
import { filterDescription, titleOf } from './text.js';
import { examplesFor, keyNote, valueSchema } from './values.js';

/** Column kinds that also get _min/_max filters (unless they are keys or enums). */
const RANGE = new Set<ColumnKind>(['integer', 'number', 'date', 'datetime']);
/** MySQL/MariaDB drop ORDER BY in a derived table without LIMIT; the runtime pages over a derived table. */
const MYSQL_ALL_ROWS = 'LIMIT 18446744073709551615';

export function addListTool(ctx: MappingContext, t: TableTools): void {
  const { dialect, options, report } = ctx;
  const { plan, pk, sortable, tiebreak } = t;
  const { table, label } = plan;
  const params: Record<string, ValueSchema> = {};
  const where: string[] = [];
  const keyColumns = new Set([...table.primaryKey, ...table.foreignKeys.flatMap((f) => f.columns)]);
  for (const c of plan.columns) {
    if (!FILTERABLE.has(c.column.kind)) continue;
    params[c.param] = {
      // Key columns filter by exact value: a 64-bit key is a decimal string, as in get_.
      ...valueSchema(c.column, options, keyColumns.has(c.column.name) ? 'key' : 'read'),
      description: filterDescription(c, table),
    };
    where.push(`(${c.bind(c.param)} IS NULL OR ${c.ident} = ${c.bind(c.param)})`);
  }
  for (const c of plan.columns) {
    if (!RANGE.has(c.column.kind) || keyColumns.has(c.column.name) || c.column.enumValues) continue;
    for (const [suffix, op, word] of [
      ['min', '>=', 'at least'],
      ['max', '<=', 'at most'],
    ] as const) {
      const p = plan.allocator.take(`${c.param.slice(0, 56)}_${suffix}`);
      params[p] = {
        ...valueSchema(c.column, options),
        description: `Only rows whose ${shownName(c.column.name)} is ${word} this value.`,
      };
      where.push(`(${c.bind(p)} IS NULL OR ${c.ident} ${op} ${c.bind(p)})`);
    }
  }
  let orderBy = tiebreak;
  let keyset: SqlKeyset | undefined;
  if (sortable.length > 0) {
    const defaultSort = (pk.find((c) => sortable.includes(c)) ?? sortable[0]!).param;
    params.sort = {
      type: 'string',
      enum: sortable.map((c) => c.param),
      default: defaultSort,
      description: `Column to sort by (default ${defaultSort}).`,
    };
    params.direction = {
      type: 'string',
      enum: ['asc', 'desc'],
      default: 'asc',
      description: 'Sort direction.',
    };
    if (t.hasPk) {
      // Keyset pages (the runtime orders by the sort column, then the primary key): a deep page costs what the
      // first one does, where OFFSET reads and drops every row before it.
      const column = (c: ColumnPlan) => ({
        column: c.column.name,
        ...(c.column.nullable ? { nullable: true } : {}),
      });
      keyset = {
        key: pk.map((c) => ({ column: c.column.name })),
        sort: { parameter: 'sort', columns: Object.fromEntries(sortable.map((c) => [c.param, column(c)])) },
        direction: 'direction',
      };
      orderBy = [];
    } else {
      orderBy = [
        ...sortable.flatMap((c) => [
          `CASE WHEN :sort = ${safeLiteral(c.param)} AND :direction = 'asc' THEN ${c.ident} END ASC`,
          `CASE WHEN :sort = ${safeLiteral(c.param)} AND :direction = 'desc' THEN ${c.ident} END DESC`,
        ]),
        ...tiebreak,
      ];
    }
  } else {
    report.warnings.push(`${label} has no sortable column: list_ pages have no stable order`);
  }
  if (!keyset && t.hasPk) keyset = { key: pk.map((c) => ({ column: c.column.name })) };
  const statement = [
    `SELECT ${t.selectList} FROM ${plan.qualified}`,
    where.length ? `WHERE ${where.join('\n  AND ')}` : '',
    orderBy.length ? `ORDER BY ${orderBy.join(',\n  ')}` : '',
    dialect === 'mysql' && orderBy.length ? MYSQL_ALL_ROWS : '',
  ]
    .filter(Boolean)
    .join('\n');
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}list_${plan.slug}`),
      title: titleOf('List', label),
      description: `List rows of the ${t.what}. All filters are optional and combined with AND; sort by one column; results come in pages (pass nextCursor back as cursor). ${t.describeColumns}`,
      parameters: params,
      annotations: READ_ANNOTATIONS,
      sql: { connection: ctx.connection, statement, result: 'rows', paginate: keyset ?? true },
    },
    'list',
    label,
  );
}

/** get_ for tables (not views); a table without a usable primary key is reported instead. */
export function addGetTool(ctx: MappingContext, t: TableTools): void {
  const { plan, pk } = t;
  const { table, label } = plan;
  if (table.type !== 'table') return;
  if (!t.hasPk) {
    ctx.report.skipped.push({ table: label, what: 'get tool', reason: 'no primary key' });
    return;
  }
  const params: Record<string, ValueSchema> = {};
  for (const c of pk) {
    params[c.param] = {
      ...valueSchema(c.column, ctx.options, 'key'),
      required: true,
      description: `${shownName(c.column.name)}${keyNote(c.column, ctx.options)} of the row (primary key${pk.length > 1 ? ' part' : ''}).`,
    };
  }
  const statement = `SELECT ${t.selectList} FROM ${plan.qualified}\nWHERE ${pk
    .map((c) => `${c.ident} = ${c.bind(c.param)}`)
    .join(' AND ')}`;
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}get_${plan.slug}`),
      title: titleOf('Get', label),
      description: `One row of the ${t.what} by its primary key (${pk.map((c) => shownName(c.column.name)).join(', ')}), or null. ${t.describeColumns}`,
      parameters: params,
      annotations: READ_ANNOTATIONS,
      returns: ROW_OR_NULL,
      sql: { connection: ctx.connection, statement, result: 'row' },
      ...examplesFor(pk, ctx.options),
    },
    'get',
    label,
  );
}

/** search_ over the free-text columns (enums excluded); a table without any is reported instead. */
export function addSearchTool(ctx: MappingContext, t: TableTools): void {
  const { dialect } = ctx;
  const { plan, tiebreak } = t;
  const { label } = plan;
  const text = plan.columns.filter((c) => c.column.kind === 'string' && !c.column.enumValues);
  if (text.length === 0) {
    ctx.report.skipped.push({ table: label, what: 'search tool', reason: 'no text columns' });
    return;
  }
  const pattern = likePattern(dialect);
  const like = dialect === 'postgresql' ? 'ILIKE' : 'LIKE';
  const statement = [
    `SELECT ${t.selectList} FROM ${plan.qualified}`,
    `WHERE ${text.map((c) => `${c.ident} ${like} ${pattern} ESCAPE '!'`).join('\n   OR ')}`,
    tiebreak.length ? `ORDER BY ${tiebreak.join(', ')}` : '',
    dialect === 'mysql' && tiebreak.length ? MYSQL_ALL_ROWS : '',
  ]
    .filter(Boolean)
    .join('\n');
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}search_${plan.slug}`),
      title: titleOf('Search', label),
      description: `Rows of the ${t.what} where any text column (${text.map((c) => shownName(c.column.name)).join(', ')}) contains the query${dialect === 'postgresql' ? ' (case-insensitive)' : ''}. Results come in pages (pass nextCursor back as cursor). ${t.describeColumns}`,
      parameters: {
        query: {
          type: 'string',
          required: true,
          minLength: 1,
          maxLength: 200,
          description: 'Text to look for (matched literally; % and _ are not wildcards).',
        },
      },
      annotations: READ_ANNOTATIONS,
      sql: { connection: ctx.connection, statement, result: 'rows', paginate: true },
    },
    'search',
    label,
  );
}

/** `'%' || escaped(:query) || '%'` with `!` as the LIKE escape character (no backslash dialect issues). */
function likePattern(dialect: SqlDialectName): string {
  const escaped = "REPLACE(REPLACE(REPLACE(:query, '!', '!!'), '%', '!%'), '_', '!_')";
  if (dialect === 'mysql') return `CONCAT('%', ${escaped}, '%')`;
  if (dialect === 'postgresql') return `('%' || ${escaped.replace(':query', 'CAST(:query AS text)')} || '%')`;
  return `('%' || ${escaped} || '%')`;
}
