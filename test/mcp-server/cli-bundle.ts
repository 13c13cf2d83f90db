/**
 * The serve/mcp/token commands bundled into one .mjs (esbuild, packages external) so tests can run them as a
 * real process without building dist/. The bundle sits two levels below the repository root, where the
 * factory finds its own files (package.json, runtime/) as it does from dist/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { runProcess } from '../helpers/run.js';

const ROOT = resolve(import.meta.dirname, '../..');

let bundled: Promise<string> | undefined;

export function cliBundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = join(ROOT, '.tmp', 'mcp-server-test');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `cli-${process.pid}.mjs`);
    await build({
      entryPoints: [join(ROOT, 'test/mcp-server/fixtures/cli-entry.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundled;
}

/** Delete this process's bundle (call in afterAll). */
export async function removeCliBundle(): Promise<void> {
  if (!bundled) return;
  const file = await bundled.catch(() => undefined);
  bundled = undefined;
  if (file) rmSync(file, { force: true });
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run the bundled CLI to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const bundle = await cliBundle();
  return runProcess(process.execPath, [bundle, ...args], { env: { ...process.env, ...env } });
}

/** Start a long-running command and wait for a line of its stderr to match. */
export async function startCli(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<{
  match: RegExpExecArray;
  stop(): Promise<{ code: number | null; err: string }>;
  stderr(): string;
}> {
  const bundle = await cliBundle();
  const child = spawn(process.execPath, [bundle, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${err}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${err}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    match,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve({ code: child.exitCode, err });
        child.once('exit', (code) => resolve({ code, err }));
        child.kill('SIGTERM');
      }),
  };
}
