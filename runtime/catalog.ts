/**
 * Dynamic mode: many API operations behind three tools (search, describe, invoke) instead of one tool each.
 * Search ranks operations with the shared keyword search (./search/: Unicode-aware, prefix matches, BM25F).
 */
import { fromJsonSchema } from '@modelcontextprotocol/server';
import { ToolError } from './errors.js';
import type { HttpToolDefinition } from './http-client.js';
import { describeIssue } from './json.js';
import { createSearchIndex, queryTokens, type SearchDocument, type SearchIndex } from './search/index.js';

export interface CatalogOperation {
  name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  defaults?: Record<string, unknown>;
  annotations?: Record<string, boolean>;
  http: HttpToolDefinition;
}

export interface CatalogDefinition {
  description?: string;
  operations: CatalogOperation[];
}

type Validator = ReturnType<typeof fromJsonSchema>;

/** The operation name says most about it (it is made of the method and path or the operationId). */
const SEARCH_WEIGHTS = { name: 3, title: 2, description: 1 } as const;

interface OperationDocument extends SearchDocument<keyof typeof SEARCH_WEIGHTS> {
  op: CatalogOperation;
}

export function createCatalogs(
  catalogs: Record<string, CatalogDefinition>,
  invokeHttp: (
    def: HttpToolDefinition,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ) => Promise<unknown>,
) {
  const validators = new Map<string, Validator>();
  const indexes = new Map<string, SearchIndex<OperationDocument>>();
  const indexOf = (catalog: string, operations: CatalogOperation[]) => {
    let index = indexes.get(catalog);
    if (!index) {
      index = createSearchIndex(
        operations.map((op) => ({
          key: op.name,
          fields: { name: op.name, title: op.title, description: op.description },
          op,
        })),
        SEARCH_WEIGHTS,
      );
      indexes.set(catalog, index);
    }
    return index;
  };
  const find = (catalog: string, name: unknown): CatalogOperation => {
    const ops = catalogs[catalog]?.operations ?? [];
    const op = ops.find((o) => o.name === name);
    if (!op)
      throw new ToolError(`no operation "${String(name)}"; use the search tool to find operation names`);
    return op;
  };
  return async (
    catalog: string,
    action: 'search' | 'describe' | 'invoke',
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> => {
    if (action === 'search') {
      const operations = catalogs[catalog]?.operations ?? [];
      const limit = Math.min(Math.max(Number(args.limit ?? 10), 1), 100);
      const query = String(args.query ?? '');
      // No words: list the operations by name.
      const found = queryTokens(query).length
        ? indexOf(catalog, operations)
            .search(query, { limit })
            .map((hit) => hit.document.op)
        : [...operations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, limit);
      return {
        operations: found.map((op) => ({
          name: op.name,
          ...(op.title ? { title: op.title } : {}),
          description: op.description.slice(0, 300),
        })),
      };
    }
    const op = find(catalog, args.operation);
    if (action === 'describe') {
      return {
        name: op.name,
        ...(op.title ? { title: op.title } : {}),
        description: op.description,
        method: op.http.method,
        path: op.http.path,
        inputSchema: op.inputSchema,
        ...(op.annotations ? { annotations: op.annotations } : {}),
      };
    }
    const given =
      args.arguments && typeof args.arguments === 'object' && !Array.isArray(args.arguments)
        ? (args.arguments as Record<string, unknown>)
        : {};
    const input = { ...op.defaults, ...given };
    let validator = validators.get(op.name);
    if (!validator) {
      validator = fromJsonSchema(op.inputSchema as Parameters<typeof fromJsonSchema>[0]);
      validators.set(op.name, validator);
    }
    const verdict = await validator['~standard'].validate(input);
    if (verdict.issues?.length) {
      const detail = verdict.issues.map((i) => describeIssue(i)).join('; ');
      throw new ToolError(`invalid arguments for ${op.name}: ${detail}`);
    }
    return invokeHttp(op.http, input, signal);
  };
}
