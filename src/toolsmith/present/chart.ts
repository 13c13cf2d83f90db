/**
 * Charts for answers that are a series. `planChart` decides whether a result gets a chart and which one (and
 * says why not), `chartSpec` builds a Vega-Lite spec with the data inline, `renderSvg` renders it headless to an
 * SVG string, and `svgProblems` checks that SVG before anyone embeds it.
 *
 * When an answer gets a chart (and why):
 * - at least 2 rows: a single value or a single row is answered in one line, a chart would add nothing;
 * - at least one numeric column: without a number there is nothing to plot (a list of names is a table);
 * - one column for the x axis: the first temporal column (→ line chart, time on x), else the first categorical
 *   column (→ horizontal bar chart, one bar per row in the query's order), else an integer column named like a
 *   period (year, month, …) with one row per value (→ line chart on an ordinal axis). Two numbers alone (a
 *   scatter) or a result with no such column get no chart: we would be guessing which is the answer;
 * - a second categorical column with at most MAX_SERIES values becomes the colour (several lines) when x is
 *   time or a period; with a categorical x the rows must be one per category, else no chart (a cross-tab);
 * - several numeric columns are folded into one series each when their magnitudes are within 10× of each other
 *   (e.g. temp_max and temp_min), otherwise only the first is drawn (counts next to averages would flatten one);
 * - size is capped so render time is bounded: at most MAX_CATEGORIES bars (the first ones, as the query sorted
 *   them) and MAX_CHART_POINTS points (an even sample over x), labels cut to MAX_LABEL_CHARS.
 *
 * Safety: data never becomes a field name, expression or URL in the spec. Values go inline under fixed field
 * names (x, s, v) and column names only as titles, which vega writes as escaped text; the view gets a loader
 * that refuses every URL; `svgProblems` rejects any element outside a small allow-list, event handlers, href,
 * url() other than local clip paths, and markup declarations. Pure apart from CPU: no I/O.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ColumnInfo } from './columns.js';
import { ISO_DATE } from './columns.js';
import { cleanText, type Scalar, truncateText } from './format.js';

export const MAX_CHART_POINTS = 5_000;
export const MAX_CATEGORIES = 30;
export const MAX_SERIES = 10;
export const MAX_FOLDED_MEASURES = 4;
export const MAX_LABEL_CHARS = 40;

const PERIOD_NAME = /(^|_)(year|yr|month|week|day|hour|quarter|decade|minute)$/i;

export interface ChartPlan {
  mark: 'line' | 'bar';
  /** How x is encoded: time (UTC), an ordinal period such as a year, or nominal categories. */
  xType: 'temporal' | 'ordinal' | 'nominal';
  x: string;
  /** Column whose values become the colour, if any. */
  series?: string;
  /** Numeric columns drawn; more than one means folded (colour = column name). */
  measures: string[];
  /** Rows (after caps) that the chart shows. */
  rows: Record<string, Scalar>[];
  /** A sentence for the reader when the chart does not show everything. */
  note?: string;
}

export type PlanResult = { plan: ChartPlan } | { reason: string };

function toTime(v: Scalar): number | undefined {
  if (typeof v !== 'string' || !ISO_DATE.test(v)) return undefined;
  // No zone given → read as UTC, so the chart does not depend on the machine's time zone.
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(v) && v.length > 10;
  const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : hasZone ? v : `${v.replace(' ', 'T')}Z`);
  return Number.isNaN(t) ? undefined : t;
}

function distinct(rows: Record<string, Scalar>[], col: string): number {
  return new Set(rows.map((r) => r[col] ?? null)).size;
}

function maxAbs(rows: Record<string, Scalar>[], col: string): number {
  let m = 0;
  for (const r of rows) {
    const v = r[col];
    if (typeof v === 'number' && Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return m;
}

/** Even sample of at most `max` rows, keeping the first and the last. */
function sample<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const out: T[] = [];
  const step = (rows.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(rows[Math.round(i * step)] as T);
  return out;
}

/** Whether (and how) to chart these rows; see the file comment for the rules. */
export function planChart(rows: Record<string, Scalar>[], columns: ColumnInfo[]): PlanResult {
  if (rows.length < 2) return { reason: 'a single value or row is answered in one line' };
  const numeric = columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  if (numeric.length === 0) return { reason: 'no numeric column to plot' };
  const temporal = columns.filter((c) => c.kind === 'temporal').map((c) => c.name);
  const categorical = columns.filter((c) => c.kind === 'categorical').map((c) => c.name);

  let x: string;
  let xType: ChartPlan['xType'];
  if (temporal.length > 0) {
    x = temporal[0] as string;
    xType = 'temporal';
  } else if (categorical.length > 0) {
    x = categorical[0] as string;
    xType = 'nominal';
  } else {
    const period = numeric.find(
      (n) =>
        PERIOD_NAME.test(n) &&
        rows.every((r) => typeof r[n] === 'number' && Number.isInteger(r[n])) &&
        numeric.length > 1,
    );
    if (period === undefined) {
      return {
        reason: 'no temporal or categorical column for the x axis (two numbers alone are not charted)',
      };
    }
    x = period;
    xType = 'ordinal';
  }
  let measures = numeric.filter((n) => n !== x);
  if (measures.length === 0) return { reason: 'no numeric column besides the x axis' };

  const otherDims = [...temporal, ...categorical].filter((n) => n !== x);
  let series: string | undefined;
  if (otherDims.length > 0) {
    const candidate = categorical.find((n) => n !== x);
    if (xType !== 'nominal' && candidate !== undefined && otherDims.length === 1) {
      if (distinct(rows, candidate) > MAX_SERIES) {
        return { reason: `more than ${MAX_SERIES} series in "${candidate}"` };
      }
      series = candidate;
    }
  }
  if (series === undefined && distinct(rows, x) < rows.length) {
    return {
      reason: `"${x}" repeats: the rows are not one value per ${xType === 'nominal' ? 'category' : 'x'}`,
    };
  }

  const notes: string[] = [];
  if (measures.length > 1) {
    const mags = measures.map((m) => maxAbs(rows, m)).filter((m) => m > 0);
    const spread = mags.length > 0 ? Math.max(...mags) / Math.min(...mags) : 1;
    if (series !== undefined || measures.length > MAX_FOLDED_MEASURES || spread > 10) {
      notes.push(`only "${measures[0]}" is drawn`);
      measures = [measures[0] as string];
    }
  }

  let used = rows.filter((r) => measures.some((m) => typeof r[m] === 'number'));
  if (xType === 'temporal') {
    used = used.filter((r) => toTime(r[x] ?? null) !== undefined);
    used = [...used].sort((a, b) => (toTime(a[x] ?? null) as number) - (toTime(b[x] ?? null) as number));
  } else if (xType === 'ordinal') {
    used = [...used].sort((a, b) => (a[x] as number) - (b[x] as number));
  }
  if (used.length < 2) return { reason: 'fewer than 2 rows have a value to plot' };
  if (xType === 'nominal' && used.length > MAX_CATEGORIES) {
    notes.push(`the first ${MAX_CATEGORIES} of ${used.length} categories`);
    used = used.slice(0, MAX_CATEGORIES);
  }
  const maxRows = Math.floor(MAX_CHART_POINTS / measures.length);
  if (used.length > maxRows) {
    notes.push(`an even sample of ${maxRows} of ${used.length} points`);
    used = sample(used, maxRows);
  }
  const plan: ChartPlan = { mark: xType === 'nominal' ? 'bar' : 'line', xType, x, measures, rows: used };
  if (series !== undefined) plan.series = series;
  if (notes.length > 0) plan.note = notes.join('; ');
  return { plan };
}

function label(v: Scalar): string | number {
  if (v === null) return 'null';
  if (typeof v === 'number') return v;
  return truncateText(cleanText(String(v)), MAX_LABEL_CHARS);
}

/** A Vega-Lite spec for the plan, data inline in long form { x, s, v }. */
export function chartSpec(plan: ChartPlan): TopLevelSpec {
  const folded = plan.measures.length > 1;
  const values: Array<Record<string, string | number>> = [];
  for (const row of plan.rows) {
    const x =
      plan.xType === 'temporal' ? (toTime(row[plan.x] ?? null) as number) : label(row[plan.x] ?? null);
    for (const m of plan.measures) {
      const v = row[m];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const point: Record<string, string | number> = { x, v };
      if (folded) point.s = truncateText(cleanText(m), MAX_LABEL_CHARS);
      else if (plan.series !== undefined) point.s = label(row[plan.series] ?? null);
      values.push(point);
    }
  }
  const colorTitle = folded ? 'measure' : plan.series;
  const color =
    colorTitle === undefined
      ? {}
      : {
          color: {
            field: 's',
            type: 'nominal' as const,
            sort: null,
            title: truncateText(cleanText(colorTitle), 60),
          },
        };
  const valueTitle = truncateText(cleanText(folded ? 'value' : (plan.measures[0] as string)), 60);
  const xTitle = truncateText(cleanText(plan.x), 60);
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    width: 560,
    data: { values },
  };
  if (plan.mark === 'bar') {
    return {
      ...base,
      height: { step: 18 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'x', type: 'nominal', sort: null, title: xTitle, axis: { labelLimit: 240 } },
        x: { field: 'v', type: 'quantitative', title: valueTitle },
        ...(folded ? { yOffset: { field: 's', type: 'nominal', sort: null } } : {}),
        ...color,
      },
    } as TopLevelSpec;
  }
  return {
    ...base,
    height: 280,
    mark: { type: 'line', point: plan.rows.length <= 60 },
    encoding: {
      x:
        plan.xType === 'temporal'
          ? { field: 'x', type: 'temporal', scale: { type: 'utc' }, title: xTitle }
          : { field: 'x', type: 'ordinal', sort: 'ascending', title: xTitle },
      y: { field: 'v', type: 'quantitative', title: valueTitle },
      ...color,
    },
  } as TopLevelSpec;
}

const refuse = async (uri: string): Promise<never> => {
  throw new Error(`chart rendering loads nothing (asked for ${truncateText(uri, 80)})`);
};

/** A vega loader that refuses every URL and file: the data is inline, nothing else may be fetched. */
const NO_LOADER: vega.Loader = { load: refuse, sanitize: refuse, http: refuse, file: refuse };

/** Headless render (no DOM, no canvas) of a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: 'none',
    loader: NO_LOADER,
    logLevel: vega.Error,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const SVG_ELEMENTS = new Set([
  'svg',
  'g',
  'path',
  'rect',
  'line',
  'circle',
  'ellipse',
  'polygon',
  'polyline',
  'text',
  'tspan',
  'defs',
  'clippath',
  'title',
  'desc',
]);

/**
 * Why this SVG is not safe to embed, or [] when it is: every element is a drawing element of the allow-list,
 * no attribute is an event handler, href or style, url() only points at a local #id, and there are no
 * comments, CDATA, processing instructions or DOCTYPE/ENTITY declarations.
 */
export function svgProblems(svg: string): string[] {
  const problems: string[] = [];
  if (/<[!?]/.test(svg)) problems.push('markup declaration, comment, CDATA or processing instruction');
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(svg))
    problems.push('control character (not well-formed XML)');
  for (const m of svg.matchAll(/<\/?\s*([^\s/>]+)([^>]*)>/g)) {
    const name = (m[1] as string).toLowerCase();
    if (!SVG_ELEMENTS.has(name)) problems.push(`element <${name}>`);
    const attrs = m[2] as string;
    const stripped = attrs.replace(
      /\s*([^\s=]+)\s*=\s*("[^"]*"|'[^']*')/g,
      (_all, attr: string, value: string) => {
        const a = attr.toLowerCase();
        const v = value.slice(1, -1);
        if (a.startsWith('on')) problems.push(`event handler ${a} on <${name}>`);
        if (a === 'href' || a.endsWith(':href') || a === 'src' || a === 'style') {
          problems.push(`attribute ${a} on <${name}>`);
        }
        // aria-* attributes are accessible text (escaped data labels), never fetched or run.
        if (a.startsWith('aria-')) return '';
        if (/javascript:|data:/i.test(v)) problems.push(`URL scheme in ${a} on <${name}>`);
        for (const u of v.matchAll(/url\(([^)]*)\)/gi)) {
          if (!/^\s*['"]?#[\w-]+['"]?\s*$/.test(u[1] as string)) problems.push(`url() in ${a} on <${name}>`);
        }
        return '';
      },
    );
    if (stripped.replace(/\/\s*$/, '').trim() !== '') problems.push(`unparsed attributes on <${name}>`);
  }
  return problems;
}
