/**
 * Pages of paginated sql tools. With a key (list_ tools of imported tables: the sort column, then the primary
 * key) pages are keyset pages: the next page starts after the last row's key values, compared with bound
 * parameters, so a deep page costs what the first one does. Without one (hand-written statements) pages use
 * OFFSET over the statement's own order.
 *
 * Cursors are opaque and signed: `base64url(payload).base64url(hmac)`. The payload holds the position (key values
 * or offset) and a keyed hash of what the page depends on (tool, statement, sort, direction, filter values), so a
 * cursor replayed on another tool or with other arguments is refused, and a forged or edited one fails the MAC.
 * The key is MCP_CURSOR_SECRET when set (several replicas, restarts), else random per process.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ToolError } from './errors.js';

export type PageDialect = 'postgresql' | 'mysql' | 'sqlite';

/** A result column of the statement that orders the pages. */
export interface KeyColumn {
  column: string;
  /** Whether the column can hold NULL (adds the NULL group to the keyset predicate). */
  nullable?: boolean;
}

export interface KeysetDefinition {
  /** Unique and non-null together (the primary key): the tiebreak after the sort column. */
  key: KeyColumn[];
  /** The parameter whose value picks the sort column, and the columns by value. */
  sort?: { parameter: string; columns: Record<string, KeyColumn> };
  /** The parameter whose value is `asc` or `desc`. */
  direction?: string;
}

export interface PageDefinition {
  defaultLimit: number;
  maxLimit: number;
  /** The tool's name: part of what a cursor is bound to. */
  tool?: string;
  dialect?: PageDialect;
  keyset?: KeysetDefinition;
}

export interface PageQuery {
  text: string;
  values: unknown[];
  limit: number;
  /** Builds the cursor of the page that follows `rows` (the rows of this page, in order). */
  next(rows: Record<string, unknown>[]): string;
}

/** Longest cursor accepted (key values of a long text column fit; anything larger is not one of ours). */
const MAX_CURSOR_LENGTH = 16_384;
const MAC_BYTES = 16;
const INVALID_HINT = 'pass the nextCursor value from the previous page unchanged, or omit cursor';

let secret: Buffer | undefined;
function cursorSecret(): Buffer {
  secret ??= process.env.MCP_CURSOR_SECRET
    ? createHash('sha256').update(`mcp-cursor\0${process.env.MCP_CURSOR_SECRET}`).digest()
    : randomBytes(32);
  return secret;
}

function mac(data: string): Buffer {
  return createHmac('sha256', cursorSecret()).update(data).digest().subarray(0, MAC_BYTES);
}

interface Position {
  /** Keyed hash of the query binding. */
  b: string;
  /** Key values of the last row (keyset pages). */
  k?: unknown[];
  /** Rows already returned (offset pages). */
  o?: number;
}

function encodeCursor(position: Position): string {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${payload}.${mac(payload).toString('base64url')}`;
}

/** Verifies the MAC, then the binding; only then is the position read. */
function decodeCursor(cursor: unknown, binding: string): Position | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH)
    throw new ToolError(`invalid cursor: ${INVALID_HINT}`);
  const [payload, tag, extra] = cursor.split('.');
  const given = Buffer.from(tag ?? '', 'base64url');
  if (
    extra !== undefined ||
    !payload ||
    given.length !== MAC_BYTES ||
    !timingSafeEqual(given, mac(payload))
  ) {
    throw new ToolError(
      `invalid cursor: it was not issued by this server (edited, truncated, or from before a restart without MCP_CURSOR_SECRET); ${INVALID_HINT}`,
    );
  }
  let position: Position;
  try {
    position = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Position;
  } catch {
    throw new ToolError(`invalid cursor: ${INVALID_HINT}`);
  }
  if (position?.b !== binding) {
    throw new ToolError(
      'cursor does not match this call: it was issued by another tool or with other filters, sort or direction; repeat the arguments of the first page (only limit may change), or omit cursor to start again',
    );
  }
  return position;
}

/** The keyed hash of everything a page depends on, except limit and cursor. */
function bindingOf(def: PageDefinition, text: string, values: unknown[], order: unknown): string {
  return mac(JSON.stringify([def.tool ?? '', text, values, order])).toString('base64url');
}

function quote(dialect: PageDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), min), max) : min;
}

/** Only JSON scalars can be key values (rows are JSON-safe already). */
function isScalar(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/**
 * The page query over `text` (already in the driver's placeholder style, `values` bound to it), and how to make
 * the next cursor. Throws a ToolError for a bad cursor or sort argument.
 */
export function pageQuery(
  def: PageDefinition,
  text: string,
  values: unknown[],
  args: Record<string, unknown>,
): PageQuery {
  const limit = clamp(Number(args.limit ?? def.defaultLimit), 1, def.maxLimit);
  if (!def.keyset) return offsetPage(def, text, values, args, limit);
  return keysetPage(def, def.keyset, text, values, args, limit);
}

function offsetPage(
  def: PageDefinition,
  text: string,
  values: unknown[],
  args: Record<string, unknown>,
  limit: number,
): PageQuery {
  const binding = bindingOf(def, text, values, null);
  const o = decodeCursor(args.cursor, binding)?.o ?? 0;
  if (!Number.isSafeInteger(o) || o < 0) throw new ToolError(`invalid cursor: ${INVALID_HINT}`);
  return {
    text: `SELECT * FROM (${text}) AS mcp_page LIMIT ${limit + 1} OFFSET ${o}`,
    values,
    limit,
    next: () => encodeCursor({ b: binding, o: o + limit }),
  };
}

function keysetPage(
  def: PageDefinition,
  keyset: KeysetDefinition,
  text: string,
  values: unknown[],
  args: Record<string, unknown>,
  limit: number,
): PageQuery {
  const dialect = def.dialect ?? 'postgresql';
  let sortColumn: KeyColumn | undefined;
  if (keyset.sort) {
    const chosen = String(args[keyset.sort.parameter] ?? '');
    sortColumn = Object.hasOwn(keyset.sort.columns, chosen) ? keyset.sort.columns[chosen] : undefined;
    if (!sortColumn)
      throw new ToolError(
        `${keyset.sort.parameter} must be one of: ${Object.keys(keyset.sort.columns).join(', ')}`,
      );
  }
  const direction = keyset.direction ? String(args[keyset.direction] ?? 'asc') : 'asc';
  if (direction !== 'asc' && direction !== 'desc')
    throw new ToolError(`${keyset.direction} must be asc or desc`);
  // The sort column, then the key columns it is not already one of: unique and totally ordered.
  const columns = [
    ...(sortColumn ? [sortColumn] : []),
    ...keyset.key.filter((k) => k.column !== sortColumn?.column),
  ];
  const binding = bindingOf(def, text, values, [sortColumn?.column ?? null, direction]);
  const position = decodeCursor(args.cursor, binding);
  const last = position?.k;
  if (position && (!Array.isArray(last) || last.length !== columns.length || !last.every(isScalar)))
    throw new ToolError(`invalid cursor: ${INVALID_HINT}`);

  const bound = [...values];
  const placeholder = (value: unknown): string => {
    bound.push(value);
    return dialect === 'postgresql' ? `$${bound.length}` : '?';
  };
  const where = last ? after(dialect, direction, columns, last, placeholder) : undefined;
  const dir = direction === 'asc' ? 'ASC' : 'DESC';
  const order = columns.map((c) => `mcp_page.${quote(dialect, c.column)} ${dir}`).join(', ');
  return {
    text: `SELECT * FROM (${text}) AS mcp_page${where ? ` WHERE ${where}` : ''} ORDER BY ${order} LIMIT ${limit + 1}`,
    values: bound,
    limit,
    next(rows) {
      const row = rows[rows.length - 1];
      if (!row) throw new ToolError('no row to continue from');
      const k = columns.map((c) => {
        if (!Object.hasOwn(row, c.column))
          throw new ToolError(`paging column "${c.column}" is not in the statement's result`);
        return row[c.column];
      });
      return encodeCursor({ b: binding, k });
    },
  };
}

/**
 * Rows strictly after `last` in the order `columns dir` (lexicographic). NULL sorts as the largest value on
 * PostgreSQL and as the smallest on MySQL/MariaDB and SQLite (each dialect's own order, which its indexes follow).
 * A leading range condition on the first column lets the database start an index scan at the position.
 */
function after(
  dialect: PageDialect,
  direction: 'asc' | 'desc',
  columns: KeyColumn[],
  last: unknown[],
  placeholder: (value: unknown) => string,
): string {
  const nullsAfter = (dialect === 'postgresql') === (direction === 'asc');
  const gt = direction === 'asc' ? '>' : '<';
  const ident = (c: KeyColumn) => `mcp_page.${quote(dialect, c.column)}`;
  const equal = (c: KeyColumn, v: unknown) =>
    v === null ? `${ident(c)} IS NULL` : `${ident(c)} = ${placeholder(v)}`;
  /** Strictly after `v` in this column's order (v is not a NULL that sorts last). */
  const beyond = (c: KeyColumn, v: unknown): string => {
    if (v === null) return `${ident(c)} IS NOT NULL`;
    const strict = `${ident(c)} ${gt} ${placeholder(v)}`;
    return c.nullable && nullsAfter ? `(${strict} OR ${ident(c)} IS NULL)` : strict;
  };
  // Built first: its placeholders come first in the text (`?` placeholders bind in order).
  const first = columns[0]!;
  const v = last[0];
  const start =
    v === null
      ? nullsAfter
        ? `${ident(first)} IS NULL`
        : undefined
      : first.nullable && nullsAfter
        ? `(${ident(first)} ${gt}= ${placeholder(v)} OR ${ident(first)} IS NULL)`
        : `${ident(first)} ${gt}= ${placeholder(v)}`;
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (last[i] === null && nullsAfter) continue; // nothing is after NULL in this column
    const prefix = columns.slice(0, i).map((c, j) => equal(c, last[j]));
    terms.push([...prefix, beyond(columns[i]!, last[i])].join(' AND '));
  }
  // Only when every value is NULL and NULL sorts last (then `start` bound nothing).
  if (terms.length === 0) return '1 = 0';
  const any = terms.length === 1 ? terms[0]! : terms.map((t) => `(${t})`).join(' OR ');
  return start ? `${start} AND (${any})` : any;
}
