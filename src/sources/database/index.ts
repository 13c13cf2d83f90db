/**
 * Database importer: introspect a live PostgreSQL, MySQL/MariaDB or SQLite database and produce the project's
 * spec model (`ServerSpecInput`), from which the generator makes a server.
 *
 *   const { spec, schema, report } = await importDatabase('postgres://app@127.0.0.1/shop', { writes: false });
 *   const checked = validateSpec(spec);   // then createServerProject({ spec: checked.spec, … })
 */
import { FactoryError } from '../../core/errors/index.js';
import { validateSpec } from '../../core/spec/load.js';
import { introspect } from './introspect.js';
import { type ImportReport, type MappingOptions, mapSchema } from './mapping.js';
import { serverName } from './names.js';
import { type CreatedRole, checkPrivileges, createRole } from './privileges.js';
import { checkRoleName, defaultRoleName, planRole, roleScript } from './role-sql.js';
import type { DatabaseSchema, IntrospectOptions } from './types.js';
import { parseDatabaseUrl } from './url.js';

export { introspect, introspectorFor } from './introspect.js';
export {
  type ImportedTool,
  type ImportReport,
  type MappingOptions,
  mapSchema,
  schemaToSpec,
  valueSchema,
} from './mapping.js';
export { type CreatedRole, checkPrivileges, createRole, privilegeReasons } from './privileges.js';
export { quoteIdent } from './quote.js';
export {
  checkRoleName,
  defaultRoleName,
  planRole,
  ROLE_NAME,
  type RolePlan,
  roleScript,
} from './role-sql.js';
export type {
  ColumnInfo,
  ColumnKind,
  DatabaseKind,
  DatabaseSchema,
  DialectIntrospector,
  ForeignKeyInfo,
  IntrospectOptions,
  SqlDialectName,
  TableInfo,
} from './types.js';
export { parseDatabaseUrl, redactUrl } from './url.js';

/** Where the least-privilege role script goes in the generated project. */
export const ROLE_SCRIPT_FILE = 'db/readonly-role.sql';

export interface ImportDatabaseOptions extends IntrospectOptions, MappingOptions {
  /** Name of the least-privilege role in db/readonly-role.sql (default `<server>_ro`, `_rw` with writes). */
  roleName?: string;
  /** Create that role now (with a generated password) and return its URL; needs a user that may create roles. */
  createRole?: boolean;
  /** Check whether the connection is a superuser/owner/over-granted (default true). */
  checkPrivileges?: boolean;
}

export interface ImportDatabaseResult {
  spec: import('../../core/spec/model.js').ServerSpecInput;
  schema: DatabaseSchema;
  report: ImportReport;
  /** Files for the generated project: db/readonly-role.sql (PostgreSQL, MySQL/MariaDB). */
  files: Record<string, string>;
  /** With createRole: the new role and its URL (a secret: store it, never print `url`). */
  createdRole?: CreatedRole;
}

/** introspect + schemaToSpec. Fails with DB_NOTHING_TO_IMPORT when the filters leave no table or view. */
export async function importDatabase(
  url: string,
  options: ImportDatabaseOptions = {},
): Promise<ImportDatabaseResult> {
  const schema = await introspect(url, options);
  if (schema.tables.length === 0) {
    const where = parseDatabaseUrl(url).redacted;
    throw new FactoryError(
      'DB_NOTHING_TO_IMPORT',
      `no table or view of ${where} matched the import filters`,
      {
        issues: [
          {
            code: 'DB_NOTHING_TO_IMPORT',
            message: 'no table or view matched',
            path: '',
            hint:
              schema.skipped.length > 0
                ? `Skipped: ${schema.skipped.map((s) => `${s.schema}.${s.name} (${s.reason})`).join(', ')}.`
                : 'Check includeSchemas/includeTables (names or globs such as "sales.*") and the database in the URL.',
          },
        ],
        details: { url: where },
      },
    );
  }
  const { spec, report } = mapSchema(schema, options);
  // The mapping always aims at a valid spec; database text (comments, enum values) can still trip a rule such as
  // the literal-secret check, so the outcome is reported rather than assumed.
  report.issues = validateSpec(spec).issues;

  // Least privilege: the role script for exactly the imported tables, the check of the connection, the role.
  const writes = options.writes === true;
  const role = checkRoleName(
    options.roleName ?? defaultRoleName(spec.name ?? serverName(schema.database), writes),
  );
  const plan = planRole(schema, role, writes);
  const files: Record<string, string> = {};
  let createdRole: CreatedRole | undefined;
  if (plan) {
    const envVar = options.envVar ?? 'DATABASE_URL';
    files[ROLE_SCRIPT_FILE] = roleScript(schema, plan, envVar);
    report.role = { name: role, file: ROLE_SCRIPT_FILE, created: false };
    if (options.createRole) {
      createdRole = await createRole(url, schema, plan);
      report.role.created = true;
    } else if (options.checkPrivileges !== false) {
      report.notices.push(...(await checkPrivileges(url, schema, writes)));
    }
  }
  return { spec, schema, report, files, ...(createdRole ? { createdRole } : {}) };
}
