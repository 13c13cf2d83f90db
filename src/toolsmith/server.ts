/**
 * The toolsmith server: a generated server in the registry (name from the policy, default `toolsmith`) whose
 * tools are exactly the runs in state PROMOTED, one per tool name. Promotion, archiving and rollback each
 * compute the new set, build and test it like any server (each tool replays its approved output on its kept
 * dataset as a generated test), record it as a new revision, and only then mark the runs — so a failed build
 * changes nothing, and every revision says which tool versions it served.
 */
import { FactoryError } from '../core/errors/index.js';
import { validateSpec } from '../core/spec/load.js';
import { createRevision, isNotFound } from '../deploy/create.js';
import type { HomeLayout } from '../platform/home.js';
import type { Registry, RunRecord } from '../store/index.js';
import { DATA_ROOTS_ENV, toolSpec, toolsmithServerSpec } from './candidate.js';
import type { ToolsmithPolicy } from './policy.js';
import type { RunState } from './types.js';

export interface PromotedTool {
  run: string;
  tool: string;
  version: number;
  question: string;
  description: string;
  parameters: Record<string, unknown>;
  /** Dataset columns the tool's intent uses: a dataset without them cannot be answered by it. */
  columns: string[];
}

export async function promotedTools(registry: Registry): Promise<PromotedTool[]> {
  const runs = await registry.toolsmith.listRuns({ toolState: 'PROMOTED', limit: 500 });
  return runs.flatMap((run) => {
    const state = run.state as unknown as RunState;
    if (!state.tool || !run.toolName) return [];
    return [
      {
        run: run.id,
        tool: run.toolName,
        version: run.toolVersion ?? 1,
        question: state.question,
        description: state.tool.description,
        parameters: state.tool.parameters,
        columns: state.intent?.columns ?? [],
      },
    ];
  });
}

export interface CurrentServer {
  name: string;
  revision: number;
  projectDir: string;
}

export class ToolsmithServer {
  constructor(
    private readonly registry: Registry,
    private readonly layout: HomeLayout,
    private readonly policy: ToolsmithPolicy,
    private readonly datasetsDir: string,
  ) {}

  get name(): string {
    return this.policy.server;
  }

  async current(): Promise<CurrentServer | undefined> {
    try {
      const server = await this.registry.getServer(this.name);
      if (server.status === 'removed') return undefined;
      const version = await this.registry.getVersion(this.name, server.currentRevision);
      return {
        name: this.name,
        revision: version.revision,
        projectDir: this.layout.projectDir(this.name, version.artifactHash),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Add the run's tool (replacing an earlier version of the same name); returns where it now is. */
  async promote(
    runId: string,
    state: RunState,
  ): Promise<{ server: string; revision: number; tool: string; version: number }> {
    const run = await this.registry.toolsmith.getRun(runId);
    const name = state.tool!.name;
    const version = run.toolVersion ?? (await this.registry.toolsmith.nextToolVersion(name));
    const others = (await this.registry.toolsmith.listRuns({ toolState: 'PROMOTED', limit: 500 })).filter(
      (r) => r.id !== runId && r.toolName !== name,
    );
    const revision = await this.build(
      [...others, { ...run, state: state as unknown as Record<string, unknown> }],
      run.createdBy,
      `promote ${name} v${version}`,
    );
    // Earlier versions of this tool stay in the registry, superseded (rollback brings one back).
    for (const old of await this.registry.toolsmith.listRuns({
      toolName: name,
      toolState: 'PROMOTED',
      limit: 100,
    }))
      if (old.id !== runId)
        await this.registry.toolsmith.transition(
          old.id,
          { toolState: 'PROMOTED' },
          { toolState: 'ARCHIVED' },
          {
            actor: 'toolsmith',
            kind: 'superseded',
            fromState: 'PROMOTED',
            toState: 'ARCHIVED',
            note: `superseded by v${version} (run ${runId})`,
          },
        );
    return { server: this.name, revision, tool: name, version };
  }

  /** Rebuild the server from `runs` (each PROMOTED-to-be); returns the new revision. */
  async build(runs: RunRecord[], actor: string, reason: string): Promise<number> {
    const tools = runs.map((run) => {
      const state = run.state as unknown as RunState;
      return toolSpec({
        tool: state.tool!,
        code: state.code!,
        question: state.question,
        examples: [
          { dataset: state.dataset, arguments: state.tool!.arguments, equals: state.result?.result },
        ],
        timeoutMs: this.policy.execution.timeoutSeconds * 1000,
      });
    });
    const current = await this.current();
    const input = toolsmithServerSpec(this.name, `0.${(current?.revision ?? 0) + 1}.0`, tools);
    const checked = validateSpec(input);
    if (!checked.ok || !checked.spec)
      throw new FactoryError(
        'TOOLSMITH_FAILED',
        `${reason}: the toolsmith server spec is invalid: ${checked.issues[0]?.message ?? '?'}`,
        {
          issues: checked.issues,
        },
      );
    const outcome = await createRevision(this.registry, this.layout, {
      spec: checked.spec,
      specDir: this.datasetsDir,
      force: true,
      actor,
      testEnv: { [DATA_ROOTS_ENV]: this.datasetsDir },
    });
    return outcome.revision;
  }
}
