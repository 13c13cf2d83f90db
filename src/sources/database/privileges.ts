/**
 * Least privilege of the imported connection. checkPrivileges reports (DB_PRIVILEGED_USER) a connection that
 * could do more than the generated server needs: a superuser, the owner of an imported table, or grants
 * beyond SELECT (with write tools: beyond SELECT, INSERT, UPDATE, DELETE) on the imported tables or wider
 * than them. createRole makes the role of role-sql.ts on the live database and returns its connection URL.
 */
import type { Client } from 'pg';
import { FactoryError, type Issue, makeIssue } from '../../core/errors/index.js';
import { generatePassword, nativePasswordHash, type RolePlan, scramVerifier } from './role-sql.js';
import type { DatabaseSchema } from './types.js';
import { redactUrl, scrubSecrets } from './url.js';

const HINT =
  'Give the server a role limited to the imported tables: run db/readonly-role.sql of the generated project, or create again with --create-role NAME.';

async function withPg<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const client: Client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: 'mcp-factory-import',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withMysql<T>(
  url: string,
  fn: (conn: import('mysql2/promise').Connection) => Promise<T>,
): Promise<T> {
  const mysql = (await import('mysql2/promise')).default;
  const conn = await mysql.createConnection({ uri: url, connectTimeout: 10_000 });
  conn.on('error', () => undefined);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** What the connection may do beyond the server's needs, as reasons (empty when it is least privilege). */
export async function privilegeReasons(
  url: string,
  schema: DatabaseSchema,
  writes: boolean,
): Promise<string[]> {
  if (schema.dialect === 'sqlite' || schema.tables.length === 0) return [];
  const allowed = new Set(writes ? ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] : ['SELECT']);
  const reasons: string[] = [];
  const name = (s: string, t: string) => (s === schema.defaultSchema ? t : `${s}.${t}`);
  if (schema.dialect === 'postgresql') {
    await withPg(url, async (client) => {
      const role = await client.query<{
        user: string;
        rolsuper: boolean;
        rolcreaterole: boolean;
        rolbypassrls: boolean;
      }>(
        'SELECT current_user AS user, rolsuper, rolcreaterole, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user',
      );
      const r = role.rows[0];
      if (r?.rolsuper) reasons.push(`${r.user} is a superuser (rolsuper)`);
      else {
        if (r?.rolcreaterole) reasons.push(`${r.user} may create roles (rolcreaterole)`);
        if (r?.rolbypassrls) reasons.push(`${r.user} bypasses row-level security`);
      }
      const rows = await client.query<{ schema: string; name: string; owner: boolean; privs: string[] }>(
        `SELECT n.nspname AS schema, c.relname AS name, pg_has_role(c.relowner, 'USAGE') AS owner,
                ARRAY(SELECT p FROM unnest(ARRAY['INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p
                      WHERE has_table_privilege(c.oid, p)) AS privs
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN unnest($1::text[], $2::text[]) AS want(s, t) ON want.s = n.nspname AND want.t = c.relname`,
        [schema.tables.map((t) => t.schema), schema.tables.map((t) => t.name)],
      );
      if (r?.rolsuper) return;
      const owned = rows.rows.filter((x) => x.owner).map((x) => name(x.schema, x.name));
      if (owned.length) reasons.push(`it owns (or inherits the owner of) ${list(owned)}`);
      const extra = rows.rows.flatMap((x) =>
        x.privs.filter((p) => !allowed.has(p)).map((p) => `${p} on ${name(x.schema, x.name)}`),
      );
      if (extra.length && !owned.length) reasons.push(`it holds ${list(extra)}`);
      // The query tool reads whatever the user may read: other readable tables, and CREATE anywhere, are too much.
      const others = await client.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname !~ '^(pg_catalog|information_schema|pg_toast.*|pg_temp_.*)$'
           AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
           AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS want(s, t)
                           WHERE want.s = n.nspname AND want.t = c.relname)
         ORDER BY 1, 2 LIMIT 7`,
        [schema.tables.map((t) => t.schema), schema.tables.map((t) => t.name)],
      );
      if (others.rows.length)
        reasons.push(
          `it can also read tables that are not imported (${list(others.rows.map((x) => name(x.schema, x.name)))})`,
        );
      const creates = await client.query<{ schema: string }>(
        `SELECT nspname AS schema FROM pg_catalog.pg_namespace
         WHERE nspname = ANY($1::text[]) AND has_schema_privilege(oid, 'CREATE') ORDER BY 1`,
        [[...new Set(schema.tables.map((t) => t.schema))]],
      );
      if (creates.rows.length)
        reasons.push(`it may create objects in ${list(creates.rows.map((x) => x.schema))}`);
    });
    return reasons;
  }
  await withMysql(url, async (conn) => {
    const [[who]] = await conn.query<import('mysql2/promise').RowDataPacket[]>('SELECT CURRENT_USER() AS u');
    const current = String(who?.u ?? '');
    const at = current.lastIndexOf('@');
    const grantee = `'${current.slice(0, at)}'@'${current.slice(at + 1)}'`;
    const q = async (sql: string) =>
      (await conn.query<import('mysql2/promise').RowDataPacket[]>(sql, [grantee]))[0];
    const global = (
      await q('SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?')
    )
      .map((x) => String(x.p))
      .filter((p) => p !== 'USAGE');
    if (global.includes('SUPER') || global.length >= 25)
      reasons.push(`${current} has SUPER or ALL PRIVILEGES on *.*`);
    else if (global.length) reasons.push(`${current} holds global privileges: ${list(global)}`);
    const schemas = new Set(schema.tables.map((t) => t.schema));
    const onSchema = (
      await q(
        'SELECT TABLE_SCHEMA AS s, PRIVILEGE_TYPE AS p FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?',
      )
    ).filter((x) => schemas.has(String(x.s)));
    if (onSchema.length)
      reasons.push(
        `it holds database-wide privileges (${list([...new Set(onSchema.map((x) => String(x.p)))])}) beyond the imported tables`,
      );
    const imported = new Set(schema.tables.map((t) => `${t.schema}\0${t.name}`));
    const onTables = await q(
      'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, PRIVILEGE_TYPE AS p FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?',
    );
    const beyond = onTables.filter((x) => imported.has(`${x.s}\0${x.t}`) && !allowed.has(String(x.p)));
    const elsewhere = onTables.filter((x) => !imported.has(`${x.s}\0${x.t}`));
    if (elsewhere.length)
      reasons.push(
        `it holds privileges on tables that are not imported (${list([...new Set(elsewhere.map((x) => name(String(x.s), String(x.t))))])})`,
      );
    if (beyond.length)
      reasons.push(`it holds ${list(beyond.map((x) => `${x.p} on ${name(String(x.s), String(x.t))}`))}`);
  });
  return reasons;
}

function list(items: string[]): string {
  return items.length > 6 ? `${items.slice(0, 6).join(', ')} and ${items.length - 6} more` : items.join(', ');
}

/** The DB_PRIVILEGED_USER notice, or none. Failures to check are a notice too: never a reason to stop. */
export async function checkPrivileges(
  url: string,
  schema: DatabaseSchema,
  writes: boolean,
): Promise<Issue[]> {
  try {
    const reasons = await privilegeReasons(url, schema, writes);
    if (reasons.length === 0) return [];
    return [
      makeIssue(
        'DB_PRIVILEGED_USER',
        `the connection may do more than the server needs: ${reasons.join('; ')}`,
        '',
        HINT,
      ),
    ];
  } catch (error) {
    return [
      makeIssue(
        'DB_PRIVILEGED_USER',
        `could not check the connection's privileges (${scrubSecrets((error as Error).message ?? String(error), url).slice(0, 200)}); make sure it is limited to the imported tables`,
        '',
        HINT,
      ),
    ];
  }
}

export interface CreatedRole {
  role: string;
  /** The connection URL of the new role (contains its password: a secret). */
  url: string;
  /** The same URL with the password replaced by ***. */
  redacted: string;
}

/**
 * Create the role on the live database (as the importing user) with a generated password, and return its
 * URL. The password is sent only as a hash (SCRAM verifier / native hash) so statement logs never hold it.
 */
export async function createRole(
  adminUrl: string,
  schema: DatabaseSchema,
  plan: RolePlan,
): Promise<CreatedRole> {
  if (schema.dialect === 'sqlite')
    throw roleFailed(
      'SQLite has no roles',
      'Leave out --create-role: the server opens the SQLite file read-only.',
    );
  const password = generatePassword();
  try {
    if (schema.dialect === 'postgresql') {
      const r = `"${plan.role}"`;
      await withPg(adminUrl, async (client) => {
        await client.query('BEGIN');
        try {
          await client.query(
            `CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '${scramVerifier(password)}'`,
          );
          for (const g of plan.grants) await client.query(g);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } else {
      const r = `'${plan.role}'@'%'`;
      await withMysql(adminUrl, async (conn) => {
        await conn.query(`CREATE USER ${r} IDENTIFIED BY PASSWORD '${nativePasswordHash(password)}'`);
        try {
          for (const g of plan.grants) await conn.query(g);
        } catch (error) {
          // MariaDB DDL is not transactional: undo the user so a retry can use the same name.
          await conn.query(`DROP USER IF EXISTS ${r}`).catch(() => undefined);
          throw error;
        }
      });
    }
  } catch (error) {
    const e = error as { message?: string; code?: string };
    const exists =
      e.code === '42710' || e.code === 'ER_CANNOT_USER' || /already exists/i.test(e.message ?? '');
    throw roleFailed(
      `cannot create role ${plan.role}: ${scrubSecrets(e.message ?? String(error), adminUrl).slice(0, 300)}`,
      exists
        ? `A role named ${plan.role} exists already: pick another --create-role name, or drop it first.`
        : 'Connect as a user that may create roles and grant on the imported tables.',
    );
  }
  const u = new URL(adminUrl);
  u.username = plan.role;
  u.password = password;
  const url = u.toString();
  return { role: plan.role, url, redacted: redactUrl(url) };
}

function roleFailed(message: string, hint: string): FactoryError {
  return new FactoryError('DB_ROLE_FAILED', message, {
    issues: [{ code: 'DB_ROLE_FAILED', message, path: '', hint }],
  });
}
