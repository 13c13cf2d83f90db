/**
 * The prose of the database mapping: tool titles, column lists and parameter descriptions. Everything taken
 * from the database (comments, names) is folded to one line and capped so descriptions stay bounded.
 */
import type { ColumnInfo, DatabaseSchema, TableInfo } from '../types.js';
import type { ColumnPlan, TablePlan } from './model.js';
import { shownName } from './screen.js';

export function titleOf(verb: string, label: string): string {
  const title = `${verb} ${label}`;
  return title.length > 200 ? `${title.slice(0, 199)}…` : title;
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function dialectLabel(kind: DatabaseSchema['kind']): string {
  return { postgresql: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB', sqlite: 'SQLite' }[kind];
}

/** How a value of this column is written, for kinds whose JSON form is not obvious. */
function kindNote(column: ColumnInfo): string {
  switch (column.kind) {
    case 'datetime':
      return ' (date and time, e.g. 2024-01-31 13:45:00)';
    case 'json':
      return ' (JSON text)';
    case 'other':
      return ` (${column.dataType}, as text)`;
    default:
      return '';
  }
}

/** The description of a list_ equality filter, with the foreign key it follows and the column comment. */
export function filterDescription(c: ColumnPlan, table: TableInfo): string {
  const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.column.name);
  return [
    `Only rows whose ${shownName(c.column.name)} equals this value${kindNote(c.column)}.`,
    fk ? `References ${shownName(fk.referencedTable)}.${shownName(fk.referencedColumns[0] ?? '')}.` : '',
    c.column.comment ? oneLine(c.column.comment) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The description of a create_ parameter: how the database fills it when omitted. */
export function writeDescription(column: ColumnInfo, usableDefault: string | undefined): string {
  return [
    `${shownName(column.name)}${kindNote(column)}.`,
    column.autoIncrement ? 'Assigned by the database when omitted.' : '',
    usableDefault !== undefined && !column.autoIncrement ? `Default: ${usableDefault.slice(0, 100)}.` : '',
    column.comment ? oneLine(column.comment) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** `Columns: a (integer, primary key), b (string, nullable, → t.c), …` — at most 60 columns. */
export function describeColumnList(plan: TablePlan, pk: ColumnPlan[], table: TableInfo): string {
  const parts = plan.columns.slice(0, 60).map((c) => {
    const notes = [
      c.column.kind === 'other' ? c.column.dataType : c.column.kind,
      pk.includes(c) ? 'primary key' : '',
      c.column.nullable ? 'nullable' : '',
    ].filter(Boolean);
    const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.column.name);
    if (fk) notes.push(`→ ${shownName(fk.referencedTable)}.${shownName(fk.referencedColumns[0] ?? '')}`);
    return `${shownName(c.column.name)} (${notes.join(', ')})`;
  });
  const more = plan.columns.length > 60 ? `, … ${plan.columns.length - 60} more` : '';
  return `Columns: ${parts.join(', ')}${more}.`;
}
