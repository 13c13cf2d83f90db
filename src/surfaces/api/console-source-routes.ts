/**
 * The HTTP projection of surfaces/operations/console-sources.ts: what this factory offers (the console hides
 * what it lacks), and an OpenAPI document uploaded as text → spec, import report and operations.
 */
import { z } from 'zod';
import {
  factoryCapabilities,
  importDatabaseSchema,
  importOpenApiDocument,
  MAX_OPENAPI_DOCUMENT,
} from '../operations/index.js';
import { ServerName } from '../operations/schemas.js';
import { bind, type OperationRoute } from './operation-route.js';

const ImportOpenApiBody = z
  .object({
    document: z
      .string()
      .min(1)
      .max(MAX_OPENAPI_DOCUMENT)
      .describe('The OpenAPI document as YAML or JSON text.'),
    include: z.array(z.string().min(1).max(500)).max(5000).optional(),
    name: ServerName.optional(),
  })
  .strict();

const ImportDatabaseBody = z
  .object({
    url: z
      .string()
      .min(1)
      .max(4096)
      .describe('postgres://, mysql:// or mariadb:// URL (a secret: never answered).'),
    include: z.array(z.string().min(1).max(200)).min(1).max(2000).optional(),
    name: ServerName.optional(),
  })
  .strict();

export const CONSOLE_SOURCE_ROUTES: readonly OperationRoute[] = [
  bind({
    operation: factoryCapabilities,
    method: 'GET',
    path: '/mcp/capabilities',
    operationId: 'factoryCapabilities',
    summary: 'What this factory offers: an LLM provider, a toolsmith, a gateway the console reaches',
    tag: 'registry',
    status: 200,
    response: 'The capabilities.',
    input: () => ({}),
  }),
  bind({
    operation: importOpenApiDocument,
    method: 'POST',
    path: '/mcp/import/openapi',
    operationId: 'importOpenApi',
    summary:
      'The spec an OpenAPI document (text) makes, its import report and operations (nothing is created)',
    description:
      'References to other files or to URLs are refused; server URLs on private addresses fail the import. ' +
      'Create the server afterwards from specText (POST /mcp/create).',
    tag: 'servers',
    body: { schema: ImportOpenApiBody, required: true },
    errors: [413, 422],
    status: 200,
    response: 'The spec text, the report and the operations.',
    input: ({ body }) => body,
  }),
  bind({
    operation: importDatabaseSchema,
    method: 'POST',
    path: '/mcp/import/database',
    operationId: 'importDatabase',
    summary: 'The spec a live database makes, its tables and import report (nothing is created)',
    description:
      'Only hosts listed in MCP_FACTORY_IMPORT_DB_HOSTS (403 DB_IMPORT_HOST_NOT_ALLOWED otherwise, before any ' +
      'connection). The URL is never answered; the spec reads it from DATABASE_URL.',
    tag: 'servers',
    body: { schema: ImportDatabaseBody, required: true },
    errors: [403, 422, 502],
    status: 200,
    response: 'The spec text, the tables and the report.',
    input: ({ body }) => body,
  }),
];
