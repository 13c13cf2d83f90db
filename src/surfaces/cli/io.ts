/**
 * Where the command line writes: results on stdout, progress and diagnostics on stderr. Commands receive a
 * `CliIo` so tests can capture both streams; `defaultIo` is the process's own.
 */
import type { ProgressEvent } from '../../build/create.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

/** One stderr line per finished build step (`✔ typecheck (812 ms)`); silent when `quiet` (JSON output). */
export function progressPrinter(io: CliIo, quiet: boolean): (e: ProgressEvent) => void {
  return (e) => {
    if (quiet || e.status === 'start') return;
    const mark = e.status === 'done' ? '✔' : e.status === 'skipped' ? '–' : '✖';
    const ms = 'ms' in e ? ` (${Math.round(e.ms)} ms)` : '';
    const detail = 'detail' in e && e.detail ? `  ${e.detail.split('\n')[0]}` : '';
    io.stderr(`${mark} ${e.step.padEnd(16)}${detail}${ms}\n`);
  };
}
