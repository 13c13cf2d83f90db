/**
 * Database text is untrusted: whoever can COMMENT ON a table can write into every tool description the server
 * publishes. Comments are capped, stripped of control characters and dropped (with a DB_UNTRUSTED_TEXT notice)
 * when they read as instructions, links or markup; names are kept (they are needed to address the data) but
 * flagged the same way, and shown only with control characters removed.
 */
import { makeIssue } from '../../../core/errors/index.js';
import { cleanLine, screenText } from '../../../core/text/untrusted.js';
import type { ColumnInfo, DatabaseSchema, TableInfo } from '../types.js';
import type { ImportReport } from './model.js';

/** Longest comment that reaches a description. */
export const COMMENT_MAX = 300;

/** A name as shown in prose: no control or bidi characters, bounded. */
export function shownName(name: string): string {
  return cleanLine(name, 128) ?? '?';
}

function screenComment(comment: string | undefined, where: string, report: ImportReport): string | undefined {
  if (comment === undefined) return undefined;
  const { text, flags } = screenText(comment, COMMENT_MAX);
  if (text === undefined) return undefined;
  if (flags.length > 0) {
    report.notices.push(
      makeIssue(
        'DB_UNTRUSTED_TEXT',
        `the comment on ${where} was left out of the tool descriptions: it ${flags.join(', ')}`,
      ),
    );
    return undefined;
  }
  return text;
}

function flagName(name: string, where: string, report: ImportReport): void {
  // A plain identifier (delete_log, get_user_id) cannot carry prose, links or markup.
  if (/^[\p{L}\p{N}_$]+$/u.test(name)) return;
  const { flags } = screenText(name, 256);
  if (flags.length > 0)
    report.notices.push(
      makeIssue(
        'DB_UNTRUSTED_TEXT',
        `the name of ${where} ${flags.join(', ')}; it is kept (tools need it) but review the generated descriptions`,
        '',
        'Rename the object, or leave it out with --tables.',
      ),
    );
}

/** The schema with every comment screened; notices go to the report. */
export function screenSchema(schema: DatabaseSchema, report: ImportReport): DatabaseSchema {
  const tables = schema.tables.map((table): TableInfo => {
    const label = JSON.stringify(`${table.schema}.${shownName(table.name)}`);
    flagName(table.name, `table ${label}`, report);
    const comment = screenComment(table.comment, `table ${label}`, report);
    const columns = table.columns.map((column): ColumnInfo => {
      const where = `column ${JSON.stringify(shownName(column.name))} of ${label}`;
      flagName(column.name, where, report);
      const c = screenComment(column.comment, where, report);
      const { comment: _dropped, ...rest } = column;
      return c === undefined ? rest : { ...rest, comment: c };
    });
    const { comment: _dropped, ...rest } = table;
    return { ...rest, ...(comment === undefined ? {} : { comment }), columns };
  });
  return { ...schema, tables };
}
