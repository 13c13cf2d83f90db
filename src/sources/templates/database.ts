/** `postgres` and `mysql`: a database connector with a guarded query tool and catalog tools. */
import { describeServer, envNameVariable, flag, flagVariable, int, intVariable } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

type Dialect = 'postgresql' | 'mysql';

const PG_LIST_TABLES = `SELECT n.nspname AS "schema", c.relname AS "name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
    WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS "type",
  CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples END AS "estimatedRows",
  pg_catalog.obj_description(c.oid, 'pg_class') AS "comment"
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'
  AND (CAST(:schema AS text) IS NULL OR n.nspname = CAST(:schema AS text))
ORDER BY n.nspname, c.relname`;

const PG_DESCRIBE_TABLE = `SELECT a.attname AS "column",
  pg_catalog.format_type(a.atttypid, a.atttypmod) AS "type",
  NOT a.attnotnull AS "nullable",
  pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default",
  EXISTS (SELECT 1 FROM pg_catalog.pg_index i
    WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS "primaryKey",
  (SELECT fn.nspname || '.' || fc.relname || '(' || fa.attname || ')'
    FROM pg_catalog.pg_constraint fk
    JOIN pg_catalog.pg_class fc ON fc.oid = fk.confrelid
    JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    JOIN pg_catalog.pg_attribute fa ON fa.attrelid = fk.confrelid AND fa.attnum = fk.confkey[1]
    WHERE fk.conrelid = c.oid AND fk.contype = 'f' AND cardinality(fk.conkey) = 1 AND fk.conkey[1] = a.attnum
    LIMIT 1) AS "references",
  pg_catalog.col_description(c.oid, a.attnum) AS "comment"
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = :table
  AND n.nspname = COALESCE(CAST(:schema AS text), current_schema())
ORDER BY a.attnum`;

const MYSQL_LIST_TABLES = `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`name\`,
  CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'table' WHEN 'VIEW' THEN 'view' ELSE LOWER(TABLE_TYPE) END AS \`type\`,
  TABLE_ROWS AS \`estimatedRows\`, TABLE_COMMENT AS \`comment\`
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE())
ORDER BY TABLE_SCHEMA, TABLE_NAME`;

const MYSQL_DESCRIBE_TABLE = `SELECT c.COLUMN_NAME AS \`column\`, c.COLUMN_TYPE AS \`type\`,
  c.IS_NULLABLE = 'YES' AS \`nullable\`, c.COLUMN_DEFAULT AS \`default\`,
  c.COLUMN_KEY = 'PRI' AS \`primaryKey\`,
  (SELECT CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME, '(', k.REFERENCED_COLUMN_NAME, ')')
    FROM information_schema.KEY_COLUMN_USAGE k
    WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
      AND k.REFERENCED_TABLE_NAME IS NOT NULL
    LIMIT 1) AS \`references\`,
  c.EXTRA AS \`extra\`, c.COLUMN_COMMENT AS \`comment\`
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND c.TABLE_NAME = :table
ORDER BY c.ORDINAL_POSITION`;

/**
 * The `execute` code tool (only when readOnly=false): exactly one statement with bound values. The lexer skips
 * quotes, comments and (PostgreSQL) dollar-quoted strings so a `;` inside them does not count.
 */
const DOLLAR_QUOTE = ` else if (c === '$' && /^\\$([A-Za-z_][A-Za-z0-9_]*)?\\$/.test(sql.slice(i, i + 66))) {
    const tag = /^\\$([A-Za-z_][A-Za-z0-9_]*)?\\$/.exec(sql.slice(i, i + 66))?.[0] ?? '$$';
    const close = sql.indexOf(tag, i + tag.length);
    if (close === -1) throw new Error('unterminated dollar-quoted string in the statement');
    i = close + tag.length;
  }`;

function executeSource(dialect: Dialect): string {
  return `const sql = args.sql;
let end = sql.length;
let i = 0;
while (i < sql.length) {
  const c = sql[i];
  const next = sql[i + 1];
  if ((c === '-' && next === '-')${dialect === 'mysql' ? " || c === '#'" : ''}) {
    const nl = sql.indexOf('\\n', i);
    i = nl === -1 ? sql.length : nl + 1;
  } else if (c === '/' && next === '*') {
    const close = sql.indexOf('*/', i + 2);
    if (close === -1) throw new Error('unterminated comment in the statement');
    i = close + 2;
  } else if (c === "'" || c === '"' || c === '\`') {
    let j = i + 1;
    for (;;) {
      if (j >= sql.length) throw new Error('unterminated string or quoted identifier in the statement');
      if (sql[j] === '\\\\' && c === "'") j += 2;
      else if (sql[j] === c && sql[j + 1] === c) j += 2;
      else if (sql[j] === c) break;
      else j++;
    }
    i = j + 1;
  }${dialect === 'postgresql' ? DOLLAR_QUOTE : ''} else if (c === ';') {
    if (sql.slice(i + 1).trim() !== '') throw new Error('only one statement is allowed per call');
    end = i;
    break;
  } else i++;
}
const statement = sql.slice(0, end).trim();
if (statement === '') throw new Error('the statement is empty');
const result = await ctx.db('db').query(statement, args.params ?? [], { signal: ctx.signal });
const truncated = result.rows.length > 100;
return { affectedRows: result.affectedRows, rows: result.rows.slice(0, 100), truncated };`;
}

function databaseTemplate(dialect: Dialect): TemplateDefinition {
  const label = dialect === 'postgresql' ? 'PostgreSQL' : 'MySQL / MariaDB';
  const placeholder = dialect === 'postgresql' ? '$1, $2, …' : '?';
  const environment = (vars: TemplateVars): TemplateEnvVar[] => [
    {
      name: vars.envVar ?? 'DATABASE_URL',
      description: `${label} connection URL, e.g. ${
        dialect === 'postgresql'
          ? 'postgres://app@db.internal:5432/shop'
          : 'mysql://app@db.internal:3306/shop'
      }`,
      required: true,
      secret: true,
    },
  ];
  return {
    name: dialect === 'postgresql' ? 'postgres' : 'mysql',
    title: `${label} database`,
    category: 'database',
    description: `Explore and query a ${label} database: list_tables, describe_table and a guarded read-only query tool (one statement, read-only transaction, timeout, row limit); readOnly=false adds an execute tool for writes.`,
    variables: [
      envNameVariable('envVar', 'Environment variable holding the connection URL.', 'DATABASE_URL'),
      flagVariable(
        'readOnly',
        'Open every statement in a read-only transaction; false adds an `execute` tool for writes.',
        true,
      ),
      intVariable('maxRows', 'Most rows the query tool returns.', 1000, 1, 100_000),
      intVariable('timeoutMs', 'Statement timeout of the query tool, in milliseconds.', 5000, 100, 600_000),
    ],
    environment,
    build(vars, serverName) {
      const readOnly = flag(vars, 'readOnly');
      const pg = dialect === 'postgresql';
      const tools: ToolInput[] = [
        {
          name: 'query',
          title: 'Run a read-only SQL query',
          description: `Run one read-only SQL statement (SELECT, WITH, VALUES, EXPLAIN, SHOW) against the ${label} database. Pass values as \`params\` with ${placeholder} placeholders. Returns at most ${int(vars, 'maxRows')} rows and whether the result was truncated.`,
          annotations: { readOnly: true, openWorld: false },
          query: { connection: 'db', maxRows: int(vars, 'maxRows'), timeoutMs: int(vars, 'timeoutMs') },
        },
        {
          name: 'list_tables',
          title: 'List tables',
          description: pg
            ? 'List the tables, views and materialized views (schema, name, type, estimated rows, comment), outside the system schemas.'
            : 'List the tables and views (schema, name, type, estimated rows, comment) of a database.',
          parameters: {
            schema: {
              type: 'string',
              maxLength: 128,
              description: pg
                ? 'Only this schema (default: every non-system schema).'
                : 'Database (schema) to list (default: the database of the connection URL).',
            },
          },
          annotations: { readOnly: true, idempotent: true, openWorld: false },
          sql: { connection: 'db', statement: pg ? PG_LIST_TABLES : MYSQL_LIST_TABLES },
        },
        {
          name: 'describe_table',
          title: 'Describe a table',
          description:
            'The columns of a table or view in order: name, type, nullable, default, primary key, referenced column (single-column foreign keys) and comment. No rows means no such table.',
          parameters: {
            table: {
              type: 'string',
              required: true,
              minLength: 1,
              maxLength: 128,
              description: 'Table name.',
            },
            schema: {
              type: 'string',
              maxLength: 128,
              description: pg
                ? 'Schema of the table (default: the current schema, usually public).'
                : 'Database (schema) of the table (default: the database of the connection URL).',
            },
          },
          annotations: { readOnly: true, idempotent: true, openWorld: false },
          sql: { connection: 'db', statement: pg ? PG_DESCRIBE_TABLE : MYSQL_DESCRIBE_TABLE },
        },
      ];
      if (!readOnly) {
        tools.push({
          name: 'execute',
          title: 'Execute a SQL statement',
          description: `Execute one SQL statement that changes data or schema (INSERT, UPDATE, DELETE, CREATE, …). Pass values as \`params\` with ${placeholder} placeholders, never inside the SQL text. Returns the affected row count and up to 100 returned rows.`,
          parameters: {
            sql: { type: 'string', required: true, minLength: 1, maxLength: 100_000 },
            params: { type: 'array', description: 'Values bound to the placeholders, in order.' },
          },
          annotations: { readOnly: false, destructive: true, idempotent: false, openWorld: false },
          code: { source: executeSource(dialect) },
          examples: [
            {
              arguments: {
                sql: pg
                  ? 'UPDATE items SET qty = qty - 1 WHERE id = $1'
                  : 'UPDATE items SET qty = qty - 1 WHERE id = ?',
                params: [1],
              },
              skip: true,
            },
          ],
        } satisfies ToolInput);
      }
      return {
        name: serverName,
        version: '0.1.0',
        title: `${label} database`,
        description: describeServer(
          `Read a ${label} database: list its tables, describe a table's columns and run read-only SQL.${
            readOnly ? '' : ' The execute tool changes data.'
          }`,
          environment(vars),
        ),
        connections: [
          {
            name: 'db',
            type: dialect,
            envVar: vars.envVar ?? 'DATABASE_URL',
            readOnly,
          },
        ],
        tools,
      };
    },
  };
}

export const postgresTemplate = databaseTemplate('postgresql');
export const mysqlTemplate = databaseTemplate('mysql');
