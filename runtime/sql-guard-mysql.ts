/**
 * MySQL/MariaDB guard. node-sql-parser (MariaDB grammar) decides the statement's structure; before it, a
 * strict lexical gate removes every construct whose meaning depends on the server's sql_mode or that the
 * server executes but a parser skips: backslashes (NO_BACKSLASH_ESCAPES), double quotes (ANSI_QUOTES),
 * comments of every form (`#`, `-- `, `/* … *\/`, executable `/*! … *\/` and `/*M! … *\/`), user and system
 * variables (`@x`, `@@x`: session state on a pooled connection), and statement separators. What remains has one
 * reading on every server. Accepted: one SELECT (or WITH … SELECT, EXPLAIN of one, SHOW TABLES) without
 * INTO, locking reads or functions outside sql-allow-mysql.ts. Loading it registers the guard.
 */
import { MYSQL_FUNCTIONS } from './sql-allow-mysql.js';
import { READ_ONLY_FIX, refuse, refuseFunction, registerQueryGuard } from './sql-guard.js';

type Ast = Record<string, unknown>;
interface SqlParser {
  astify(sql: string, options?: { database?: string }): Ast | Ast[];
}

let parser: SqlParser | undefined;
async function loadParser(): Promise<SqlParser> {
  if (!parser) {
    const mod = (await import('node-sql-parser/build/mariadb.js')) as unknown as {
      Parser?: new () => SqlParser;
      default?: { Parser: new () => SqlParser };
    };
    const Parser = mod.Parser ?? mod.default?.Parser;
    if (!Parser) throw new Error('node-sql-parser has no Parser export');
    parser = new Parser();
  }
  return parser;
}

/** Returns the statement text without a trailing `;`, or refuses what the lexical gate does not allow. */
export function lexicalGate(sql: string): string {
  let end = sql.length;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '\\') refuse('backslashes are not allowed', BACKSLASH_FIX);
    if (c === "'" || c === '`') {
      // Quotes are doubled to escape them in both modes once backslashes are gone.
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) refuse('unterminated quoted string or identifier', 'Close the quote');
        if (sql[j] === '\\') refuse('backslashes are not allowed', BACKSLASH_FIX);
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      i = j;
      continue;
    }
    if (c === '"') {
      refuse(
        'double quotes are not allowed (strings or identifiers depending on ANSI_QUOTES)',
        "Use 'single quotes' for strings and `backticks` for identifiers",
      );
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*')) {
      refuse(
        'comments are not allowed in queries (MySQL runs /*! … */ comments as code)',
        'Remove the comment',
      );
    }
    if (c === '@') {
      refuse(
        'user and system variables (@x, @@x) are not allowed',
        'Pass values as params with ? placeholders',
      );
    }
    if (c === ';') {
      if (sql.slice(i + 1).trim() !== '') refuse('found more than one statement', READ_ONLY_FIX);
      end = i;
      break;
    }
  }
  return sql.slice(0, end).trim();
}

const BACKSLASH_FIX =
  "Their meaning depends on sql_mode NO_BACKSLASH_ESCAPES; double a quote to escape it ('it''s') and use CHAR(92) for a backslash";

export async function guardMysql(sql: string): Promise<string> {
  const statement = lexicalGate(sql);
  const p = await loadParser();
  let ast: Ast | Ast[];
  try {
    ast = p.astify(statement, { database: 'MariaDB' });
  } catch (error) {
    refuse(
      `the MySQL/MariaDB parser cannot read it (${String((error as Error).message).slice(0, 200)})`,
      'Simplify the query (the guard accepts the common SELECT syntax and refuses what it cannot parse)',
    );
  }
  const list = Array.isArray(ast) ? ast : [ast];
  if (list.length !== 1 || !list[0]) refuse(`found ${list.length} statements`, READ_ONLY_FIX);
  checkStatement(list[0]);
  return statement;
}

function checkStatement(stmt: Ast): void {
  if (stmt.type === 'select') {
    checkTree(stmt);
    return;
  }
  if (stmt.type === 'explain') {
    const inner = stmt.expr as Ast | undefined;
    if (inner?.type !== 'select') refuse('EXPLAIN of a statement other than a SELECT', READ_ONLY_FIX);
    checkTree(inner);
    return;
  }
  if (stmt.type === 'show' && stmt.keyword === 'tables' && Object.keys(stmt).length === 2) return;
  refuse(
    `a ${String(stmt.type ?? 'unknown').toUpperCase()} statement is not a read-only query`,
    READ_ONLY_FIX,
  );
}

/** Walk every node: no INTO, no locking read, no variables, only allow-listed functions. */
function checkTree(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) checkTree(item);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const node = value as Ast;
  const into = node.into as Ast | undefined;
  if (into && (into.type || into.keyword || into.expr || into.position)) {
    refuse('SELECT … INTO writes a file or variables', READ_ONLY_FIX);
  }
  if (node.locking_read)
    refuse('locking reads (FOR UPDATE, LOCK IN SHARE MODE) take row locks', READ_ONLY_FIX);
  if (node.type === 'var') refuse('variables are not allowed', 'Pass values as params with ? placeholders');
  if (node.type === 'function' || node.type === 'aggr_func') checkFunction(node);
  if (
    node.type &&
    typeof node.type === 'string' &&
    /^(insert|update|delete|replace|create|drop|alter)/.test(node.type)
  ) {
    refuse(`a nested ${node.type.toUpperCase()} is not allowed`, READ_ONLY_FIX);
  }
  for (const child of Object.values(node)) checkTree(child);
}

function checkFunction(node: Ast): void {
  const name = node.name as unknown;
  let parts: string[];
  if (typeof name === 'string') parts = [name];
  else if (name && typeof name === 'object' && Array.isArray((name as Ast).name)) {
    const n = name as { name: Array<{ value?: unknown }>; schema?: { value?: unknown } };
    parts = [...(n.schema ? [String(n.schema.value)] : []), ...n.name.map((x) => String(x.value ?? ''))];
  } else refuseFunction(JSON.stringify(name));
  const shown = parts.join('.');
  // Qualified names reach stored functions; unqualified built-ins cannot be shadowed by them.
  if (parts.length !== 1 || !MYSQL_FUNCTIONS.has(parts[0]!.toLowerCase())) refuseFunction(shown);
}

registerQueryGuard(['mysql', 'mariadb'], (sql) => guardMysql(sql));
