/**
 * How a command ends: the documented exit codes (README, CLI section), the FactoryError code → exit code
 * table, `ExitSignal` (a command stops with a code and no message), and how an error is printed (issues with
 * file:line:col for people, one JSON object for scripts).
 */
import { ERROR_CODES, type FactoryError, formatIssue, type Issue } from '../../core/errors/index.js';
import { logExcerpt } from '../../deploy/log-excerpt.js';
import type { CliIo } from './io.js';

export const EXIT = {
  OK: 0,
  INVALID_INPUT: 1,
  USAGE: 2,
  SECURITY_BLOCKED: 3,
  VALIDATION_FAILED: 4,
  TOOL_FAILED: 5,
  DEPLOYMENT: 6,
  INTERNAL: 70,
} as const;

/** Thrown by a command to stop with this exit code; what went wrong has already been printed. */
export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function exitCodeFor(error: FactoryError): number {
  // Code the code check refused is a security refusal even when another issue of the spec is listed first.
  if (error.issues.some((i) => i.code === 'SPEC_UNSAFE_CODE')) return EXIT.SECURITY_BLOCKED;
  switch (error.code) {
    case 'SECURITY_BLOCKED':
    case 'SPEC_UNSAFE_CODE':
      return EXIT.SECURITY_BLOCKED;
    case 'TYPECHECK_FAILED':
    case 'GENERATED_TESTS_FAILED':
    case 'BUNDLE_FAILED':
    case 'TOOLSMITH_FAILED':
      return EXIT.VALIDATION_FAILED;
    case 'TOOL_CALL_FAILED':
    case 'TOOL_NOT_FOUND':
    case 'SERVER_START_FAILED':
      return EXIT.TOOL_FAILED;
    case 'INVALID_ARGUMENTS':
      return EXIT.USAGE;
    case 'NOT_DEPLOYED':
    case 'DEPLOYMENT_NOT_RUNNING':
    case 'DEPLOY_FAILED':
    case 'DEPLOY_TIMEOUT':
    case 'DEPLOY_TARGET_UNAVAILABLE':
    case 'DEPLOY_MISSING_ENV':
    case 'DEPLOY_PORT_IN_USE':
    case 'SUPERVISOR_RUNNING':
    case 'SUPERVISOR_UNAVAILABLE':
      return EXIT.DEPLOYMENT;
    case 'INTERNAL':
      return EXIT.INTERNAL;
    default:
      return EXIT.INVALID_INPUT;
  }
}

export function printError(io: CliIo, error: FactoryError, json: boolean): void {
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: false, error: error.code, message: error.message, issues: error.issues, details: error.details ?? null }, null, 2)}\n`,
    );
    return;
  }
  const issues: Issue[] = error.issues;
  const single = issues.length === 1 && issues[0]!.message === error.message;
  if (!single) io.stderr(`✖ ${error.message}\n`);
  for (const issue of issues) io.stderr(`${single ? '✖ ' : ''}${formatIssue(issue)}\n`);
  // A deployment's captured output (a server's or the supervisor's log) is capped: a few short lines, never a
  // bundle's source; the log path says where the rest is. Build output (type errors, failing tests) stays whole.
  const output = error.details?.output;
  if (typeof output === 'string' && output.trim()) {
    const shown =
      exitCodeFor(error) === EXIT.DEPLOYMENT
        ? logExcerpt(output.split('\n'), { maxLines: 10, maxChars: 240 }).join('\n')
        : output;
    io.stderr(`\n${shown}\n`);
  }
  const log = error.details?.log;
  if (typeof log === 'string') io.stderr(`  log: ${log}\n`);
  if (!issues.length) io.stderr(`  hint: ${String(error.details?.hint ?? ERROR_CODES[error.code].hint)}\n`);
}
