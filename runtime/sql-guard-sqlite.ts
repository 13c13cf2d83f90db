/**
 * SQLite guard: the SQLite engine itself is the parser. The text must be one SELECT / WITH / VALUES (or EXPLAIN
 * [QUERY PLAN] of one) with no comments; then the connection compiles it with EXPLAIN and the compiled program
 * is checked: every function it calls is on the allow-list (sql-allow-sqlite.ts; ATTACH compiles to a
 * function too), the transaction it opens is a read, and no write/schema/pragma opcode appears. What the
 * engine compiles is what runs, so the check and the execution cannot read the text differently.
 * Loading it registers the guard for sqlite connections.
 */
import { SQLITE_FUNCTION_OPCODES, SQLITE_FUNCTIONS, SQLITE_WRITE_OPCODES } from './sql-allow-sqlite.js';
import { type GuardContext, READ_ONLY_FIX, refuse, refuseFunction, registerQueryGuard } from './sql-guard.js';

/**
 * SQLite's lexer has no modes: '…' strings, "…" and `…` identifiers (doubled to escape), […] identifiers.
 * Returns the text without a trailing `;`; refuses comments and a second statement.
 */
export function sqliteLexicalGate(sql: string): string {
  let end = sql.length;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) refuse('unterminated quoted string or identifier', 'Close the quote');
        if (c !== '[' && sql[j] === close && sql[j + 1] === close) j += 2;
        else if (sql[j] === close) break;
        else j++;
      }
      i = j;
      continue;
    }
    if ((c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*')) {
      refuse('comments are not allowed in queries', 'Remove the comment');
    }
    if (c === ';') {
      if (sql.slice(i + 1).trim() !== '') refuse('found more than one statement', READ_ONLY_FIX);
      end = i;
      break;
    }
  }
  return sql.slice(0, end).trim();
}

const LEADING = /^(EXPLAIN\s+(?:QUERY\s+PLAN\s+)?)?(SELECT|WITH|VALUES)\b/i;

export async function guardSqlite(sql: string, { db, params }: GuardContext): Promise<string> {
  const statement = sqliteLexicalGate(sql);
  const leading = LEADING.exec(statement);
  if (!leading) {
    const first = /^\S*/.exec(statement)?.[0]?.toUpperCase() || 'nothing';
    refuse(`a statement starting with ${first} is not a read-only query`, READ_ONLY_FIX);
  }
  // Compile (never run) the query itself; an EXPLAIN prefix of the caller's is stripped first.
  const inner = statement.slice(leading[1]?.length ?? 0);
  let program: Array<Record<string, unknown>>;
  try {
    program = (await db.query(`EXPLAIN ${inner}`, params, { readOnly: true })).rows;
  } catch (error) {
    refuse(`SQLite cannot compile it (${(error as Error).message})`, 'Fix the syntax');
  }
  for (const op of program) {
    const opcode = String(op.opcode ?? '');
    if (SQLITE_WRITE_OPCODES.has(opcode) || (opcode === 'Transaction' && Number(op.p2) !== 0)) {
      refuse(`it compiles to a write or session change (${opcode})`, READ_ONLY_FIX);
    }
    if (SQLITE_FUNCTION_OPCODES.has(opcode)) {
      const name = /^(.*)\(-?\d+\)$/.exec(String(op.p4 ?? ''))?.[1] ?? String(op.p4);
      if (!SQLITE_FUNCTIONS.has(name.toLowerCase())) refuseFunction(name);
    }
  }
  return statement;
}

registerQueryGuard(['sqlite'], guardSqlite);
