/**
 * What a server registers, built once per process. Stateless HTTP asks for a fresh McpServer per request; building
 * one used to mean registering every tool, resource and prompt again (cost growing with the tool count) and, for
 * prompts, compiling a new argument validator each time into the SDK's process-wide AJV cache, which never lets go.
 */
import {
  fromJsonSchema,
  type JsonSchemaType,
  type ListToolsResult,
  type McpServer,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';

const compiled = new Map<string, StandardSchemaWithJSON<unknown, unknown>>();

/**
 * One validator per distinct schema text, for the life of the process (bounded: schemas come from the spec).
 * Every validator of the runtime comes from here (tool input/output, lenient output checks, catalog operations).
 */
export function sharedValidator(schema: JsonSchemaType): StandardSchemaWithJSON<unknown, unknown> {
  const key = JSON.stringify(schema);
  let validator = compiled.get(key);
  if (!validator) {
    validator = fromJsonSchema(schema);
    compiled.set(key, validator);
  }
  return validator;
}

/**
 * `fromJsonSchema` without the up-front compile: the validator is compiled on the first validation (a server with
 * 1,000 tools mostly answers calls to a few), and tools with identical schemas share it.
 */
export function lazySchema<T = unknown>(schema: JsonSchemaType): StandardSchemaWithJSON<T, T> {
  let validator: StandardSchemaWithJSON<unknown, unknown> | undefined;
  return {
    '~standard': {
      version: 1,
      vendor: 'mcp',
      jsonSchema: { input: () => schema, output: () => schema },
      validate: (data) => {
        validator ??= sharedValidator(schema);
        return validator['~standard'].validate(data) as ReturnType<
          StandardSchemaWithJSON<T, T>['~standard']['validate']
        >;
      },
    },
  };
}

/** McpServer's per-instance tables (SDK internals, read at request time by its request handlers). */
const TABLES = [
  '_registeredTools',
  '_registeredResources',
  '_registeredResourceTemplates',
  '_registeredPrompts',
  '_toolInputSchemaJson',
] as const;
type Tables = Record<(typeof TABLES)[number], Record<string, unknown>>;

interface SdkTool {
  title?: string;
  description?: string;
  annotations?: unknown;
  icons?: unknown;
  execution?: unknown;
  _meta?: unknown;
  enabled: boolean;
  outputSchema?: unknown;
  outputSchemaJson?: Record<string, unknown>;
}
interface SdkInternals extends Tables {
  toolInputSchemaJson?: (name: string) => Record<string, unknown> | undefined;
}

const tablesOf = (server: McpServer) => server as unknown as SdkInternals;

/** The SDK still keeps its registrations in these plain-object tables (checked, so an SDK change degrades safely). */
function hasTables(server: McpServer): boolean {
  const s = tablesOf(server);
  return (
    TABLES.every((k) => Object.hasOwn(s, k) && typeof s[k] === 'object' && s[k] !== null) &&
    typeof s.toolInputSchemaJson === 'function'
  );
}

/**
 * The `tools/list` result McpServer would build, computed once: the same per-tool fields and the SDK's own
 * JSON conversions (`toolInputSchemaJson`, `outputSchemaJson`). Undefined when a conversion fails (the SDK's
 * handler then answers, and reports the failure, as before).
 */
function listOnce(template: McpServer): ListToolsResult['tools'] | undefined {
  const s = tablesOf(template);
  const tools: ListToolsResult['tools'] = [];
  for (const [name, entry] of Object.entries(s._registeredTools)) {
    const tool = entry as SdkTool;
    if (!tool.enabled) continue;
    const inputSchema = s.toolInputSchemaJson?.(name);
    if (!inputSchema) return undefined;
    const definition: Record<string, unknown> = {
      name,
      title: tool.title,
      description: tool.description,
      inputSchema,
      annotations: tool.annotations,
      icons: tool.icons,
      execution: tool.execution,
      _meta: tool._meta,
    };
    if (tool.outputSchema) {
      const outputSchema = tool.outputSchemaJson;
      if (!outputSchema) return undefined;
      definition.outputSchema = outputSchema;
    }
    tools.push(definition as ListToolsResult['tools'][number]);
  }
  return tools;
}

/**
 * A factory of fresh McpServer instances that share one set of registrations. `register` runs once, on a
 * template instance; each instance the SDK asks for (one per HTTP request, one per stdio connection) gets the
 * template's tables and a `tools/list` answered from a list built once. When the SDK's internals do not look as
 * expected, every instance registers everything itself (correct, only slower).
 */
export function sharedServerFactory(
  fresh: () => McpServer,
  register: (server: McpServer) => void,
): () => McpServer {
  let template: McpServer | undefined;
  let shared = false;
  let tools: ListToolsResult['tools'] | undefined;
  return () => {
    if (!template) {
      template = fresh();
      register(template);
      shared = hasTables(template);
      tools = shared ? listOnce(template) : undefined;
    }
    const server = fresh();
    if (!shared || !hasTables(server)) {
      register(server);
      return server;
    }
    const from = tablesOf(template);
    const to = tablesOf(server);
    for (const k of TABLES) to[k] = from[k];
    if (tools && server.server.getCapabilities().tools) {
      const list = tools;
      // The list cache hint (`production.listCache`) is not added here: the SDK attaches the server's
      // `cacheHints` to this handler's result and writes ttlMs/cacheScope for 2026-07-28 clients only.
      server.server.setRequestHandler('tools/list', () => ({ tools: list }));
    }
    return server;
  };
}
