/**
 * Operations on what the factory knows: search the tools of every registered server, read the audit trail, and
 * list the server templates.
 */
import { z } from 'zod';
import { listTemplates as templateSummaries } from '../../sources/templates/index.js';
import { defineOperation, type OperationContext } from './operation.js';
import { allowedTools, visibleServers } from './ownership.js';
import { AuditListSchema, MatchesSchema, TemplateListSchema } from './schemas.js';

export const searchTools = defineOperation({
  name: 'search_tools',
  title: 'Search tools',
  description:
    'Search the tools of every registered server by keywords (names, titles, descriptions); best matches first.',
  input: z.object({
    query: z
      .string()
      .min(1)
      .max(2000)
      .describe('Keywords or a task description in words (stop words are ignored; word stems match).'),
    limit: z.number().int().min(1).max(200).optional().describe('At most this many matches (default 20).'),
  }),
  output: MatchesSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'tools.search',
  handler: async (context, input) => {
    const limit = input.limit ?? 20;
    if (context.subject.kind === 'local')
      return { matches: await context.registry.searchTools(input.query, { limit }) };
    // Matches of servers the caller may not see are left out, so ask for the most and cut after filtering.
    const visible = await visibleServers(context);
    const allowed = allowedTools(context);
    const matches = await context.registry.searchTools(input.query, { limit: 200 });
    return { matches: matches.filter((m) => visible(m.server) && allowed(m.server, m.tool)).slice(0, limit) };
  },
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
  handler: async (context, input) => {
    const filter = {
      ...(input.target !== undefined ? { target: input.target } : {}),
      ...(input.actor !== undefined ? { actor: input.actor } : {}),
      ...(input.action !== undefined ? { action: input.action } : {}),
      ...(input.before !== undefined ? { beforeId: input.before } : {}),
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
    };
    const entries = await context.registry.listAudit(filter);
    const see = await auditVisibility(context);
    return { entries: see ? entries.filter(see) : entries };
  },
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

/**
 * Which audit entries a caller sees: all for the local user, an admin without a team and service tokens;
 * otherwise entries about servers it may see, about users of its team, about its team, or made by users of its
 * team. A token with an allow-list of servers never sees entries about servers outside it. (A filtered page may
 * hold fewer entries than the limit; `before` pages on.)
 */
async function auditVisibility(
  context: OperationContext,
): Promise<((entry: { actor: string; target: string }) => boolean) | undefined> {
  const subject = context.subject;
  if (subject.kind === 'local') return undefined;
  const p = subject.principal;
  const team = p.team ?? null;
  const everything = (p.role ?? 'service') === 'service' || (p.role === 'admin' && team === null);
  if (everything && !p.allow?.servers) return undefined;
  const visible = await visibleServers(context);
  const kindOf = (target: string) => (target.includes(':') ? target.split(/:(.*)/s) : ['server', target]);
  if (everything)
    return (entry) => {
      const [kind, rest] = kindOf(entry.target);
      return kind !== 'server' || visible(rest ?? '');
    };
  const users = new Set((await context.registry.identity.listUsers({ team })).map((u) => u.name));
  return (entry) => {
    const [kind, rest] = kindOf(entry.target);
    if (kind === 'user') return users.has(rest ?? '');
    if (kind === 'team') return rest === team;
    if (kind === 'server' && visible(rest ?? '')) return true;
    if (kind === 'server' && p.allow?.servers) return false;
    return users.has(entry.actor);
  };
}
