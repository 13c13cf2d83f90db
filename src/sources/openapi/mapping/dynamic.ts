/**
 * Dynamic mode: instead of one tool per operation, every operation goes into one catalog and three fixed
 * tools search it, describe an operation and invoke it. Used for large APIs, where hundreds of tools would
 * crowd the client's context.
 */
import type { ApiOperation } from '../model.js';
import { cleanText } from '../text.js';
import type { CatalogInput, MappedOperation, ToolInput } from './model.js';

/** Names of the three tools of a dynamic-mode server. */
export const DYNAMIC_TOOLS = {
  search: 'search_operations',
  describe: 'describe_operation',
  invoke: 'invoke_operation',
} as const;

/** The catalog of every mapped operation and the three tools over it. */
export function dynamicCatalog(
  mapped: Array<{ op: ApiOperation; result: MappedOperation }>,
  catalogName: string,
  apiName: string,
  maxDescription: number,
): { catalog: CatalogInput; tools: ToolInput[] } {
  const catalog: CatalogInput = {
    name: catalogName,
    description: cleanText(`Operations of ${apiName}.`, maxDescription)!,
    operations: mapped.map(({ op, result }) => ({
      name: result.name,
      ...(result.title ? { title: result.title } : {}),
      // Shown in search results and by describe; search also reads it. The path and parameter names are their
      // own (low-weight) search fields, but the tags reach search only through this line.
      description: cleanText(
        `${result.description}\n\n${op.method} ${op.path}${op.tags.length ? ` (${op.tags.join(', ')})` : ''}`,
        maxDescription + 400,
      )!,
      parameters: result.parameters,
      ...(result.returns ? { returns: result.returns } : {}),
      annotations: result.annotations,
      http: result.http,
    })),
  };
  const count = mapped.length;
  const tools: ToolInput[] = [
    {
      name: DYNAMIC_TOOLS.search,
      title: 'Search operations',
      description: cleanText(
        `Search the ${count} operations of ${apiName} by keywords or a plain-English request (matched against operation names, titles and descriptions, and weakly their paths and parameter names). Returns operation names with a short description; use ${DYNAMIC_TOOLS.describe} for an operation's input schema and ${DYNAMIC_TOOLS.invoke} to call it.`,
        maxDescription,
      )!,
      parameters: {},
      annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
      catalog: { catalog: catalogName, action: 'search' },
    },
    {
      name: DYNAMIC_TOOLS.describe,
      title: 'Describe an operation',
      description: cleanText(
        `Describe one operation of ${apiName}: what it does, its input schema and whether it changes data. Call this before ${DYNAMIC_TOOLS.invoke}.`,
        maxDescription,
      )!,
      parameters: {},
      annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
      catalog: { catalog: catalogName, action: 'describe' },
    },
    {
      name: DYNAMIC_TOOLS.invoke,
      title: 'Invoke an operation',
      description: cleanText(
        `Call one operation of ${apiName} by name with arguments matching its input schema (see ${DYNAMIC_TOOLS.describe}). Operations may change or delete data.`,
        maxDescription,
      )!,
      parameters: {},
      annotations: { readOnly: false, openWorld: true },
      catalog: { catalog: catalogName, action: 'invoke' },
    },
  ];
  return { catalog, tools };
}
