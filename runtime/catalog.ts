/** Dynamic mode: many API operations behind three tools (search, describe, invoke) instead of one tool each. */
import { fromJsonSchema } from '@modelcontextprotocol/server';
import { ToolError } from './errors.js';
import type { HttpToolDefinition } from './http-client.js';
import { describeIssue } from './json.js';

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

export function createCatalogs(
  catalogs: Record<string, CatalogDefinition>,
  invokeHttp: (
    def: HttpToolDefinition,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ) => Promise<unknown>,
) {
  const validators = new Map<string, Validator>();
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
      const words = String(args.query ?? '')
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter(Boolean);
      const limit = Math.min(Math.max(Number(args.limit ?? 10), 1), 100);
      const scored = (catalogs[catalog]?.operations ?? [])
        .map((op) => {
          const name = op.name.toLowerCase();
          const text = `${op.title ?? ''} ${op.description}`.toLowerCase();
          const score = words.reduce(
            (n, w) => n + (name.includes(w) ? 3 : 0) + (text.includes(w) ? 1 : 0),
            0,
          );
          return { op, score };
        })
        .filter((x) => x.score > 0 || words.length === 0)
        .sort((a, b) => b.score - a.score || a.op.name.localeCompare(b.op.name))
        .slice(0, limit);
      return {
        operations: scored.map(({ op }) => ({
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
