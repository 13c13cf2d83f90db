/**
 * A toolsmith result (any JSON the generated tool returned) → a table of rows and, when the rows are a series
 * (one label or number column and numeric columns), the data of a chart. Pure; caps keep a large result from
 * freezing the page.
 */

export const MAX_ROWS = 500;
const MAX_COLUMNS = 30;
const MAX_SERIES = 6;

export interface Table {
  columns: string[];
  rows: Array<Record<string, unknown>>;
  /** Rows left out by the cap. */
  omitted: number;
}

export interface ChartData {
  xLabel: string;
  /** Numeric x values, or positions 0..n-1 when the x column holds labels. */
  x: number[];
  /** The x column's labels when it is not numeric. */
  labels?: string[];
  series: Array<{ name: string; values: Array<number | null> }>;
}

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The rows of a result: an array of objects, or the one array of objects inside an object. */
export function rowsOf(value: unknown): Array<Record<string, unknown>> | undefined {
  if (Array.isArray(value)) return value.length > 0 && value.every(isRow) ? value : undefined;
  if (!isRow(value)) return undefined;
  const arrays = Object.values(value).filter((v) => Array.isArray(v) && v.length > 0 && v.every(isRow));
  return arrays.length === 1 ? (arrays[0] as Array<Record<string, unknown>>) : undefined;
}

export function tableOf(value: unknown): Table | undefined {
  const rows = rowsOf(value);
  if (!rows) return undefined;
  const columns: string[] = [];
  for (const row of rows.slice(0, MAX_ROWS))
    for (const key of Object.keys(row))
      if (!columns.includes(key) && columns.length < MAX_COLUMNS) columns.push(key);
  return { columns, rows: rows.slice(0, MAX_ROWS), omitted: Math.max(0, rows.length - MAX_ROWS) };
}

function numeric(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}

/**
 * A chart when the table is a series: the first column is x (numbers, or labels placed 0..n-1), and the other
 * columns whose values are all numbers (or empty) are the lines. Fewer than two rows or no numeric column:
 * no chart.
 */
export function chartOf(table: Table | undefined): ChartData | undefined {
  if (!table || table.rows.length < 2 || table.columns.length < 2) return undefined;
  const [xColumn, ...others] = table.columns as [string, ...string[]];
  const numericColumns = others.filter((c) =>
    table.rows.every((r) => r[c] === null || r[c] === undefined || numeric(r[c]) !== null),
  );
  if (numericColumns.length === 0) return undefined;
  const xs = table.rows.map((r) => numeric(r[xColumn]));
  const numericX =
    xs.every((v) => v !== null) && xs.every((v, i) => i === 0 || (v as number) >= (xs[i - 1] as number));
  return {
    xLabel: xColumn,
    x: numericX ? (xs as number[]) : table.rows.map((_, i) => i),
    ...(numericX ? {} : { labels: table.rows.map((r) => String(r[xColumn] ?? '')) }),
    series: numericColumns.slice(0, MAX_SERIES).map((name) => ({
      name,
      values: table.rows.map((r) => numeric(r[name])),
    })),
  };
}

/** A cell as text: strings as they are, other values as JSON, cut at 200 characters. */
export function cellText(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** Which review a run waits for: stage 1 (the output) or 2 (the promotion), from its node. */
export function reviewStage(run: { status: string; node: string }): 1 | 2 | undefined {
  if (run.status !== 'waiting') return undefined;
  return run.node === 'review_output' ? 1 : run.node === 'review_promotion' ? 2 : undefined;
}
