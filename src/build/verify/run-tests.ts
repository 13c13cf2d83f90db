/**
 * Runs a generated project's own tests (node --test) and reads the summary. With `sandbox`, the run happens under
 * bubblewrap: read-only file system except the project and a private /tmp, no network but a private loopback,
 * own PID namespace — for code an LLM wrote. Without bwrap on the machine the run is not sandboxed and says so.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { FACTORY_ROOT } from '../../platform/factory-files.js';

export interface TestRunResult {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: string[];
  output: string;
  durationMs: number;
  /** Whether the tests ran inside the bubblewrap sandbox. */
  sandboxed: boolean;
}

export interface TestRunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Run under bubblewrap when available (no network, read-only root). */
  sandbox?: boolean;
}

export function findBwrap(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'bwrap');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function isBelow(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function sandboxArgs(projectDir: string): string[] {
  return [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    // The private /tmp would hide a factory installed below /tmp, and with it the packages linked into the project.
    ...(isBelow(FACTORY_ROOT, '/tmp') ? ['--ro-bind', FACTORY_ROOT, FACTORY_ROOT] : []),
    '--bind',
    projectDir,
    projectDir,
    '--unshare-net',
    '--unshare-pid',
    '--die-with-parent',
    '--new-session',
    '--chdir',
    projectDir,
    '--',
  ];
}

export function runGeneratedTests(projectDir: string, options: TestRunOptions = {}): Promise<TestRunResult> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const bwrap = options.sandbox ? findBwrap(env) : undefined;
  const nodeArgs = ['--test', '--test-reporter=tap', 'test/'];
  const [command, args] = bwrap
    ? [bwrap, [...sandboxArgs(projectDir), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label: string) => Number(new RegExp(`^# ${label} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
      const skipped = [...output.matchAll(/^#\s*(?:\\#\s*)?not run: (.*)$/gm)].map((m) => m[1]!);
      resolve({
        ok: code === 0,
        passed: num('pass'),
        failed: num('fail'),
        skipped,
        output,
        durationMs: performance.now() - started,
        sandboxed: bwrap !== undefined,
      });
    });
  });
}
