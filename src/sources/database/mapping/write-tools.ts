/**
 * The write tools of one table (only with `writes: true`): create_ (database defaults for omitted columns),
 * update_ (by primary key; omitted columns keep their value) and delete_ (by primary key). RETURNING is used
 * where the dialect has it; column defaults are spliced into COALESCE only when they are one safe expression.
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import { analyzeSql } from '../../../core/spec/sql.js';
import { type MappingContext, ROW_OR_NULL, type TableTools } from './model.js';
import { shownName } from './screen.js';
import { oneLine, titleOf, writeDescription } from './text.js';
import { keyNote, valueSchema } from './values.js';

export function addWriteTools(ctx: MappingContext, t: TableTools): void {
  const { dialect, options, report } = ctx;
  const { plan, pk, what } = t;
  const { label } = plan;
  // RETURNING: PostgreSQL and SQLite (3.35+) everywhere; MariaDB (10.5+) for INSERT and DELETE only; MySQL never.
  const returning = ctx.schema.kind !== 'mysql';
  const returningClause = returning ? `\nRETURNING ${t.selectList}` : '';
  const updateReturning = ctx.schema.kind === 'postgresql' || ctx.schema.kind === 'sqlite';
  const writeAnnotations = { readOnly: false, openWorld: false };
  const skipExample = { examples: [{ arguments: {}, skip: true }] };

  // ---- create_ ----
  const params: Record<string, ValueSchema> = {};
  const columns: string[] = [];
  const values: string[] = [];
  let creatable = true;
  for (const c of plan.columns) {
    const col = c.column;
    if (col.generated) continue;
    if (col.autoIncrement && col.default === undefined && dialect === 'postgresql') continue; // identity
    if (col.kind === 'binary') {
      if (!col.nullable && col.default === undefined) creatable = false;
      report.skipped.push({
        table: label,
        what: `column ${shownName(col.name)} in write tools`,
        reason: 'binary columns are not writable',
      });
      continue;
    }
    const usableDefault = col.default !== undefined && isSafeDefault(col.default) ? col.default : undefined;
    const required = !col.nullable && usableDefault === undefined && !col.autoIncrement;
    params[c.param] = {
      ...valueSchema(col, options, 'write'),
      ...(required ? { required: true } : {}),
      description: writeDescription(col, usableDefault),
    };
    columns.push(c.ident);
    values.push(
      usableDefault !== undefined ? `COALESCE(${c.bind(c.param)}, ${usableDefault})` : c.bind(c.param),
    );
  }
  if (creatable && columns.length > 0) {
    ctx.addTool(
      {
        name: ctx.toolNames.take(`${ctx.prefix}create_${plan.slug}`),
        title: titleOf('Create', label),
        description: `Insert one row into the ${what}${returning ? ' and return it' : ''}. Omitted columns get their database default (or NULL).`,
        parameters: params,
        annotations: { ...writeAnnotations, destructive: false, idempotent: false },
        ...(returning ? { returns: ROW_OR_NULL } : {}),
        sql: {
          connection: ctx.writeConnection,
          statement: `INSERT INTO ${plan.qualified} (${columns.join(', ')})\nVALUES (${values.join(', ')})${returningClause}`,
          result: returning ? 'row' : 'exec',
        },
        ...skipExample,
      },
      'create',
      label,
    );
  } else {
    report.skipped.push({ table: label, what: 'create tool', reason: 'a required column cannot be written' });
  }
  if (!t.hasPk) {
    report.skipped.push({ table: label, what: 'update and delete tools', reason: 'no primary key' });
    return;
  }

  const keyParams = Object.fromEntries(
    pk.map((c) => [
      c.param,
      {
        ...valueSchema(c.column, options, 'key'),
        required: true,
        description: `${shownName(c.column.name)}${keyNote(c.column, options)} of the row (primary key).`,
      },
    ]),
  );
  const whereKey = `WHERE ${pk.map((c) => `${c.ident} = ${c.bind(c.param)}`).join(' AND ')}`;

  // ---- update_ ----
  const updatable = plan.columns.filter(
    (c) =>
      !c.column.generated && c.column.kind !== 'binary' && !plan.table.primaryKey.includes(c.column.name),
  );
  if (updatable.length > 0) {
    const set: Record<string, ValueSchema> = {};
    for (const c of updatable)
      set[c.param] = {
        ...valueSchema(c.column, options, 'write'),
        description: `New ${shownName(c.column.name)}; omit to keep the current value.${c.column.comment ? ` ${oneLine(c.column.comment)}` : ''}`,
      };
    ctx.addTool(
      {
        name: ctx.toolNames.take(`${ctx.prefix}update_${plan.slug}`),
        title: titleOf('Update', label),
        description: `Change columns of one row of the ${what}, found by primary key; omitted columns keep their value (NULL cannot be set). ${updateReturning ? 'Returns the row, or null when no row has that key.' : 'Returns the number of affected rows.'}`,
        parameters: { ...keyParams, ...set },
        annotations: { ...writeAnnotations, destructive: true, idempotent: true },
        ...(updateReturning ? { returns: ROW_OR_NULL } : {}),
        sql: {
          connection: ctx.writeConnection,
          statement: `UPDATE ${plan.qualified}\nSET ${updatable
            .map((c) => `${c.ident} = COALESCE(${c.bind(c.param)}, ${c.ident})`)
            .join(',\n    ')}\n${whereKey}${updateReturning ? returningClause : ''}`,
          result: updateReturning ? 'row' : 'exec',
        },
        ...skipExample,
      },
      'update',
      label,
    );
  }

  // ---- delete_ ----
  ctx.addTool(
    {
      name: ctx.toolNames.take(`${ctx.prefix}delete_${plan.slug}`),
      title: titleOf('Delete', label),
      description: `Delete one row of the ${what} by primary key. Returns the number of deleted rows (0 when none matched).`,
      parameters: keyParams,
      annotations: { ...writeAnnotations, destructive: true, idempotent: true },
      sql: {
        connection: ctx.writeConnection,
        statement: `DELETE FROM ${plan.qualified}\n${whereKey}`,
        result: 'exec',
      },
      ...skipExample,
    },
    'delete',
    label,
  );
}

/** A default expression that can be spliced into COALESCE: one expression with no placeholder look-alikes. */
export function isSafeDefault(expr: string): boolean {
  if (expr.length > 500) return false;
  const a = analyzeSql(expr);
  return (
    !a.unterminated &&
    !a.multipleStatements &&
    a.placeholders.length === 0 &&
    !/;|--|\/\*|#/.test(expr.replace(/'(?:[^']|'')*'/g, "''"))
  );
}
