/** MySQL/MariaDB adapter: reads information_schema (tables, views, columns, ENUM, keys, comments). */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { connectFailed, introspectionFailed } from './errors.js';
import { nameFilter } from './filter.js';
import { groupBy } from './postgres.js';
import type {
  ColumnInfo,
  ColumnKind,
  DatabaseSchema,
  DialectIntrospector,
  ForeignKeyInfo,
  IntrospectOptions,
  TableInfo,
} from './types.js';

const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

const TABLES_SQL = `
SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, TABLE_TYPE AS table_type,
       TABLE_COMMENT AS table_comment
FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME`;

const COLUMNS_SQL = `
SELECT TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, COLUMN_NAME AS column_name,
       COLUMN_DEFAULT AS column_default, IS_NULLABLE AS is_nullable, DATA_TYPE AS data_type,
       COLUMN_TYPE AS column_type, CHARACTER_MAXIMUM_LENGTH AS max_length, EXTRA AS extra,
       COLUMN_COMMENT AS column_comment, GENERATION_EXPRESSION AS generation_expression
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?)
ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`;

const KEYS_SQL = `
SELECT k.TABLE_SCHEMA AS table_schema, k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS constraint_name,
       tc.CONSTRAINT_TYPE AS constraint_type, k.COLUMN_NAME AS column_name,
       k.REFERENCED_TABLE_SCHEMA AS ref_schema, k.REFERENCED_TABLE_NAME AS ref_table,
       k.REFERENCED_COLUMN_NAME AS ref_column, r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.TABLE_CONSTRAINTS tc
  ON tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND tc.TABLE_NAME = k.TABLE_NAME
 AND tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME
LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME
 AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA IN (?) AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`;

// MariaDB's JSON is LONGTEXT with a json_valid() check named after the column.
const JSON_CHECKS_SQL = `
SELECT CONSTRAINT_SCHEMA AS table_schema, TABLE_NAME AS table_name, CHECK_CLAUSE AS check_clause
FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN (?) AND CHECK_CLAUSE LIKE 'json_valid(%'`;

interface ColumnRow extends RowDataPacket {
  table_schema: string;
  table_name: string;
  column_name: string;
  column_default: string | null;
  is_nullable: string;
  data_type: string;
  column_type: string;
  max_length: number | string | null;
  extra: string;
  column_comment: string;
  generation_expression: string | null;
}

export function mysqlKind(dataType: string, columnType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (t === 'tinyint' && /^tinyint\(1\)/i.test(columnType)) return 'boolean';
  if (t === 'bool' || t === 'boolean') return 'boolean';
  if (['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year'].includes(t)) return 'integer';
  if (['decimal', 'numeric', 'float', 'double', 'real', 'double precision'].includes(t)) return 'number';
  if (['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set'].includes(t))
    return 'string';
  if (t === 'date') return 'date';
  if (t === 'datetime' || t === 'timestamp') return 'datetime';
  if (t === 'json') return 'json';
  if (['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'].includes(t)) return 'binary';
  if (t === 'uuid') return 'uuid';
  return 'other';
}

/** Values of `enum('a','b''c')` as written in COLUMN_TYPE. */
export function parseEnumValues(columnType: string): string[] | undefined {
  const m = /^enum\((.*)\)$/is.exec(columnType.trim());
  if (!m) return undefined;
  const values: string[] = [];
  const re = /'((?:[^'\\]|''|\\.)*)'/gs;
  for (const v of m[1]!.matchAll(re))
    values.push(v[1]!.replace(/''/g, "'").replace(/\\(.)/gs, (_, c: string) => (c === '\\' ? '\\' : c)));
  return values;
}

/** A default as a SQL expression (MariaDB reports expressions; MySQL 8 reports literals unquoted). */
export function mysqlDefault(
  value: string | null,
  extra: string,
  kind: ColumnKind,
  mariadb: boolean,
): string | undefined {
  if (value === null) return undefined;
  if (mariadb) return value === 'NULL' ? undefined : value;
  if (/DEFAULT_GENERATED/i.test(extra)) return value;
  if ((kind === 'integer' || kind === 'number') && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export class MysqlIntrospector implements DialectIntrospector {
  constructor(
    private readonly url: string,
    private readonly redacted: string,
    private readonly database: string | undefined,
    private readonly mariadbScheme: boolean,
  ) {}

  async introspect(options: IntrospectOptions): Promise<DatabaseSchema> {
    const mysql = (await import('mysql2/promise')).default;
    let conn: Connection;
    try {
      conn = await mysql.createConnection({
        uri: this.url,
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        supportBigNumbers: true,
        bigNumberStrings: true,
      });
    } catch (error) {
      throw connectFailed(error, this.url, this.redacted);
    }
    conn.on('error', () => {
      /* surfaces on the next query */
    });
    try {
      const [[meta]] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS version, DATABASE() AS db');
      const version = String(meta?.version ?? '');
      const mariadb = this.mariadbScheme || /mariadb/i.test(version);
      const currentDb = (meta?.db as string | null) ?? this.database;
      const filter = nameFilter(options, (schema) =>
        currentDb ? schema === currentDb : !SYSTEM_SCHEMAS.has(schema.toLowerCase()),
      );
      const [schemaRows] = await conn.query<RowDataPacket[]>(
        'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME',
      );
      const schemas = schemaRows
        .map((r) => String(r.name))
        .filter((s) => !SYSTEM_SCHEMAS.has(s.toLowerCase()) && filter.schema(s));
      const tables: TableInfo[] = [];
      if (schemas.length > 0) {
        const [tableRows] = await conn.query<RowDataPacket[]>(TABLES_SQL, [schemas]);
        const [columnRows] = await conn.query<ColumnRow[]>(COLUMNS_SQL, [schemas]);
        const [keyRows] = await conn.query<RowDataPacket[]>(KEYS_SQL, [schemas]);
        let jsonChecks: RowDataPacket[] = [];
        try {
          [jsonChecks] = await conn.query<RowDataPacket[]>(JSON_CHECKS_SQL, [schemas]);
        } catch {
          /* CHECK_CONSTRAINTS needs MySQL 8.0.16 / MariaDB 10.2.22 */
        }
        const jsonColumns = new Set(
          jsonChecks.flatMap((r) => {
            const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(r.check_clause).trim());
            return m ? [`${r.table_schema}\0${r.table_name}\0${m[1]!.replace(/``/g, '`')}`] : [];
          }),
        );
        const key = (schema: unknown, table: unknown) => `${String(schema)}\0${String(table)}`;
        const columnsOf = groupBy(columnRows, (c) => key(c.table_schema, c.table_name));
        const keysOf = groupBy(keyRows, (k) => key(k.table_schema, k.table_name));
        for (const t of tableRows) {
          const schema = String(t.table_schema);
          const name = String(t.table_name);
          const type = String(t.table_type);
          const isView = type === 'VIEW';
          if (!isView && type !== 'BASE TABLE' && type !== 'SYSTEM VERSIONED') continue;
          if (isView && options.views === false) continue;
          if (!filter.table(schema, name)) continue;
          const keys = keysOf.get(key(schema, name)) ?? [];
          const primaryKey = keys
            .filter((k) => k.constraint_type === 'PRIMARY KEY')
            .map((k) => String(k.column_name));
          const fks = new Map<string, ForeignKeyInfo>();
          for (const k of keys) {
            if (k.constraint_type !== 'FOREIGN KEY' || !k.ref_table) continue;
            const name = String(k.constraint_name);
            const fk = fks.get(name) ?? {
              name,
              columns: [],
              referencedSchema: String(k.ref_schema ?? schema),
              referencedTable: String(k.ref_table),
              referencedColumns: [],
              ...(k.on_update ? { onUpdate: String(k.on_update) } : {}),
              ...(k.on_delete ? { onDelete: String(k.on_delete) } : {}),
            };
            fk.columns.push(String(k.column_name));
            fk.referencedColumns.push(String(k.ref_column));
            fks.set(name, fk);
          }
          const comment = String(t.table_comment ?? '');
          tables.push({
            schema,
            name,
            type: isView ? 'view' : 'table',
            ...(comment && !(isView && comment === 'VIEW') ? { comment } : {}),
            columns: (columnsOf.get(key(schema, name)) ?? []).map((c) =>
              this.column(c, mariadb, jsonColumns.has(`${schema}\0${name}\0${c.column_name}`)),
            ),
            primaryKey,
            foreignKeys: [...fks.values()],
          });
        }
      }
      return {
        dialect: 'mysql',
        kind: mariadb ? 'mariadb' : 'mysql',
        database: currentDb ?? '',
        defaultSchema: currentDb ?? '',
        serverVersion: version,
        tables,
        skipped: [],
      };
    } catch (error) {
      throw introspectionFailed(error, this.url, this.redacted);
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  private column(c: ColumnRow, mariadb: boolean, json: boolean): ColumnInfo {
    const kind = json ? 'json' : mysqlKind(c.data_type, c.column_type);
    const extra = String(c.extra ?? '');
    const generated =
      (c.generation_expression !== null && c.generation_expression !== '') ||
      /\b(VIRTUAL|STORED|PERSISTENT)\b/i.test(extra);
    const enumValues = c.data_type.toLowerCase() === 'enum' ? parseEnumValues(c.column_type) : undefined;
    const dflt = generated ? undefined : mysqlDefault(c.column_default, extra, kind, mariadb);
    const dataType = c.data_type.toLowerCase();
    return {
      name: c.column_name,
      dataType: c.column_type,
      kind,
      ...(dataType === 'bigint' ? { precision: 'bigint' as const } : {}),
      ...(dataType === 'decimal' || dataType === 'numeric' ? { precision: 'decimal' as const } : {}),
      nullable: c.is_nullable === 'YES',
      ...(dflt !== undefined ? { default: dflt } : {}),
      generated,
      autoIncrement: /auto_increment/i.test(extra),
      ...(c.column_comment ? { comment: c.column_comment } : {}),
      ...(enumValues ? { enumValues } : {}),
      ...(kind === 'string' && c.max_length !== null && Number(c.max_length) < 2 ** 31
        ? { maxLength: Number(c.max_length) }
        : {}),
    };
  }
}
