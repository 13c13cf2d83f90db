/**
 * The server-wide parts of the database mapping: the guarded ad-hoc `query` tool, the connections (read-only,
 * plus a write connection when write tools exist) with the environment they need, and the server's own
 * name, title and description.
 */
import type { ServerSpecInput } from '../../../core/spec/model.js';
import { serverName } from '../names.js';
import type { IntrospectOptions } from '../types.js';
import {
  type ConnectionInput,
  type MappingContext,
  type MappingOptions,
  READ_ANNOTATIONS,
  type ToolInput,
} from './model.js';
import { shownName } from './screen.js';
import { dialectLabel } from './text.js';

export function addQueryTool(ctx: MappingContext): void {
  const { dialect, schema, options, report } = ctx;
  if (hasFilters(options))
    report.warnings.push(
      'the query tool reads whatever the database user may read, not only the imported tables: connect with a user limited to them',
    );
  const cfg = typeof options.query === 'object' ? options.query : {};
  const placeholders = dialect === 'postgresql' ? '$1, $2, …' : '?';
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}query`),
      title: 'Read-only SQL query',
      description: `Run one read-only SQL statement (SELECT, WITH, EXPLAIN, VALUES) on the ${schema.database} ${dialectLabel(schema.kind)} database. Pass values in params and refer to them as ${placeholders}; no comments or multiple statements. At most ${cfg.maxRows ?? 1000} rows; stops after ${cfg.timeoutMs ?? 5000} ms. Tables: ${schema.tables
        .map((t) => shownName(t.schema === schema.defaultSchema ? t.name : `${t.schema}.${t.name}`))
        .join(', ')
        .slice(0, 4000)}.`,
      parameters: {},
      annotations: READ_ANNOTATIONS,
      query: {
        connection: ctx.connection,
        ...(cfg.maxRows !== undefined ? { maxRows: cfg.maxRows } : {}),
        ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
      },
    },
    'query',
  );
}

/** The read-only connection, the write connection when a tool uses it, and their env entries in the report. */
export function connectionsFor(ctx: MappingContext, tools: ToolInput[]): ConnectionInput[] {
  const { dialect, schema, options, report, connection, writeConnection } = ctx;
  const connections: ConnectionInput[] = [];
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
  return connections;
}

/** The spec: server identity (options win over names derived from the database), pagination, the parts. */
export function assembleSpec(
  ctx: MappingContext,
  connections: ConnectionInput[],
  tools: ToolInput[],
  pagination: { defaultLimit: number; maxLimit: number },
): ServerSpecInput {
  const { schema, options, report } = ctx;
  const counts = `${report.tables} table${report.tables === 1 ? '' : 's'}${report.views ? ` and ${report.views} view${report.views === 1 ? '' : 's'}` : ''}`;
  return {
    name: options.name ?? serverName(schema.database),
    version: options.version ?? '0.1.0',
    title: options.title ?? `${schema.database} database`,
    description:
      options.description ??
      `Tools over the ${schema.database} ${dialectLabel(schema.kind)} database (${counts}): list with filters, sorting and pages, get by primary key, and text search${options.writes ? '; create, update and delete rows' : ''}${options.query !== false ? '; plus a guarded read-only SQL query tool' : ''}.`,
    pagination,
    connections,
    tools,
  };
}

/** Whether the import was limited to some schemas or tables (options may carry the introspection filters). */
function hasFilters(options: MappingOptions): boolean {
  const o = options as MappingOptions & IntrospectOptions;
  return [o.includeSchemas, o.excludeSchemas, o.includeTables, o.excludeTables].some(
    (f) => f && f.length > 0,
  );
}
