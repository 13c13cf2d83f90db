/**
 * DatabaseSchema → ServerSpecInput. Every identifier in the generated SQL comes from the introspected schema
 * and is quoted for its dialect; every value is a bound `:param`. Client choices that SQL cannot bind (the
 * sort column, the direction) are enum parameters compared with literals inside static CASE expressions.
 */
import type { Issue } from '../../core/errors/index.js';
import type { ServerSpecInput, ValueSchema } from '../../core/spec/model.js';
import { analyzeSql } from '../../core/spec/sql.js';
import { NameAllocator, parameterBase, RESERVED_PARAMETERS, serverName, snakeSlug } from './names.js';
import { quoteIdent, safeLiteral } from './quote.js';
import type {
  ColumnInfo,
  ColumnKind,
  DatabaseSchema,
  IntrospectOptions,
  SqlDialectName,
  TableInfo,
} from './types.js';

export interface MappingOptions {
  /** Server name (default `<database>-mcp`). */
  name?: string;
  version?: string;
  title?: string;
  description?: string;
  /** Connection name in the spec (default `db`; write tools use `<name>_write`). */
  connectionName?: string;
  /**
   * Environment variable the generated server reads the connection from: the URL for PostgreSQL/MySQL
   * (default DATABASE_URL), the database file path for SQLite (default DATABASE_PATH).
   */
  envVar?: string;
  /** SQLite only: ship this database file (relative to the spec file) with the server instead of an env var. */
  sqlitePath?: string;
  /** Add create_/update_/delete_ tools (default false). */
  writes?: boolean;
  /** The guarded ad-hoc `query` tool (read-only SQL, timeout, row limit); default true. */
  query?: boolean | { maxRows?: number; timeoutMs?: number };
  /** Add search_ tools over text columns (default true). */
  search?: boolean;
  /** Rows per page when the client gives no limit (default 50) and the largest page (default 1000). */
  pageSize?: number;
  maxPageSize?: number;
  /**
   * 64-bit integers as JSON numbers (default; exact up to 2^53) or as decimal strings (exact, pattern-checked).
   * Results keep whatever the driver returns (PostgreSQL: strings for bigint beyond 2^53 … see docs).
   */
  bigint?: 'number' | 'string';
  /** DECIMAL/NUMERIC parameters as JSON numbers (default) or decimal strings (exact). */
  decimal?: 'number' | 'string';
  /** Prefix for every tool name, e.g. `chinook_` (default none). */
  toolPrefix?: string;
}

export interface ImportedTool {
  name: string;
  kind: 'list' | 'get' | 'search' | 'create' | 'update' | 'delete' | 'query';
  table?: string;
}

export interface ImportReport {
  dialect: SqlDialectName;
  kind: DatabaseSchema['kind'];
  database: string;
  tables: number;
  views: number;
  tools: ImportedTool[];
  /** Environment variables the generated server needs. */
  env: Array<{ name: string; description: string }>;
  /** Columns whose parameter name differs from the column name. */
  renamed: Array<{ table: string; column: string; parameter: string }>;
  /** Tools or columns left out, and why. */
  skipped: Array<{ table: string; what: string; reason: string }>;
  warnings: string[];
  /** Set by importDatabase: what validateSpec says about the spec (empty when it is valid). */
  issues?: Issue[];
}

/** Rows keep the driver's value types (bigint/decimal may be strings), so the row itself is not typed further. */
const ROW_OR_NULL: ValueSchema = {
  type: 'object',
  nullable: true,
  description: 'The row (column name → value), or null when no row has this key.',
};
const READ_ANNOTATIONS = { readOnly: true, destructive: false, idempotent: true, openWorld: false };
const FILTERABLE = new Set<ColumnKind>([
  'string',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
  'uuid',
]);
const RANGE = new Set<ColumnKind>(['integer', 'number', 'date', 'datetime']);
/** MySQL/MariaDB drop ORDER BY in a derived table without LIMIT; the runtime pages over a derived table. */
const MYSQL_ALL_ROWS = 'LIMIT 18446744073709551615';

interface ColumnPlan {
  column: ColumnInfo;
  param: string;
  ident: string;
  /** PostgreSQL parameters are cast to the column type so `:x IS NULL` has a type. */
  bind: (param: string) => string;
}

interface TablePlan {
  table: TableInfo;
  label: string;
  qualified: string;
  slug: string;
  columns: ColumnPlan[];
  allocator: NameAllocator;
}

export function schemaToSpec(schema: DatabaseSchema, options: MappingOptions = {}): ServerSpecInput {
  return mapSchema(schema, options).spec;
}

export function mapSchema(
  schema: DatabaseSchema,
  options: MappingOptions = {},
): { spec: ServerSpecInput; report: ImportReport } {
  const dialect = schema.dialect;
  const q = (name: string) => quoteIdent(dialect, name);
  const connection = options.connectionName ?? 'db';
  const writeConnection = `${connection}_write`;
  const prefix = options.toolPrefix ?? '';
  const pageSize = options.pageSize ?? 50;
  const maxPageSize = Math.max(options.maxPageSize ?? 1000, pageSize);
  const report: ImportReport = {
    dialect,
    kind: schema.kind,
    database: schema.database,
    tables: schema.tables.filter((t) => t.type === 'table').length,
    views: schema.tables.filter((t) => t.type === 'view').length,
    tools: [],
    env: [],
    renamed: [],
    skipped: schema.skipped.map((s) => ({ table: `${s.schema}.${s.name}`, what: 'table', reason: s.reason })),
    warnings: [],
  };
  const toolNames = new NameAllocator([], 128);
  const tools: NonNullable<ServerSpecInput['tools']> = [];
  const addTool = (tool: (typeof tools)[number], kind: ImportedTool['kind'], table?: string) => {
    tools.push(tool);
    report.tools.push({ name: tool.name, kind, ...(table ? { table } : {}) });
  };

  // Tool name slugs: the table name, with the schema in front when two included schemas share a name.
  const nameCount = new Map<string, number>();
  for (const t of schema.tables)
    nameCount.set(snakeSlug(t.name), (nameCount.get(snakeSlug(t.name)) ?? 0) + 1);

  const plans: TablePlan[] = [];
  for (const table of schema.tables) {
    const label = table.schema === schema.defaultSchema ? table.name : `${table.schema}.${table.name}`;
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
      const cast = dialect === 'postgresql' && column.castType ? column.castType : undefined;
      columns.push({
        column,
        param,
        ident,
        bind: (p) => (cast ? `CAST(:${p} AS ${cast})` : `:${p}`),
      });
    }
    plans.push({ table, label, qualified, slug, columns, allocator });
  }

  for (const plan of plans) {
    const { table, label } = plan;
    const pk = table.primaryKey
      .map((name) => plan.columns.find((c) => c.column.name === name))
      .filter((c): c is ColumnPlan => c !== undefined);
    const hasPk = table.type === 'table' && pk.length > 0 && pk.length === table.primaryKey.length;
    const selectList = plan.columns.map((c) => c.ident).join(', ');
    if (plan.columns.length === 0) {
      report.skipped.push({ table: label, what: 'all tools', reason: 'no readable columns' });
      continue;
    }
    const sortable = plan.columns.filter((c) => FILTERABLE.has(c.column.kind));
    // A total order makes pages stable: the primary key, else every sortable column.
    const tiebreak = (hasPk ? pk : sortable).map((c) => `${c.ident} ASC`);
    if (!hasPk && table.type === 'table')
      report.warnings.push(
        `${label} has no primary key: no get_ tool, and pages follow all sortable columns`,
      );
    const describeColumns = describeColumnList(plan, pk, table);
    const what = `${table.type === 'view' ? 'view' : 'table'} ${label}${table.comment ? ` (${oneLine(table.comment)})` : ''}`;

    // ---- list_ ----
    {
      const params: Record<string, ValueSchema> = {};
      const where: string[] = [];
      const keyColumns = new Set([...table.primaryKey, ...table.foreignKeys.flatMap((f) => f.columns)]);
      for (const c of plan.columns) {
        if (!FILTERABLE.has(c.column.kind)) continue;
        params[c.param] = {
          ...valueSchema(c.column, options),
          description: filterDescription(c, table, 'equals'),
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
            description: `Only rows whose ${c.column.name} is ${word} this value.`,
          };
          where.push(`(${c.bind(p)} IS NULL OR ${c.ident} ${op} ${c.bind(p)})`);
        }
      }
      let orderBy = tiebreak;
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
        orderBy = [
          ...sortable.flatMap((c) => [
            `CASE WHEN :sort = ${safeLiteral(c.param)} AND :direction = 'asc' THEN ${c.ident} END ASC`,
            `CASE WHEN :sort = ${safeLiteral(c.param)} AND :direction = 'desc' THEN ${c.ident} END DESC`,
          ]),
          ...tiebreak,
        ];
      } else {
        report.warnings.push(`${label} has no sortable column: list_ pages have no stable order`);
      }
      const statement = [
        `SELECT ${selectList} FROM ${plan.qualified}`,
        where.length ? `WHERE ${where.join('\n  AND ')}` : '',
        orderBy.length ? `ORDER BY ${orderBy.join(',\n  ')}` : '',
        dialect === 'mysql' && orderBy.length ? MYSQL_ALL_ROWS : '',
      ]
        .filter(Boolean)
        .join('\n');
      addTool(
        {
          name: toolNames.take(`${prefix}list_${plan.slug}`),
          title: titleOf('List', label),
          description: `List rows of the ${what}. All filters are optional and combined with AND; sort by one column; results come in pages (pass nextCursor back as cursor). ${describeColumns}`,
          parameters: params,
          annotations: READ_ANNOTATIONS,
          sql: { connection, statement, result: 'rows', paginate: true },
        },
        'list',
        label,
      );
    }

    // ---- get_ ----
    if (table.type === 'table') {
      if (hasPk) {
        const params: Record<string, ValueSchema> = {};
        for (const c of pk) {
          params[c.param] = {
            ...valueSchema(c.column, options),
            required: true,
            description: `${c.column.name} of the row (primary key${pk.length > 1 ? ' part' : ''}).`,
          };
        }
        const statement = `SELECT ${selectList} FROM ${plan.qualified}\nWHERE ${pk
          .map((c) => `${c.ident} = ${c.bind(c.param)}`)
          .join(' AND ')}`;
        addTool(
          {
            name: toolNames.take(`${prefix}get_${plan.slug}`),
            title: titleOf('Get', label),
            description: `One row of the ${what} by its primary key (${pk.map((c) => c.column.name).join(', ')}), or null. ${describeColumns}`,
            parameters: params,
            annotations: READ_ANNOTATIONS,
            returns: ROW_OR_NULL,
            sql: { connection, statement, result: 'row' },
            ...examplesFor(pk, options),
          },
          'get',
          label,
        );
      } else {
        report.skipped.push({ table: label, what: 'get tool', reason: 'no primary key' });
      }
    }

    // ---- search_ ----
    if (options.search !== false) {
      const text = plan.columns.filter((c) => c.column.kind === 'string' && !c.column.enumValues);
      if (text.length > 0) {
        const pattern = likePattern(dialect);
        const like = dialect === 'postgresql' ? 'ILIKE' : 'LIKE';
        const statement = [
          `SELECT ${selectList} FROM ${plan.qualified}`,
          `WHERE ${text.map((c) => `${c.ident} ${like} ${pattern} ESCAPE '!'`).join('\n   OR ')}`,
          tiebreak.length ? `ORDER BY ${tiebreak.join(', ')}` : '',
          dialect === 'mysql' && tiebreak.length ? MYSQL_ALL_ROWS : '',
        ]
          .filter(Boolean)
          .join('\n');
        addTool(
          {
            name: toolNames.take(`${prefix}search_${plan.slug}`),
            title: titleOf('Search', label),
            description: `Rows of the ${what} where any text column (${text.map((c) => c.column.name).join(', ')}) contains the query${dialect === 'postgresql' ? ' (case-insensitive)' : ''}. Results come in pages (pass nextCursor back as cursor). ${describeColumns}`,
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
            sql: { connection, statement, result: 'rows', paginate: true },
          },
          'search',
          label,
        );
      } else {
        report.skipped.push({ table: label, what: 'search tool', reason: 'no text columns' });
      }
    }

    // ---- create_ / update_ / delete_ ----
    if (options.writes && table.type === 'table') {
      addWriteTools(plan, pk, hasPk, {
        dialect,
        schema,
        options,
        writeConnection,
        prefix,
        toolNames,
        report,
        addTool,
        what,
        selectList,
      });
    }
  }

  if (options.query !== false) {
    if (hasFilters(options))
      report.warnings.push(
        'the query tool reads whatever the database user may read, not only the imported tables: connect with a user limited to them',
      );
    const cfg = typeof options.query === 'object' ? options.query : {};
    const placeholders = dialect === 'postgresql' ? '$1, $2, …' : '?';
    addTool(
      {
        name: toolNames.take(`${prefix}query`),
        title: 'Read-only SQL query',
        description: `Run one read-only SQL statement (SELECT, WITH, EXPLAIN, VALUES) on the ${schema.database} ${dialectLabel(schema.kind)} database. Pass values in params and refer to them as ${placeholders}; no comments or multiple statements. At most ${cfg.maxRows ?? 1000} rows; stops after ${cfg.timeoutMs ?? 5000} ms. Tables: ${schema.tables
          .map((t) => (t.schema === schema.defaultSchema ? t.name : `${t.schema}.${t.name}`))
          .join(', ')
          .slice(0, 4000)}.`,
        parameters: {},
        annotations: READ_ANNOTATIONS,
        query: {
          connection,
          ...(cfg.maxRows !== undefined ? { maxRows: cfg.maxRows } : {}),
          ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
        },
      },
      'query',
    );
  }

  const connections: NonNullable<ServerSpecInput['connections']> = [];
  const usesWrite = tools.some((t) => t.sql?.connection === writeConnection);
  if (dialect === 'sqlite') {
    const where = options.sqlitePath
      ? { path: options.sqlitePath }
      : { envVar: options.envVar ?? 'DATABASE_PATH' };
    connections.push({ name: connection, type: 'sqlite', ...where, readOnly: true });
    if (usesWrite) connections.push({ name: writeConnection, type: 'sqlite', ...where });
    if (!options.sqlitePath)
      report.env.push({
        name: options.envVar ?? 'DATABASE_PATH',
        description: 'Path of the SQLite database file',
      });
  } else {
    const envVar = options.envVar ?? 'DATABASE_URL';
    const type =
      schema.kind === 'postgresql' ? 'postgresql' : schema.kind === 'mariadb' ? 'mariadb' : 'mysql';
    connections.push({ name: connection, type, envVar, readOnly: true });
    if (usesWrite) connections.push({ name: writeConnection, type, envVar });
    report.env.push({
      name: envVar,
      description: `Connection URL of the ${dialectLabel(schema.kind)} database`,
    });
  }

  const counts = `${report.tables} table${report.tables === 1 ? '' : 's'}${report.views ? ` and ${report.views} view${report.views === 1 ? '' : 's'}` : ''}`;
  const spec: ServerSpecInput = {
    name: options.name ?? serverName(schema.database),
    version: options.version ?? '0.1.0',
    title: options.title ?? `${schema.database} database`,
    description:
      options.description ??
      `Tools over the ${schema.database} ${dialectLabel(schema.kind)} database (${counts}): list with filters, sorting and pages, get by primary key, and text search${options.writes ? '; create, update and delete rows' : ''}${options.query !== false ? '; plus a guarded read-only SQL query tool' : ''}.`,
    pagination: { defaultLimit: pageSize, maxLimit: maxPageSize },
    connections,
    tools,
  };
  return { spec, report };
}

interface WriteContext {
  dialect: SqlDialectName;
  schema: DatabaseSchema;
  options: MappingOptions;
  writeConnection: string;
  prefix: string;
  toolNames: NameAllocator;
  report: ImportReport;
  addTool: (
    tool: NonNullable<ServerSpecInput['tools']>[number],
    kind: ImportedTool['kind'],
    table?: string,
  ) => void;
  what: string;
  selectList: string;
}

function addWriteTools(plan: TablePlan, pk: ColumnPlan[], hasPk: boolean, ctx: WriteContext) {
  const { dialect, options, report, what, label } = { ...ctx, label: plan.label };
  // RETURNING: PostgreSQL and SQLite (3.35+) everywhere; MariaDB (10.5+) for INSERT and DELETE only; MySQL never.
  const returning = ctx.schema.kind !== 'mysql';
  const returningClause = returning ? `\nRETURNING ${ctx.selectList}` : '';
  const updateReturning = ctx.schema.kind === 'postgresql' || ctx.schema.kind === 'sqlite';
  const writeAnnotations = { readOnly: false, openWorld: false };
  const skipExample = { examples: [{ arguments: {}, skip: true }] };

  // ---- create_ ----
  const params: Record<string, ValueSchema> = {};
  const columns: string[] = [];
  const values: string[] = [];
  let creatable = true;
  for (const c of plan.columns) {
    const col = c.column;
    if (col.generated) continue;
    if (col.autoIncrement && col.default === undefined && dialect === 'postgresql') continue; // identity
    if (col.kind === 'binary') {
      if (!col.nullable && col.default === undefined) creatable = false;
      report.skipped.push({
        table: label,
        what: `column ${col.name} in write tools`,
        reason: 'binary columns are not writable',
      });
      continue;
    }
    const usableDefault = col.default !== undefined && isSafeDefault(col.default) ? col.default : undefined;
    const required = !col.nullable && usableDefault === undefined && !col.autoIncrement;
    params[c.param] = {
      ...valueSchema(col, options, 'write'),
      ...(required ? { required: true } : {}),
      description: writeDescription(col, usableDefault),
    };
    columns.push(c.ident);
    values.push(
      usableDefault !== undefined ? `COALESCE(${c.bind(c.param)}, ${usableDefault})` : c.bind(c.param),
    );
  }
  if (creatable && columns.length > 0) {
    ctx.addTool(
      {
        name: ctx.toolNames.take(`${ctx.prefix}create_${plan.slug}`),
        title: titleOf('Create', label),
        description: `Insert one row into the ${what}${returning ? ' and return it' : ''}. Omitted columns get their database default (or NULL).`,
        parameters: params,
        annotations: { ...writeAnnotations, destructive: false, idempotent: false },
        ...(returning ? { returns: ROW_OR_NULL } : {}),
        sql: {
          connection: ctx.writeConnection,
          statement: `INSERT INTO ${plan.qualified} (${columns.join(', ')})\nVALUES (${values.join(', ')})${returningClause}`,
          result: returning ? 'row' : 'exec',
        },
        ...skipExample,
      },
      'create',
      label,
    );
  } else {
    report.skipped.push({ table: label, what: 'create tool', reason: 'a required column cannot be written' });
  }
  if (!hasPk) {
    report.skipped.push({ table: label, what: 'update and delete tools', reason: 'no primary key' });
    return;
  }

  const keyParams = Object.fromEntries(
    pk.map((c) => [
      c.param,
      {
        ...valueSchema(c.column, options),
        required: true,
        description: `${c.column.name} of the row (primary key).`,
      },
    ]),
  );
  const whereKey = `WHERE ${pk.map((c) => `${c.ident} = ${c.bind(c.param)}`).join(' AND ')}`;

  // ---- update_ ----
  const updatable = plan.columns.filter(
    (c) =>
      !c.column.generated && c.column.kind !== 'binary' && !plan.table.primaryKey.includes(c.column.name),
  );
  if (updatable.length > 0) {
    const set: Record<string, ValueSchema> = {};
    for (const c of updatable)
      set[c.param] = {
        ...valueSchema(c.column, options, 'write'),
        description: `New ${c.column.name}; omit to keep the current value.${c.column.comment ? ` ${oneLine(c.column.comment)}` : ''}`,
      };
    ctx.addTool(
      {
        name: ctx.toolNames.take(`${ctx.prefix}update_${plan.slug}`),
        title: titleOf('Update', label),
        description: `Change columns of one row of the ${what}, found by primary key; omitted columns keep their value (NULL cannot be set). ${updateReturning ? 'Returns the row, or null when no row has that key.' : 'Returns the number of affected rows.'}`,
        parameters: { ...keyParams, ...set },
        annotations: { ...writeAnnotations, destructive: true, idempotent: true },
        ...(updateReturning ? { returns: ROW_OR_NULL } : {}),
        sql: {
          connection: ctx.writeConnection,
          statement: `UPDATE ${plan.qualified}\nSET ${updatable
            .map((c) => `${c.ident} = COALESCE(${c.bind(c.param)}, ${c.ident})`)
            .join(',\n    ')}\n${whereKey}${updateReturning ? returningClause : ''}`,
          result: updateReturning ? 'row' : 'exec',
        },
        ...skipExample,
      },
      'update',
      label,
    );
  }

  // ---- delete_ ----
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}delete_${plan.slug}`),
      title: titleOf('Delete', label),
      description: `Delete one row of the ${what} by primary key. Returns the number of deleted rows (0 when none matched).`,
      parameters: keyParams,
      annotations: { ...writeAnnotations, destructive: true, idempotent: true },
      sql: {
        connection: ctx.writeConnection,
        statement: `DELETE FROM ${plan.qualified}\n${whereKey}`,
        result: 'exec',
      },
      ...skipExample,
    },
    'delete',
    label,
  );
}

/** A default expression that can be spliced into COALESCE: one expression with no placeholder look-alikes. */
function isSafeDefault(expr: string): boolean {
  if (expr.length > 500) return false;
  const a = analyzeSql(expr);
  return (
    !a.unterminated &&
    !a.multipleStatements &&
    a.placeholders.length === 0 &&
    !/;|--|\/\*|#/.test(expr.replace(/'(?:[^']|'')*'/g, "''"))
  );
}

/** `'%' || escaped(:query) || '%'` with `!` as the LIKE escape character (no backslash dialect issues). */
function likePattern(dialect: SqlDialectName): string {
  const escaped = "REPLACE(REPLACE(REPLACE(:query, '!', '!!'), '%', '!%'), '_', '!_')";
  if (dialect === 'mysql') return `CONCAT('%', ${escaped}, '%')`;
  if (dialect === 'postgresql') return `('%' || ${escaped.replace(':query', 'CAST(:query AS text)')} || '%')`;
  return `('%' || ${escaped} || '%')`;
}

/** The parameter schema of a column value (filters, keys, writes). */
export function valueSchema(
  column: ColumnInfo,
  options: MappingOptions,
  use: 'read' | 'write' = 'read',
): ValueSchema {
  if (column.enumValues && column.enumValues.length > 0) return { type: 'string', enum: column.enumValues };
  switch (column.kind) {
    case 'integer':
      if (column.precision === 'bigint' && options.bigint === 'string')
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

function kindNote(column: ColumnInfo): string {
  switch (column.kind) {
    case 'datetime':
      return ' (date and time, e.g. 2024-01-31 13:45:00)';
    case 'json':
      return ' (JSON text)';
    case 'other':
      return ` (${column.dataType}, as text)`;
    default:
      return '';
  }
}

function filterDescription(c: ColumnPlan, table: TableInfo, _op: 'equals'): string {
  const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.column.name);
  return [
    `Only rows whose ${c.column.name} equals this value${kindNote(c.column)}.`,
    fk ? `References ${fk.referencedTable}.${fk.referencedColumns[0]}.` : '',
    c.column.comment ? oneLine(c.column.comment) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function writeDescription(column: ColumnInfo, usableDefault: string | undefined): string {
  return [
    `${column.name}${kindNote(column)}.`,
    column.autoIncrement ? 'Assigned by the database when omitted.' : '',
    usableDefault !== undefined && !column.autoIncrement ? `Default: ${usableDefault.slice(0, 100)}.` : '',
    column.comment ? oneLine(column.comment) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function describeColumnList(plan: TablePlan, pk: ColumnPlan[], table: TableInfo): string {
  const parts = plan.columns.slice(0, 60).map((c) => {
    const notes = [
      c.column.kind === 'other' ? c.column.dataType : c.column.kind,
      pk.includes(c) ? 'primary key' : '',
      c.column.nullable ? 'nullable' : '',
    ].filter(Boolean);
    const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.column.name);
    if (fk) notes.push(`→ ${fk.referencedTable}.${fk.referencedColumns[0]}`);
    return `${c.column.name} (${notes.join(', ')})`;
  });
  const more = plan.columns.length > 60 ? `, … ${plan.columns.length - 60} more` : '';
  return `Columns: ${parts.join(', ')}${more}.`;
}

/** Examples for the generated tests of get_ tools: a plausible key, or skip when none can be made up. */
function examplesFor(
  pk: ColumnPlan[],
  options: MappingOptions,
): { examples: Array<{ arguments: Record<string, unknown>; skip?: boolean }> } | Record<string, never> {
  const args: Record<string, unknown> = {};
  for (const c of pk) {
    const schema = valueSchema(c.column, options);
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

function hasFilters(options: MappingOptions): boolean {
  const o = options as MappingOptions & IntrospectOptions;
  return [o.includeSchemas, o.excludeSchemas, o.includeTables, o.excludeTables].some(
    (f) => f && f.length > 0,
  );
}

function titleOf(verb: string, label: string): string {
  const title = `${verb} ${label}`;
  return title.length > 200 ? `${title.slice(0, 199)}…` : title;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function dialectLabel(kind: DatabaseSchema['kind']): string {
  return { postgresql: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB', sqlite: 'SQLite' }[kind];
}
