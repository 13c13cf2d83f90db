/**
 * Operations on what the factory knows: search the tools of every registered server, read the audit trail, and
 * list the server templates.
 */
import { z } from 'zod';
import { listTemplates as templateSummaries } from '../../sources/templates/index.js';
import { defineOperation } from './operation.js';
import { AuditListSchema, MatchesSchema, TemplateListSchema } from './schemas.js';

export const searchTools = defineOperation({
  name: 'search_tools',
  title: 'Search tools',
  description:
    'Search the tools of every registered server by keywords (names, titles, descriptions); best matches first.',
  input: z.object({
    query: z.string().min(1).max(500).describe('Keywords; each matches as a prefix.'),
    limit: z.number().int().min(1).max(200).optional().describe('At most this many matches (default 20).'),
  }),
  output: MatchesSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'tools.search',
  handler: async (context, input) => ({
    matches: await context.registry.searchTools(input.query, { limit: input.limit ?? 20 }),
  }),
});

export const listAudit = defineOperation({
  name: 'list_audit',
  title: 'Audit trail',
  description: 'The audit trail, newest first, filtered by target, actor or action; page with before.',
  input: z.object({
    target: z.string().max(200).optional(),
    actor: z.string().max(200).optional(),
    action: z.string().max(100).optional(),
    before: z
      .number()
      .int()
      .min(1)
      .max(2_147_483_647)
      .optional()
      .describe('Entries with a smaller id (paging backwards).'),
    limit: z.number().int().min(1).max(1000).optional().describe('Default 100.'),
  }),
  output: AuditListSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'audit.read',
  handler: async (context, input) => ({
    entries: await context.registry.listAudit({
      ...(input.target !== undefined ? { target: input.target } : {}),
      ...(input.actor !== undefined ? { actor: input.actor } : {}),
      ...(input.action !== undefined ? { action: input.action } : {}),
      ...(input.before !== undefined ? { beforeId: input.before } : {}),
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
    }),
  }),
});

export const listTemplates = defineOperation({
  name: 'list_templates',
  title: 'List templates',
  description: 'The server templates (for mcp-factory create --template).',
  input: z.object({}),
  output: TemplateListSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'templates.read',
  handler: async () => ({ templates: templateSummaries() }),
});
