/**
 * The toolsmith's operations: ask a question about a dataset (analyze_data), follow runs, review them (stage 1:
 * the output; stage 2: the promotion), archive and roll back promoted tools. Each is one call to the Toolsmith
 * of the surface (toolsmith/service.ts). Remote callers may name datasets only inside the policy's dataRoots;
 * the local user (CLI, MCP over stdio) any file it can read.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { Caller, Toolsmith } from '../../toolsmith/index.js';
import { defineOperation, type OperationContext } from './operation.js';

const RunId = z
  .string()
  .regex(/^run_[0-9a-f]{16}$/, 'a run id such as run_0123456789abcdef')
  .describe('The run id analyze_data returned.');

/** A run as the surfaces show it (toolsmith/service.ts RunView); nested parts are described there. */
export const RunSchema = z.looseObject({
  id: z.string(),
  question: z.string(),
  status: z.enum(['running', 'waiting', 'done', 'failed']),
  toolState: z.enum(['DRAFT', 'STAGED', 'APPROVED', 'PROMOTED', 'REJECTED', 'ARCHIVED']),
  node: z.string(),
  next: z.string().describe('What the run waits for, and how to give it.'),
  error: z.string().nullable(),
});

function toolsmithOf(context: OperationContext): Toolsmith {
  if (!context.toolsmith)
    throw new FactoryError(
      'TOOLSMITH_FAILED',
      'this surface has no toolsmith (it was started without a factory home)',
      {},
    );
  return context.toolsmith;
}

function callerOf(context: OperationContext): Caller {
  return { actor: context.actor, local: context.subject.kind === 'local' && context.allowLocalFiles };
}

export const analyzeData = defineOperation({
  name: 'analyze_data',
  title: 'Answer a question about a dataset with a generated tool',
  description:
    'The toolsmith writes a data-analysis tool (TypeScript with DuckDB SQL) that answers the question on the dataset (CSV, TSV, JSON, NDJSON or Parquet), validates it (type-check, security scan, generated tests), runs it in a sandbox and returns the answer (Markdown, data, and a chart when the answer is a series). A promoted tool that already answers such questions is reused. The tool then waits for two reviews before it is promoted into the toolsmith server. Needs an LLM provider.',
  input: z.object({
    query: z.string().min(3).max(4000).describe('The question, in plain language.'),
    file_path: z
      .string()
      .min(1)
      .max(4096)
      .describe('The data file (remote callers: inside the policy dataRoots).'),
    wait_seconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(120)
      .describe(
        'How long to wait for the answer before returning the running run (poll it with toolsmith_run).',
      ),
  }),
  output: RunSchema,
  annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: false },
  permission: 'toolsmith.analyze',
  handler: async (context, input) => {
    const toolsmith = toolsmithOf(context);
    const run = await toolsmith.analyze({
      question: input.query,
      dataset: input.file_path,
      caller: callerOf(context),
    });
    if (input.wait_seconds > 0) await toolsmith.wait(run.id, { timeoutMs: input.wait_seconds * 1000 });
    return toolsmith.get(run.id);
  },
});

export const toolsmithRun = defineOperation({
  name: 'toolsmith_run',
  title: 'Show a toolsmith run',
  description:
    'One run: question, plan, tool interface and code, validation report, result (Markdown, data, chart SVG), decisions and the audit trail of its states.',
  input: z.object({ run: RunId }),
  output: RunSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'toolsmith.read',
  handler: (context, input) => toolsmithOf(context).get(input.run, { events: true }),
});

export const toolsmithRuns = defineOperation({
  name: 'toolsmith_runs',
  title: 'List toolsmith runs',
  description: 'Runs, newest first; pending: only those waiting for a review.',
  input: z.object({
    pending: z.boolean().default(false),
    tool_state: z.enum(['DRAFT', 'STAGED', 'APPROVED', 'PROMOTED', 'REJECTED', 'ARCHIVED']).optional(),
    limit: z.number().int().min(1).max(500).default(50),
  }),
  output: z.object({ runs: z.array(RunSchema) }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'toolsmith.read',
  handler: async (context, input) => ({
    runs: await toolsmithOf(context).list({
      pending: input.pending,
      ...(input.tool_state ? { toolState: input.tool_state } : {}),
      limit: input.limit,
    }),
  }),
});

export const toolsmithReview = defineOperation({
  name: 'toolsmith_review',
  title: 'Review a toolsmith run',
  description:
    'Decide on a run waiting for review. Stage 1 (is the output right?): approve, reject, or revise (the note goes back to the model as the problem to fix). Stage 2 (promote the tool?): approve or reject; not by who asked the question.',
  input: z.object({
    run: RunId,
    decision: z.enum(['approve', 'reject', 'revise']),
    stage: z
      .union([z.literal(1), z.literal(2)])
      .optional()
      .describe('The stage decided (default: the one the run waits for).'),
    note: z.string().max(4000).optional(),
  }),
  output: RunSchema,
  annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: false },
  permission: 'toolsmith.review',
  handler: async (context, input) => {
    const toolsmith = toolsmithOf(context);
    await toolsmith.decide(input.run, {
      decision: input.decision,
      ...(input.stage ? { stage: input.stage } : {}),
      ...(input.note ? { note: input.note } : {}),
      caller: callerOf(context),
    });
    return toolsmith.get(input.run);
  },
});

export const toolsmithArchive = defineOperation({
  name: 'toolsmith_archive',
  title: 'Archive a promoted tool',
  description:
    'Take a promoted tool out of the toolsmith server (a new revision without it); its run stays, ARCHIVED.',
  input: z.object({ run: RunId, note: z.string().max(4000).optional() }),
  output: RunSchema,
  annotations: { readOnly: false, destructive: true, idempotent: false, openWorld: false },
  permission: 'toolsmith.review',
  handler: async (context, input) => {
    const toolsmith = toolsmithOf(context);
    await toolsmith.archive(input.run, {
      ...(input.note ? { note: input.note } : {}),
      caller: callerOf(context),
    });
    return toolsmith.get(input.run);
  },
});

export const toolsmithRollback = defineOperation({
  name: 'toolsmith_rollback',
  title: 'Roll a toolsmith tool back to an earlier version',
  description:
    'Serve an earlier version of a promoted tool again; the version it replaces is archived (both kept).',
  input: z.object({
    tool: z.string().regex(/^[a-z][a-z0-9_]{2,63}$/),
    version: z.number().int().min(1),
    note: z.string().max(4000).optional(),
  }),
  output: RunSchema,
  annotations: { readOnly: false, destructive: false, idempotent: true, openWorld: false },
  permission: 'toolsmith.review',
  handler: async (context, input) => {
    const toolsmith = toolsmithOf(context);
    const run = await toolsmith.rollback(input.tool, input.version, {
      ...(input.note ? { note: input.note } : {}),
      caller: callerOf(context),
    });
    return toolsmith.get(run.id);
  },
});

export const TOOLSMITH_OPERATIONS = [
  analyzeData,
  toolsmithRun,
  toolsmithRuns,
  toolsmithReview,
  toolsmithArchive,
  toolsmithRollback,
] as const;
