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
export { quoteIdent } from './quote.js';
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

export type ImportDatabaseOptions = IntrospectOptions & MappingOptions;

export interface ImportDatabaseResult {
  spec: import('../../core/spec/model.js').ServerSpecInput;
  schema: DatabaseSchema;
  report: ImportReport;
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
  return { spec, schema, report };
}
