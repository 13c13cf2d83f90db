/**
 * Emits src/server.ts, src/index.ts and the files tool kinds add (src/tools/*.ts) of a generated project.
 * Each tool's handler comes from its kind (core/kinds); this file wires schemas, options and registrations.
 */

import { inputSchema } from '../../core/codegen/json-schema.js';
import { commentText, fileStem, identifier, lit, litPretty } from '../../core/codegen/literals.js';
import { FactoryError } from '../../core/errors/index.js';
import { type EmittedHandler, implementationOf, type Pagination } from '../../core/kinds/index.js';
import { dialectOf } from '../../core/kinds/sql.js';
import { annotationHints, effectiveParameters, outputPlan } from '../../core/kinds/tool.js';
import { type ServerSpec, type Tool, transportsOf } from '../../core/spec/model.js';
import { compileSql } from '../../core/spec/sql.js';
import { uriTemplateVariables } from '../../core/spec/template.js';

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
    auth: spec.auth ?? { type: 'none' },
    logLevel: production?.logLevel ?? 'info',
    metrics: production?.metrics ?? true,
    ...(production?.rateLimit ? { rateLimit: production.rateLimit } : {}),
    timeoutMs: production?.timeoutMs ?? 30_000,
    retries: production?.retries ?? { max: 2, backoffMs: 200 },
    sqlConnections: spec.connections
      .filter((c) => c.type !== 'http')
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
            },
          ]
        : [],
    ),
  };
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
  ]);
  const usedFiles = new Set<string>();
  const imports: string[] = [];
  const toolBlocks: string[] = [];
  const registrations: string[] = [];

  spec.tools.forEach((tool) => {
    const id = identifier(tool.name, usedIds);
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
    };
    toolBlocks.push(
      [
        `// Tool ${lit(tool.name)}: ${commentText(tool.title ?? tool.description, 100)}`,
        `const ${id} = {`,
        `  input: fromJsonSchema(${litPretty(inputSchema(params), 2)}),`,
        ...(plan.schema && !lenient ? [`  output: fromJsonSchema(${litPretty(plan.schema, 2)}),`] : []),
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

  spec.resources.forEach((r) => {
    const vars = uriTemplateVariables(r.uri);
    const meta = lit({
      ...(r.title ? { title: r.title } : {}),
      ...(r.description ? { description: r.description } : {}),
      mimeType: r.mimeType,
    });
    const read = r.sql
      ? `JSON.stringify(await runtime.sql(${lit({ connection: r.sql.connection, ...compileSql(r.sql.statement, dialectOf(spec, r.sql.connection)), result: 'rows' })}, vars), null, 2)`
      : `renderText(${lit(r.text ?? '')}, vars)`;
    if (vars.length) {
      registrations.push(
        [
          `  server.registerResource(`,
          `    ${lit(r.name)},`,
          `    new ResourceTemplate(${lit(r.uri)}, { list: undefined }),`,
          `    ${meta},`,
          '    async (uri, variables) => {',
          '      const vars = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]));',
          `      return { contents: [{ uri: uri.href, mimeType: ${lit(r.mimeType)}, text: ${read} }] };`,
          '    },',
          '  );',
        ].join('\n'),
      );
    } else {
      registrations.push(
        [
          `  server.registerResource(${lit(r.name)}, ${lit(r.uri)}, ${meta}, async (uri) => {`,
          '    const vars: Record<string, unknown> = {};',
          `    return { contents: [{ uri: uri.href, mimeType: ${lit(r.mimeType)}, text: ${read} }] };`,
          '  });',
        ].join('\n'),
      );
    }
  });

  spec.prompts.forEach((p) => {
    const argsSchema = {
      type: 'object',
      properties: Object.fromEntries(
        p.arguments.map((a) => [
          a.name,
          { type: 'string', ...(a.description ? { description: a.description } : {}) },
        ]),
      ),
      required: p.arguments.filter((a) => a.required).map((a) => a.name),
    };
    const meta = {
      ...(p.title ? { title: p.title } : {}),
      ...(p.description ? { description: p.description } : {}),
    };
    const messages = p.messages.map(
      (m) =>
        `{ role: ${lit(m.role)} as const, content: { type: 'text' as const, text: renderText(${lit(m.text)}, args) } }`,
    );
    registrations.push(
      [
        `  server.registerPrompt(`,
        `    ${lit(p.name)},`,
        `    { ...${lit(meta)}, argsSchema: fromJsonSchema<Record<string, string>>(${lit(argsSchema)}) },`,
        `    (args) => ({ messages: [${messages.join(', ')}] }),`,
        '  );',
      ].join('\n'),
    );
  });

  const capabilities = {
    ...(spec.tools.length ? { tools: {} } : {}),
    ...(spec.resources.length ? { resources: {} } : {}),
    ...(spec.prompts.length ? { prompts: {} } : {}),
    logging: {},
  };
  const info = { name: spec.name, version: spec.version, ...(spec.title ? { title: spec.title } : {}) };
  const needsTemplate = spec.resources.some((r) => uriTemplateVariables(r.uri).length > 0);
  const drivers = sqlDriversFor(spec);

  files['src/server.ts'] = [
    `// Generated by MCP Factory ${input.generatorVersion} from the spec of ${lit(spec.name)}. Regenerate instead of editing.`,
    `import { fromJsonSchema, McpServer${needsTemplate ? ', ResourceTemplate' : ''} } from '@modelcontextprotocol/server';`,
    `import { ${spec.catalogs.length ? 'type CatalogDefinition, ' : ''}createRuntime } from './runtime/runtime.js';`,
    "import type { ServerSettings } from './runtime/settings.js';",
    "import { renderText } from './runtime/template.js';",
    "import { toolHandler } from './runtime/tool.js';",
    ...drivers.flatMap((d) => [
      `import { ${d.exportName} } from './runtime/${d.file.replace(/\.ts$/, '.js')}';`,
      // The query tool's guard for this dialect (registers itself; bundles only the parsers this server needs).
      `import './runtime/${guardFileOf(d.file).replace(/\.ts$/, '.js')}';`,
    ]),
    ...imports,
    '',
    `export const settings: ServerSettings = ${litPretty(settingsOf(spec, input.sqlitePaths))};`,
    '',
    ...(spec.catalogs.length
      ? [
          '// Operations reachable through the catalog tools (dynamic mode).',
          `const catalogs: Record<string, CatalogDefinition> = ${litPretty(catalogsOf(spec))};`,
          '',
        ]
      : []),
    `export const runtime = createRuntime(settings, ${drivers.length ? `{ ${drivers.flatMap((d) => d.kinds.map((k) => `${k}: ${d.exportName}`)).join(', ')} }` : '{}'}${spec.catalogs.length ? ', catalogs' : ''});`,
    '',
    '// Schemas and handlers are built once per process; createServer() only wires them into a fresh instance.',
    ...toolBlocks.flatMap((b) => [b, '']),
    '/** A fresh server instance: the SDK asks for one per HTTP request (stateless) or per stdio connection. */',
    'export function createServer(): McpServer {',
    `  const server = new McpServer(${lit(info)}, {`,
    `    capabilities: ${lit(capabilities)},`,
    ...(spec.description ? [`    instructions: ${lit(spec.description)},`] : []),
    '  });',
    ...registrations,
    '  return server;',
    '}',
    '',
  ].join('\n');

  files['src/index.ts'] = [
    '#!/usr/bin/env node',
    `// Entry point of ${lit(spec.name)}: node dist/server.mjs [--transport stdio|http] [--port N]`,
    "import { main } from './runtime/main.js';",
    "import { createServer, runtime } from './server.js';",
    '',
    'await main(runtime, createServer);',
    '',
  ].join('\n');

  return { files, codeToolFiles };
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

export function runtimeFilesFor(spec: ServerSpec, all: Record<string, string>): Record<string, string> {
  const wanted = new Set(
    sqlDriversFor(spec).flatMap((d) =>
      d.file === 'sql-sqlite.ts' ? [d.file, 'sql-sqlite-child.ts'] : [d.file],
    ),
  );
  return Object.fromEntries(
    Object.entries(all).filter(
      ([name]) =>
        (!SQL_DRIVER_FILES.has(name) || wanted.has(name)) &&
        (!SQL_GUARD_FILES.has(name) || wantedGuards(spec).has(name)),
    ),
  );
}

/** Catalog operations as runtime data: input schema for validation, defaults, and the http definition. */
function catalogsOf(spec: ServerSpec): Record<string, unknown> {
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
