/**
 * Runs a generated project's own tests (node --test) and reads the summary, inside the sandbox
 * (platform/sandbox): the project read-only, a private /tmp, the factory home and everything else of the
 * machine absent, its own PID namespace, a non-root uid, rlimits, and no network unless the spec needs it.
 * Without a working sandbox the run is refused (SANDBOX_UNAVAILABLE) unless `unsafeNoSandbox` — never a
 * silent fallback. Output kept is bounded, and a run that prints too much is stopped.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FACTORY_ROOT } from '../../platform/factory-files.js';
import {
  containerCommand,
  copyOwnedBy,
  nodeHeapArgs,
  requireSandbox,
  sandboxCommand,
  TEST_LIMITS,
  testSandboxUid,
} from '../../platform/sandbox/index.js';

export interface TestRunResult {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: string[];
  output: string;
  durationMs: number;
  /** Whether the tests ran inside the sandbox. */
  sandboxed: boolean;
  /** Why the run was stopped early (timeout, too much output), if it was. */
  stopped?: string;
}

export interface TestRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: testTimeoutMs (grows with the number of planned cases). */
  timeoutMs?: number;
  /** Give the tests the machine's network (the spec has database or HTTP connections). Default false. */
  network?: boolean;
  /** Run unconfined when no sandbox is available (CLI `--unsafe-no-sandbox` only). */
  unsafeNoSandbox?: boolean;
  /** Files outside the project the tests must read (SQLite databases named by an environment variable). */
  readOnly?: string[];
  /**
   * Directories of the project the tests may write (its shipped SQLite databases, `data/`): the tests get a
   * scratch copy mounted over each, so the project keeps what was built.
   */
  scratch?: string[];
  /** Paths hidden even if a bound directory contains them (the factory home). */
  hide?: string[];
  /** Stop the run once its output exceeds this many bytes (default 16 MiB). */
  maxOutputBytes?: number;
  /**
   * Run the tests in a container of this image instead of bubblewrap (no network; only the project, the
   * factory's node_modules and `readOnly` bound; only `containerEnv` as environment). Not with `scratch`.
   */
  container?: { image: string; env: Record<string, string>; runtime?: string | undefined };
}

/** A private copy of each directory, writable by the sandbox's uid, to mount over the original. */
function scratchCopies(dirs: string[], owner: number | undefined): { from: string; to: string }[] {
  return dirs
    .filter((dir) => existsSync(dir))
    .map((dir) => {
      const root = mkdtempSync(join(tmpdir(), 'mcpf-scratch-'));
      if (owner !== undefined) chownSync(root, owner, owner);
      const copy = join(root, 'data');
      copyOwnedBy(dir, copy, owner);
      return { from: copy, to: dir };
    });
}

/**
 * The default time limit: two minutes plus 100 ms per planned case (test/cases.json). Each case runs once
 * (the generated test spreads tools over its transports and eras), so the time grows with the tool count.
 */
export function testTimeoutMs(projectDir: string): number {
  let count = 0;
  try {
    const cases = JSON.parse(readFileSync(join(projectDir, 'test', 'cases.json'), 'utf8')) as unknown;
    if (Array.isArray(cases)) count = cases.length;
  } catch {
    // No plan (or an unreadable one): the tests will say so; the base limit applies.
  }
  return 120_000 + 100 * count;
}

/** Output kept in the result: the end of it, where node --test prints its summary. */
const KEEP_BYTES = 256 * 1024;

export async function runGeneratedTests(
  projectDir: string,
  options: TestRunOptions = {},
): Promise<TestRunResult> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const nodeArgs = ['--test', '--test-reporter=tap', 'test/'];
  if (options.container) {
    const c = containerCommand({
      image: options.container.image,
      command: ['node', ...nodeHeapArgs(TEST_LIMITS), ...nodeArgs],
      readOnly: [projectDir, join(FACTORY_ROOT, 'node_modules'), ...(options.readOnly ?? [])],
      env: { LOG_LEVEL: 'warn', ...options.container.env },
      workdir: projectDir,
      memoryMb: Math.floor(TEST_LIMITS.dataBytes / 1024 / 1024),
      cpus: 2,
      processes: TEST_LIMITS.processes,
      tmpMb: Math.floor(TEST_LIMITS.tmpBytes / 1024 / 1024),
      runtime: options.container.runtime,
    });
    return collectRun(c.file, c.args, projectDir, env, options, started, true, [], () =>
      spawn(c.file, ['kill', c.name], { stdio: 'ignore' }).on('error', () => undefined),
    );
  }
  const support = requireSandbox('the generated tests', { unsafeNoSandbox: options.unsafeNoSandbox, env });
  // One uid per run (testSandboxUid picks a fresh one each call): the scratch copies must belong to it.
  const uid = testSandboxUid();
  const scratch = support.available
    ? scratchCopies(options.scratch ?? [], support.mode === 'setuid' ? uid : undefined)
    : [];
  const [command, args] = support.available
    ? (() => {
        const c = sandboxCommand(support, {
          command: [process.execPath, ...nodeHeapArgs(TEST_LIMITS), ...nodeArgs],
          // The project's packages are links into MCP Factory's own node_modules.
          readOnly: [projectDir, join(FACTORY_ROOT, 'node_modules'), ...(options.readOnly ?? [])],
          mounts: scratch.map((m) => ({ ...m, writable: true })),
          hide: options.hide ?? [],
          network: options.network ? 'host' : 'none',
          chdir: projectDir,
          uid,
          dieWithParent: true,
          newSession: true,
          limits: TEST_LIMITS,
        });
        return [c.file, c.args] as const;
      })()
    : ([process.execPath, nodeArgs] as const);
  return collectRun(command, [...args], projectDir, env, options, started, support.available, scratch);
}

/**
 * Run the test command to its end, keeping the tail of its output, within the time and output limits; `stop`
 * also ends what the command started when killing it is not enough (a container).
 */
function collectRun(
  command: string,
  args: readonly string[],
  projectDir: string,
  env: NodeJS.ProcessEnv,
  options: TestRunOptions,
  started: number,
  sandboxed: boolean,
  scratch: Array<{ from: string; to: string }>,
  stop?: () => void,
): Promise<TestRunResult> {
  const maxOutput = options.maxOutputBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? testTimeoutMs(projectDir);
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let total = 0;
    let stopped: string | undefined;
    const kill = () => {
      child.kill('SIGKILL');
      stop?.();
    };
    const collect = (chunk: Buffer) => {
      total += chunk.length;
      output += chunk.toString('utf8');
      if (output.length > 2 * KEEP_BYTES) output = output.slice(-KEEP_BYTES);
      if (total > maxOutput && !stopped) {
        stopped = `output exceeded ${maxOutput} bytes`;
        kill();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => {
      output += `\n${error.message}`;
    });
    const timer = setTimeout(() => {
      stopped ??= `timed out after ${timeoutMs} ms`;
      kill();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const m of scratch) rmSync(dirname(m.from), { recursive: true, force: true });
      const num = (label: string) => Number(new RegExp(`^# ${label} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
      const skipped = [...output.matchAll(/^#\s*(?:\\#\s*)?not run: (.*)$/gm)].map((m) => m[1]!);
      resolve({
        ok: code === 0 && !stopped,
        passed: num('pass'),
        failed: num('fail'),
        skipped,
        output: output.slice(-KEEP_BYTES),
        durationMs: performance.now() - started,
        sandboxed,
        ...(stopped ? { stopped } : {}),
      });
    });
  });
}
