/**
 * The nodes of the toolsmith pipeline (seed 004): intent → reuse → spec → code → validate ⇄ repair (≤ the
 * policy's maxRepairs) → execute → review_output (a person) → review_promotion (another person) → promote. Each
 * node takes the checkpointed state and returns the next one; the workflow (workflow.ts) persists it between
 * nodes, so a node may run again after a crash and must not depend on anything but the state it is given.
 */
import { join } from 'node:path';
import type { LlmClient } from '../llm/index.js';
import type { Registry } from '../store/index.js';
import type { RunStatus, ToolState } from '../store/schema.js';
import { toolSpec, toolsmithServerSpec } from './candidate.js';
import { executeTool } from './execute.js';
import { askModel } from './model.js';
import type { ToolsmithPolicy } from './policy.js';
import { presentResult } from './present/index.js';
import { codePrompt, intentPrompt, repairPrompt, reusePrompt, specPrompt } from './prompts.js';
import { promotedTools, type ToolsmithServer } from './server.js';
import {
  Intent,
  type NodeName,
  ReuseDecision,
  type RunArtifacts,
  type RunState,
  ToolCode,
  ToolInterface,
} from './types.js';
import { validateCandidate } from './validate.js';

export interface ToolsmithPaths {
  root: string;
  datasets: string;
  runDir(id: string): string;
}

export interface NodeContext {
  runId: string;
  llm(): Promise<LlmClient>;
  policy: ToolsmithPolicy;
  paths: ToolsmithPaths;
  registry: Registry;
  server: ToolsmithServer;
  signal: AbortSignal;
}

export interface NodeOutcome {
  state: RunState;
  next: NodeName;
  status?: RunStatus;
  toolState?: ToolState;
  toolName?: string | null;
  toolVersion?: number | null;
  note?: string;
  error?: string | null;
}

type NodeFn = (state: RunState, ctx: NodeContext) => Promise<NodeOutcome>;

/** The interrupts: nodes that wait for a person; the workflow never runs them. */
export const INTERRUPTS = new Set<NodeName>(['review_output', 'review_promotion']);

function meter(state: RunState) {
  return state.model;
}

async function ask<S extends Parameters<typeof askModel>[1]['schema']>(
  state: RunState,
  ctx: NodeContext,
  purpose: string,
  prompt: string,
  schema: S,
  schemaName: string,
) {
  return askModel(await ctx.llm(), {
    purpose,
    prompt,
    schema,
    schemaName,
    meter: meter(state),
    signal: ctx.signal,
  });
}

const intent: NodeFn = async (state, ctx) => {
  const answer = await ask(
    state,
    ctx,
    'toolsmith intent',
    intentPrompt(state.question, state.profile),
    Intent,
    'intent',
  );
  const known = new Set(state.profile.columns.map((c) => c.name));
  const unknown = answer.columns.filter((c) => !known.has(c));
  return {
    state: { ...state, intent: answer },
    next: 'reuse',
    note: unknown.length
      ? `intent names columns the dataset lacks: ${unknown.join(', ')}`
      : `operation ${answer.operation}`,
  };
};

/**
 * Reuse before generating: promoted tools whose columns the dataset has are ranked by the registry's tool
 * search for the question; the best few are shown to the model, which says whether one answers it.
 */
const reuse: NodeFn = async (state, ctx) => {
  const promoted = await promotedTools(ctx.registry);
  const columns = new Set(state.profile.columns.map((c) => c.name));
  const fitting = promoted.filter((p) => p.columns.every((c) => columns.has(c)));
  if (fitting.length === 0) return { state, next: 'spec', note: 'no promoted tool fits this dataset' };
  const ranked = await ctx.registry.searchTools(state.question, { limit: 50 }).catch(() => []);
  const score = new Map(
    ranked.filter((m) => m.server === ctx.policy.server).map((m) => [m.tool, m.score] as const),
  );
  const candidates = fitting
    .filter((p) => score.has(p.tool) || normalize(p.question) === normalize(state.question))
    .sort((a, b) => (score.get(b.tool) ?? 0) - (score.get(a.tool) ?? 0))
    .slice(0, 3);
  if (candidates.length === 0) return { state, next: 'spec', note: 'no promoted tool matches the question' };
  const decision = await ask(
    state,
    ctx,
    'toolsmith reuse check',
    reusePrompt(
      state.question,
      state.profile,
      candidates.map((c) => ({ tool: c.tool, description: c.description, parameters: c.parameters })),
    ),
    ReuseDecision,
    'reuse_decision',
  );
  const chosen = decision.reuse ? candidates.find((c) => c.tool === decision.tool) : undefined;
  if (!chosen) return { state, next: 'spec', note: `no reuse: ${decision.reason ?? 'the model chose none'}` };
  const current = await ctx.server.current();
  if (!current) return { state, next: 'spec', note: 'the toolsmith server has no revision to run' };
  return {
    state: {
      ...state,
      reuse: {
        server: current.name,
        tool: chosen.tool,
        revision: current.revision,
        run: chosen.run,
        reason: decision.reason,
      },
      tool: {
        name: chosen.tool,
        description: chosen.description,
        parameters: chosen.parameters as ToolInterface['parameters'],
        arguments: decision.arguments ?? {},
      },
      projectDir: current.projectDir,
    },
    next: 'execute',
    note: `reusing ${chosen.tool} (run ${chosen.run})`,
  };
};

const spec: NodeFn = async (state, ctx) => {
  const tool = await ask(
    state,
    ctx,
    'toolsmith spec',
    specPrompt(state.question, state.profile, state.intent!),
    ToolInterface,
    'tool_interface',
  );
  return { state: { ...state, tool }, next: 'code', toolName: tool.name, note: `tool ${tool.name}` };
};

const code: NodeFn = async (state, ctx) => {
  const answer = await ask(
    state,
    ctx,
    'toolsmith code',
    codePrompt(state.question, state.profile, state.intent!, state.tool!),
    ToolCode,
    'tool_code',
  );
  return { state: { ...state, code: answer }, next: 'validate' };
};

/** Where the next failure goes: a repair while the budget lasts, else the run fails with the last errors. */
function failOrRepair(state: RunState, ctx: NodeContext, errors: string[], at: NodeName): NodeOutcome {
  const attempts = [
    ...state.attempts,
    { at: new Date().toISOString(), node: at, source: state.code?.source ?? '', errors },
  ];
  if (state.repairs >= ctx.policy.maxRepairs)
    return {
      state: { ...state, attempts, pendingErrors: errors },
      next: at,
      status: 'failed',
      error: `${at} still failed after ${state.repairs} repair(s): ${errors[0] ?? 'unknown error'}`.slice(
        0,
        2000,
      ),
    };
  return {
    state: { ...state, attempts, pendingErrors: errors },
    next: 'repair',
    note: `${errors.length} problem(s)`,
  };
}

const validate: NodeFn = async (state, ctx) => {
  const attempt = state.attempts.length + 1;
  const candidate = toolsmithServerSpec(`toolsmith-candidate`, '0.1.0', [
    toolSpec({
      tool: state.tool!,
      code: state.code!,
      question: state.question,
      examples: [{ dataset: state.sample ?? state.dataset, arguments: state.tool!.arguments }],
      timeoutMs: ctx.policy.execution.timeoutSeconds * 1000,
    }),
  ]);
  const { report, projectDir } = await validateCandidate({
    spec: candidate,
    outDir: join(ctx.paths.runDir(ctx.runId), `attempt-${attempt}`),
    datasetsDir: ctx.paths.datasets,
    ...(ctx.policy.sandbox === 'docker' ? { container: ctx.policy.docker } : {}),
  });
  const next = { ...state, validation: report };
  if (projectDir && report.schema_ok && report.tests_ok)
    return { state: { ...next, projectDir }, next: 'execute', note: `valid in ${report.durationMs} ms` };
  return failOrRepair(next, ctx, report.errors, 'validate');
};

const repair: NodeFn = async (state, ctx) => {
  const answer = await ask(
    state,
    ctx,
    'toolsmith repair',
    repairPrompt(
      state.question,
      state.profile,
      state.tool!,
      state.code?.source ?? '',
      state.pendingErrors ?? [],
    ),
    ToolCode,
    'tool_code',
  );
  const { pendingErrors: _done, ...rest } = state;
  return {
    state: { ...rest, code: answer, repairs: state.repairs + 1 },
    next: 'validate',
    note: `repair ${state.repairs + 1}`,
  };
};

const execute: NodeFn = async (state, ctx) => {
  const started = performance.now();
  const args = { ...state.tool!.arguments, dataset: state.dataset.path };
  const outcome = await executeTool({
    projectDir: state.projectDir!,
    tool: state.tool!.name,
    arguments: args,
    datasetPath: state.dataset.path,
    policy: ctx.policy,
    signal: ctx.signal,
  }).catch((error: Error) => ({ error }));
  if ('error' in outcome || outcome.isError) {
    const message = 'error' in outcome ? outcome.error.message : outcome.text;
    if (state.reuse) {
      // The promoted tool did not fit after all: make a new one.
      const { reuse: _failed, projectDir: _p, tool: _t, ...rest } = state;
      return { state: rest, next: 'spec', note: `reused tool failed: ${message.slice(0, 300)}` };
    }
    return failOrRepair(state, ctx, [`execution failed: ${message.slice(0, 4000)}`], 'execute');
  }
  const value = outcome.value as { rows?: unknown; columns?: unknown; truncated?: unknown } | unknown;
  const rows = Array.isArray((value as { rows?: unknown })?.rows)
    ? (value as { rows: Record<string, unknown>[] }).rows
    : undefined;
  const presented = await presentResult({
    question: state.question,
    rows: rows ?? [{ result: value }],
    ...(Array.isArray((value as { columns?: unknown })?.columns)
      ? { columns: (value as { columns: Array<{ name: string; type: string }> }).columns }
      : {}),
    truncated: Boolean((value as { truncated?: unknown })?.truncated),
    toolName: state.tool!.name,
    reused: Boolean(state.reuse),
  });
  const result: RunArtifacts = {
    result: outcome.value,
    ...(rows ? { rows } : {}),
    markdown: presented.markdown,
    ...(presented.chart ? { chart: presented.chart } : {}),
    arguments: args,
    timing: {
      startMs: outcome.startMs,
      callMs: outcome.callMs,
      totalMs: Math.round(performance.now() - started),
    },
    sandboxed: outcome.sandboxed,
    errors: [],
  };
  if (state.reuse)
    return {
      state: { ...state, result },
      next: 'execute',
      status: 'done',
      note: `answered by ${state.tool!.name}`,
    };
  return {
    state: { ...state, result },
    next: 'review_output',
    status: 'waiting',
    toolState: 'STAGED',
    note: `executed in ${result.timing.totalMs} ms; waiting for review (stage 1)`,
  };
};

const promote: NodeFn = async (state, ctx) => {
  const promoted = await ctx.server.promote(ctx.runId, state);
  return {
    state: { ...state, promoted },
    next: 'promote',
    status: 'done',
    toolState: 'PROMOTED',
    toolName: promoted.tool,
    toolVersion: promoted.version,
    note: `${promoted.tool} v${promoted.version} in ${promoted.server} revision ${promoted.revision}`,
  };
};

const waiting: NodeFn = async (state) => ({ state, next: 'review_output', status: 'waiting' });

export const NODE_FUNCTIONS: Record<NodeName, NodeFn> = {
  intent,
  reuse,
  spec,
  code,
  validate,
  repair,
  execute,
  review_output: waiting,
  review_promotion: waiting,
  promote,
};

function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
