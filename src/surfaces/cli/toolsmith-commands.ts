/**
 * `mcp-factory analyze "question" --data FILE` and `mcp-factory toolsmith list|show|approve|reject|revise|
 * archive|rollback|resume`: the toolsmith from the shell. The run works in this process until it waits for a
 * review, is answered, or fails; its checkpoints are in the registry, so a run interrupted here (Ctrl-C, a
 * crash) continues with `toolsmith resume` or in a running `mcp-factory serve`. The local user may name any
 * file it can read, and is the actor of its decisions (a stage-2 approval of its own run is recorded as such).
 */
import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import type { LlmSettings, ProviderName } from '../../llm/config.js';
import type { RunView } from '../../toolsmith/index.js';
import { EXIT, ExitSignal } from './exit.js';
import { addHomeOptions, type HomeOptions, localActor, openFactory, type ServeIo } from './serve.js';

type Format = { format: string };

function printRun(io: ServeIo, run: RunView, format: string, verbose = false): void {
  if (format === 'json') {
    io.stdout(`${JSON.stringify(run, null, 2)}\n`);
    return;
  }
  const lines = [`${run.id}  ${run.status}/${run.toolState}  ${run.question}`];
  if (run.tool) lines.push(`tool: ${run.tool.name}${run.tool.version ? ` v${run.tool.version}` : ''}`);
  if (run.reused) lines.push(`answered by the promoted tool ${run.reused.tool} (no new tool was written)`);
  if (verbose && run.code) lines.push('', 'code:', run.code);
  if (verbose && run.validation)
    lines.push(
      '',
      `validation: schema_ok=${run.validation.schema_ok} tests_ok=${run.validation.tests_ok} sandbox_ok=${run.validation.sandbox_ok} (${run.validation.durationMs} ms)`,
      ...run.validation.errors.map((e) => `  error: ${e}`),
    );
  if (run.result) lines.push('', run.result.markdown.trimEnd());
  if (run.error) lines.push('', `error: ${run.error}`);
  if (verbose && run.events)
    lines.push(
      '',
      'trail:',
      ...run.events.map(
        (e) =>
          `  ${e.at} ${e.actor} ${e.kind}${e.node ? ` ${e.node}` : ''}${e.toState ? ` → ${e.toState}` : ''}${e.note ? `: ${e.note}` : ''}`,
      ),
    );
  lines.push('', `next: ${run.next}`);
  io.stdout(`${lines.join('\n')}\n`);
}

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
};

type Factory = Awaited<ReturnType<typeof openFactory>>;

/** The factory of the home; with LLM flags, its toolsmith asks the model those flags name. */
async function withToolsmith<T>(
  opts: HomeOptions & LlmFlags,
  fn: (f: { home: string; toolsmith: NonNullable<Factory['toolsmith']> }) => Promise<T>,
): Promise<T> {
  const factory = await openFactory(opts, { toolsmith: true });
  const flags = llmSettings(opts);
  let own: Factory['toolsmith'] | undefined;
  try {
    if (Object.keys(flags).length > 0) {
      const [{ openToolsmith }, { homeLayout }] = await Promise.all([
        import('../../toolsmith/index.js'),
        import('../../platform/home.js'),
      ]);
      own = openToolsmith({
        registry: factory.registry,
        layout: homeLayout(factory.home),
        llmSettings: flags,
      });
    }
    const toolsmith = own ?? factory.toolsmith;
    if (!toolsmith)
      throw new FactoryError('TOOLSMITH_FAILED', 'the factory was opened without its toolsmith');
    return await fn({ home: factory.home, toolsmith });
  } finally {
    await own?.close();
    await factory.close();
  }
}

interface LlmFlags {
  provider?: string;
  model?: string;
  apiKeyEnv?: string;
  baseUrl?: string;
}

function llmSettings(opts: LlmFlags): LlmSettings {
  return {
    ...(opts.provider !== undefined ? { provider: opts.provider as ProviderName } : {}),
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.apiKeyEnv !== undefined ? { apiKeyEnv: opts.apiKeyEnv } : {}),
    ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
  };
}

async function writeChart(io: ServeIo, run: RunView, file: string | undefined): Promise<void> {
  if (!file) return;
  if (!run.result?.svg) {
    io.stderr('no chart: the answer is not a series\n');
    return;
  }
  await writeFile(file, run.result.svg);
  io.stderr(`chart written to ${file}\n`);
}

function endFor(run: RunView): void {
  if (run.status === 'failed') throw new ExitSignal(EXIT.VALIDATION_FAILED);
}

export function registerToolsmithCommands(program: Command, io: ServeIo): void {
  const formatOption = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

  addHomeOptions(
    program
      .command('analyze')
      .description(
        'answer a question about a dataset with a generated, validated, sandboxed tool (toolsmith)',
      )
      .argument('<question>', 'the question, in plain language')
      .requiredOption('--data <file>', 'the dataset: CSV, TSV, JSON, NDJSON or Parquet (by extension)')
      .option('--chart <file.svg>', 'write the chart (when the answer is a series) to this file')
      .option('--provider <name>', 'LLM provider: anthropic, openai, google, openai-compatible')
      .option('--model <id>', 'LLM model')
      .option('--api-key-env <VAR>', 'environment variable holding the LLM API key')
      .option('--base-url <url>', 'LLM endpoint (OpenAI-compatible servers: Ollama, vLLM, LM Studio)')
      .addOption(formatOption()),
  ).action(
    async (question: string, opts: HomeOptions & LlmFlags & Format & { data: string; chart?: string }) => {
      await withToolsmith(opts, async ({ toolsmith }) => {
        const run = await toolsmith.analyze({
          question,
          dataset: opts.data,
          caller: { actor: localActor('cli'), local: true },
        });
        if (opts.format === 'text') io.stderr(`run ${run.id}: working (intent → … → review)\n`);
        await toolsmith.wait(run.id);
        const view = await toolsmith.get(run.id, { events: opts.format === 'json' });
        printRun(io, view, opts.format);
        await writeChart(io, view, opts.chart);
        endFor(view);
      });
    },
  );

  const toolsmith = program
    .command('toolsmith')
    .description('toolsmith runs: list, show, review (approve / reject / revise), archive, rollback, resume');

  addHomeOptions(
    toolsmith
      .command('list')
      .description('runs, newest first')
      .option('--pending', 'only runs waiting for a review')
      .option('--limit <n>', 'at most this many', positive, 50)
      .addOption(formatOption()),
  ).action(async (opts: HomeOptions & Format & { pending?: boolean; limit: number }) => {
    await withToolsmith(opts, async (f) => {
      const runs = await f.toolsmith.list({ pending: opts.pending ?? false, limit: opts.limit });
      if (opts.format === 'json') return io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
      if (runs.length === 0) return io.stdout(opts.pending ? 'no run waits for a review\n' : 'no runs\n');
      for (const r of runs)
        io.stdout(
          `${r.id}  ${`${r.status}/${r.toolState}`.padEnd(18)} ${(r.tool?.name ?? '-').padEnd(28)} ${r.question.slice(0, 80)}\n`,
        );
    });
  });

  addHomeOptions(
    toolsmith
      .command('show')
      .description('one run: question, plan, code, validation report, result, decisions, trail')
      .argument('<run>', 'run id')
      .option('--chart <file.svg>', 'write its chart to this file')
      .addOption(formatOption()),
  ).action(async (id: string, opts: HomeOptions & Format & { chart?: string }) => {
    await withToolsmith(opts, async (f) => {
      const view = await f.toolsmith.get(id, { events: true });
      printRun(io, view, opts.format, true);
      await writeChart(io, view, opts.chart);
    });
  });

  for (const decision of ['approve', 'reject', 'revise'] as const)
    addHomeOptions(
      toolsmith
        .command(decision)
        .description(
          decision === 'approve'
            ? 'approve the stage the run waits for (1: the output is right; 2: promote the tool)'
            : decision === 'reject'
              ? 'reject the run at the stage it waits for'
              : 'send the output back to the model with a note (stage 1)',
        )
        .argument('<run>', 'run id')
        .option('--stage <n>', 'the stage decided (default: the one the run waits for)', (v) => {
          if (v !== '1' && v !== '2') throw new InvalidArgumentError('1 or 2');
          return Number(v) as 1 | 2;
        })
        .option('--note <text>', 'why (kept in the trail; for revise, what is wrong)')
        .addOption(formatOption()),
    ).action(async (id: string, opts: HomeOptions & Format & { stage?: 1 | 2; note?: string }) => {
      if (decision === 'revise' && !opts.note)
        throw new FactoryError(
          'INVALID_ARGUMENTS',
          'revise needs --note saying what is wrong with the output',
        );
      await withToolsmith(opts, async (f) => {
        await f.toolsmith.decide(id, {
          decision,
          ...(opts.stage ? { stage: opts.stage } : {}),
          ...(opts.note ? { note: opts.note } : {}),
          caller: { actor: localActor('cli'), local: true },
        });
        // Promotion and revision work here, now (or later in `serve` / `toolsmith resume`).
        await f.toolsmith.wait(id);
        const view = await f.toolsmith.get(id);
        printRun(io, view, opts.format);
        endFor(view);
      });
    });

  addHomeOptions(
    toolsmith
      .command('archive')
      .description('take a promoted tool out of the toolsmith server')
      .argument('<run>', 'run id of the promoted tool')
      .option('--note <text>', 'why')
      .addOption(formatOption()),
  ).action(async (id: string, opts: HomeOptions & Format & { note?: string }) => {
    await withToolsmith(opts, async (f) => {
      await f.toolsmith.archive(id, {
        ...(opts.note ? { note: opts.note } : {}),
        caller: { actor: localActor('cli'), local: true },
      });
      printRun(io, await f.toolsmith.get(id), opts.format);
    });
  });

  addHomeOptions(
    toolsmith
      .command('rollback')
      .description(
        'serve an earlier version of a toolsmith tool again (the current one is archived, both kept)',
      )
      .argument('<tool>', 'tool name')
      .argument('<version>', 'the version to serve', positive)
      .option('--note <text>', 'why')
      .addOption(formatOption()),
  ).action(async (tool: string, version: number, opts: HomeOptions & Format & { note?: string }) => {
    await withToolsmith(opts, async (f) => {
      const run = await f.toolsmith.rollback(tool, version, {
        ...(opts.note ? { note: opts.note } : {}),
        caller: { actor: localActor('cli'), local: true },
      });
      printRun(io, await f.toolsmith.get(run.id), opts.format);
    });
  });

  addHomeOptions(
    toolsmith
      .command('resume')
      .description('continue the runs whose process stopped (they continue from the node they had reached)'),
  ).action(async (opts: HomeOptions) => {
    await withToolsmith(opts, async (f) => {
      const ids = await f.toolsmith.resume();
      for (const id of ids) {
        const run = await f.toolsmith.wait(id);
        io.stdout(
          `${id}: ${run.status}/${run.toolState} at ${run.node}${run.error ? ` (${run.error})` : ''}\n`,
        );
      }
      if (ids.length === 0) io.stdout('nothing to resume\n');
    });
  });
}
