/**
 * The toolsmith's programmatic API, which the CLI, the HTTP API and the factory's MCP server are thin layers
 * over: ask a question about a dataset (`analyze`), follow a run (`get`, `wait`, `list`), decide on it
 * (`decide`: stage 1 is the output, stage 2 the promotion), and manage promoted tools (`archive`, `rollback`).
 * Who may do what is the policy's (identity/policy.ts) and the surfaces ask it; this class enforces what holds
 * for everyone: a run is decided only where it waits, and stage 2 is never approved by who asked the question
 * (unless the caller is the local user of the CLI, trusted like the shell, and it is recorded).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FactoryError } from '../core/errors/index.js';
import type { LlmClient } from '../llm/index.js';
import type { HomeLayout } from '../platform/home.js';
import type { Registry, RunEventRecord, RunRecord, RunStatus, ToolState } from '../store/index.js';
import { type DatasetAccess, keepDataset, profileDataset, sampleDataset } from './dataset.js';
import { isTableDataset, keepTable } from './dataset-table.js';
import type { ToolsmithPaths } from './nodes.js';
import type { ToolsmithPolicy } from './policy.js';
import { ToolsmithServer } from './server.js';
import type { Decision, RunState } from './types.js';
import { advance, DEFAULT_LEASE_MS, type WorkflowDeps, workerId } from './workflow.js';

export interface ToolsmithOptions {
  registry: Registry;
  layout: HomeLayout;
  policy: ToolsmithPolicy;
  /** The model (created on first use: a run that reuses a tool without asking needs none). */
  llm: () => Promise<LlmClient>;
  /** Throws (LLM_NOT_CONFIGURED…) when no model is configured: checked before a run is created. */
  checkModel?: () => void;
  leaseMs?: number;
  onCheckpoint?: WorkflowDeps['onCheckpoint'];
}

/** Who asks: the local user (CLI, MCP over stdio) may name any file; remote callers only the policy's roots. */
export interface Caller {
  actor: string;
  local: boolean;
}

export type RunView = {
  id: string;
  question: string;
  status: RunStatus;
  toolState: ToolState;
  node: string;
  /** What the run waits for, in words, and how to give it. */
  next: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  error: string | null;
  tool?:
    | { name: string; version: number | null; description: string; parameters: Record<string, unknown> }
    | undefined;
  dataset: { given: string; sha256: string; format: string; bytes: number; rows: number };
  plan?: unknown;
  code?: string | undefined;
  validation?: RunState['validation'];
  result?:
    | {
        markdown: string;
        value: unknown;
        svg?: string | undefined;
        arguments: Record<string, unknown>;
        timing: unknown;
      }
    | undefined;
  reused?: RunState['reuse'];
  repairs: number;
  decisions: Decision[];
  promoted?: RunState['promoted'];
  timing: { nodeMs: RunState['nodeMs']; modelMs: number; modelCalls: number };
  events?: RunEventRecord[];
};

export class Toolsmith {
  readonly paths: ToolsmithPaths;
  readonly server: ToolsmithServer;
  readonly #options: ToolsmithOptions;
  readonly #worker = workerId();
  readonly #active = new Map<string, Promise<RunRecord>>();
  readonly #stop = new AbortController();
  #llm: Promise<LlmClient> | undefined;

  constructor(options: ToolsmithOptions) {
    this.#options = options;
    const root = join(options.layout.home, 'toolsmith');
    this.paths = { root, datasets: join(root, 'datasets'), runDir: (id) => join(root, 'runs', id) };
    this.server = new ToolsmithServer(options.registry, options.layout, options.policy, this.paths.datasets);
  }

  get policy(): ToolsmithPolicy {
    return this.#options.policy;
  }

  #deps(): WorkflowDeps {
    const { registry, policy } = this.#options;
    return {
      store: registry.toolsmith,
      worker: this.#worker,
      leaseMs: this.#options.leaseMs ?? DEFAULT_LEASE_MS,
      signal: this.#stop.signal,
      ...(this.#options.onCheckpoint ? { onCheckpoint: this.#options.onCheckpoint } : {}),
      context: () => ({
        llm: () => {
          this.#llm ??= this.#options.llm().catch((error) => {
            this.#llm = undefined;
            throw error;
          });
          return this.#llm;
        },
        policy,
        paths: this.paths,
        registry,
        server: this.server,
      }),
    };
  }

  /**
   * Start a run: the dataset is checked, kept and profiled now (its errors are the caller's, at once); the
   * pipeline then runs in the background — `wait` for it, or poll `get`.
   */
  async analyze(input: { question: string; dataset: string; caller: Caller }): Promise<RunRecord> {
    const question = input.question.trim();
    if (question.length < 3 || question.length > 4000)
      throw new FactoryError('SPEC_INVALID_VALUE', 'the question must be 3 to 4000 characters long', {
        details: { length: question.length },
      });
    this.#options.checkModel?.();
    const access: DatasetAccess = {
      roots: input.caller.local ? 'any' : this.policy.dataRoots,
      maxBytes: this.policy.maxDatasetBytes,
    };
    const dataset = isTableDataset(input.dataset)
      ? await keepTable(input.dataset, this.paths.datasets, { ...this.#options, ...access, ...input.caller })
      : await keepDataset(input.dataset, this.paths.datasets, access);
    const [profile, sample] = await Promise.all([
      profileDataset(dataset),
      sampleDataset(dataset, this.paths.datasets),
    ]);
    const state: RunState = {
      question,
      dataset,
      ...(sample !== dataset ? { sample } : {}),
      profile,
      requestedBy: input.caller.actor,
      repairs: 0,
      attempts: [],
      decisions: [],
      model: { calls: 0, ms: 0 },
      nodeMs: {},
    };
    const run = await this.#options.registry.toolsmith.createRun({
      id: `run_${randomBytes(8).toString('hex')}`,
      question,
      node: 'intent',
      state: state as unknown as Record<string, unknown>,
      actor: input.caller.actor,
    });
    this.#start(run.id);
    return run;
  }

  #start(id: string): Promise<RunRecord> {
    const running = this.#active.get(id);
    if (running) return running;
    const work = advance(id, this.#deps()).finally(() => this.#active.delete(id));
    // Callers that wait see a failure; a run started in the background must not crash the process with it.
    work.catch(() => undefined);
    this.#active.set(id, work);
    return work;
  }

  /** The run once it stops moving here (waiting, done, failed), or as it is after `timeoutMs`. */
  async wait(id: string, options: { timeoutMs?: number } = {}): Promise<RunRecord> {
    const work = this.#active.get(id) ?? this.#start(id);
    if (options.timeoutMs === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<RunRecord>((resolve) => {
      timer = setTimeout(() => resolve(this.#options.registry.toolsmith.getRun(id)), options.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Pick up every run whose worker is gone (after a restart); returns their ids. */
  async resume(): Promise<string[]> {
    const ids = await this.#options.registry.toolsmith.resumable();
    for (const id of ids) void this.#start(id).catch(() => undefined);
    return ids;
  }

  /** Stop working (a shutting-down process): runs keep their checkpoint and are resumed elsewhere or later. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#active.values()]);
  }

  async get(id: string, options: { events?: boolean } = {}): Promise<RunView> {
    const run = await this.#options.registry.toolsmith.getRun(id);
    const view = runView(run);
    if (options.events) view.events = await this.#options.registry.toolsmith.events(id);
    return view;
  }

  async list(
    filter: { status?: RunStatus; toolState?: ToolState; pending?: boolean; limit?: number } = {},
  ): Promise<RunView[]> {
    const runs = await this.#options.registry.toolsmith.listRuns({
      ...(filter.pending ? { status: 'waiting' as const } : filter.status ? { status: filter.status } : {}),
      ...(filter.toolState ? { toolState: filter.toolState } : {}),
      limit: filter.limit ?? 50,
    });
    return runs.map(runView).map(({ code: _c, result, validation: _v, ...rest }) => ({
      ...rest,
      ...(result ? { result: { ...result, svg: undefined } } : {}),
    }));
  }

  /**
   * A reviewer's decision on a waiting run. Stage 1 (is the output right?): approve → waits for stage 2;
   * reject → REJECTED; revise → back to repair with the note as the problem to fix. Stage 2 (promote?):
   * approve → promoted into the toolsmith server; reject → REJECTED.
   */
  async decide(
    id: string,
    input: { stage?: 1 | 2; decision: 'approve' | 'reject' | 'revise'; note?: string; caller: Caller },
  ): Promise<RunRecord> {
    const store = this.#options.registry.toolsmith;
    const run = await store.getRun(id);
    const stage = run.node === 'review_output' ? 1 : run.node === 'review_promotion' ? 2 : undefined;
    if (run.status !== 'waiting' || stage === undefined)
      throw new FactoryError(
        'TOOLSMITH_NOT_DECIDABLE',
        `run ${id} is ${run.status} at ${run.node}: it waits for no review`,
        {
          details: { run: id, status: run.status, node: run.node },
        },
      );
    if (input.stage !== undefined && input.stage !== stage)
      throw new FactoryError(
        'TOOLSMITH_NOT_DECIDABLE',
        `run ${id} waits for stage ${stage}, not stage ${input.stage}`,
        {
          details: { run: id, waitsFor: stage },
        },
      );
    if (input.decision === 'revise' && stage !== 1)
      throw new FactoryError(
        'TOOLSMITH_NOT_DECIDABLE',
        'only the output (stage 1) can be sent back for revision',
        {
          details: { run: id },
        },
      );
    const note = input.note?.slice(0, 4000);
    const selfApproval = stage === 2 && input.decision === 'approve' && run.createdBy === input.caller.actor;
    if (selfApproval && !input.caller.local)
      throw new FactoryError(
        'TOOLSMITH_SELF_APPROVAL',
        `${input.caller.actor} asked the question of run ${id} and cannot approve its promotion`,
        {
          details: { run: id, actor: input.caller.actor },
        },
      );
    const state = run.state as unknown as RunState;
    const decision: Decision = {
      stage,
      decision: input.decision,
      actor: input.caller.actor,
      ...(note ? { note } : {}),
      at: new Date().toISOString(),
    };
    const decided: RunState = { ...state, decisions: [...state.decisions, decision] };
    const expect = { node: run.node, status: 'waiting' as const, toolState: run.toolState };
    const event = {
      actor: input.caller.actor,
      kind: `stage${stage}.${input.decision}`,
      node: run.node,
      note: note ?? null,
      ...(selfApproval ? { details: { selfApproval: true } } : {}),
    };
    if (input.decision === 'reject')
      return store.transition(
        id,
        expect,
        { state: asJson(decided), status: 'done', toolState: 'REJECTED' },
        { ...event, fromState: run.toolState, toState: 'REJECTED' },
      );
    if (input.decision === 'revise') {
      if (state.repairs >= this.policy.maxRepairs)
        throw new FactoryError(
          'TOOLSMITH_NOT_DECIDABLE',
          `run ${id} has used its ${this.policy.maxRepairs} repairs; reject it and ask again`,
          {
            details: { run: id },
          },
        );
      const next = await store.transition(
        id,
        expect,
        {
          state: asJson({
            ...decided,
            pendingErrors: [`A reviewer says the output is wrong: ${note ?? '(no note)'}`],
          }),
          node: 'repair',
          status: 'running',
          toolState: 'DRAFT',
        },
        { ...event, fromState: run.toolState, toState: 'DRAFT' },
      );
      void this.#start(id).catch(() => undefined);
      return next;
    }
    if (stage === 1)
      return store.transition(
        id,
        expect,
        { state: asJson(decided), node: 'review_promotion', toolState: 'APPROVED' },
        { ...event, fromState: 'STAGED', toState: 'APPROVED' },
      );
    const next = await store.transition(
      id,
      expect,
      { state: asJson(decided), node: 'promote', status: 'running' },
      event,
    );
    void this.#start(id).catch(() => undefined);
    return next;
  }

  /** Take a promoted tool out of the toolsmith server (a new revision without it); the run stays, ARCHIVED. */
  async archive(id: string, input: { note?: string; caller: Caller }): Promise<RunRecord> {
    const store = this.#options.registry.toolsmith;
    const run = await store.getRun(id);
    if (run.toolState !== 'PROMOTED')
      throw new FactoryError(
        'TOOLSMITH_NOT_DECIDABLE',
        `run ${id} is ${run.toolState}: only a promoted tool can be archived`,
        {
          details: { run: id, toolState: run.toolState },
        },
      );
    const remaining = (await store.listRuns({ toolState: 'PROMOTED', limit: 500 })).filter(
      (r) => r.id !== id,
    );
    if (remaining.length > 0)
      await this.server.build(remaining, input.caller.actor, `archive ${run.toolName}`);
    else if (await this.server.current())
      await this.#options.registry.removeServer(this.server.name, { actor: input.caller.actor });
    return store.transition(
      id,
      { toolState: 'PROMOTED' },
      { toolState: 'ARCHIVED' },
      {
        actor: input.caller.actor,
        kind: 'archived',
        fromState: 'PROMOTED',
        toState: 'ARCHIVED',
        note: input.note ?? null,
      },
    );
  }

  /** Serve an earlier version of a tool again (a new revision); the version it replaces is archived, both kept. */
  async rollback(
    tool: string,
    version: number,
    input: { note?: string; caller: Caller },
  ): Promise<RunRecord> {
    const store = this.#options.registry.toolsmith;
    const versions = await store.listRuns({ toolName: tool, limit: 500 });
    const target = versions.find(
      (r) => r.toolVersion === version && (r.toolState === 'ARCHIVED' || r.toolState === 'PROMOTED'),
    );
    if (!target)
      throw new FactoryError(
        'TOOLSMITH_RUN_NOT_FOUND',
        `tool ${tool} has no version ${version} to roll back to`,
        {
          details: {
            tool,
            version,
            versions: versions.map((r) => ({ run: r.id, version: r.toolVersion, state: r.toolState })),
          },
        },
      );
    if (target.toolState === 'PROMOTED') return target;
    const others = (await store.listRuns({ toolState: 'PROMOTED', limit: 500 })).filter(
      (r) => r.toolName !== tool,
    );
    await this.server.build([...others, target], input.caller.actor, `roll back ${tool} to v${version}`);
    for (const current of versions.filter((r) => r.toolState === 'PROMOTED'))
      await store.transition(
        current.id,
        { toolState: 'PROMOTED' },
        { toolState: 'ARCHIVED' },
        {
          actor: input.caller.actor,
          kind: 'rolled-back',
          fromState: 'PROMOTED',
          toState: 'ARCHIVED',
          note: `replaced by v${version}${input.note ? `: ${input.note}` : ''}`,
        },
      );
    return store.transition(
      target.id,
      { toolState: 'ARCHIVED' },
      { toolState: 'PROMOTED' },
      {
        actor: input.caller.actor,
        kind: 'rolled-back',
        fromState: 'ARCHIVED',
        toState: 'PROMOTED',
        note: input.note ?? null,
      },
    );
  }
}

function asJson(state: RunState): Record<string, unknown> {
  return state as unknown as Record<string, unknown>;
}

function nextStep(run: RunRecord): string {
  if (run.status === 'running') return `working: ${run.node}`;
  if (run.status === 'failed') return 'failed: read the error and the validation report; ask again';
  if (run.status === 'done')
    return run.toolState === 'PROMOTED'
      ? 'promoted: call the tool on the toolsmith server'
      : run.toolState === 'REJECTED'
        ? 'rejected'
        : run.toolState === 'ARCHIVED'
          ? 'archived'
          : 'answered';
  return run.node === 'review_output'
    ? `stage 1 review: is the output right? mcp-factory toolsmith approve ${run.id} (or reject / revise --note …)`
    : `stage 2 review: promote the tool? mcp-factory toolsmith approve ${run.id} (by another reviewer)`;
}

export function runView(run: RunRecord): RunView {
  const state = run.state as unknown as RunState;
  return {
    id: run.id,
    question: run.question,
    status: run.status,
    toolState: run.toolState,
    node: run.node,
    next: nextStep(run),
    createdBy: run.createdBy,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    error: run.error,
    ...(state.tool
      ? {
          tool: {
            name: state.tool.name,
            version: run.toolVersion,
            description: state.tool.description,
            parameters: state.tool.parameters,
          },
        }
      : {}),
    dataset: {
      given: state.dataset.given,
      sha256: state.dataset.sha256,
      format: state.dataset.format,
      bytes: state.dataset.bytes,
      rows: state.profile.rows,
    },
    ...(state.intent ? { plan: state.intent } : {}),
    ...(state.code ? { code: state.code.source } : {}),
    ...(state.validation ? { validation: state.validation } : {}),
    ...(state.result
      ? {
          result: {
            markdown: state.result.markdown,
            value: state.result.result,
            svg: state.result.chart?.svg,
            arguments: state.result.arguments,
            timing: state.result.timing,
          },
        }
      : {}),
    ...(state.reuse ? { reused: state.reuse } : {}),
    repairs: state.repairs,
    decisions: state.decisions,
    ...(state.promoted ? { promoted: state.promoted } : {}),
    timing: { nodeMs: state.nodeMs, modelMs: Math.round(state.model.ms), modelCalls: state.model.calls },
  };
}
