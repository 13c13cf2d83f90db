/**
 * The servers list's per-server figures (`GET /mcp/servers?summary=1`): the deployment that represents each
 * server, its latest stored health check, and the calls and errors of the last hour — from three registry
 * reads whatever the number of servers (deployments, latest samples, call totals), never one per server.
 */
import { z } from 'zod';
import type { DeploymentRecord, ServerRecord } from '../../store/index.js';
import type { OperationContext } from './operation.js';

/** The window of the list's call figures. */
export const SUMMARY_WINDOW_MINUTES = 60;

const LIVE = new Set(['pending', 'starting', 'running', 'stopping']);

export const ServerSummarySchema = z.object({
  target: z.string().nullable().describe('Target of the deployment that represents the server.'),
  endpoint: z.string().nullable().describe('Its endpoint while it runs.'),
  health: z
    .enum(['healthy', 'degraded', 'unhealthy', 'unknown'])
    .nullable()
    .describe('Its latest stored health check (null: none, or it does not run).'),
  checkedAt: z.string().nullable().describe('When that check was made.'),
  startedAt: z.string().nullable(),
  calls: z
    .number()
    .int()
    .optional()
    .describe('Tool calls in the window (absent for a tool-narrowed caller).'),
  errors: z.number().int().optional(),
  windowMinutes: z.number().int(),
});
export type ServerSummary = z.infer<typeof ServerSummarySchema>;

/** Per server, the deployment that represents it: the newest live one, else the newest of any. */
function leadDeployments(deployments: readonly DeploymentRecord[]): Map<string, DeploymentRecord> {
  const lead = new Map<string, DeploymentRecord>();
  for (const d of deployments) {
    const current = lead.get(d.server);
    const live = LIVE.has(d.status);
    const currentLive = current !== undefined && LIVE.has(current.status);
    if (!current || (live && !currentLive) || (live === currentLive && d.id > current.id))
      lead.set(d.server, d);
  }
  return lead;
}

/** `servers` with their summaries. */
export async function withServerSummaries<S extends ServerRecord>(
  context: OperationContext,
  servers: readonly S[],
  nowMs = Date.now(),
): Promise<Array<S & { summary: ServerSummary }>> {
  const deployments = await context.registry.listDeployments();
  const overview = await context.registry.health.overview(nowMs - SUMMARY_WINDOW_MINUTES * 60_000);
  const lead = leadDeployments(deployments);
  const liveIds = new Set(deployments.filter((d) => LIVE.has(d.status)).map((d) => d.id));
  // Totals cover every tool: a caller narrowed to some tools learns nothing of the others' calls.
  const narrowed = context.subject.kind === 'token' && context.subject.principal.allow?.tools !== undefined;
  return servers.map((server) => {
    const d = lead.get(server.name);
    const live = d !== undefined && LIVE.has(d.status);
    const o = overview.get(server.name);
    // A check of a deployment that has stopped since says nothing about the server now.
    const sample = o?.health && liveIds.has(o.health.deploymentId) ? o.health : null;
    return {
      ...server,
      summary: {
        target: d?.target ?? null,
        endpoint: live ? d.endpoint : null,
        health: sample?.health ?? null,
        checkedAt: sample?.checkedAt ?? null,
        startedAt: live ? d.startedAt : null,
        ...(narrowed ? {} : { calls: o?.calls ?? 0, errors: o?.errors ?? 0 }),
        windowMinutes: SUMMARY_WINDOW_MINUTES,
      },
    };
  });
}
