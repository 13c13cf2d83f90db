/**
 * Presentation of a toolsmith answer: `presentResult` turns the rows a tool returned into a Markdown summary
 * (markdown.ts) and, when the answer is a series, a chart as a Vega-Lite spec plus a server-rendered SVG
 * (chart.ts, which documents when a chart is drawn). Data is untrusted: Markdown cells are escaped, the SVG is
 * checked by `svgProblems` and dropped (with a note) if anything in it is not plain drawing. No I/O.
 */
import { chartSpec, planChart, renderSvg, svgProblems } from './chart.js';
import { classifyColumns, columnNames, normalizeRows } from './columns.js';
import { escapeMarkdownText, type Scalar } from './format.js';
import { summarize } from './markdown.js';

export {
  type ChartPlan,
  chartSpec,
  MAX_CATEGORIES,
  MAX_CHART_POINTS,
  planChart,
  renderSvg,
  svgProblems,
} from './chart.js';
export { type ColumnInfo, type ColumnKind, classifyColumns } from './columns.js';
export { escapeMarkdownText, formatNumber, normalizeValue } from './format.js';
export { MAX_TABLE_ROWS } from './markdown.js';

export interface PresentInput {
  question: string;
  rows: Record<string, unknown>[];
  /** Result columns with their declared types (DuckDB or JSON-Schema names); inferred from rows when absent. */
  columns?: { name: string; type: string }[];
  /** The tool stopped at its row limit. */
  truncated?: boolean;
  toolName?: string;
  /** An existing tool answered (no new tool was written). */
  reused?: boolean;
}

export interface PresentedResult {
  markdown: string;
  chart?: { vegaLite: object; svg: string };
}

/** Markdown summary, and a chart when the answer is a series. Never throws for odd data; a failed render only
 * loses the chart. */
export async function presentResult(input: PresentInput): Promise<PresentedResult> {
  const names = columnNames(input.rows, input.columns);
  let rows = normalizeRows(input.rows, names);
  const columns = classifyColumns(rows, names, input.columns);
  // Numeric columns whose values came as text (DECIMAL, HUGEINT from some drivers) become numbers.
  const textNumbers = columns.filter(
    (c) => c.kind === 'numeric' && rows.some((r) => typeof r[c.name] === 'string'),
  );
  if (textNumbers.length > 0) {
    rows = rows.map((r) => {
      const out: Record<string, Scalar> = { ...r };
      for (const c of textNumbers) {
        const v = out[c.name];
        if (typeof v === 'string') out[c.name] = Number(v);
      }
      return out;
    });
  }

  const notes: string[] = [];
  let chart: PresentedResult['chart'];
  const planned = planChart(rows, columns);
  if ('plan' in planned) {
    const { plan } = planned;
    try {
      const vegaLite = chartSpec(plan);
      const svg = await renderSvg(vegaLite);
      const problems = svgProblems(svg);
      if (problems.length === 0) {
        chart = { vegaLite, svg };
        const kind = plan.mark === 'bar' ? 'Bar chart' : 'Line chart';
        notes.push(`${kind} below${plan.note ? ` (showing ${escapeMarkdownText(plan.note)})` : ''}.`);
      } else {
        notes.push('Chart omitted: the rendered SVG failed the safety check.');
      }
    } catch {
      notes.push('Chart omitted: it could not be rendered.');
    }
  }
  const markdown = summarize({
    question: input.question,
    rows,
    columns,
    notes,
    ...(input.truncated !== undefined ? { truncated: input.truncated } : {}),
    ...(input.toolName !== undefined ? { toolName: input.toolName } : {}),
    ...(input.reused !== undefined ? { reused: input.reused } : {}),
  });
  return chart === undefined ? { markdown } : { markdown, chart };
}
