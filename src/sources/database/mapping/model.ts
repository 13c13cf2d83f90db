/**
 * Shapes shared by the steps of the DatabaseSchema → spec mapping: the options and the report (public), the
 * per-table plan (quoted identifiers, parameter names), and the contexts the tool builders write into. Tools
 * are appended in the order the builders run, so that order is part of the output.
 */

import type { Issue } from '../../../core/errors/index.js';
import type { ServerSpecInput, ValueSchema } from '../../../core/spec/model.js';
import type { NameAllocator } from '../names.js';
import type { ColumnInfo, DatabaseSchema, SqlDialectName, TableInfo } from '../types.js';

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
  /**
   * Structured warnings (code + hint), shown by the CLI: DB_UNTRUSTED_TEXT (comments left out, names flagged)
   * and, from importDatabase, DB_PRIVILEGED_USER.
   */
  notices: Issue[];
  /** Set by importDatabase: the least-privilege role (its script is a file of the generated project). */
  role?: { name: string; file: string; created: boolean };
  /** Set by importDatabase: what validateSpec says about the spec (empty when it is valid). */
  issues?: Issue[];
}

export type ToolInput = NonNullable<ServerSpecInput['tools']>[number];
export type ConnectionInput = NonNullable<ServerSpecInput['connections']>[number];

/** Rows keep the driver's value types (bigint/decimal may be strings), so the row itself is not typed further. */
export const ROW_OR_NULL: ValueSchema = {
  type: 'object',
  nullable: true,
  description: 'The row (column name → value), or null when no row has this key.',
};

export const READ_ANNOTATIONS = { readOnly: true, destructive: false, idempotent: true, openWorld: false };

export interface ColumnPlan {
  column: ColumnInfo;
  param: string;
  ident: string;
  /** PostgreSQL parameters are cast to the column type so `:x IS NULL` has a type. */
  bind: (param: string) => string;
}

export interface TablePlan {
  table: TableInfo;
  label: string;
  qualified: string;
  slug: string;
  columns: ColumnPlan[];
  allocator: NameAllocator;
}

/** What every tool builder needs about the whole import. */
export interface MappingContext {
  dialect: SqlDialectName;
  schema: DatabaseSchema;
  options: MappingOptions;
  connection: string;
  writeConnection: string;
  prefix: string;
  /** Tool names, unique across the server. */
  toolNames: NameAllocator;
  report: ImportReport;
  /** Appends a tool to the spec and records it in the report. */
  addTool: (tool: ToolInput, kind: ImportedTool['kind'], table?: string) => void;
}

/** A table with at least one readable column, and what its tools share. */
export interface TableTools {
  plan: TablePlan;
  /** The primary key columns that could be planned (all of them when `hasPk`). */
  pk: ColumnPlan[];
  /** A table (not a view) whose whole primary key is usable. */
  hasPk: boolean;
  selectList: string;
  sortable: ColumnPlan[];
  /** A total order for stable pages: the primary key, else every sortable column. */
  tiebreak: string[];
  describeColumns: string;
  /** `table X (comment)` / `view X`, for tool descriptions. */
  what: string;
}
