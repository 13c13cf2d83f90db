/** Identifier quoting per dialect. Only introspected names are ever quoted; values are always bound. */
import type { SqlDialectName } from './types.js';

/** `"name"` for PostgreSQL and SQLite, `` `name` `` for MySQL; embedded quote characters are doubled. */
export function quoteIdent(dialect: SqlDialectName, name: string): string {
  if (name.includes('\0')) throw new Error('identifiers cannot contain NUL characters');
  return dialect === 'mysql' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
}

/** A string literal for text the importer chose itself (parameter names): never user data. */
export function safeLiteral(text: string): string {
  if (!/^[A-Za-z0-9_]*$/.test(text)) throw new Error(`not a safe literal: ${text}`);
  return `'${text}'`;
}
