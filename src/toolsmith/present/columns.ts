/**
 * What kind each result column is, for layout and chart choice: numeric, temporal, categorical or other. Uses
 * the declared type when the tool reports one (DuckDB names such as BIGINT, DECIMAL(9,2), DATE, TIMESTAMP WITH
 * TIME ZONE, VARCHAR, or JSON-Schema names such as integer, number, string with format date), and otherwise
 * looks at the values. Pure functions, no I/O.
 */
import { normalizeValue, type Scalar } from './format.js';

export type ColumnKind = 'numeric' | 'temporal' | 'categorical' | 'other';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** Declared type, when given. */
  type?: string;
}

const NUMERIC_TYPE =
  /^(tinyint|smallint|integer|int|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint|int[1248]|float[48]?|real|double|double precision|decimal|numeric|number)\b/i;
const TEMPORAL_TYPE = /^(date|time|timestamp|timestamptz|datetime|date-time)\b/i;
const CATEGORICAL_TYPE = /^(varchar|text|string|char|bpchar|enum|boolean|bool|uuid)\b/i;

/** ISO-8601 dates and date-times as DuckDB and JSON print them: 2012-01-01, 2012-01-01 00:00:00, …T…Z. */
export const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function kindOfType(type: string): ColumnKind | undefined {
  const t = type.trim();
  if (NUMERIC_TYPE.test(t)) return 'numeric';
  if (TEMPORAL_TYPE.test(t)) return /^time\b(?!stamp)/i.test(t) ? 'categorical' : 'temporal';
  if (CATEGORICAL_TYPE.test(t)) return 'categorical';
  return undefined;
}

function isJsonContainer(s: string): boolean {
  if (!/^\s*[[{]/.test(s)) return false;
  try {
    const parsed: unknown = JSON.parse(s);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

function kindOfValues(values: Scalar[]): ColumnKind {
  const present = values.filter((v) => v !== null);
  if (present.length === 0) return 'other';
  if (present.every((v) => typeof v === 'number')) return 'numeric';
  if (present.every((v) => typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))))
    return 'temporal';
  if (present.every((v) => typeof v === 'string' || typeof v === 'boolean')) {
    // JSON text of nested values (lists, structs) is not a category.
    return present.some((v) => typeof v === 'string' && isJsonContainer(v)) ? 'other' : 'categorical';
  }
  return 'other';
}

/** Column names in order: the declared list when given, else every key in first-seen order. */
export function columnNames(rows: Record<string, unknown>[], declared?: { name: string }[]): string[] {
  if (declared && declared.length > 0) return declared.map((c) => c.name);
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** Rows with every value normalized (bigint → number, Date → ISO text, …), restricted to `names`. */
export function normalizeRows(rows: Record<string, unknown>[], names: string[]): Record<string, Scalar>[] {
  return rows.map((row) => {
    const out: Record<string, Scalar> = Object.create(null);
    for (const name of names) out[name] = normalizeValue(Object.hasOwn(row, name) ? row[name] : null);
    return out;
  });
}

/**
 * The kind of each column. A declared type wins, but only if the values agree with it (a "numeric" column
 * whose values arrive as strings, as DECIMAL or HUGEINT may, is still numeric when every value parses).
 */
export function classifyColumns(
  rows: Record<string, Scalar>[],
  names: string[],
  declared?: { name: string; type: string }[],
): ColumnInfo[] {
  const types = new Map((declared ?? []).map((c) => [c.name, c.type] as const));
  return names.map((name) => {
    const type = types.get(name);
    const values = rows.map((r) => r[name] ?? null);
    const byValues = kindOfValues(values);
    const byType = type === undefined ? undefined : kindOfType(type);
    let kind: ColumnKind = byValues;
    if (byType === 'numeric') {
      const numericText = values.every(
        (v) => v === null || typeof v === 'number' || (typeof v === 'string' && Number.isFinite(Number(v))),
      );
      if (numericText && byValues !== 'other') kind = 'numeric';
    } else if (byType === 'temporal') {
      if (byValues === 'temporal' || values.every((v) => v === null)) kind = 'temporal';
    } else if (byType === 'categorical' && byValues === 'categorical') {
      kind = 'categorical';
    }
    return type === undefined ? { name, kind } : { name, kind, type };
  });
}
