/**
 * PostgreSQL guard: the real PostgreSQL parser (libpg-query, compiled to WASM) decides what the text is.
 * Accepted: exactly one SELECT / VALUES / TABLE / WITH … SELECT, EXPLAIN (without ANALYZE) of one, or SHOW of a
 * harmless setting, built only from allow-listed node types and pg_catalog functions (sql-allow-postgres.ts).
 * Refused as well: comments, and backslashes in ordinary '…' strings (their meaning depends on the server's
 * standard_conforming_strings, so the parser and the server could split the text differently).
 * Loading it registers the guard for postgresql connections.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PG_EXPLAIN_OPTIONS, PG_FUNCTIONS, PG_NODES, PG_SHOW } from './sql-allow-postgres.js';
import { READ_ONLY_FIX, refuse, refuseFunction, registerQueryGuard } from './sql-guard.js';

type PgParser = typeof import('libpg-query');
let parser: Promise<PgParser> | undefined;

/** Loads the WASM parser once; in a bundle it reads libpg-query.wasm beside dist/server.mjs. */
function loadParser(): Promise<PgParser> {
  if (!parser) {
    // The emscripten loader looks for its .wasm in `__dirname`, which an ESM bundle lacks.
    const g = globalThis as { __dirname?: string };
    g.__dirname ??= dirname(fileURLToPath(import.meta.url));
    parser = import('libpg-query').then(async (mod) => {
      const lib = ((mod as { default?: PgParser }).default ?? mod) as PgParser;
      await lib.loadModule();
      return lib;
    });
    parser.catch(() => {
      parser = undefined;
    });
  }
  return parser;
}

type Node = Record<string, unknown>;

export async function guardPostgres(sql: string): Promise<string> {
  const lib = await loadParser().catch((error: unknown) =>
    refuse(
      `the PostgreSQL parser could not be loaded (${(error as Error).message})`,
      'Reinstall the server (dist/libpg-query.wasm must sit beside dist/server.mjs)',
    ),
  );
  let tokens: ReturnType<PgParser['scanSync']>['tokens'];
  let stmts: Array<{ stmt?: Node; stmt_location?: number; stmt_len?: number }>;
  try {
    tokens = lib.scanSync(sql).tokens;
    stmts = (lib.parseSync(sql).stmts ?? []) as typeof stmts;
  } catch (error) {
    refuse(
      `PostgreSQL cannot parse it (${(error as Error).message})`,
      'Fix the syntax; the query is checked by the PostgreSQL parser before it runs',
    );
  }
  for (const token of tokens) {
    if (token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT') {
      refuse('comments are not allowed in queries', 'Remove the comment');
    }
    if (token.tokenName === 'SCONST' && /^'/.test(token.text) && token.text.includes('\\')) {
      refuse(
        "a backslash in an ordinary '…' string is ambiguous (it depends on standard_conforming_strings)",
        "Write it as an escape string instead, e.g. E'a\\\\b' for a\\b",
      );
    }
  }
  if (stmts.length !== 1 || !stmts[0]?.stmt) {
    refuse(`found ${stmts.length} statements`, `${READ_ONLY_FIX}; send one statement per call`);
  }
  const { stmt, stmt_location: start = 0, stmt_len: length = 0 } = stmts[0];
  checkStatement(stmt);
  // Send exactly the parsed statement (offsets are UTF-8 bytes), without whatever followed it.
  const bytes = Buffer.from(sql, 'utf8');
  return bytes
    .subarray(start, length ? start + length : bytes.length)
    .toString('utf8')
    .trim();
}

function checkStatement(stmt: Node): void {
  const [kind, body] = Object.entries(stmt)[0] ?? [];
  if (kind === 'SelectStmt') {
    checkTree(stmt);
    return;
  }
  if (kind === 'ExplainStmt') {
    const explain = body as { query?: Node; options?: Array<{ DefElem?: { defname?: string; arg?: Node } }> };
    for (const option of explain.options ?? []) {
      const name = option.DefElem?.defname ?? '';
      if (!PG_EXPLAIN_OPTIONS.has(name)) {
        refuse(`EXPLAIN option ${name.toUpperCase()} is not allowed`, 'Use EXPLAIN without ANALYZE');
      }
    }
    if (!explain.query || !('SelectStmt' in explain.query)) {
      refuse('EXPLAIN of a statement other than a query', READ_ONLY_FIX);
    }
    checkTree(explain.query);
    return;
  }
  if (kind === 'VariableShowStmt') {
    const name = String((body as { name?: string }).name ?? '');
    if (PG_SHOW.has(name.toLowerCase())) return;
    refuse(`SHOW ${name} is not allowed`, `SHOW accepts only: ${[...PG_SHOW].join(', ')}`);
  }
  refuse(`${describe(kind)} is not a read-only query`, READ_ONLY_FIX);
}

/** Every node in the tree must be an allowed type; every function call must be allow-listed. */
function checkTree(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) checkTree(item);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (key === 'intoClause') refuse('SELECT … INTO creates a table', READ_ONLY_FIX);
    if (key === 'lockingClause') {
      refuse('locking clauses (FOR UPDATE/SHARE) take row locks', 'Remove the FOR UPDATE/FOR SHARE clause');
    }
    // libpg-query wraps every node as { TypeName: {...} }; fields are lower-case.
    if (/^[A-Z]/.test(key)) {
      if (!PG_NODES.has(key)) refuse(`${describe(key)} is not allowed in a read-only query`, READ_ONLY_FIX);
      if (key === 'FuncCall') checkFunction(child as { funcname?: Array<{ String?: { sval?: string } }> });
    }
    checkTree(child);
  }
}

function checkFunction(call: { funcname?: Array<{ String?: { sval?: string } }> }): void {
  const parts = (call.funcname ?? []).map((p) => p.String?.sval ?? '');
  const name = parts[parts.length - 1] ?? '';
  const shown = parts.join('.');
  // Unqualified or pg_catalog only: other schemas hold user-defined (possibly SECURITY DEFINER) functions.
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) refuseFunction(shown);
  // Exact lower-case spelling: a quoted "UPPER" can only name a user-defined function.
  if (!PG_FUNCTIONS.has(name) || name !== name.toLowerCase()) refuseFunction(shown);
}

/** "DeleteStmt" → "DELETE", "CopyStmt" → "COPY", other nodes by name. */
function describe(kind: string | undefined): string {
  if (!kind) return 'an empty statement';
  const stmt = /^(.*)Stmt$/.exec(kind)?.[1];
  return stmt ? `a ${stmt.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()} statement` : kind;
}

registerQueryGuard(['postgresql'], (sql) => guardPostgres(sql));
