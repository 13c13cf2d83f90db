/**
 * The least-privilege role of a generated server, as SQL per dialect: SELECT on exactly the imported tables and
 * views (USAGE on their schemas), and with write tools INSERT, UPDATE, DELETE on exactly the imported tables.
 * Every table, schema and database name is quoted with quoteIdent (names are hostile: quotes, semicolons,
 * Unicode); the role name itself is restricted to `[a-z_][a-z0-9_]*` so it never needs escaping.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { FactoryError } from '../../core/errors/index.js';
import { quoteIdent } from './quote.js';
import type { DatabaseSchema, TableInfo } from './types.js';

/** Role names the factory creates or suggests: portable across PostgreSQL (63) and MariaDB (80). */
export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,31}$/;

export function checkRoleName(name: string): string {
  if (!ROLE_NAME.test(name))
    throw new FactoryError(
      'DB_ROLE_FAILED',
      `role name ${JSON.stringify(name.slice(0, 80))} is not allowed`,
      {
        issues: [
          {
            code: 'DB_ROLE_FAILED',
            message: 'invalid role name',
            path: '',
            hint: 'Use 1–32 lower-case letters, digits and underscores, starting with a letter or underscore (e.g. shop_mcp_ro).',
          },
        ],
      },
    );
  return name;
}

/** `<server>_ro` (or `_rw` with write tools) as a valid role name. */
export function defaultRoleName(serverName: string, writes: boolean): string {
  const base = serverName
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 29)
    .replace(/_+$/, '');
  return `${base || 'mcp'}_${writes ? 'rw' : 'ro'}`;
}

export interface RolePlan {
  role: string;
  writes: boolean;
  /** Statements in order; the grants only (creation differs between the file and --create-role). */
  grants: string[];
}

/** `nextval('"s"."seq"'::regclass)` → the sequence as [schema?, name], parsed and not spliced. */
export function serialSequence(defaultExpr: string | undefined): string[] | undefined {
  const m = /^nextval\('((?:[^']|'')+)'::regclass\)$/i.exec(defaultExpr?.trim() ?? '');
  if (!m) return undefined;
  const text = m[1]!.replace(/''/g, "'");
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([a-z_][a-z0-9_$]*))\s*(\.|$)/y;
  let rest = 0;
  while (rest < text.length) {
    re.lastIndex = rest;
    const p = re.exec(text);
    if (!p) return undefined;
    parts.push(p[1] !== undefined ? p[1].replace(/""/g, '"') : p[2]!);
    rest = re.lastIndex;
    if (p[3] === '') break;
  }
  return parts.length >= 1 && parts.length <= 2 && rest >= text.length ? parts : undefined;
}

function qualified(schema: DatabaseSchema, t: TableInfo): string {
  const q = (n: string) => quoteIdent(schema.dialect, n);
  return `${q(t.schema)}.${q(t.name)}`;
}

/** The grants for one role; undefined for SQLite (no roles: the server opens the file read-only). */
export function planRole(schema: DatabaseSchema, role: string, writes: boolean): RolePlan | undefined {
  checkRoleName(role);
  if (schema.dialect === 'sqlite') return undefined;
  const grants: string[] = [];
  if (schema.dialect === 'postgresql') {
    const r = quoteIdent('postgresql', role);
    grants.push(`GRANT CONNECT ON DATABASE ${quoteIdent('postgresql', schema.database)} TO ${r};`);
    for (const s of [...new Set(schema.tables.map((t) => t.schema))].sort())
      grants.push(`GRANT USAGE ON SCHEMA ${quoteIdent('postgresql', s)} TO ${r};`);
    for (const t of schema.tables) grants.push(`GRANT SELECT ON TABLE ${qualified(schema, t)} TO ${r};`);
    if (writes) {
      for (const t of schema.tables.filter((x) => x.type === 'table')) {
        grants.push(`GRANT INSERT, UPDATE, DELETE ON TABLE ${qualified(schema, t)} TO ${r};`);
        for (const c of t.columns) {
          const seq = serialSequence(c.default);
          if (!seq) continue;
          const [seqSchema, seqName] = seq.length === 2 ? seq : [t.schema, seq[0]!];
          grants.push(
            `GRANT USAGE ON SEQUENCE ${quoteIdent('postgresql', seqSchema!)}.${quoteIdent('postgresql', seqName!)} TO ${r};`,
          );
        }
      }
    } else {
      // Belt and braces: even a later, wider grant cannot make this role's sessions write.
      grants.push(`ALTER ROLE ${r} SET default_transaction_read_only = on;`);
    }
  } else {
    const r = `'${role}'@'%'`;
    for (const t of schema.tables) grants.push(`GRANT SELECT ON ${qualified(schema, t)} TO ${r};`);
    if (writes)
      for (const t of schema.tables.filter((x) => x.type === 'table'))
        grants.push(`GRANT INSERT, UPDATE, DELETE ON ${qualified(schema, t)} TO ${r};`);
  }
  return { role, writes, grants };
}

/** db/readonly-role.sql: created locked/without login; the operator sets the password (never in the file). */
export function roleScript(schema: DatabaseSchema, plan: RolePlan, envVar: string): string {
  const tables = schema.tables.length;
  const written = schema.tables.filter((t) => t.type === 'table').length;
  const head = [
    `-- Least-privilege database role for this MCP server: SELECT on exactly the ${tables} imported table(s)/view(s)${plan.writes ? `, INSERT/UPDATE/DELETE on the ${written} table(s)` : ''}.`,
    '-- Generated by MCP Factory from the live schema. Run it as an administrator, set a password, and put the',
    `-- role's connection URL in ${envVar} instead of an owner or superuser account.`,
  ];
  if (schema.dialect === 'postgresql') {
    const r = quoteIdent('postgresql', plan.role);
    return `${[
      ...head,
      '--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -f db/readonly-role.sql',
      `--   then: ALTER ROLE ${r} LOGIN PASSWORD '<a long random password>';`,
      '',
      'BEGIN;',
      `CREATE ROLE ${r} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;`,
      ...plan.grants,
      'COMMIT;',
    ].join('\n')}\n`;
  }
  const r = `'${plan.role}'@'%'`;
  return `${[
    ...head,
    '--   mariadb --user=root < db/readonly-role.sql',
    `--   then: ALTER USER ${r} IDENTIFIED BY '<a long random password>' ACCOUNT UNLOCK;`,
    '',
    `CREATE USER ${r} ACCOUNT LOCK;`,
    ...plan.grants,
  ].join('\n')}\n`;
}

/** A password of URL-safe characters only (it goes into a connection URL unescaped). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** PostgreSQL SCRAM-SHA-256 verifier: the server never sees (or logs) the password itself. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** MariaDB mysql_native_password hash (`*` + SHA1(SHA1(password))), so no statement carries the password. */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}
