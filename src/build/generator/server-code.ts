/**
 * Emits src/server.ts, src/index.ts and the files tool kinds add (src/tools/*.ts) of a generated project.
 * Each tool's handler comes from its kind (core/kinds); this file wires schemas, options and registrations.
 */

import { inputSchema } from '../../core/codegen/json-schema.js';
import { commentText, fileStem, identifier, lit, litPretty } from '../../core/codegen/literals.js';
import { FactoryError } from '../../core/errors/index.js';
import { usesCommands } from '../../core/kinds/command.js';
import { type EmittedHandler, implementationOf, type Pagination } from '../../core/kinds/index.js';
import { dialectOf } from '../../core/kinds/sql.js';
import { annotationHints, effectiveParameters, outputPlan } from '../../core/kinds/tool.js';
import { type ServerSpec, type Tool, transportsOf } from '../../core/spec/model.js';
import { compileSql } from '../../core/spec/sql.js';
import { uriTemplateVariables } from '../../core/spec/template.js';
import { assetPath } from './assets.js';
import { triggerDefinition, triggerRuntimeFiles, triggerSourceWiring } from './triggers.js';

export interface ServerCodeInput {
  spec: ServerSpec;
  /** Where each sqlite connection's file lives inside the generated project (by connection name). */
  sqlitePaths: Record<string, string>;
  generatorVersion: string;
}

export interface GeneratedCode {
  files: Record<string, string>;
  /** Tool name → code-tool source file (for mapping compiler errors back to the spec). */
  codeToolFiles: Record<string, string>;
}

const DEFAULT_PAGINATION = { defaultLimit: 50, maxLimit: 1000 };
/** The catalog data file of a dynamic-mode project (runtime/catalog.ts CATALOGS_FILE), in src/ and dist/. */
export const CATALOGS_FILE = 'catalogs.json';

export function settingsOf(spec: ServerSpec, sqlitePaths: Record<string, string>): Record<string, unknown> {
  const transports = transportsOf(spec);
  const production = spec.production;
  return {
    name: spec.name,
    version: spec.version,
    ...(spec.title ? { title: spec.title } : {}),
    ...(spec.description ? { description: spec.description } : {}),
    defaultTransport: transports[0] ?? 'stdio',
    http: {
      host: spec.http?.host ?? '127.0.0.1',
      port: spec.http?.port ?? 3000,
      path: spec.http?.path ?? '/mcp',
      allowedHosts: spec.http?.allowedHosts ?? [],
      allowedOrigins: spec.http?.allowedOrigins ?? [],
    },
    auth: authSettings(spec),
    logLevel: production?.logLevel ?? 'info',
    metrics: production?.metrics ?? true,
    ...(production?.rateLimit ? { rateLimit: production.rateLimit } : {}),
    timeoutMs: production?.timeoutMs ?? 30_000,
    retries: production?.retries ?? { max: 2, backoffMs: 200 },
    sqlConnections: spec.connections
      .filter((c) => c.type !== 'http' && c.type !== 'dataset')
      .map((c) => {
        if (c.type === 'sqlite') {
          const path = sqlitePaths[c.name];
          return {
            name: c.name,
            type: c.type,
            ...(path ? { path } : {}),
            ...(c.envVar ? { envVar: c.envVar } : {}),
            ...(c.readOnly ? { readOnly: true } : {}),
          };
        }
        return {
          name: c.name,
          type: c.type,
          envVar: c.envVar,
          ...(c.readOnly ? { readOnly: true } : {}),
          ...(c.pool ? { poolMax: c.pool.max } : {}),
        };
      }),
    httpConnections: spec.connections.flatMap((c) =>
      c.type === 'http'
        ? [
            {
              name: c.name,
              ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
              ...(c.baseUrlEnv ? { baseUrlEnv: c.baseUrlEnv } : {}),
              ...(c.headers ? { headers: c.headers } : {}),
              ...(c.auth ? { auth: c.auth } : {}),
              ...(c.passthrough ? { passthrough: c.passthrough } : {}),
              ...(c.allowPrivateAddresses ? { allowPrivateAddresses: true } : {}),
            },
          ]
        : [],
    ),
    ...(usesDatasets(spec)
      ? {
          datasetConnections: spec.connections.flatMap((c) =>
            c.type === 'dataset'
              ? [
                  {
                    name: c.name,
                    rootsEnv: c.rootsEnv,
                    maxRows: c.maxRows,
                    memoryMb: c.memoryMb,
                    threads: c.threads,
                  },
                ]
              : [],
          ),
        }
      : {}),
  };
}

/** Whether the server queries data files (dataset connections): it then ships DuckDB. */
export function usesDatasets(spec: Pick<ServerSpec, 'connections'>): boolean {
  return spec.connections.some((c) => c.type === 'dataset');
}

/** The HTTP auth settings; an OAuth server also gets each tool's scopes (checked per call). */
function authSettings(spec: ServerSpec): Record<string, unknown> {
  const auth = spec.auth ?? { type: 'none' as const };
  if (auth.type !== 'oauth') return auth;
  const toolScopes = Object.fromEntries(
    spec.tools.filter((t) => t.scopes?.length).map((t) => [t.name, t.scopes!]),
  );
  return { ...auth, ...(Object.keys(toolScopes).length ? { toolScopes } : {}) };
}

/** The tool's handler expression and what it needs, from its kind. */
function emitHandler(
  spec: ServerSpec,
  tool: Tool,
  pagination: Pagination,
  usedIds: Set<string>,
  usedFiles: Set<string>,
): EmittedHandler {
  const found = implementationOf(tool);
  if (!found) {
    // A validated spec never gets here (checkSpec reports it with the same code).
    throw new FactoryError('SPEC_MISSING_FIELD', `tool "${tool.name}" has no implementation`);
  }
  return found.kind.emit(found.impl, {
    spec,
    tool,
    pagination,
    identifier: (name) => identifier(name, usedIds),
    fileStem: (name) => fileStem(name, usedFiles),
    assetPath,
  });
}

function defaultsOf(params: Record<string, { default?: unknown }>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params)
      .filter(([, p]) => p.default !== undefined)
      .map(([k, p]) => [k, p.default]),
  );
}

export function generateServerCode(input: ServerCodeInput): GeneratedCode {
  const { spec } = input;
  const pagination = spec.pagination ?? DEFAULT_PAGINATION;
  const files: Record<string, string> = {};
  const codeToolFiles: Record<string, string> = {};
  const usedIds = new Set<string>([
    'server',
    'runtime',
    'settings',
    'schemas',
    'handlers',
    'createServer',
    'renderText',
    'register',
    'newServer',
    'lazySchema',
    'sharedServerFactory',
    'verifyRequestState',
    'resourceDefs',
    'promptDefs',
    'registerResources',
    'registerPrompts',
    'serveCompletions',
    'ResourceDefinition',
    'PromptDefinition',
    'triggerSetup',
    'fileURLToPath',
  ]);
  const usedFiles = new Set<string>();
  const imports: string[] = [];
  const toolBlocks: string[] = [];
  const registrations: string[] = [];
  // Each distinct schema is emitted once (tools with the same parameters share one validator).
  const schemaIds = new Map<string, string>();
  const schemaDecls: string[] = [];
  const toolIds = new Map<string, string>();
  const schemaRef = (schema: unknown, type?: string): string => {
    const text = litPretty(schema, 0);
    const key = `${type ?? ''} ${text}`;
    let id = schemaIds.get(key);
    if (!id) {
      id = identifier('schema', usedIds);
      schemaIds.set(key, id);
      schemaDecls.push(`const ${id} = lazySchema${type ? `<${type}>` : ''}(${text});`);
    }
    return id;
  };

  spec.tools.forEach((tool) => {
    const id = identifier(tool.name, usedIds);
    toolIds.set(tool.name, id);
    const emitted = emitHandler(spec, tool, pagination, usedIds, usedFiles);
    imports.push(...(emitted.imports ?? []));
    if (emitted.sourceFile) codeToolFiles[tool.name] = emitted.sourceFile;
    Object.assign(files, emitted.files);
    const params = effectiveParameters(tool, pagination);
    const plan = outputPlan(tool);
    const annotations = annotationHints(tool);
    const defaults = defaultsOf(params);
    // Lenient tools do not advertise the schema (the SDK would reject mismatches); the runtime reports them instead.
    const lenient = tool.outputValidation === 'lenient' && plan.schema !== undefined;
    const options = {
      name: tool.name,
      timeoutMs: tool.timeoutMs ?? spec.production?.timeoutMs ?? 30_000,
      output: plan.mode,
      ...(Object.keys(defaults).length ? { defaults } : {}),
      ...(emitted.sync ? { sync: true } : {}),
      ...(lenient ? { lenientSchema: plan.schema } : {}),
      ...(tool.cache ? { cache: { ttlMs: tool.cache.ttlMs, cacheScope: tool.cache.scope } } : {}),
      ...(tool.confirm !== undefined ? { confirm: tool.confirm } : {}),
    };
    toolBlocks.push(
      [
        `// Tool ${lit(tool.name)}: ${commentText(tool.title ?? tool.description, 100)}`,
        `const ${id} = {`,
        `  input: ${schemaRef(inputSchema(params))},`,
        ...(plan.schema && !lenient ? [`  output: ${schemaRef(plan.schema)},`] : []),
        `  handler: toolHandler(runtime, ${lit(options)}, ${emitted.handler}),`,
        '};',
      ].join('\n'),
    );
    const config = [
      ...(tool.title ? [`      title: ${lit(tool.title)},`] : []),
      `      description: ${lit(tool.description)},`,
      `      inputSchema: ${id}.input,`,
      ...(plan.schema && !lenient ? [`      outputSchema: ${id}.output,`] : []),
      ...(annotations ? [`      annotations: ${lit(annotations)},`] : []),
    ];
    registrations.push(
      [
        `  server.registerTool(`,
        `    ${lit(tool.name)},`,
        '    {',
        ...config,
        '    },',
        `    ${id}.handler,`,
        '  );',
      ].join('\n'),
    );
  });

  // Resources and prompts are data; runtime/resources.ts and runtime/prompts.ts register them.
  const resourceDefs = spec.resources.map((r) => {
    const template = uriTemplateVariables(r.uri).length > 0;
    return {
      name: r.name,
      uri: r.uri,
      ...(template ? { template: true } : {}),
      ...(r.title ? { title: r.title } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(r.mimeType ? { mimeType: r.mimeType } : {}),
      ...(r.text !== undefined ? { text: r.text } : {}),
      ...(r.sql
        ? {
            sql: {
              connection: r.sql.connection,
              ...compileSql(r.sql.statement, dialectOf(spec, r.sql.connection)),
              result: 'rows',
            },
          }
        : {}),
      ...(r.file !== undefined ? { file: assetPath(r.file) } : {}),
      ...(r.blob !== undefined ? { blob: r.blob } : {}),
      ...(r.complete
        ? {
            complete: Object.fromEntries(
              Object.entries(r.complete).map(([v, values]) => [
                v,
                Array.isArray(values) || !r.sql
                  ? values
                  : {
                      connection: r.sql.connection,
                      ...compileSql(values.sql, dialectOf(spec, r.sql.connection)),
                      result: 'rows',
                    },
              ]),
            ),
          }
        : {}),
      ...(r.sql && r.watch ? { watch: { intervalMs: r.watch.intervalMs } } : {}),
      ...(r.sql && r.list
        ? {
            list: {
              connection: r.sql.connection,
              ...compileSql(r.list, dialectOf(spec, r.sql.connection)),
              result: 'rows',
            },
          }
        : {}),
    };
  });
  const promptDefs = spec.prompts.map((p) => ({
    name: p.name,
    ...(p.title ? { title: p.title } : {}),
    ...(p.description ? { description: p.description } : {}),
    arguments: p.arguments,
    messages: p.messages.map((m) => ({
      ...m,
      ...(m.image && 'file' in m.image ? { image: { ...m.image, file: assetPath(m.image.file) } } : {}),
    })),
  }));
  const completes =
    spec.prompts.some((p) => p.arguments.some((a) => a.enum || a.complete)) ||
    spec.resources.some((r) => r.complete && Object.keys(r.complete).length > 0);
  if (spec.resources.length) registrations.push('  registerResources(server, runtime, resourceDefs);');
  if (spec.prompts.length)
    registrations.push('  registerPrompts(server, runtime, promptDefs, resourceDefs);');

  // Subscriptions (runtime/subscriptions.ts): only when some SQL resource is watched.
  const watches = spec.resources.some((r) => r.sql && r.watch);
  const watchesList = spec.resources.some((r) => r.sql && r.watch && r.list);
  const capabilities = {
    ...(spec.tools.length ? { tools: {} } : {}),
    ...(spec.resources.length
      ? { resources: watches ? { subscribe: true, ...(watchesList ? { listChanged: true } : {}) } : {} }
      : {}),
    ...(spec.prompts.length ? { prompts: {} } : {}),
    ...(completes ? { completions: {} } : {}),
    logging: {},
  };
  const info = { name: spec.name, version: spec.version, ...(spec.title ? { title: spec.title } : {}) };
  const drivers = sqlDriversFor(spec);
  // Triggers (runtime/triggers/): the definitions as data, the tools they call, the source modules they use.
  const triggerWiring = spec.triggers.length ? triggerSourceWiring(spec) : undefined;
  const triggerTools = [...new Set(spec.triggers.map((t) => t.tool))].filter((name) => toolIds.has(name));

  files['src/server.ts'] = [
    `// Generated by MCP Factory ${input.generatorVersion} from the spec of ${lit(spec.name)}. Regenerate instead of editing.`,
    "import { McpServer } from '@modelcontextprotocol/server';",
    ...(spec.catalogs.length ? ["import { loadCatalogsAtStart } from './runtime/catalog.js';"] : []),
    "import { createRuntime } from './runtime/runtime.js';",
    "import type { ServerSettings } from './runtime/settings.js';",
    ...(spec.prompts.length || completes
      ? [
          `import { ${[...(spec.prompts.length ? ['type PromptDefinition', 'registerPrompts'] : []), ...(completes ? ['serveCompletions'] : [])].join(', ')} } from './runtime/prompts.js';`,
        ]
      : []),
    ...(spec.resources.length || spec.prompts.length || completes
      ? [
          `import { type ResourceDefinition${spec.resources.length ? ', registerResources' : ''} } from './runtime/resources.js';`,
        ]
      : []),
    ...(watches ? ["import { serveSubscriptions } from './runtime/subscriptions.js';"] : []),
    "import { renderText } from './runtime/template.js';",
    // OAuth registers itself with the HTTP transport; other servers neither bundle nor load jose.
    ...(spec.auth?.type === 'oauth' ? ["import './runtime/oauth.js';"] : []),
    "import { verifyRequestState } from './runtime/interaction.js';",
    "import { toolHandler } from './runtime/tool.js';",
    `import { ${schemaDecls.length ? 'lazySchema, ' : ''}sharedServerFactory } from './runtime/tool-table.js';`,
    ...(triggerWiring
      ? [
          "import { fileURLToPath } from 'node:url';",
          "import type { TriggerSetup } from './runtime/triggers/start.js';",
          ...triggerWiring.imports,
        ]
      : []),
    ...drivers.flatMap((d) => [
      `import { ${d.exportName} } from './runtime/${d.file.replace(/\.ts$/, '.js')}';`,
      // The query tool's guard for this dialect (registers itself; bundles only the parsers this server needs).
      `import './runtime/${guardFileOf(d.file).replace(/\.ts$/, '.js')}';`,
    ]),
    ...(usesDatasets(spec) ? ["import { duckdbDatasets } from './runtime/dataset-duckdb.js';"] : []),
    ...imports,
    '',
    `export const settings: ServerSettings = ${litPretty(settingsOf(spec, input.sqlitePaths))};`,
    '',
    ...(spec.catalogs.length
      ? [
          '// Operations reachable through the catalog tools (dynamic mode): data beside this file and the bundle.',
          `const catalogs = loadCatalogsAtStart(new URL(${lit(`./${CATALOGS_FILE}`)}, import.meta.url));`,
          '',
        ]
      : []),
    `export const runtime = createRuntime(settings, ${drivers.length ? `{ ${drivers.flatMap((d) => d.kinds.map((k) => `${k}: ${d.exportName}`)).join(', ')} }` : '{}'}${spec.catalogs.length || usesDatasets(spec) ? `, ${spec.catalogs.length ? 'catalogs' : '{}'}` : ''}${usesDatasets(spec) ? ', duckdbDatasets' : ''});`,
    '',
    '// Schemas (validators compiled on first use) and handlers are built once per process.',
    ...schemaDecls,
    '',
    ...toolBlocks.flatMap((b) => [b, '']),
    ...(spec.resources.length || spec.prompts.length || completes
      ? [`const resourceDefs: ResourceDefinition[] = ${litPretty(resourceDefs, 0)};`, '']
      : []),
    ...(spec.prompts.length
      ? [`const promptDefs: PromptDefinition[] = ${litPretty(promptDefs, 0)};`, '']
      : []),
    ...(triggerWiring
      ? [
          "/** The spec's triggers; started by main() once the transport is up (runtime/triggers/start.ts). */",
          'export const triggerSetup: TriggerSetup = {',
          `  definitions: ${litPretty(
            spec.triggers.map((t) => triggerDefinition(spec, t)),
            2,
          )},`,
          `  tools: { ${triggerTools.map((name) => `${lit(name)}: ${toolIds.get(name)}`).join(', ')} },`,
          `  sources: ${triggerWiring.sources},`,
          // src/server.ts and dist/server.mjs both sit one folder below the project root.
          "  projectRoot: fileURLToPath(new URL('..', import.meta.url)),",
          '};',
          ...triggerWiring.after,
          '',
        ]
      : []),
    '/** Every registration; runs once per process, on the template instance the others share it with. */',
    'function register(server: McpServer): void {',
    ...registrations,
    '}',
    '',
    'function newServer(): McpServer {',
    `  ${completes || watches ? 'const server =' : 'return'} new McpServer(${lit(info)}, {`,
    `    capabilities: ${lit(capabilities)},`,
    // Multi-round state (confirm, ctx.elicit/sample on 2026-07-28) is sealed; a tampered one never reaches a handler.
    '    requestState: { verify: verifyRequestState },',
    // List cache hints: the SDK sends them to 2026-07-28 clients only (2025 responses have no cache fields).
    ...(listCacheHints(spec) ? [`    cacheHints: ${lit(listCacheHints(spec))},`] : []),
    ...(spec.description ? [`    instructions: ${lit(spec.description)},`] : []),
    '  });',
    ...(completes
      ? [`  serveCompletions(server, runtime, ${spec.prompts.length ? 'promptDefs' : '[]'}, resourceDefs);`]
      : []),
    // Subscriptions are per connection: each instance keeps its own (runtime/subscriptions.ts).
    ...(watches ? ['  serveSubscriptions(server, runtime, resourceDefs);'] : []),
    ...(completes || watches ? ['  return server;'] : []),
    '}',
    '',
    '/** A fresh server instance: the SDK asks for one per HTTP request (stateless) or per stdio connection. */',
    'export const createServer: () => McpServer = sharedServerFactory(newServer, register);',
    '',
  ].join('\n');

  if (spec.catalogs.length) files[`src/${CATALOGS_FILE}`] = catalogsJson(spec);

  files['src/index.ts'] = [
    '#!/usr/bin/env node',
    `// Entry point of ${lit(spec.name)}: node dist/server.mjs [--transport stdio|http] [--port N]`,
    "import { main } from './runtime/main.js';",
    ...(triggerWiring
      ? [
          "import { startTriggers } from './runtime/triggers/start.js';",
          "import { createServer, runtime, triggerSetup } from './server.js';",
          '',
          'await main(runtime, createServer, (transport) => startTriggers(runtime, triggerSetup, transport));',
        ]
      : ["import { createServer, runtime } from './server.js';", '', 'await main(runtime, createServer);']),
    '',
  ].join('\n');

  return { files, codeToolFiles };
}

/** `production.listCache` as the SDK's per-operation cache hints of the four list results. */
function listCacheHints(spec: ServerSpec): Record<string, { ttlMs: number; cacheScope: string }> | undefined {
  const hint = spec.production?.listCache;
  if (!hint) return undefined;
  const value = { ttlMs: hint.ttlMs, cacheScope: hint.scope };
  return Object.fromEntries(
    ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'].map((m) => [m, value]),
  );
}

/** The runtime SQL driver files a spec needs (only those are copied into the project and imported). */
export function sqlDriversFor(
  spec: ServerSpec,
): Array<{ file: string; exportName: string; kinds: string[] }> {
  const kinds = new Set(spec.connections.map((c) => c.type));
  const out: Array<{ file: string; exportName: string; kinds: string[] }> = [];
  if (kinds.has('postgresql'))
    out.push({ file: 'sql-postgres.ts', exportName: 'postgresDriver', kinds: ['postgresql'] });
  const my = ['mysql', 'mariadb'].filter((k) => kinds.has(k as 'mysql'));
  if (my.length) out.push({ file: 'sql-mysql.ts', exportName: 'mysqlDriver', kinds: my });
  if (kinds.has('sqlite')) out.push({ file: 'sql-sqlite.ts', exportName: 'sqliteDriver', kinds: ['sqlite'] });
  return out;
}

/**
 * The runtime file that loads DuckDB's native binding from dist/native/ (beside the bundle): the bundler aliases
 * @duckdb/node-bindings to it (project-files.ts bundleOptions).
 */
export const DUCKDB_BINDING_FILE = 'duckdb-binding.ts';

/** The OAuth resource-server module (and its jose dependency): only for `auth: { type: oauth }`. */
const OAUTH_FILE = 'oauth.ts';

/** The DuckDB engine of dataset connections and the native binding loader the bundler substitutes in. */
const DATASET_FILES = new Set(['dataset-duckdb.ts', DUCKDB_BINDING_FILE]);

/** Runtime files every project gets, plus the SQL drivers it needs. */
const SQL_DRIVER_FILES = new Set(['sql-postgres.ts', 'sql-mysql.ts', 'sql-sqlite.ts', 'sql-sqlite-child.ts']);

/** Each driver's query guard (sql-guard-<dialect>.ts) and its allow-lists (sql-allow-<dialect>.ts). */
const SQL_GUARD_FILES = new Set(
  ['postgres', 'mysql', 'sqlite'].flatMap((d) => [`sql-guard-${d}.ts`, `sql-allow-${d}.ts`]),
);

function guardFileOf(driverFile: string): string {
  return driverFile.replace(/^sql-/, 'sql-guard-');
}

function wantedGuards(spec: ServerSpec): Set<string> {
  return new Set(
    sqlDriversFor(spec).flatMap((d) => [guardFileOf(d.file), d.file.replace(/^sql-/, 'sql-allow-')]),
  );
}

/** Command runtime files bundled only for specs with a tool on that backend. */
const COMMAND_BACKEND_FILES: Record<string, string> = {
  'command-ssh.ts': 'ssh',
  'command-agent.ts': 'agent',
};

export function runtimeFilesFor(spec: ServerSpec, all: Record<string, string>): Record<string, string> {
  const wanted = new Set(
    sqlDriversFor(spec).flatMap((d) =>
      d.file === 'sql-sqlite.ts' ? [d.file, 'sql-sqlite-child.ts'] : [d.file],
    ),
  );
  const triggerFiles = triggerRuntimeFiles(spec);
  return Object.fromEntries(
    Object.entries(all).filter(
      ([name]) =>
        (!name.startsWith('triggers/') || triggerFiles.has(name)) &&
        (name !== OAUTH_FILE || spec.auth?.type === 'oauth') &&
        (!DATASET_FILES.has(name) || usesDatasets(spec)) &&
        (!name.startsWith('command') || usesCommands(spec, COMMAND_BACKEND_FILES[name])) &&
        (!name.startsWith('exec/') || usesCommands(spec)) &&
        (!SQL_DRIVER_FILES.has(name) || wanted.has(name)) &&
        (!SQL_GUARD_FILES.has(name) || wantedGuards(spec).has(name)),
    ),
  );
}

/**
 * src/catalogs.json of a dynamic-mode project: too many operations for a typed literal in server.ts (the
 * compiler gives up, TS2590), so they ship as data. One operation per line keeps diffs readable.
 */
export function catalogsJson(spec: ServerSpec): string {
  const lines = Object.entries(catalogsOf(spec)).map(([name, catalog]) => {
    const { operations, ...rest } = catalog as { operations: unknown[] };
    const head = JSON.stringify(rest).slice(0, -1);
    const ops = operations.map((op) => JSON.stringify(op)).join(',\n');
    return `${JSON.stringify(name)}:${head}${head.length > 1 ? ',' : ''}"operations":[\n${ops}\n]}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** Catalog operations as runtime data: input schema for validation, defaults, and the http definition. */
export function catalogsOf(spec: ServerSpec): Record<string, unknown> {
  return Object.fromEntries(
    spec.catalogs.map((c) => [
      c.name,
      {
        ...(c.description ? { description: c.description } : {}),
        operations: c.operations.map((op) => {
          const defaults = defaultsOf(op.parameters);
          return {
            name: op.name,
            ...(op.title ? { title: op.title } : {}),
            description: op.description,
            inputSchema: inputSchema(op.parameters),
            ...(Object.keys(defaults).length ? { defaults } : {}),
            ...(op.annotations ? { annotations: op.annotations } : {}),
            http: op.http,
          };
        }),
      },
    ]),
  );
}
