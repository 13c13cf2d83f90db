/** Type-checks a generated project with the TypeScript 7 native compiler (seconds, not minutes). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageDir } from '../../platform/factory-files.js';

const run = promisify(execFile);
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

export interface TypecheckResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  durationMs: number;
}

export function tscPath(): string {
  return join(packageDir('typescript'), 'bin', 'tsc');
}

export async function typecheck(projectDir: string): Promise<TypecheckResult> {
  const started = performance.now();
  try {
    await run(
      process.execPath,
      [tscPath(), '-p', join(projectDir, 'tsconfig.json'), '--noEmit', '--pretty', 'false'],
      {
        cwd: projectDir,
        maxBuffer: 32 * 1024 * 1024,
      },
    );
    return { ok: true, diagnostics: [], durationMs: performance.now() - started };
  } catch (error) {
    const out = `${(error as { stdout?: string }).stdout ?? ''}\n${(error as { stderr?: string }).stderr ?? ''}`;
    const diagnostics = parseDiagnostics(out);
    if (diagnostics.length === 0) {
      diagnostics.push({ file: '', line: 0, column: 0, code: 'TSC', message: out.trim() || String(error) });
    }
    return { ok: false, diagnostics, durationMs: performance.now() - started };
  }
}

export function parseDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const re = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm;
  for (const m of output.matchAll(re)) {
    out.push({
      file: m[1]!.replace(/\\/g, '/'),
      line: Number(m[2]),
      column: Number(m[3]),
      code: m[4]!,
      message: m[5]!,
    });
  }
  return out;
}
