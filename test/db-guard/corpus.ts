/**
 * The query guard's attack corpus, per dialect and class, and read-only queries that must keep working.
 * Every database has a `canary` table (id, name, payload, created) that the attacks try to change; FILE is
 * the path INTO OUTFILE/COPY/writefile aim at, and the tests check that it never appears.
 */
export type Dialect = 'postgresql' | 'mariadb' | 'sqlite';

export interface AttackCase {
  class: string;
  sql: string;
}

/** Where file-writing attacks aim (the tests look for it afterwards). */
export const FILE = '/tmp/mcpf_guard_pwned';

const canaryWrites = ['DELETE FROM canary', "UPDATE canary SET name = 'x'", 'CREATE TABLE pwned (i int)'];

/** Attacks common to every dialect (quoting differs per dialect below). */
function common(): AttackCase[] {
  return [
    ...canaryWrites.map((sql) => ({ class: 'write/ddl', sql })),
    { class: 'write/ddl', sql: 'DROP TABLE canary' },
    { class: 'write/ddl', sql: "INSERT INTO canary (id, name) VALUES (999, 'x')" },
    { class: 'stacking', sql: 'SELECT 1; DELETE FROM canary' },
    { class: 'stacking', sql: 'COMMIT; DELETE FROM canary' },
    { class: 'stacking', sql: 'SELECT 1;DELETE FROM canary;' },
    { class: 'stacking', sql: "SELECT 'a''; DELETE FROM canary; --'; DELETE FROM canary" },
    { class: 'transaction', sql: 'COMMIT' },
    { class: 'transaction', sql: 'ROLLBACK' },
    { class: 'transaction', sql: 'BEGIN' },
    { class: 'transaction', sql: 'SAVEPOINT s' },
    { class: 'transaction', sql: 'SELECT 1; COMMIT; CREATE TABLE pwned (i int)' },
    { class: 'comment', sql: 'SELECT 1 -- x' },
    { class: 'comment', sql: 'SELECT /* x */ 1' },
    { class: 'function', sql: 'SELECT no_such_function_at_all(1)' },
  ];
}

const postgres: AttackCase[] = [
  // Statement stacking through every quoting form the PostgreSQL lexer knows.
  { class: 'stacking', sql: "SELECT 'a\\'; COMMIT; DELETE FROM canary; --'" },
  { class: 'stacking', sql: 'SELECT 1 AS a$$; COMMIT; CREATE TABLE pwned(i int); SELECT 1 AS b$$' },
  { class: 'stacking', sql: "SELECT E'\\''; COMMIT; DELETE FROM canary; --'" },
  { class: 'stacking', sql: "SELECT U&'\\0027'; COMMIT; DELETE FROM canary" },
  { class: 'stacking', sql: 'SELECT $t$ x $t$; COMMIT; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT $a$ $b$ $a$; DELETE FROM canary; SELECT $b$' },
  { class: 'stacking', sql: 'SELECT /* /* */ 1; DELETE FROM canary; /* */ */ 1' },
  { class: 'stacking', sql: 'SELECT "a;"; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT 1 AS "x""; DELETE FROM canary; --"; DELETE FROM canary' },
  // Writes hidden in a query.
  { class: 'write/ddl', sql: 'WITH d AS (DELETE FROM canary RETURNING *) SELECT count(*) FROM d' },
  { class: 'write/ddl', sql: "WITH u AS (UPDATE canary SET name = 'x' RETURNING 1) SELECT * FROM u" },
  { class: 'write/ddl', sql: 'SELECT * INTO pwned FROM canary' },
  { class: 'write/ddl', sql: 'CREATE TABLE pwned AS SELECT * FROM canary' },
  { class: 'write/ddl', sql: 'EXPLAIN ANALYZE WITH d AS (DELETE FROM canary RETURNING 1) SELECT 1' },
  { class: 'write/ddl', sql: 'EXPLAIN (ANALYZE) SELECT 1' },
  { class: 'write/ddl', sql: 'CREATE ROLE mcpf_guard_pwned' },
  { class: 'write/ddl', sql: 'TRUNCATE canary' },
  { class: 'write/ddl', sql: "SELECT nextval('canary_seq')" },
  { class: 'write/ddl', sql: "SELECT setval('canary_seq', 1000)" },
  { class: 'write/ddl', sql: "SELECT pg_catalog.nextval('canary_seq')" },
  { class: 'write/ddl', sql: 'SELECT txid_current()' },
  { class: 'write/ddl', sql: 'SELECT pg_current_xact_id()' },
  // Locks.
  { class: 'lock', sql: 'SELECT * FROM canary FOR UPDATE' },
  { class: 'lock', sql: 'SELECT * FROM canary FOR SHARE NOWAIT' },
  { class: 'lock', sql: 'SELECT pg_advisory_lock(42)' },
  { class: 'lock', sql: 'SELECT pg_try_advisory_lock(42)' },
  { class: 'lock', sql: 'SELECT pg_catalog.pg_advisory_lock(42)' },
  { class: 'lock', sql: 'LOCK TABLE canary' },
  // Files, programs, network.
  { class: 'file', sql: "SELECT pg_read_file('/etc/passwd')" },
  { class: 'file', sql: "SELECT pg_read_binary_file('/etc/passwd')" },
  { class: 'file', sql: "SELECT * FROM pg_ls_dir('/')" },
  { class: 'file', sql: "SELECT pg_stat_file('/etc/passwd')" },
  { class: 'file', sql: "SELECT lo_import('/etc/passwd')" },
  { class: 'file', sql: `SELECT lo_export(1, '${FILE}')` },
  { class: 'file', sql: `COPY canary TO '${FILE}'` },
  { class: 'file', sql: "COPY canary FROM '/etc/hostname'" },
  { class: 'exec', sql: `COPY canary TO PROGRAM 'touch ${FILE}'` },
  { class: 'exec', sql: `COPY (SELECT 1) TO PROGRAM 'touch ${FILE}'` },
  { class: 'exec', sql: `DO $$BEGIN PERFORM 1; END$$` },
  { class: 'exec', sql: 'CALL some_procedure()' },
  { class: 'network', sql: "SELECT dblink('host=127.0.0.1', 'DELETE FROM canary')" },
  { class: 'network', sql: "SELECT * FROM dblink_exec('DELETE FROM canary')" },
  // Admin and session.
  { class: 'admin', sql: 'SELECT pg_terminate_backend(pg_backend_pid())' },
  { class: 'admin', sql: 'SELECT pg_cancel_backend(1)' },
  { class: 'admin', sql: 'SELECT pg_reload_conf()' },
  { class: 'admin', sql: "SELECT set_config('default_transaction_read_only', 'off', false)" },
  { class: 'admin', sql: "SELECT current_setting('data_directory')" },
  { class: 'admin', sql: 'SET default_transaction_read_only = off' },
  { class: 'admin', sql: 'RESET ALL' },
  { class: 'admin', sql: 'SHOW data_directory' },
  { class: 'admin', sql: 'SHOW ALL' },
  { class: 'admin', sql: 'VACUUM canary' },
  { class: 'admin', sql: 'LISTEN x' },
  { class: 'admin', sql: "NOTIFY x, 'y'" },
  { class: 'admin', sql: 'PREPARE p AS DELETE FROM canary' },
  { class: 'function', sql: 'SELECT public.evil()' },
  { class: 'function', sql: 'SELECT "UPPER"(name) FROM canary' },
  { class: 'function', sql: 'SELECT "PG_SLEEP"(1)' },
  { class: 'function', sql: 'SELECT "pg_catalog"."pg_read_file"(\'/etc/passwd\')' },
  { class: 'resource', sql: 'SELECT pg_sleep(30)' },
  { class: 'resource', sql: "SELECT pg_sleep_for('30 seconds')" },
  { class: 'resource', sql: 'SELECT * FROM canary, LATERAL pg_sleep(30) AS s' },
];

const mariadb: AttackCase[] = [
  { class: 'stacking', sql: "SELECT 'a\\'; DELETE FROM canary; -- '" },
  { class: 'stacking', sql: "SELECT 'a\\\\'; DELETE FROM canary" },
  { class: 'stacking', sql: 'SELECT "a"; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT `a;`; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT 1 # comment\n; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT 1 /*! ; DELETE FROM canary */' },
  { class: 'stacking', sql: 'SELECT 1 /*!50000 , SLEEP(30) */' },
  { class: 'stacking', sql: 'SELECT 1 /*M! , SLEEP(30) */' },
  { class: 'stacking', sql: 'SELECT 1 --\n, SLEEP(30)' },
  { class: 'stacking', sql: 'SELECT 1 AS "x\\"; DELETE FROM canary; -- "' },
  { class: 'write/ddl', sql: "REPLACE INTO canary (id, name) VALUES (1, 'x')" },
  { class: 'write/ddl', sql: 'TRUNCATE canary' },
  { class: 'write/ddl', sql: "CREATE USER 'mcpf_guard_pwned'@'%'" },
  { class: 'write/ddl', sql: 'SELECT NEXTVAL(canary_seq)' },
  { class: 'write/ddl', sql: 'SELECT NEXT VALUE FOR canary_seq' },
  { class: 'write/ddl', sql: 'SELECT SETVAL(canary_seq, 1000)' },
  { class: 'file', sql: `SELECT * FROM canary INTO OUTFILE '${FILE}'` },
  { class: 'file', sql: `SELECT name FROM canary LIMIT 1 INTO DUMPFILE '${FILE}'` },
  { class: 'file', sql: `SELECT * INTO OUTFILE '${FILE}' FROM canary` },
  { class: 'file', sql: "SELECT LOAD_FILE('/etc/passwd')" },
  { class: 'file', sql: "SELECT `load_file`('/etc/passwd')" },
  { class: 'file', sql: "SELECT load_file('/etc/passwd') AS x FROM canary" },
  { class: 'file', sql: "LOAD DATA INFILE '/etc/hostname' INTO TABLE canary" },
  { class: 'file', sql: "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE canary" },
  { class: 'variable', sql: 'SELECT 1 INTO @x' },
  { class: 'variable', sql: 'SELECT @x := 1' },
  { class: 'variable', sql: 'SELECT @@global.secure_file_priv' },
  { class: 'variable', sql: 'SET @x = 1' },
  { class: 'admin', sql: 'SET SESSION sql_mode = NO_BACKSLASH_ESCAPES' },
  { class: 'admin', sql: 'SET GLOBAL max_connections = 1' },
  { class: 'admin', sql: 'KILL CONNECTION_ID()' },
  { class: 'admin', sql: 'SHOW GRANTS' },
  { class: 'admin', sql: 'SHOW PROCESSLIST' },
  { class: 'admin', sql: 'FLUSH TABLES' },
  { class: 'exec', sql: 'CALL some_procedure()' },
  { class: 'exec', sql: 'DO SLEEP(30)' },
  { class: 'exec', sql: "SELECT sys_exec('touch /tmp/mcpf_guard_pwned')" },
  { class: 'exec', sql: "SELECT mysql.sys_eval('id')" },
  { class: 'exec', sql: 'HANDLER canary OPEN' },
  { class: 'exec', sql: "PREPARE s FROM 'DELETE FROM canary'" },
  { class: 'lock', sql: "SELECT GET_LOCK('mcpf_guard_lock', 0)" },
  { class: 'lock', sql: "SELECT get_lock('mcpf_guard_lock', 0) FROM canary LIMIT 1" },
  { class: 'lock', sql: "SELECT RELEASE_LOCK('mcpf_guard_lock')" },
  { class: 'lock', sql: "SELECT IS_FREE_LOCK('mcpf_guard_lock')" },
  { class: 'lock', sql: 'SELECT * FROM canary FOR UPDATE' },
  { class: 'lock', sql: 'SELECT * FROM canary LOCK IN SHARE MODE' },
  { class: 'lock', sql: 'LOCK TABLES canary WRITE' },
  { class: 'resource', sql: 'SELECT SLEEP(30)' },
  { class: 'resource', sql: "SELECT BENCHMARK(100000000, MD5('x'))" },
  { class: 'resource', sql: 'SELECT (SELECT SLEEP(30)) AS x' },
  { class: 'transaction', sql: 'XA START 1' },
];

const sqlite: AttackCase[] = [
  { class: 'stacking', sql: "SELECT 'a\\'; DELETE FROM canary; --'" },
  { class: 'stacking', sql: 'SELECT [a;]; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT `a;`; DELETE FROM canary' },
  { class: 'stacking', sql: 'SELECT "a;"; DELETE FROM canary' },
  { class: 'write/ddl', sql: 'WITH x AS (SELECT 1) DELETE FROM canary' },
  { class: 'write/ddl', sql: "WITH x AS (SELECT 1) INSERT INTO canary (id, name) VALUES (999, 'x')" },
  { class: 'write/ddl', sql: "REPLACE INTO canary (id, name) VALUES (1, 'x')" },
  { class: 'write/ddl', sql: 'CREATE TEMP TABLE pwned (i)' },
  { class: 'write/ddl', sql: 'CREATE VIEW pwned AS SELECT 1' },
  { class: 'file', sql: `ATTACH DATABASE '${FILE}' AS pwned` },
  { class: 'file', sql: 'DETACH DATABASE main' },
  { class: 'file', sql: `VACUUM INTO '${FILE}'` },
  { class: 'file', sql: "SELECT readfile('/etc/passwd')" },
  { class: 'file', sql: `SELECT writefile('${FILE}', 'x')` },
  { class: 'exec', sql: "SELECT load_extension('/tmp/nothing.so')" },
  { class: 'exec', sql: "SELECT fts3_tokenizer('simple')" },
  { class: 'admin', sql: 'PRAGMA query_only = OFF' },
  { class: 'admin', sql: 'PRAGMA writable_schema = ON' },
  { class: 'admin', sql: 'PRAGMA journal_mode = DELETE' },
  { class: 'admin', sql: 'PRAGMA user_version = 42' },
  { class: 'admin', sql: 'EXPLAIN PRAGMA writable_schema = ON' },
  { class: 'admin', sql: 'REINDEX' },
  { class: 'admin', sql: 'ANALYZE' },
  { class: 'resource', sql: 'SELECT randomblob(1000000000)' },
  { class: 'resource', sql: 'SELECT zeroblob(1000000000)' },
];

export function attacks(dialect: Dialect): AttackCase[] {
  const own = dialect === 'postgresql' ? postgres : dialect === 'mariadb' ? mariadb : sqlite;
  return [...common(), ...own];
}

/** Realistic read-only analytics that must keep working (rows are checked against direct SQL). */
export function analytics(dialect: Dialect): string[] {
  const shared = [
    'SELECT c.id, c.name, o.total FROM canary c JOIN orders o ON o.canary_id = c.id ORDER BY c.id, o.total',
    'SELECT c.name, COUNT(*) AS n, SUM(o.total) AS s, AVG(o.total) AS a FROM canary c LEFT JOIN orders o ON o.canary_id = c.id GROUP BY c.name HAVING COUNT(*) >= 1 ORDER BY c.name',
    'WITH big AS (SELECT canary_id, total FROM orders WHERE total > 10) SELECT canary_id, MAX(total) AS m FROM big GROUP BY canary_id ORDER BY canary_id',
    'SELECT id, name, ROW_NUMBER() OVER (ORDER BY id DESC) AS rn, LAG(id) OVER (ORDER BY id) AS prev FROM canary ORDER BY id',
    "SELECT id, CASE WHEN id < 2 THEN 'low' ELSE 'high' END AS band, COALESCE(payload, 'none') AS p FROM canary ORDER BY id",
    "SELECT id FROM canary WHERE name LIKE 'a%' OR id IN (SELECT canary_id FROM orders WHERE total > 20) ORDER BY id",
    'SELECT id, UPPER(name) AS u, LOWER(name) AS l, LENGTH(name) AS len, SUBSTR(name, 1, 2) AS s2 FROM canary ORDER BY id',
    'SELECT id, CAST(id AS CHAR(10)) AS t, ROUND(id * 1.5, 1) AS r, ABS(-id) AS a FROM canary ORDER BY id',
    'SELECT * FROM (SELECT id, name FROM canary WHERE id > 1) AS sub WHERE EXISTS (SELECT 1 FROM orders WHERE orders.canary_id = sub.id) ORDER BY id',
    'SELECT 1 AS one',
    'SELECT id FROM canary WHERE id = ?',
  ];
  if (dialect === 'postgresql') {
    return [
      ...shared.map((s) => s.replace('CHAR(10)', 'text').replace('= ?', '= $1')),
      "SELECT id, name ILIKE 'A%' AS a, created + interval '1 day' AS next_day, date_trunc('month', created) AS m, extract(year FROM created) AS y FROM canary ORDER BY id",
      "SELECT id, payload::jsonb ->> 'k' AS k, jsonb_build_object('id', id) AS j, to_char(created, 'YYYY-MM-DD') AS d FROM canary WHERE payload IS NOT NULL ORDER BY id",
      "SELECT string_agg(name, ',' ORDER BY name) AS names, array_agg(id ORDER BY id) AS ids, json_agg(name) AS j FROM canary",
      'SELECT g, g * 2 AS twice FROM generate_series(1, 3) AS g',
      "SELECT E'a\\\\b' AS backslash, $$dollar$$ AS d, U&'\\0041' AS u, 'it''s' AS q",
      'VALUES (1, 2), (3, 4)',
      'TABLE canary',
      'EXPLAIN SELECT * FROM canary',
      'EXPLAIN (FORMAT JSON, VERBOSE) SELECT count(*) FROM canary',
      'SHOW server_version',
      'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median FROM orders',
      'SELECT pg_catalog.upper(name) AS u, greatest(1, id) AS g, nullif(id, 1) AS n FROM canary ORDER BY id',
    ];
  }
  if (dialect === 'mariadb') {
    return [
      ...shared,
      "SELECT id, DATE_ADD(created, INTERVAL 1 DAY) AS next_day, DATE_FORMAT(created, '%Y-%m') AS m, YEAR(created) AS y FROM canary ORDER BY id",
      "SELECT id, JSON_EXTRACT(payload, '$.k') AS k, JSON_OBJECT('id', id) AS j FROM canary WHERE payload IS NOT NULL ORDER BY id",
      "SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ',') AS names FROM canary",
      "SELECT IF(id > 1, 'y', 'n') AS f, IFNULL(payload, 'none') AS p, CONCAT_WS('-', id, name) AS c FROM canary ORDER BY id",
      'EXPLAIN SELECT * FROM canary',
      "SELECT 'it''s' AS q, `name` FROM `canary` ORDER BY `id`",
      'SHOW TABLES',
    ];
  }
  return [
    ...shared,
    "SELECT id, date(created, '+1 day') AS next_day, strftime('%Y-%m', created) AS m FROM canary ORDER BY id",
    "SELECT id, json_extract(payload, '$.k') AS k, json_object('id', id) AS j FROM canary WHERE payload IS NOT NULL ORDER BY id",
    "SELECT group_concat(name, ',') AS names, total(id) AS t FROM canary",
    'VALUES (1, 2), (3, 4)',
    'EXPLAIN QUERY PLAN SELECT * FROM canary',
    "SELECT [name], \"id\", `id` AS i2, 'it''s' AS q FROM canary ORDER BY id",
    "SELECT value FROM json_each('[1,2,3]')",
  ];
}
