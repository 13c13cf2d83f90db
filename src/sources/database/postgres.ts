/** PostgreSQL adapter: reads pg_catalog (tables, views, columns, enum types, keys, comments). */
import type { Client } from 'pg';
import { connectFailed, introspectionFailed } from './errors.js';
import { nameFilter } from './filter.js';
import { quoteIdent } from './quote.js';
import type {
  ColumnInfo,
  ColumnKind,
  DatabaseSchema,
  DialectIntrospector,
  ForeignKeyInfo,
  IntrospectOptions,
  TableInfo,
} from './types.js';

const SYSTEM_SCHEMA = /^(pg_catalog|information_schema|pg_toast.*|pg_temp_.*)$/;

const TABLES_SQL = `
SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       has_table_privilege(c.oid, 'SELECT') AS readable, c.relispopulated AS populated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname`;

const COLUMNS_SQL = `
SELECT a.attrelid::int8::text AS oid, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS identity, a.attgenerated::text AS generated,
       col_description(a.attrelid, a.attnum) AS comment,
       t.typname AS type_name, tn.nspname AS type_schema, t.typtype::text AS type_type,
       bt.typname AS base_name, bt.typtype::text AS base_type, bt.typcategory::text AS base_category,
       bt.oid::int8::text AS base_oid,
       CASE WHEN bt.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS max_length
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const ENUMS_SQL = `
SELECT enumtypid::int8::text AS type_oid, enumlabel AS label
FROM pg_catalog.pg_enum ORDER BY enumtypid, enumsortorder`;

const CONSTRAINTS_SQL = `
SELECT con.conrelid::int8::text AS oid, con.contype::text AS type, con.conname AS name,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord)::text[] AS columns,
       fn.nspname AS ref_schema, fc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.ord)::text[] AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete
FROM pg_catalog.pg_constraint con
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'f')
ORDER BY con.conrelid, con.conname`;

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface TableRow {
  oid: string;
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  readable: boolean;
  /** False for a materialized view created WITH NO DATA and not refreshed since: reading it fails. */
  populated: boolean;
}
interface ColumnRow {
  oid: string;
  name: string;
  data_type: string;
  not_null: boolean;
  default_expr: string | null;
  identity: string;
  generated: string;
  comment: string | null;
  type_name: string;
  type_schema: string;
  type_type: string;
  base_name: string;
  base_type: string;
  base_category: string;
  base_oid: string;
  max_length: number | null;
}
interface ConstraintRow {
  oid: string;
  type: string;
  name: string;
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[];
  on_update: string;
  on_delete: string;
}

export function postgresKind(baseName: string, baseType: string, category: string): ColumnKind {
  if (baseType === 'e') return 'string';
  if (category === 'A') return 'other';
  switch (baseName) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return 'integer';
    case 'numeric':
    case 'float4':
    case 'float8':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'char':
    case 'name':
    case 'citext':
      return 'string';
    case 'date':
      return 'date';
    case 'timestamp':
    case 'timestamptz':
      return 'datetime';
    case 'json':
    case 'jsonb':
      return 'json';
    case 'bytea':
      return 'binary';
    case 'uuid':
      return 'uuid';
    default:
      return 'other';
  }
}

export class PostgresIntrospector implements DialectIntrospector {
  constructor(
    private readonly url: string,
    private readonly redacted: string,
  ) {}

  async introspect(options: IntrospectOptions): Promise<DatabaseSchema> {
    const pg = (await import('pg')).default;
    const client: Client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'mcp-factory-import',
    });
    client.on('error', () => {
      /* a dropped connection surfaces on the next query */
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectFailed(error, this.url, this.redacted);
    }
    try {
      // A read-only snapshot: the catalog cannot change halfway through, and nothing can be written.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const meta = await client.query<{ db: string; version: string }>(
        'SELECT current_database() AS db, current_setting($1) AS version',
        ['server_version'],
      );
      const tables = (await client.query<TableRow>(TABLES_SQL)).rows;
      const columns = (await client.query<ColumnRow>(COLUMNS_SQL)).rows;
      const enums = (await client.query<{ type_oid: string; label: string }>(ENUMS_SQL)).rows;
      const constraints = (await client.query<ConstraintRow>(CONSTRAINTS_SQL)).rows;
      await client.query('COMMIT');
      return this.assemble(options, meta.rows[0]!, tables, columns, enums, constraints);
    } catch (error) {
      throw introspectionFailed(error, this.url, this.redacted);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private assemble(
    options: IntrospectOptions,
    meta: { db: string; version: string },
    tables: TableRow[],
    columns: ColumnRow[],
    enums: Array<{ type_oid: string; label: string }>,
    constraints: ConstraintRow[],
  ): DatabaseSchema {
    const filter = nameFilter(options, (schema) => !SYSTEM_SCHEMA.test(schema));
    const enumValues = new Map<string, string[]>();
    for (const e of enums) {
      const list = enumValues.get(e.type_oid) ?? [];
      list.push(e.label);
      enumValues.set(e.type_oid, list);
    }
    const columnsOf = groupBy(columns, (c) => c.oid);
    const constraintsOf = groupBy(constraints, (c) => c.oid);
    const result: TableInfo[] = [];
    const skipped: DatabaseSchema['skipped'] = [];
    for (const t of tables) {
      if (SYSTEM_SCHEMA.test(t.schema) || !filter.schema(t.schema) || !filter.table(t.schema, t.name))
        continue;
      const isView = t.relkind === 'v' || t.relkind === 'm';
      if (isView && options.views === false) continue;
      if (!t.readable) {
        skipped.push({ schema: t.schema, name: t.name, reason: 'no SELECT privilege' });
        continue;
      }
      if (t.relkind === 'm' && !t.populated) {
        skipped.push({
          schema: t.schema,
          name: t.name,
          reason: 'materialized view is not populated (REFRESH MATERIALIZED VIEW, then import again)',
        });
        continue;
      }
      const cons = constraintsOf.get(t.oid) ?? [];
      const pk = cons.find((c) => c.type === 'p');
      const foreignKeys: ForeignKeyInfo[] = cons
        .filter((c) => c.type === 'f' && c.ref_table !== null)
        .map((c) => ({
          name: c.name,
          columns: c.columns,
          referencedSchema: c.ref_schema ?? t.schema,
          referencedTable: c.ref_table!,
          referencedColumns: c.ref_columns,
          ...(ACTIONS[c.on_update] ? { onUpdate: ACTIONS[c.on_update] } : {}),
          ...(ACTIONS[c.on_delete] ? { onDelete: ACTIONS[c.on_delete] } : {}),
        }));
      result.push({
        schema: t.schema,
        name: t.name,
        type: isView ? 'view' : 'table',
        ...(t.comment ? { comment: t.comment } : {}),
        columns: (columnsOf.get(t.oid) ?? []).map((c) => this.column(c, enumValues)),
        primaryKey: pk?.columns ?? [],
        foreignKeys,
      });
    }
    return {
      dialect: 'postgresql',
      kind: 'postgresql',
      database: meta.db,
      defaultSchema: 'public',
      serverVersion: meta.version,
      tables: result,
      skipped,
    };
  }

  private column(c: ColumnRow, enumValues: Map<string, string[]>): ColumnInfo {
    const kind = postgresKind(c.base_name, c.base_type, c.base_category);
    const serial = c.default_expr !== null && /^nextval\(/i.test(c.default_expr);
    const identity = c.identity === 'a' || c.identity === 'd';
    const values = c.base_type === 'e' ? enumValues.get(c.base_oid) : undefined;
    return {
      name: c.name,
      dataType: c.data_type,
      kind,
      ...(c.base_name === 'int8' ? { precision: 'bigint' as const } : {}),
      ...(c.base_name === 'numeric' ? { precision: 'decimal' as const } : {}),
      nullable: !c.not_null,
      ...(c.default_expr !== null && c.generated !== 's' ? { default: c.default_expr } : {}),
      generated: c.generated === 's' || c.identity === 'a',
      autoIncrement: serial || identity,
      ...(c.comment ? { comment: c.comment } : {}),
      ...(values ? { enumValues: values } : {}),
      ...(c.max_length !== null ? { maxLength: Number(c.max_length) } : {}),
      // Internal names (int4, varchar, bpchar, timestamptz) carry no length: format_type's `character` would
      // mean char(1) and a cast to it would truncate.
      castType:
        c.type_schema === 'pg_catalog' && /^[a-z_][a-z0-9_]*$/.test(c.type_name)
          ? c.type_name
          : `${quoteIdent('postgresql', c.type_schema)}.${quoteIdent('postgresql', c.type_name)}`,
    };
  }
}

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
