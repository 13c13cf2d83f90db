/**
 * Operations on the trigger history of servers: the runs their triggers made (each attempt, its outcome and
 * duration), newest first. The history is imported from the servers' own records by the control plane.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { TRIGGER_OUTCOMES } from '../../store/index.js';
import { defineOperation } from './operation.js';
import { ServerName, TriggerRunsSchema } from './schemas.js';

export const triggerRuns = defineOperation({
  name: 'trigger_runs',
  title: 'Trigger runs of a server',
  description:
    "The runs of a server's triggers (webhook, cron, file, queue, database, startup), newest first: one entry per attempt, with the idempotency key, outcome (succeeded, failed, duplicate, dead-lettered), duration and error.",
  input: z.object({
    name: ServerName,
    trigger: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .optional()
      .describe("Only this trigger (index in the spec's triggers)."),
    outcome: z.enum(TRIGGER_OUTCOMES).optional(),
    limit: z.number().int().min(1).max(1000).optional().describe('Newest runs to return (default 100).'),
  }),
  output: TriggerRunsSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    if (!context.controlPlane.triggerRuns)
      throw new FactoryError('INVALID_ARGUMENTS', 'this control plane keeps no trigger history');
    const runs = await context.controlPlane.triggerRuns(input.name, {
      trigger: input.trigger,
      outcome: input.outcome,
      limit: input.limit,
    });
    return { name: input.name, runs };
  },
});
