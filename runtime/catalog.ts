/**
 * Dynamic mode: many API operations behind three tools (search, describe, invoke) instead of one tool each.
 * Search ranks operations with the shared keyword search (./search/: Unicode-aware, prefix matches, BM25F).
 * The operations are data (catalogs.json beside server.ts and the bundle), read once at start: as a typed
 * literal in server.ts, a thousand-odd operations exceed what the TypeScript compiler can check (TS2590).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonSchemaType } from '@modelcontextprotocol/server';
import { ToolError } from './errors.js';
import type { HttpToolDefinition } from './http-client.js';
import { describeIssue, isPlainObject } from './json.js';
import {
  catalogOperationText,
  createOperationIndex,
  type OperationDocument,
  queryTokens,
  type SearchIndex,
} from './search/index.js';
import { sharedValidator } from './tool-table.js';

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

type Validator = ReturnType<typeof sharedValidator>;

/** The catalog data file: src/catalogs.json, copied to dist/catalogs.json by the build. */
export const CATALOGS_FILE = 'catalogs.json';

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** What is wrong with parsed catalog data, as `<catalog>.operations[i].<field> …`; undefined when it is sound. */
export function catalogDataProblem(data: unknown): string | undefined {
  if (!isPlainObject(data)) return 'the top level must be an object of catalogs by name';
  for (const [name, catalog] of Object.entries(data)) {
    if (!isPlainObject(catalog)) return `${name} must be an object`;
    if (catalog.description !== undefined && typeof catalog.description !== 'string')
      return `${name}.description must be a string`;
    if (!Array.isArray(catalog.operations)) return `${name}.operations must be an array`;
    const seen = new Set<string>();
    for (const [i, op] of catalog.operations.entries()) {
      const at = `${name}.operations[${i}]`;
      if (!isPlainObject(op)) return `${at} must be an object`;
      if (typeof op.name !== 'string' || !op.name) return `${at}.name must be a non-empty string`;
      if (seen.has(op.name)) return `${at}.name "${op.name}" appears twice`;
      seen.add(op.name);
      if (typeof op.description !== 'string') return `${at}.description must be a string`;
      if (op.title !== undefined && typeof op.title !== 'string') return `${at}.title must be a string`;
      if (!isPlainObject(op.inputSchema)) return `${at}.inputSchema must be an object`;
      for (const key of ['defaults', 'annotations'] as const)
        if (op[key] !== undefined && !isPlainObject(op[key])) return `${at}.${key} must be an object`;
      const http = op.http;
      if (!isPlainObject(http)) return `${at}.http must be an object`;
      if (typeof http.connection !== 'string') return `${at}.http.connection must be a string`;
      if (typeof http.method !== 'string' || !HTTP_METHODS.has(http.method))
        return `${at}.http.method must be one of ${[...HTTP_METHODS].join(', ')}`;
      if (typeof http.path !== 'string') return `${at}.http.path must be a string`;
    }
  }
  return undefined;
}

/** Read and check the catalog data file; throws an Error naming the file and what is wrong with it. */
export function loadCatalogs(file: URL | string): Record<string, CatalogDefinition> {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `catalog file ${path} is missing: rebuild the server (the build copies src/${CATALOGS_FILE} beside the bundle)`
        : `cannot read catalog file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`catalog file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const problem = catalogDataProblem(data);
  if (problem) throw new Error(`catalog file ${path} is malformed: ${problem}`);
  return data as Record<string, CatalogDefinition>;
}

/** loadCatalogs at process start: a bad file stops the server with one clear line (as main() does). */
export function loadCatalogsAtStart(file: URL | string): Record<string, CatalogDefinition> {
  try {
    return loadCatalogs(file);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
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
  const indexes = new Map<string, SearchIndex<OperationDocument<CatalogOperation>>>();
  const indexOf = (catalog: string, operations: CatalogOperation[]) => {
    let index = indexes.get(catalog);
    if (!index) {
      // What counts how much, and the English analysis: ./search/operations.ts.
      index = createOperationIndex(operations, catalogOperationText);
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
            .map((hit) => hit.document.operation)
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
      validator = sharedValidator(op.inputSchema as JsonSchemaType);
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
