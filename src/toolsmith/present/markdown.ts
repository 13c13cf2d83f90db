/**
 * The Markdown summary of a result: the question, then a one-line answer (one value, or one row of a few
 * columns) or a table of at most MAX_TABLE_ROWS rows that says how many were left out, then notes (truncation,
 * chart caps, which tool answered). Every piece of data is escaped by format.ts; the only Markdown syntax in
 * the output is the one written here. Pure functions, no I/O.
 */
import type { ColumnInfo } from './columns.js';
import { escapeMarkdownText, formatCell, type Scalar } from './format.js';

/** Tool names shown verbatim in a code span: the spec's TOOL_NAME characters (no backtick). */
const TOOL_NAME_SAFE = /^[A-Za-z0-9_.-]{1,128}$/;

export const MAX_TABLE_ROWS = 50;
export const MAX_TABLE_COLUMNS = 20;
/** A single row with at most this many columns is written as one line instead of a table. */
export const MAX_INLINE_COLUMNS = 6;

export interface SummaryInput {
  question: string;
  rows: Record<string, Scalar>[];
  columns: ColumnInfo[];
  truncated?: boolean;
  toolName?: string;
  reused?: boolean;
  /** Extra sentences (already Markdown-safe, written by this module's callers, not from data). */
  notes?: string[];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function table(rows: Record<string, Scalar>[], columns: ColumnInfo[]): string {
  const header = `| ${columns.map((c) => escapeMarkdownText(c.name) || ' ').join(' | ')} |`;
  const rule = `| ${columns.map((c) => (c.kind === 'numeric' ? '---:' : '---')).join(' | ')} |`;
  const body = rows.map(
    (r) => `| ${columns.map((c) => formatCell(r[c.name] ?? null, c.name)).join(' | ')} |`,
  );
  return [header, rule, ...body].join('\n');
}

/** The Markdown text. */
export function summarize(input: SummaryInput): string {
  const { rows } = input;
  const parts: string[] = [`**Question:** ${escapeMarkdownText(input.question) || '*(none)*'}`];
  const shownColumns = input.columns.slice(0, MAX_TABLE_COLUMNS);
  const hiddenColumns = input.columns.length - shownColumns.length;

  if (rows.length === 0) {
    parts.push(input.truncated ? '**Answer:** no rows were returned.' : '**Answer:** no rows matched.');
  } else if (rows.length === 1 && input.columns.length === 1) {
    const c = input.columns[0] as ColumnInfo;
    const value = formatCell(rows[0]?.[c.name] ?? null, c.name);
    parts.push(`**Answer:** ${value} (${escapeMarkdownText(c.name)})`);
  } else if (rows.length === 1 && input.columns.length <= MAX_INLINE_COLUMNS) {
    const row = rows[0] as Record<string, Scalar>;
    const fields = input.columns.map(
      (c) => `${escapeMarkdownText(c.name)}: ${formatCell(row[c.name] ?? null, c.name)}`,
    );
    parts.push(`**Answer:** ${fields.join(' · ')}`);
  } else {
    const shown = rows.slice(0, MAX_TABLE_ROWS);
    parts.push(table(shown, shownColumns));
    const omitted: string[] = [];
    if (rows.length > shown.length) {
      omitted.push(
        `${plural(rows.length - shown.length, 'more row')} not shown (${plural(rows.length, 'row')} in all)`,
      );
    }
    if (hiddenColumns > 0) omitted.push(`${plural(hiddenColumns, 'more column')} not shown`);
    if (omitted.length > 0) parts.push(`*${omitted.join('; ')}.*`);
  }
  if (input.truncated) {
    parts.push('*The result was cut at the row limit: the answer may be incomplete.*');
  }
  for (const note of input.notes ?? []) parts.push(`*${note}*`);
  if (input.toolName !== undefined) {
    const name = TOOL_NAME_SAFE.test(input.toolName)
      ? `\`${input.toolName}\``
      : escapeMarkdownText(input.toolName);
    parts.push(
      `*Answered by ${name}${input.reused ? ', an existing tool that was reused' : ', a new tool'}.*`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}
