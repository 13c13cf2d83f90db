// Unit tests for the pieces the CLI entry is split into: exit codes (exit.ts) and progress lines (io.ts);
// cli.test.ts covers the same behaviour through whole commands.
import { describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { EXIT, ExitSignal, exitCodeFor, printError } from '../../src/surfaces/cli/exit.js';
import { type CliIo, progressPrinter } from '../../src/surfaces/cli/io.js';
import { EXIT as EXIT_FROM_MAIN } from '../../src/surfaces/cli/main.js';

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY: false,
    stdout: (s: string) => {
      io.out += s;
    },
    stderr: (s: string) => {
      io.err += s;
    },
  };
  return io;
}

describe('exit codes', () => {
  it('maps error codes to the documented exit codes', () => {
    const code = (c: ConstructorParameters<typeof FactoryError>[0]) => exitCodeFor(new FactoryError(c, 'x'));
    expect(code('SECURITY_BLOCKED')).toBe(EXIT.SECURITY_BLOCKED);
    expect(code('TYPECHECK_FAILED')).toBe(EXIT.VALIDATION_FAILED);
    expect(code('TOOL_NOT_FOUND')).toBe(EXIT.TOOL_FAILED);
    expect(code('INVALID_ARGUMENTS')).toBe(EXIT.USAGE);
    expect(code('DEPLOY_TIMEOUT')).toBe(EXIT.DEPLOYMENT);
    expect(code('INTERNAL')).toBe(EXIT.INTERNAL);
    expect(code('SPEC_MISSING_FIELD')).toBe(EXIT.INVALID_INPUT);
  });

  it('keeps EXIT reachable from main.ts and carries the code on ExitSignal', () => {
    expect(EXIT_FROM_MAIN).toBe(EXIT);
    expect(new ExitSignal(5).code).toBe(5);
  });
});

describe('printError', () => {
  it('prints one JSON object on stdout for scripts', () => {
    const io = capture();
    printError(io, new FactoryError('INVALID_ARGUMENTS', 'bad', { details: { a: 1 } }), true);
    expect(JSON.parse(io.out)).toEqual({
      ok: false,
      error: 'INVALID_ARGUMENTS',
      message: 'bad',
      issues: [],
      details: { a: 1 },
    });
    expect(io.err).toBe('');
  });

  it('prints the message, the issues, tool output and a hint for people', () => {
    const io = capture();
    printError(
      io,
      new FactoryError('INVALID_ARGUMENTS', 'bad', { details: { output: 'OUT', hint: 'H' } }),
      false,
    );
    expect(io.err).toBe('✖ bad\n\nOUT\n  hint: H\n');
    const single = capture();
    const issue = { code: 'INVALID_ARGUMENTS' as const, message: 'bad', path: '' };
    printError(single, new FactoryError('INVALID_ARGUMENTS', 'bad', { issues: [issue] }), false);
    // One issue that repeats the message: printed once, as the issue line.
    expect(single.err.startsWith('✖ bad [INVALID_ARGUMENTS]')).toBe(true);
    expect(single.err).not.toContain('✖ bad\n');
  });
});

describe('progressPrinter', () => {
  it('prints finished steps only, and nothing when quiet', () => {
    const io = capture();
    const print = progressPrinter(io, false);
    print({ step: 'generate', status: 'start' } as never);
    print({ step: 'generate', status: 'done', ms: 12.4, detail: '45 files\nmore' } as never);
    print({ step: 'tests', status: 'skipped' } as never);
    expect(io.err).toBe(`✔ ${'generate'.padEnd(16)}  45 files (12 ms)\n– ${'tests'.padEnd(16)}\n`);
    const quiet = capture();
    progressPrinter(quiet, true)({ step: 'generate', status: 'failed', ms: 1 } as never);
    expect(quiet.err).toBe('');
  });
});
