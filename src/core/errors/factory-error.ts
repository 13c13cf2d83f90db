import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Where a problem is: file position and JSON path (both optional, whichever is known). */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
}

/** One problem, as data. Many of them can be reported at once (spec validation). */
export interface Issue extends SourceLocation {
  code: ErrorCode;
  message: string;
  /** JSON path such as `tools[2].parameters.limit.default`; empty for the document root. */
  path: string;
  hint: string;
}

export function makeIssue(
  code: ErrorCode,
  message: string,
  path = '',
  hint: string = ERROR_CODES[code].hint,
): Issue {
  return { code, message, path, hint };
}

/** An error that carries stable codes and issues; the CLI and HTTP layers render it. */
export class FactoryError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: Issue[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FactoryError';
    this.code = code;
    this.issues = options.issues ?? [];
    this.details = options.details;
  }

  get isUserError(): boolean {
    return ERROR_CODES[this.code].kind === 'user';
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, issues: this.issues, details: this.details };
  }
}

/** `file:line:col` (whichever parts are known) followed by the JSON path. */
export function formatLocation(issue: Issue): string {
  const pos = issue.file
    ? [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':')
    : '';
  const path = issue.path ? `at ${issue.path}` : '';
  return [pos, path].filter(Boolean).join(' ');
}

export function formatIssue(issue: Issue): string {
  const where = formatLocation(issue);
  return `${where ? `${where}: ` : ''}${issue.message} [${issue.code}]\n  hint: ${issue.hint}`;
}
