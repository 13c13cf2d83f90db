/**
 * A toolsmith on a temporary factory home with its own registry, whose model is the local fake provider
 * (test/llm/fake-provider.ts) replaying scripted answers: the real LLM client and the real pipeline run; only
 * the model's words are scripted.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { homeLayout } from '../../src/platform/home.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { DEFAULT_POLICY, type RunView, Toolsmith, type ToolsmithPolicy } from '../../src/toolsmith/index.js';
import { type FakeProvider, type FakeStep, startFakeProvider } from '../llm/fake-provider.js';
import { FAKE_KEY, fakeClient } from '../llm/helpers.js';

export const DATA_DIR = resolve(import.meta.dirname, '../../node_modules/vega-datasets/data');
export const dataFile = (name: string) => join(DATA_DIR, name);

export interface Harness {
  home: string;
  registry: Registry;
  fake: FakeProvider;
  toolsmith: Toolsmith;
  /** Another toolsmith on the same home and registry (a second process, after a restart). */
  another(options?: { leaseMs?: number }): Toolsmith;
  close(): Promise<void>;
}

export async function startHarness(
  options: { policy?: Partial<ToolsmithPolicy>; leaseMs?: number } = {},
): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), 'mcpf-toolsmith-'));
  const registry = await openRegistry({ home });
  const fake = await startFakeProvider({ apiKey: FAKE_KEY });
  // Remote callers (the tests' actors) may read the vega datasets and files the tests write under tmpdir.
  const policy = {
    ...DEFAULT_POLICY,
    dataRoots: [realpathSync(DATA_DIR), realpathSync(tmpdir())],
    ...options.policy,
  } as ToolsmithPolicy;
  const layout = homeLayout(home);
  const made: Toolsmith[] = [];
  const make = (leaseMs?: number) => {
    const t = new Toolsmith({
      registry,
      layout,
      policy,
      llm: () => fakeClient('openai', fake),
      ...((leaseMs ?? options.leaseMs) ? { leaseMs: leaseMs ?? options.leaseMs } : {}),
    });
    made.push(t);
    return t;
  };
  const toolsmith = make();
  return {
    home,
    registry,
    fake,
    toolsmith,
    another: (o = {}) => make(o.leaseMs),
    async close() {
      for (const t of made) await t.close();
      await fake.close();
      await registry.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The model's three answers for a new tool: intent, interface, body. */
export function newToolScript(input: {
  columns: string[];
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  arguments?: Record<string, unknown>;
  source: string;
  operation?: string;
}): FakeStep[] {
  return [
    {
      json: {
        operation: input.operation ?? 'groupby_aggregate',
        columns: input.columns,
        metrics: [],
        filters: [],
        sort_by: [],
        output_format: 'table',
        implementation_plan: [{ step: 1, action: 'query', details: 'one DuckDB SELECT over dataset' }],
        edge_cases: [],
      },
    },
    {
      json: {
        name: input.name,
        description: input.description ?? `Computes ${input.name.replaceAll('_', ' ')} from the dataset.`,
        parameters: input.parameters ?? {},
        arguments: input.arguments ?? {},
      },
    },
    { json: { source: input.source } },
  ];
}

/** A tool body that runs `sql` with the named arguments bound as $1, $2…. */
export function sqlBody(sql: string, values: string[] = []): string {
  const bound = values.map((v) => `args.${v}`).join(', ');
  return `const { rows, columns, truncated } = await ctx.dataset('data', args.dataset).query(${JSON.stringify(sql)}, [${bound}]);\nreturn { rows, columns, truncated };`;
}

/** The rows a run's tool returned (empty when it has no result). */
export function rowsOf(view: RunView): unknown[] {
  return (view.result?.value as { rows?: unknown[] } | undefined)?.rows ?? [];
}
