/** Include/exclude filters for schemas and tables: exact names or globs (`*`, `?`), case-insensitive. */
import type { IntrospectOptions } from './types.js';

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

function matcher(patterns: string[] | undefined): ((name: string) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const res = patterns.map(globToRegExp);
  return (name) => res.some((re) => re.test(name));
}

export interface NameFilter {
  schema(name: string): boolean;
  table(schema: string, name: string): boolean;
}

/**
 * `defaultSchemas` applies when no includeSchemas are given (e.g. every non-system schema, or the URL's
 * database). A table pattern without a dot matches the table name; with a dot, `schema.table`.
 */
export function nameFilter(
  options: IntrospectOptions,
  defaultSchemas: (name: string) => boolean,
): NameFilter {
  const includeSchema = matcher(options.includeSchemas);
  const excludeSchema = matcher(options.excludeSchemas);
  const tablePatterns = (patterns: string[] | undefined) => {
    if (!patterns || patterns.length === 0) return undefined;
    const plain = matcher(patterns.filter((p) => !p.includes('.')));
    const qualified = matcher(patterns.filter((p) => p.includes('.')));
    return (schema: string, name: string) =>
      (plain?.(name) ?? false) || (qualified?.(`${schema}.${name}`) ?? false);
  };
  const includeTable = tablePatterns(options.includeTables);
  const excludeTable = tablePatterns(options.excludeTables);
  return {
    schema: (name) => (includeSchema ? includeSchema(name) : defaultSchemas(name)) && !excludeSchema?.(name),
    table: (schema, name) =>
      (includeTable ? includeTable(schema, name) : true) && !excludeTable?.(schema, name),
  };
}
