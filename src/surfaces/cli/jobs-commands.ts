/**
 * `mcp-factory jobs list|show|wait|cancel|work`: the factory's jobs from the shell, as the local user (who sees
 * every job of the home). `wait` follows a job until it finishes — a progress bar on a terminal, one line per
 * change otherwise — and exits 0 only when it succeeded; `work` runs a worker pool in the foreground (for jobs
 * queued with `--async` when no `mcp-factory serve` runs). Long commands take `--async` (deploy; queueAsync).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { JOB_STATES, type JobState } from '../../store/schema.js';
import type { JobView, Operation, OperationContext } from '../operations/index.js';
import { EXIT, ExitSignal } from './exit.js';
import type { CliIo } from './io.js';
import { addHomeOptions, type HomeOptions, localActor, openFactory } from './serve.js';

// The operations (and the store behind them) load when a jobs verb runs, not for `--help`.
const loadOperations = () => import('../operations/index.js');
const FINISHED: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

type Factory = Awaited<ReturnType<typeof openFactory>>;

/** The local user's operation context over the factory of the home. */
export function localContext(factory: Factory, actor = localActor('cli')): OperationContext {
  return {
    controlPlane: factory.controlPlane,
    registry: factory.registry,
    subject: { kind: 'local', name: actor },
    policy: { decide: () => ({ allowed: true }) },
    actor,
    allowLocalFiles: true,
    toolsmith: factory.toolsmith,
  };
}

async function withFactory<T>(opts: HomeOptions, fn: (context: OperationContext) => Promise<T>): Promise<T> {
  const factory = await openFactory(opts);
  try {
    return await fn(localContext(factory));
  } finally {
    await factory.close();
  }
}

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number > 0');
  return n;
};

function line(job: JobView): string {
  const pct = `${Math.round(job.progress.fraction * 100)}%`.padStart(4);
  return `${job.id}  ${job.state.padEnd(9)} ${pct}  ${job.operation}  ${job.createdAt}${job.progress.message ? `  ${job.progress.message}` : ''}`;
}

function printJob(io: CliIo, job: JobView, format: string): void {
  if (format === 'json') {
    io.stdout(`${JSON.stringify(job, null, 2)}\n`);
    return;
  }
  const lines = [line(job), `attempts: ${job.attempts} of ${job.maxAttempts}   created by ${job.createdBy}`];
  if (job.error) lines.push(`error: ${job.error.code}: ${job.error.message}`);
  if (job.state === 'succeeded') lines.push('result:', JSON.stringify(job.result, null, 2));
  io.stdout(`${lines.join('\n')}\n`);
}

/** A one-line bar redrawn in place (terminal only). */
function bar(job: JobView): string {
  const width = 30;
  const filled = Math.round(job.progress.fraction * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(job.progress.fraction * 100)
    .toString()
    .padStart(3)}% ${job.state} ${(job.progress.message ?? '').slice(0, 40).padEnd(40)}`;
}

/** Follow a job until it finishes (or `timeoutMs` passes: TIMEOUT); answers the finished job. */
export async function waitForJob(
  io: CliIo,
  context: OperationContext,
  id: string,
  options: { timeoutMs: number; intervalMs?: number; quiet?: boolean },
): Promise<JobView> {
  const { getJob, invoke } = await loadOperations();
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const job = await invoke(getJob, context, { id });
    const shown = `${job.state} ${job.progress.fraction} ${job.progress.message ?? ''}`;
    if (!options.quiet && shown !== last) {
      io.stderr(io.isTTY ? bar(job) : `${line(job)}\n`);
      last = shown;
    }
    if (FINISHED.includes(job.state)) {
      if (!options.quiet && io.isTTY) io.stderr('\n');
      return job;
    }
    if (Date.now() > deadline) {
      if (!options.quiet && io.isTTY) io.stderr('\n');
      io.stderr(`job ${id} is still ${job.state} after ${Math.round(options.timeoutMs / 1000)} s\n`);
      throw new ExitSignal(EXIT.TOOL_FAILED);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}

/**
 * `--async` of a long command: queue the operation as the local user's job in the home's registry and print
 * it (a running `serve` or `jobs work` runs it).
 */
export async function queueAsync(
  io: CliIo,
  opts: HomeOptions & { format: string },
  operation: Operation,
  input: unknown,
): Promise<void> {
  const { jobView, submitJob } = await loadOperations();
  const job = await withFactory(opts, async (context) => {
    const { job } = await submitJob(operation, context, operation.input.parse(input));
    return jobView(job);
  });
  printQueued(io, job, opts.format);
}

/** Print a job just queued by `--async`: its id on stdout (for scripts), how to follow it on stderr. */
export function printQueued(io: CliIo, job: JobView, format: string): void {
  if (format === 'json') io.stdout(`${JSON.stringify(job, null, 2)}\n`);
  else io.stdout(`${job.id}\n`);
  io.stderr(
    `Queued ${job.operation} as ${job.id}: follow it with \`mcp-factory jobs wait ${job.id}\` (a running \`mcp-factory serve\` or \`mcp-factory jobs work\` runs it).\n`,
  );
}

export function registerJobsCommands(program: Command, io: CliIo): void {
  const formatOption = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const jobs = program.command('jobs').description('follow, wait for and cancel long operations run as jobs');

  addHomeOptions(
    jobs
      .command('list')
      .description('jobs of this factory, newest first')
      .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
      .option('--operation <name>', 'only jobs of this operation (e.g. create_server, deploy_server)')
      .option('--limit <n>', 'at most this many (default 50)', positive)
      .addOption(formatOption()),
  ).action(
    async (opts: HomeOptions & { state?: JobState; operation?: string; limit?: number; format: string }) => {
      const { invoke, listJobs } = await loadOperations();
      const { jobs: found } = await withFactory(opts, (context) =>
        invoke(listJobs, context, {
          all: true,
          ...(opts.state ? { state: opts.state } : {}),
          ...(opts.operation ? { operation: opts.operation } : {}),
          ...(opts.limit ? { limit: Math.floor(opts.limit) } : {}),
        }),
      );
      if (opts.format === 'json') io.stdout(`${JSON.stringify(found, null, 2)}\n`);
      else io.stdout(found.length ? `${found.map(line).join('\n')}\n` : 'No jobs.\n');
    },
  );

  addHomeOptions(
    jobs
      .command('show')
      .description('a job: state, progress, result or error')
      .argument('<id>')
      .addOption(formatOption()),
  ).action(async (id: string, opts: HomeOptions & { format: string }) => {
    const { getJob, invoke } = await loadOperations();
    printJob(io, await withFactory(opts, (context) => invoke(getJob, context, { id })), opts.format);
  });

  addHomeOptions(
    jobs
      .command('wait')
      .description('follow a job until it finishes; exit 0 when it succeeded')
      .argument('<id>')
      .option('--timeout <seconds>', 'give up after this long (default 3600)', positive)
      .addOption(formatOption()),
  ).action(async (id: string, opts: HomeOptions & { timeout?: number; format: string }) => {
    const job = await withFactory(opts, (context) =>
      waitForJob(io, context, id, { timeoutMs: (opts.timeout ?? 3600) * 1000 }),
    );
    printJob(io, job, opts.format);
    if (job.state !== 'succeeded') throw new ExitSignal(EXIT.VALIDATION_FAILED);
  });

  addHomeOptions(
    jobs
      .command('cancel')
      .description('cancel a queued or running job')
      .argument('<id>')
      .addOption(formatOption()),
  ).action(async (id: string, opts: HomeOptions & { format: string }) => {
    const { cancelJob, invoke } = await loadOperations();
    printJob(io, await withFactory(opts, (context) => invoke(cancelJob, context, { id })), opts.format);
  });

  addHomeOptions(
    jobs.command('work').description('run queued jobs in this process until interrupted (Ctrl-C)'),
  ).action(async (opts: HomeOptions) => {
    const factory = await openFactory(opts, { toolsmith: true });
    const [{ startJobPool }, { untilShutdown }] = await Promise.all([
      import('../operations/job-pool.js'),
      import('./serve.js'),
    ]);
    const pool = startJobPool({
      controlPlane: factory.controlPlane,
      registry: factory.registry,
      policy: { decide: () => ({ allowed: true }) },
      toolsmith: factory.toolsmith,
      onError: (error) =>
        io.stderr(`job worker: ${error instanceof Error ? error.message : String(error)}\n`),
    });
    io.stderr(`Running jobs of ${factory.home} as ${pool.owner} (Ctrl-C to stop).\n`);
    // The pool's timers do not hold the process open (a library's must not): this command does.
    const alive = setInterval(() => undefined, 60_000);
    try {
      const reason = await untilShutdown();
      io.stderr(`Stopping (${reason}); running jobs get 10 s to finish.\n`);
      await pool.stop();
    } finally {
      clearInterval(alive);
      await factory.close();
    }
  });
}
