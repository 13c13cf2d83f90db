/**
 * One line of a deployed server's trigger history, as trigger-history.ts accepts it. Its own module so that
 * zod is loaded only when there is a history to import (the CLI's `status` stays cheap without one).
 */
import { z } from 'zod';
import { TRIGGER_OUTCOMES } from '../store/schema.js';

export const TriggerHistoryLine = z.object({
  trigger: z.number().int().min(0).max(100_000),
  type: z.string().min(1).max(32),
  tool: z.string().min(1).max(128),
  key: z.string().min(1).max(1024),
  inputHash: z.string().regex(/^[0-9a-f]{64}$/),
  attempt: z.number().int().min(1).max(1_000_000),
  outcome: z.enum(TRIGGER_OUTCOMES),
  startedAt: z
    .string()
    .max(40)
    .refine((s) => Number.isFinite(Date.parse(s)), 'not a time'),
  durationMs: z.number().min(0).max(1e10),
  error: z.string().optional(),
});

export type TriggerHistoryLine = typeof TriggerHistoryLine;
