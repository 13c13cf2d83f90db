/** Packaging and publishing files of a generated project: package.json, tsconfig, Dockerfile, CI, manifests. */
import { usesCommands } from '../../core/kinds/command.js';
import { implementationOf } from '../../core/kinds/index.js';
import { type ServerSpec, transportsOf } from '../../core/spec/model.js';
import { ASSET_DIR, specFiles } from './assets.js';
import { collectEnv, type EnvVarInfo } from './env.js';
import { DUCKDB_BINDING_FILE, usesDatasets } from './server-code.js';
import { triggerPackages, triggerTypePackages } from './triggers.js';

export interface DependencyVersions {
  [name: string]: string;
}

export const BUNDLE_FILE = 'dist/server.mjs';

/** The native DuckDB files a dataset server loads from dist/native/ (duckdb.node finds the library by $ORIGIN). */
export const DUCKDB_NATIVE_FILES = ['duckdb.node', 'libduckdb.so'];

/**
 * esbuild options shared by the factory's bundler and the generated build.mjs. `duckdb`: DuckDB's binding loader
 * (which looks for a platform package in node_modules) is replaced by one that loads dist/native/duckdb.node.
 */
export function bundleOptions(
  external: string[],
  options: { duckdb?: boolean } = {},
): Record<string, unknown> {
  return {
    entryPoints: ['src/index.ts'],
    outfile: BUNDLE_FILE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    external,
    ...(options.duckdb ? { alias: { '@duckdb/node-bindings': `./src/runtime/${DUCKDB_BINDING_FILE}` } } : {}),
    // CommonJS dependencies bundled into ESM need a real `require` (native addons, optional modules).
    banner: {
      js: "import { createRequire as __mcpCreateRequire } from 'node:module'; const require = __mcpCreateRequire(import.meta.url);",
    },
  };
}

/** Data files the server reads from beside its bundle: copied from src/ to dist/ by both builds when present. */
export const BUNDLE_DATA_FILES = ['catalogs.json'];

/**
 * Modules left out of the bundle: optional native accelerators the drivers probe for (ssh2 of command tools
 * tries cpu-features and its own sshcrypto.node inside try/catch, and falls back to JavaScript).
 */
export const BUNDLE_EXTERNALS = ['pg-native', 'cloudflare:sockets', 'cpu-features', '*.node'];

/** Shipped packages the spec's tools load (added to the generated package.json), each once. */
export function codeImports(spec: ServerSpec): string[] {
  const names = spec.tools.flatMap((tool) => {
    const found = implementationOf(tool);
    return found?.kind.dependencies?.(found.impl) ?? [];
  });
  return [...new Set(names)];
}

function usesSqlite(spec: ServerSpec): boolean {
  return spec.connections.some((c) => c.type === 'sqlite');
}

export function packageJson(spec: ServerSpec, versions: DependencyVersions): string {
  const kinds = new Set(spec.connections.map((c) => c.type));
  const pick = (names: string[]) =>
    Object.fromEntries(names.filter((n) => versions[n]).map((n) => [n, versions[n]!]));
  const deps = [
    '@modelcontextprotocol/server',
    '@modelcontextprotocol/node',
    'prom-client',
    ...(kinds.has('postgresql') ? ['pg', 'pg-cursor', 'libpg-query'] : []),
    ...(kinds.has('mysql') || kinds.has('mariadb') ? ['mysql2', 'node-sql-parser'] : []),
    ...(usesSqlite(spec) ? ['better-sqlite3'] : []),
    ...(usesDatasets(spec) ? ['@duckdb/node-api'] : []),
    ...(spec.auth?.type === 'oauth' ? ['jose'] : []),
    ...triggerPackages(spec),
    ...codeImports(spec),
  ];
  const pkg = {
    name: spec.name,
    version: spec.version,
    description: spec.description?.slice(0, 300) ?? `MCP server ${spec.name}`,
    type: 'module',
    license: 'UNLICENSED',
    private: true,
    bin: { [spec.name]: BUNDLE_FILE },
    files: [
      'dist',
      ...(usesSqlite(spec) ? ['data'] : []),
      ...(specFiles(spec).length ? [ASSET_DIR] : []),
      'README.md',
      'server.json',
    ],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsc --noEmit && node build.mjs',
      typecheck: 'tsc --noEmit',
      start: `node ${BUNDLE_FILE}`,
      'start:http': `node ${BUNDLE_FILE} --transport http`,
      test: 'node --test test/',
    },
    dependencies: pick(deps),
    devDependencies: pick([
      ...codeImports(spec).map((d) => `@types/${d}`),
      '@modelcontextprotocol/client',
      'typescript',
      'esbuild',
      '@types/node',
      ...(usesSqlite(spec) ? ['@types/better-sqlite3'] : []),
      ...(kinds.has('postgresql') ? ['@types/pg', '@types/pg-cursor'] : []),
      ...triggerTypePackages(spec),
      ...(usesCommands(spec, 'ssh') ? ['@types/ssh2'] : []),
    ]),
    mcpName: registryName(spec),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['src'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function buildScript(spec?: ServerSpec): string {
  const duckdb = spec !== undefined && usesDatasets(spec);
  return [
    '// Bundles the server into one file that starts without npm install (native bindings copied beside it).',
    "import { build } from 'esbuild';",
    `import { copyFileSync, existsSync, mkdirSync${duckdb ? ', rmSync' : ''} } from 'node:fs';`,
    "import { createRequire } from 'node:module';",
    "import { dirname, join } from 'node:path';",
    '',
    `await build(${JSON.stringify(bundleOptions(BUNDLE_EXTERNALS, { duckdb }), null, 2)});`,
    '',
    '// Data the server reads from beside the bundle (the operations catalog of a dynamic-mode server).',
    `for (const file of ${JSON.stringify(BUNDLE_DATA_FILES)}) {`,
    '  if (existsSync(`src/${file}`)) copyFileSync(`src/${file}`, `dist/${file}`);',
    '}',
    'const require = createRequire(import.meta.url);',
    'try {',
    "  const pkg = dirname(require.resolve('better-sqlite3/package.json'));",
    "  const binding = join(pkg, 'build/Release/better_sqlite3.node');",
    '  if (existsSync(binding)) {',
    "    mkdirSync('dist/native', { recursive: true });",
    "    copyFileSync(binding, 'dist/native/better_sqlite3.node');",
    '  }',
    '} catch {',
    '  // no SQLite connection in this server',
    '}',
    '// The PostgreSQL query guard loads its parser from dist/libpg-query.wasm.',
    'try {',
    "  const wasm = join(dirname(require.resolve('libpg-query')), 'libpg-query.wasm');",
    "  if (existsSync(wasm)) copyFileSync(wasm, 'dist/libpg-query.wasm');",
    '} catch {',
    '  // no PostgreSQL connection in this server',
    '}',
    ...(duckdb
      ? [
          '// DuckDB (dataset connections): its binding and library for this platform, loaded from dist/native/.',
          "const api = createRequire(require.resolve('@duckdb/node-api'));",
          "const bindings = createRequire(api.resolve('@duckdb/node-bindings/package.json'));",
          'const musl = process.report?.getReport?.().header?.glibcVersionRuntime === undefined;',
          "const platform = `@duckdb/node-bindings-${process.platform}-${process.arch}${process.platform === 'linux' && musl ? '-musl' : ''}`;",
          'const native = dirname(bindings.resolve(`${platform}/package.json`));',
          "mkdirSync('dist/native', { recursive: true });",
          `for (const file of ${JSON.stringify(DUCKDB_NATIVE_FILES)}) {`,
          '  if (!existsSync(join(native, file))) continue;',
          "  // Unlink first: dist/native/ may hold hard links to another installation's files (never write through them).",
          '  rmSync(`dist/native/${file}`, { force: true });',
          '  copyFileSync(join(native, file), `dist/native/${file}`);',
          '}',
        ]
      : []),
    '',
  ].join('\n');
}

export function dockerfile(spec: ServerSpec): string {
  const port = spec.http?.port ?? 3000;
  return [
    '# syntax=docker/dockerfile:1',
    '# Base image is a build argument so air-gapped or hardened builds can supply their own Node image.',
    // DuckDB's bundled binding is built for glibc: dataset servers default to a Debian-based image.
    `ARG NODE_IMAGE=${usesDatasets(spec) ? 'node:22-bookworm-slim' : 'node:22-alpine'}`,
    'FROM ${NODE_IMAGE}',
    'WORKDIR /app',
    `ENV NODE_ENV=production MCP_TRANSPORT=http HOST=0.0.0.0 PORT=${port}`,
    'COPY dist/ ./dist/',
    ...(usesSqlite(spec) ? ['COPY data/ ./data/'] : []),
    ...(specFiles(spec).length ? [`COPY ${ASSET_DIR}/ ./${ASSET_DIR}/`] : []),
    'COPY package.json ./',
    '# Secrets are never baked in: pass them at run time (docker run -e NAME=...).',
    'USER 1000:1000',
    `EXPOSE ${port}`,
    // Exec form: minimal base images (distroless, a plain node rootfs) have no /bin/sh.
    `HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]`,
    `CMD ["node", "${BUNDLE_FILE}"]`,
    '',
  ].join('\n');
}

export function dockerignore(): string {
  return ['node_modules', 'src', 'test', '.env', '.env.*', '*.log', ''].join('\n');
}

export function gitignore(): string {
  return ['node_modules/', '.env', '*.log', ''].join('\n');
}

export function ciWorkflow(): string {
  return [
    'name: ci',
    'on:',
    '  push:',
    '  pull_request:',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  test:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    '      matrix:',
    '        node: [20, 22, 24]',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    '          node-version: ${{ matrix.node }}',
    '      - run: npm install',
    '      - run: npm run build',
    '      - run: npm test',
    '',
  ].join('\n');
}

export function registryName(spec: ServerSpec): string {
  return `io.github.your-org/${spec.name}`;
}

/** The variables a stdio launch reads: without the HTTP transport's own key, which only HTTP clients present. */
export function stdioEnv(spec: ServerSpec): EnvVarInfo[] {
  return collectEnv(spec).filter((e) => !e.httpOnly);
}

/** Arguments that select stdio when the spec's default transport is HTTP (the bundle starts in its default). */
export function stdioArgs(spec: ServerSpec): string[] {
  return transportsOf(spec)[0] === 'stdio' ? [] : ['--transport', 'stdio'];
}

/** The header an HTTP client sends to authenticate, when the spec protects its HTTP transport. */
function authHeader(spec: ServerSpec): { name: string; description: string } | undefined {
  const auth = spec.auth;
  // OAuth clients obtain their own tokens (protected-resource metadata tells them where): no fixed header.
  if (!auth || auth.type === 'none' || auth.type === 'oauth') return undefined;
  return auth.type === 'api_key'
    ? { name: auth.header, description: `API key: the value of ${auth.envVar} on the server` }
    : { name: 'Authorization', description: `Bearer <token>, the token being ${auth.envVar} on the server` };
}

/**
 * server.json for the official MCP Registry (2025-12-11 schema): the npm package over stdio (its environment
 * without the HTTP-only key) and a streamable-http remote at the spec's path on the host it is deployed to.
 */
export function serverJson(spec: ServerSpec): string {
  const env = stdioEnv(spec);
  const header = authHeader(spec);
  const transportArgs = stdioArgs(spec);
  const doc = {
    $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
    name: registryName(spec),
    ...(spec.title ? { title: spec.title } : {}),
    description: truncate(spec.description ?? `MCP server ${spec.name}`, 100),
    version: spec.version,
    packages: [
      {
        registryType: 'npm',
        identifier: spec.name,
        version: spec.version,
        transport: { type: 'stdio' },
        ...(transportArgs.length
          ? { packageArguments: [{ type: 'named', name: transportArgs[0], value: transportArgs[1] }] }
          : {}),
        ...(env.length
          ? {
              environmentVariables: env.map((e) => ({
                name: e.name,
                description: truncate(e.purpose, 200),
                isRequired: e.required,
                isSecret: e.secret,
              })),
            }
          : {}),
      },
    ],
    remotes: [
      {
        type: 'streamable-http',
        url: `https://{host}${spec.http?.path ?? '/mcp'}`,
        variables: {
          host: {
            description: 'Host name (and port) where this server runs with --transport http, behind TLS',
            isRequired: true,
          },
        },
        ...(header ? { headers: [{ ...header, isRequired: true, isSecret: true }] } : {}),
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** manifest.json of an MCP Bundle (.mcpb): the client starts it over stdio, so the HTTP-only key is left out. */
export function mcpbManifest(spec: ServerSpec): string {
  const env = stdioEnv(spec);
  const key = (name: string) => name.toLowerCase();
  const manifest = {
    manifest_version: '0.3',
    name: spec.name,
    display_name: spec.title ?? spec.name,
    version: spec.version,
    description: truncate(spec.description ?? `MCP server ${spec.name}`, 300),
    author: { name: 'MCP Factory user' },
    server: {
      type: 'node',
      entry_point: BUNDLE_FILE,
      mcp_config: {
        command: 'node',
        args: [`\${__dirname}/${BUNDLE_FILE}`, ...stdioArgs(spec)],
        env: Object.fromEntries(env.map((e) => [e.name, `\${user_config.${key(e.name)}}`])),
      },
    },
    tools: spec.tools.map((t) => ({ name: t.name, description: truncate(t.description, 300) })),
    prompts: spec.prompts.map((p) => ({
      name: p.name,
      description: truncate(p.description ?? p.name, 300),
      text: p.messages[0]?.text ?? '',
    })),
    user_config: Object.fromEntries(
      env.map((e) => [
        key(e.name),
        {
          type: 'string',
          title: e.name,
          description: truncate(e.purpose, 300),
          sensitive: e.secret,
          required: e.required,
        },
      ]),
    ),
    compatibility: { runtimes: { node: '>=20.19.0' } },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function envExample(spec: ServerSpec): string {
  const lines = ['# Environment for this server. Copy to .env (never commit real values).'];
  for (const e of collectEnv(spec)) {
    const need = e.required ? (e.httpOnly ? ' (required over HTTP)' : ' (required)') : '';
    lines.push(`# ${e.purpose.replace(/[\r\n]+/g, ' ')}${need}`);
    lines.push(`${e.name}=`);
  }
  return `${lines.join('\n')}\n`;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
