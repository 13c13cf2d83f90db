/**
 * Operations behind the console's create page that the other surfaces have as CLI flags: what this factory
 * offers (an LLM provider for create-from-description, a toolsmith), and an OpenAPI document uploaded as text
 * → the spec it makes, its import report and its operations (nothing is created; the console then creates
 * from the spec text like from any spec). The document is read from a private temporary folder, so file
 * references cannot leave it, remote references are refused, and server URLs on private addresses fail the
 * import (the importer's defaults).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { MAX_SPEC_BYTES } from '../../core/spec/index.js';
import { resolveApiKey, resolveLlmConfig } from '../../llm/config.js';
import { GATEWAY_PROXY_BASE, gatewayProxyConfig } from '../console/gateway-proxy.js';
import { allowedDatabaseUrl, importDatabaseHosts } from '../console/import-database-policy.js';
import { defineOperation } from './operation.js';
import { ServerName } from './schemas.js';

/** Largest uploaded OpenAPI document (the console refuses larger files before sending them). */
export const MAX_OPENAPI_DOCUMENT = 5 * 1024 * 1024;
const UPLOAD_NAME = 'uploaded document';

/** Whether an LLM provider is configured for this process (nothing is called; the key is only checked present). */
export function llmConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    resolveApiKey(resolveLlmConfig({ env }), env);
    return true;
  } catch (error) {
    if (error instanceof FactoryError) return false;
    throw error;
  }
}

/** A setting read for the capabilities only: a malformed one reads as `fallback` (its own routes say why). */
function settingOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FactoryError) return fallback;
    throw error;
  }
}

export const factoryCapabilities = defineOperation({
  name: 'factory_capabilities',
  title: 'What this factory offers',
  description:
    'Whether this factory can create servers from a description (an LLM provider is configured) and runs a toolsmith, and where a gateway is reachable for the console (null: none).',
  input: z.object({}),
  output: z.object({
    llm: z.boolean().describe('An LLM provider is configured: create_server_from_description can run.'),
    toolsmith: z.boolean().describe('This surface has a toolsmith (analyze_data and its reviews).'),
    imports: z
      .object({ openapi: z.boolean(), database: z.boolean() })
      .describe('Sources the API imports from (POST /mcp/import/…); the others only through the CLI.'),
    gateway: z
      .object({ url: z.string() })
      .nullable()
      .describe('A same-origin path where the gateway REST API is reachable; null: not connected.'),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'account.self',
  handler: async (context) => ({
    llm: llmConfigured(),
    toolsmith: context.toolsmith !== undefined,
    // A database URL from a remote caller makes the factory connect to the host it names: only listed hosts.
    imports: { openapi: true, database: settingOr(() => importDatabaseHosts().length > 0, false) },
    gateway: settingOr(() => gatewayProxyConfig() !== undefined, false) ? { url: GATEWAY_PROXY_BASE } : null,
  }),
});

const OperationSummarySchema = z.object({
  key: z.string().describe('`METHOD /path`: what include takes.'),
  operationId: z.string().nullable(),
  summary: z.string().nullable().describe('Untrusted text from the document.'),
});

export const importOpenApiDocument = defineOperation({
  name: 'import_openapi',
  title: 'Import an OpenAPI document',
  description:
    'The spec an OpenAPI 3.x or Swagger 2.0 document (YAML or JSON text) makes, with the import report and the document’s operations; include narrows it to some operations. Nothing is created. References to other files or URLs are refused.',
  input: z.object({
    document: z.string().min(1).max(MAX_OPENAPI_DOCUMENT).describe('The document as YAML or JSON text.'),
    include: z
      .array(z.string().min(1).max(500))
      .max(5000)
      .optional()
      .describe('Only these operations (`METHOD /path` keys or operationIds).'),
    name: ServerName.optional().describe('The server name (default: derived from the API title).'),
  }),
  output: z.object({
    specText: z.string().describe('The spec as YAML: create it with create_server (specText).'),
    report: z.record(z.string(), z.unknown()).describe('The import report: counts, credentials, entries.'),
    operations: z.array(OperationSummarySchema),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: true },
  permission: 'servers.create',
  handler: async (_context, input) => {
    if (input.include?.length === 0)
      throw new FactoryError('OPENAPI_NO_OPERATIONS', 'include lists no operation', {
        issues: [
          {
            code: 'OPENAPI_NO_OPERATIONS',
            message: 'include lists no operation',
            path: 'include',
            hint: 'Choose at least one operation, or leave include out to import them all.',
          },
        ],
      });
    const { importOpenApi } = await import('../../sources/openapi/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'mcpf-openapi-'));
    try {
      const file = join(dir, 'openapi.yaml');
      await writeFile(file, input.document, { mode: 0o600 });
      const result = await importOpenApi(file, {
        allowRemoteRefs: false,
        refRoot: dir,
        maxDocumentBytes: MAX_OPENAPI_DOCUMENT,
        ...(input.include ? { include: { operations: input.include } } : {}),
        ...(input.name ? { name: input.name } : {}),
      }).catch((error: unknown) => {
        throw withoutTempPath(error, dir);
      });
      const specText = stringify(result.spec, { lineWidth: 0 });
      if (Buffer.byteLength(specText) > MAX_SPEC_BYTES)
        throw new FactoryError('SPEC_TOO_LARGE', 'the spec made from this document is too large', {
          details: { bytes: Buffer.byteLength(specText), limit: MAX_SPEC_BYTES },
        });
      return {
        specText,
        report: { ...result.report, source: UPLOAD_NAME } as Record<string, unknown>,
        operations: result.operations.map((op) => ({
          key: op.key,
          operationId: op.operationId ?? null,
          summary: op.summary ?? null,
        })),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});

/** The importer names the temporary file in its messages: the caller sees "uploaded document" instead. */
function withoutTempPath(error: unknown, dir: string): unknown {
  if (!(error instanceof FactoryError)) return error;
  const clean = (text: string) =>
    text.split(join(dir, 'openapi.yaml')).join(UPLOAD_NAME).split(dir).join('.');
  return new FactoryError(error.code, clean(error.message), {
    issues: error.issues.map((issue) => ({
      ...issue,
      message: clean(issue.message),
      ...(issue.file !== undefined ? { file: UPLOAD_NAME } : {}),
    })),
    cause: error,
  });
}

/** The environment variable the generated server reads its connection URL from (never the URL itself). */
export const IMPORTED_DATABASE_ENV = 'DATABASE_URL';

export const importDatabaseSchema = defineOperation({
  name: 'import_database',
  title: 'Import a database',
  description:
    'The spec a live PostgreSQL or MySQL/MariaDB database makes (read-only tools per table and view), with its tables and the import report; include narrows it to some tables. Nothing is created. The URL is a secret: it is never answered, logged or stored, and the spec reads it from DATABASE_URL. Only hosts the operator allows (MCP_FACTORY_IMPORT_DB_HOSTS).',
  input: z.object({
    url: z.string().min(1).max(4096).describe('postgres://, mysql:// or mariadb:// URL (a secret).'),
    include: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(2000)
      .optional()
      .describe('Only these tables and views (`schema.name` as answered in tables, or globs).'),
    name: ServerName.optional().describe('The server name (default: derived from the database name).'),
  }),
  output: z.object({
    specText: z.string().describe('The spec as YAML: create it with create_server (specText).'),
    tables: z.array(
      z.object({ name: z.string(), kind: z.enum(['table', 'view']), columns: z.number().int() }),
    ),
    report: z.record(z.string(), z.unknown()).describe('The import report: tools, env, skipped, notices.'),
  }),
  annotations: { readOnly: true, idempotent: true, openWorld: true },
  permission: 'servers.create',
  handler: async (_context, input) => {
    const connectUrl = await allowedDatabaseUrl(input.url, importDatabaseHosts());
    const { importDatabase } = await import('../../sources/database/index.js');
    const result = await importDatabase(connectUrl, {
      envVar: IMPORTED_DATABASE_ENV,
      connectTimeoutMs: 5_000,
      ...(input.include ? { includeTables: input.include } : {}),
      ...(input.name ? { name: input.name } : {}),
    }).catch((error: unknown) => {
      throw withoutUrl(error, [input.url, connectUrl]);
    });
    const specText = stringify(result.spec, { lineWidth: 0 });
    return {
      specText,
      tables: result.schema.tables.map((t) => ({
        name: `${t.schema}.${t.name}`,
        kind: t.type,
        columns: t.columns.length,
      })),
      report: result.report as unknown as Record<string, unknown>,
    };
  },
});

/**
 * A database error without the URL: drivers and the importer name the (redacted) URL in messages; the caller
 * gets the code, the message with every form of the URL and its password replaced, and no details.
 */
function withoutUrl(error: unknown, urls: readonly string[]): unknown {
  const secrets = new Set<string>();
  for (const url of urls) {
    secrets.add(url);
    secrets.add(url.trim());
    try {
      const u = new URL(url.trim());
      secrets.add(u.toString());
      if (u.password) {
        secrets.add(u.password);
        secrets.add(decodeURIComponent(u.password));
        u.password = '***';
        secrets.add(u.toString());
      }
    } catch {
      /* not a URL: the text itself was added */
    }
  }
  const ordered = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  const clean = (text: string) =>
    ordered
      .reduce((out, secret) => out.split(secret).join('<database URL>'), text)
      .replace(/\/\/([^/@:\s]*):[^/@\s]*@/g, '//$1:***@');
  if (!(error instanceof FactoryError))
    return new FactoryError(
      'DB_CONNECT_FAILED',
      clean(error instanceof Error ? error.message : String(error)),
    );
  const hint = error.details?.hint;
  return new FactoryError(error.code, clean(error.message), {
    issues: error.issues.map((issue) => ({
      ...issue,
      message: clean(issue.message),
      ...(issue.hint ? { hint: clean(issue.hint) } : {}),
    })),
    ...(typeof hint === 'string' ? { details: { hint: clean(hint) } } : {}),
  });
}

export const CONSOLE_SOURCE_OPERATIONS = [
  factoryCapabilities,
  importOpenApiDocument,
  importDatabaseSchema,
] as const;
