/**
 * Check rules shared by the spec checker and the tool kinds: SQL placeholders, {{template}} placeholders,
 * HTTP header names and values. Each reports through `AddIssue` and never throws.
 */
import type { ErrorCode } from '../errors/index.js';
import type { PathSegment } from './path.js';
import { analyzeSql } from './sql.js';
import { parseTemplate } from './template.js';

/** Records one issue; `needle` is text inside the value that pinpoints the problem (a placeholder). */
export type AddIssue = (
  code: ErrorCode,
  message: string,
  path: PathSegment[],
  hint?: string,
  needle?: string,
) => void;

export function checkSql(statement: string, params: ReadonlySet<string>, path: PathSegment[], add: AddIssue) {
  const analysis = analyzeSql(statement);
  if (analysis.unterminated)
    add('SPEC_INVALID_SQL', `unterminated ${analysis.unterminated} in SQL statement`, path);
  if (analysis.multipleStatements) {
    add(
      'SPEC_INVALID_SQL',
      'the SQL contains more than one statement',
      path,
      'Use a single statement per tool.',
    );
  }
  const used = new Set<string>();
  for (const { name } of analysis.placeholders) {
    used.add(name);
    if (!params.has(name)) {
      add(
        'SPEC_INVALID_SQL',
        `SQL placeholder ":${name}" has no matching parameter`,
        path,
        `Declare parameter "${name}" or fix the placeholder.`,
        `:${name}`,
      );
    }
  }
  return used;
}

export function checkTemplate(
  template: string,
  vars: ReadonlySet<string>,
  path: PathSegment[],
  add: AddIssue,
) {
  const { parts, problems } = parseTemplate(template);
  for (const problem of problems) add('SPEC_INVALID_TEMPLATE', problem.message, path);
  for (const part of parts) {
    if (part.variable !== undefined && !vars.has(part.variable)) {
      add(
        'SPEC_INVALID_TEMPLATE',
        `placeholder {{${part.variable}}} names no parameter`,
        path,
        vars.size ? `Use one of: ${[...vars].join(', ')}.` : 'Declare the parameter first.',
        part.variable,
      );
    }
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function checkHeader(name: string, value: string | undefined, path: PathSegment[], add: AddIssue) {
  if (!HEADER_NAME.test(name)) {
    add(
      'SPEC_INVALID_VALUE',
      `"${name}" is not a valid HTTP header name`,
      path,
      'Header names use letters, digits and - (no spaces or colons).',
    );
  }
  if (value !== undefined && /[\r\n\0]/.test(value)) {
    add(
      'SPEC_INVALID_VALUE',
      `the value of header "${name}" contains a line break or NUL`,
      path,
      'Header values are a single line.',
    );
  }
}

/** Visits every string inside a JSON value with its path. */
export function walkStrings(
  value: unknown,
  path: PathSegment[],
  visit: (s: string, path: PathSegment[]) => void,
): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      walkStrings(v, [...path, i], visit);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
  }
}
