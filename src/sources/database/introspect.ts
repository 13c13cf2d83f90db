/** `introspect(url, options)`: pick the dialect adapter from the URL and read the schema. */
import { MysqlIntrospector } from './mysql.js';
import { PostgresIntrospector } from './postgres.js';
import { SqliteIntrospector } from './sqlite.js';
import type { DatabaseSchema, DialectIntrospector, IntrospectOptions } from './types.js';
import { parseDatabaseUrl } from './url.js';

export function introspectorFor(url: string, cwd?: string): DialectIntrospector {
  const parsed = parseDatabaseUrl(url, cwd);
  switch (parsed.dialect) {
    case 'postgresql':
      return new PostgresIntrospector(url.trim(), parsed.redacted);
    case 'mysql':
      return new MysqlIntrospector(url.trim(), parsed.redacted, parsed.database, parsed.scheme === 'mariadb');
    case 'sqlite':
      return new SqliteIntrospector(parsed.file!, parsed.redacted);
  }
}

/**
 * Read tables, views, columns, keys and comments of a live database. Throws FactoryError
 * (DB_UNSUPPORTED_URL, DB_CONNECT_FAILED, DB_INTROSPECTION_FAILED); messages never contain the password.
 */
export async function introspect(url: string, options: IntrospectOptions = {}): Promise<DatabaseSchema> {
  return introspectorFor(url).introspect(options);
}
