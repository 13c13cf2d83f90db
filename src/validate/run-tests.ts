/** Runs a generated project's own tests (node --test) and reads the summary. */
import { spawn } from 'node:child_process';

export interface TestRunResult {
  ok: boolean;
  passed: number;
  failed: number;
  skipped: string[];
  output: string;
  durationMs: number;
}

export function runGeneratedTests(
  projectDir: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 120_000,
): Promise<TestRunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', 'test/'], {
      cwd: projectDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
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
      });
    });
  });
}
