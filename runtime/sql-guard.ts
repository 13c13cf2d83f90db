/**
 * Guards the ad-hoc `query` tool: exactly one read-only statement, no comments. This is a first line only;
 * the read-only transaction, statement timeout and row limit are what make it safe.
 */
import { ToolError } from './errors.js';

const ALLOWED_FIRST_WORDS = new Set(['SELECT', 'WITH', 'VALUES', 'EXPLAIN', 'SHOW', 'TABLE']);

export function guardReadOnlySql(sql: string): string {
  let i = 0;
  let end = sql.length;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if ((c === '-' && next === '-') || c === '#' || (c === '/' && next === '*')) {
      throw new ToolError('comments are not allowed in queries; remove them');
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new ToolError('unterminated string or quoted identifier in the query');
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        if (close === -1) throw new ToolError('unterminated dollar-quoted string in the query');
        i = close + tag.length;
        continue;
      }
    }
    if (c === ';') {
      if (sql.slice(i + 1).trim() !== '') throw new ToolError('only one statement is allowed per query');
      end = i;
      break;
    }
    i++;
  }
  const statement = sql.slice(0, end).trim();
  const first = /^[\s(]*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase();
  if (!first || !ALLOWED_FIRST_WORDS.has(first)) {
    throw new ToolError(
      `only read-only queries are allowed (SELECT, WITH, VALUES, EXPLAIN, SHOW); got ${first ?? 'nothing'}`,
    );
  }
  return statement;
}
