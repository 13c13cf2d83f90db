/**
 * The database importer's view of a live database: one shape for every dialect, modelled on Kysely's
 * `DatabaseIntrospector` metadata (tables with columns) and extended with keys, comments and enum values.
 */

/** How the importer talks SQL: identifier quoting, placeholders, LIKE behaviour. */
export type SqlDialectName = 'postgresql' | 'mysql' | 'sqlite';

/** The server product, where it matters for the generated spec (`mariadb` supports RETURNING, `mysql` does not). */
export type DatabaseKind = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite';

/** A column type normalised across dialects. */
export type ColumnKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'json'
  | 'binary'
  | 'uuid'
  | 'other';

export interface ColumnInfo {
  name: string;
  /** The type as the database reports it, e.g. `character varying(120)`, `int(11)`, `NVARCHAR(120)`. */
  dataType: string;
  kind: ColumnKind;
  /** Integer columns wider than 32 bits (bigint) and exact decimals: values may not fit a JSON number. */
  precision?: 'bigint' | 'decimal';
  nullable: boolean;
  /** The default as a SQL expression (e.g. `'active'::status`, `CURRENT_TIMESTAMP`, `0`), if any. */
  default?: string;
  /** Computed by the database (GENERATED ALWAYS AS …, identity ALWAYS): never written by clients. */
  generated: boolean;
  /** Filled in by the database when left out (serial, identity, AUTO_INCREMENT, SQLite INTEGER PRIMARY KEY). */
  autoIncrement: boolean;
  comment?: string;
  /** Allowed values: PostgreSQL enum types (also behind a domain), MySQL ENUM, SQLite CHECK (x IN (…)). */
  enumValues?: string[];
  /** Character length limit, when the type declares one. */
  maxLength?: number;
  /**
   * PostgreSQL: a type name that parameters can be cast to (`int4`, `varchar`, `bpchar`, `"public"."mood"`);
   * without modifiers so a cast never truncates.
   */
  castType?: string;
}

export interface ForeignKeyInfo {
  name?: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  onUpdate?: string;
  onDelete?: string;
}

export interface TableInfo {
  /** PostgreSQL schema, MySQL database, SQLite `main`. */
  schema: string;
  name: string;
  type: 'table' | 'view';
  comment?: string;
  columns: ColumnInfo[];
  /** Primary-key column names in key order; empty when there is none (views, heap tables). */
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
}

export interface DatabaseSchema {
  dialect: SqlDialectName;
  kind: DatabaseKind;
  /** Database name (PostgreSQL/MySQL) or file base name (SQLite). */
  database: string;
  /** The schema unqualified names resolve to at run time: `public`, the URL's database, `main`. */
  defaultSchema: string;
  serverVersion?: string;
  tables: TableInfo[];
  /** Objects the filters matched but the importer left out, and why (e.g. no SELECT privilege). */
  skipped: Array<{ schema: string; name: string; reason: string }>;
}

export interface IntrospectOptions {
  /** Schemas (PostgreSQL), databases (MySQL) to read: names or globs (`*`, `?`). Default: see each dialect. */
  includeSchemas?: string[];
  excludeSchemas?: string[];
  /** Tables and views to read: `name`, `schema.name` or globs of either. Default: all. */
  includeTables?: string[];
  excludeTables?: string[];
  /** Read views too (default true). */
  views?: boolean;
  /** Connection timeout (default 10 000 ms). */
  connectTimeoutMs?: number;
}

/** One adapter per dialect; each opens its own connection and closes it before returning. */
export interface DialectIntrospector {
  introspect(options: IntrospectOptions): Promise<DatabaseSchema>;
}
