/**
 * DatabaseSchema → ServerSpecInput. Every identifier in the generated SQL comes from the introspected schema
 * and is quoted for its dialect; every value is a bound `:param`. Client choices that SQL cannot bind (the
 * sort column, the direction) are enum parameters compared with literals inside static CASE expressions.
 *
 * The steps live in mapping/: plan (per-table names), read-tools (list_/get_/search_), write-tools
 * (create_/update_/delete_), server (query tool, connections, server identity), values and text.
 */
import type { ServerSpecInput } from '../../core/spec/model.js';
import type {
  ImportedTool,
  ImportReport,
  MappingContext,
  MappingOptions,
  ToolInput,
} from './mapping/model.js';
import { planTables, tableTools } from './mapping/plan.js';
import { addGetTool, addListTool, addSearchTool } from './mapping/read-tools.js';
import { screenSchema } from './mapping/screen.js';
import { addQueryTool, assembleSpec, connectionsFor } from './mapping/server.js';
import { addWriteTools } from './mapping/write-tools.js';
import { NameAllocator, TOOL_NAME_MAX } from './names.js';
import type { DatabaseSchema } from './types.js';

export type { ImportedTool, ImportReport, MappingOptions } from './mapping/model.js';
export { valueSchema } from './mapping/values.js';

export function schemaToSpec(schema: DatabaseSchema, options: MappingOptions = {}): ServerSpecInput {
  return mapSchema(schema, options).spec;
}

export function mapSchema(
  schema: DatabaseSchema,
  options: MappingOptions = {},
): { spec: ServerSpecInput; report: ImportReport } {
  const connection = options.connectionName ?? 'db';
  const pageSize = options.pageSize ?? 50;
  const maxPageSize = Math.max(options.maxPageSize ?? 1000, pageSize);
  const report: ImportReport = {
    dialect: schema.dialect,
    kind: schema.kind,
    database: schema.database,
    tables: schema.tables.filter((t) => t.type === 'table').length,
    views: schema.tables.filter((t) => t.type === 'view').length,
    tools: [],
    env: [],
    renamed: [],
    skipped: schema.skipped.map((s) => ({ table: `${s.schema}.${s.name}`, what: 'table', reason: s.reason })),
    warnings: [],
    notices: [],
  };
  // Comments become tool descriptions: screen them before anything is built from the schema.
  schema = screenSchema(schema, report);
  const tools: ToolInput[] = [];
  const ctx: MappingContext = {
    dialect: schema.dialect,
    schema,
    options,
    connection,
    writeConnection: `${connection}_write`,
    prefix: options.toolPrefix ?? '',
    toolNames: new NameAllocator([], TOOL_NAME_MAX),
    report,
    addTool: (tool: ToolInput, kind: ImportedTool['kind'], table?: string) => {
      tools.push(tool);
      report.tools.push({ name: tool.name, kind, ...(table ? { table } : {}) });
    },
  };

  for (const plan of planTables(schema, report)) {
    const table = tableTools(plan, report);
    if (!table) continue;
    addListTool(ctx, table);
    addGetTool(ctx, table);
    if (options.search !== false) addSearchTool(ctx, table);
    if (options.writes && plan.table.type === 'table') addWriteTools(ctx, table);
  }
  if (options.query !== false) addQueryTool(ctx);

  const connections = connectionsFor(ctx, tools);
  const spec = assembleSpec(ctx, connections, tools, { defaultLimit: pageSize, maxLimit: maxPageSize });
  return { spec, report };
}
