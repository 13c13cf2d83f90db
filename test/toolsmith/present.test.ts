/**
 * src/toolsmith/present: the Markdown summary (one-line answers, capped tables, number formatting, escaping of
 * hostile data), the chart decision (line for time, bar for categories, none for single values or two bare
 * numbers), the caps that bound render time, and the safety of the server-rendered SVG. Prints render timings.
 */
import { describe, expect, it } from 'vitest';
import {
  chartSpec,
  classifyColumns,
  escapeMarkdownText,
  formatNumber,
  MAX_CATEGORIES,
  MAX_CHART_POINTS,
  normalizeValue,
  planChart,
  presentResult,
  svgProblems,
} from '../../src/toolsmith/present/index.js';

const HOSTILE = [
  '</text><script>alert(1)</script>',
  'javascript:alert(1)',
  '" onload="alert(1)',
  "' onmouseover='alert(1)",
  '<a href="javascript:alert(1)">x</a>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '![img](https://evil.example/x.png)',
  'https://evil.example/path',
  'www.evil.example',
  'mail me@evil.example',
  'pipe | in | cell',
  'line1\nline2\r\nline3',
  '`code` **bold** _em_ ~~strike~~ $x^2$',
  '<!-- comment --> <![CDATA[x]]> <?xml?>',
  '&lt;already&gt; &#x3C;script&#x3E;',
  '<svg><foreignObject><iframe src="x"></iframe></foreignObject></svg>',
  'url(javascript:alert(1))',
  '\u202Eevil\u0000ctrl\u0007',
];

/** Cells of a Markdown table line, splitting on pipes that are not backslash-escaped. */
function cells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1);
}

/** Markdown that renders as link, image, HTML or autolink, outside what the presenter itself writes. */
function unsafeMarkdown(md: string): string[] {
  const found: string[] = [];
  if (/<[a-z!/?]/i.test(md)) found.push('raw HTML');
  if (/(?<!\\)\[[^\]]*(?<!\\)\]\(/.test(md)) found.push('link syntax');
  if (/\b[a-z][a-z0-9+.-]*:\/\//i.test(md)) found.push('autolink (scheme://)');
  if (/(^|[\s*_~(])www\./i.test(md)) found.push('autolink (www.)');
  if (/[a-z0-9._+-]@[a-z0-9]/i.test(md)) found.push('autolink (e-mail)');
  return found;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('formatting', () => {
  it('formats numbers readably and deterministically', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(2012)).toBe('2012');
    expect(formatNumber(12345, true)).toBe('12345');
    expect(formatNumber(2.5049)).toBe('2.5');
    expect(formatNumber(1234.5678)).toBe('1,234.57');
    expect(formatNumber(0.0012345)).toBe('0.00123');
    expect(formatNumber(-42.125)).toBe('-42.13');
    expect(formatNumber(1e22)).toBe('1.000e+22');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
  });

  it('normalizes driver values', () => {
    expect(normalizeValue(191n)).toBe(191);
    expect(normalizeValue(2n ** 70n)).toBe('1180591620717411303424');
    expect(normalizeValue(new Date('2012-01-01T00:00:00Z'))).toBe('2012-01-01');
    expect(normalizeValue(new Date('2012-01-01T10:30:00Z'))).toBe('2012-01-01T10:30:00Z');
    expect(normalizeValue(undefined)).toBeNull();
    expect(normalizeValue({ a: 1n })).toBe('{"a":"1"}');
  });

  it('escapes every hostile string for Markdown', () => {
    for (const s of HOSTILE) {
      const e = escapeMarkdownText(s);
      expect(unsafeMarkdown(e), s).toEqual([]);
      expect(e).not.toMatch(/[\n\r\u0000]/);
      expect(cells(`| ${e} |`)).toHaveLength(1);
    }
  });

  it('classifies columns from declared types and from values', () => {
    const rows = [{ d: '2012-01-01', c: 'rain', n: 3, t: '12.50' }];
    expect(
      classifyColumns(rows, ['d', 'c', 'n', 't'], [{ name: 't', type: 'DECIMAL(9,2)' }]).map((c) => c.kind),
    ).toEqual(['temporal', 'categorical', 'numeric', 'numeric']);
    expect(classifyColumns([{ z: '98101' }], ['z'], [{ name: 'z', type: 'VARCHAR' }])[0]?.kind).toBe(
      'categorical',
    );
  });
});

describe('markdown summary', () => {
  it('answers a single value in one line, without a chart', async () => {
    const r = await presentResult({ question: 'How many days had rain?', rows: [{ days: 607n }] });
    expect(r.markdown).toContain('**Question:** How many days had rain?');
    expect(r.markdown).toContain('**Answer:** 607 (days)');
    expect(r.markdown).not.toContain('|');
    expect(r.chart).toBeUndefined();
  });

  it('answers a single row in one line', async () => {
    const r = await presentResult({
      question: 'Which day was the hottest?',
      rows: [{ date: '2015-06-28', temp_max: 35.6 }],
      toolName: 'hottest_day',
      reused: true,
    });
    expect(r.markdown).toContain('**Answer:** date: 2015-06-28 · temp\\_max: 35.6');
    expect(r.markdown).toContain('*Answered by `hottest_day`, an existing tool that was reused.*');
    expect(r.chart).toBeUndefined();
  });

  it('says when nothing matched and when the result was truncated', async () => {
    const none = await presentResult({ question: 'q', rows: [] });
    expect(none.markdown).toContain('no rows matched');
    const cut = await presentResult({ question: 'q', rows: [{ a: 'x' }, { a: 'y' }], truncated: true });
    expect(cut.markdown).toContain('cut at the row limit');
  });

  it('caps the table at 50 rows and says how many are omitted', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: i, label: `item ${i}`, amount: i * 1000.5 }));
    const r = await presentResult({ question: 'All items', rows });
    const lines = r.markdown.split('\n').filter((l) => l.startsWith('|'));
    expect(lines).toHaveLength(2 + 50);
    expect(lines[1]).toBe('| ---: | --- | ---: |');
    expect(r.markdown).toContain('*70 more rows not shown (120 rows in all).*');
    expect(r.markdown).toContain('| 49 | item 49 | 49,024.5 |');
  });

  it('keeps hostile cells, column names, questions and tool names inert', async () => {
    const rows = HOSTILE.map((s, i) => ({ [HOSTILE[i % 3] as string]: s, n: i }));
    const r = await presentResult({
      question: HOSTILE.join(' '),
      rows: HOSTILE.map((s, i) => ({ name: s, n: i })),
      toolName: 'x`](javascript:alert(1))',
    });
    expect(unsafeMarkdown(r.markdown)).toEqual([]);
    for (const line of r.markdown.split('\n').filter((l) => l.startsWith('|')))
      expect(cells(line)).toHaveLength(2);
    const odd = await presentResult({ question: 'q', rows });
    expect(unsafeMarkdown(odd.markdown)).toEqual([]);
  });
});

describe('chart decision', () => {
  const cols = (rows: Record<string, string | number | null>[]) =>
    classifyColumns(rows, Object.keys(rows[0] ?? {}));

  it('draws a line for a time series and a bar for categories', async () => {
    const months = Array.from({ length: 12 }, (_, i) => ({
      month: `2014-${String(i + 1).padStart(2, '0')}-01`,
      precipitation: 10 + i,
    }));
    const line = await presentResult({ question: 'Rain per month', rows: months });
    expect(line.chart?.vegaLite).toMatchObject({
      mark: { type: 'line' },
      encoding: { x: { type: 'temporal' } },
    });
    expect(line.chart?.svg.startsWith('<svg')).toBe(true);
    expect(line.markdown).toContain('*Line chart below.*');

    const bars = await presentResult({
      question: 'Days by weather',
      rows: [
        { weather: 'sun', days: 714n },
        { weather: 'fog', days: 411n },
        { weather: 'rain', days: 641n },
      ],
    });
    expect(bars.chart?.vegaLite).toMatchObject({ mark: { type: 'bar' }, encoding: { y: { sort: null } } });
  });

  it('puts an integer period column (year) on an ordinal axis', () => {
    const rows = [
      { year: 2012, days: 191 },
      { year: 2013, days: 120 },
    ];
    const p = planChart(rows, cols(rows));
    expect('plan' in p && p.plan).toMatchObject({
      mark: 'line',
      xType: 'ordinal',
      x: 'year',
      measures: ['days'],
    });
  });

  it('gives no chart for a single row, two bare numbers, or no number', () => {
    const one = [{ a: 'x', n: 1 }];
    expect(planChart(one, cols(one))).toHaveProperty('reason');
    const scatter = [
      { horsepower: 130, mpg: 18 },
      { horsepower: 165, mpg: 15 },
    ];
    expect(planChart(scatter, cols(scatter))).toEqual({
      reason: 'no temporal or categorical column for the x axis (two numbers alone are not charted)',
    });
    const names = [{ name: 'a' }, { name: 'b' }];
    expect(planChart(names, cols(names))).toEqual({ reason: 'no numeric column to plot' });
    const cross = [
      { origin: 'USA', cyl: 'four', n: 1 },
      { origin: 'USA', cyl: 'six', n: 2 },
    ];
    expect(planChart(cross, cols(cross))).toHaveProperty('reason');
  });

  it('folds measures of similar size, keeps only the first otherwise, and colours series', () => {
    const temps = [
      { date: '2012-01-01', temp_max: 12.8, temp_min: 5 },
      { date: '2012-01-02', temp_max: 10.6, temp_min: 2.8 },
    ];
    const folded = planChart(temps, cols(temps));
    expect('plan' in folded && folded.plan.measures).toEqual(['temp_max', 'temp_min']);
    const mixed = [
      { weather: 'rain', days: 641, avg_precip: 3.2 },
      { weather: 'sun', days: 714, avg_precip: 0.1 },
    ];
    const first = planChart(mixed, cols(mixed));
    expect('plan' in first && first.plan.measures).toEqual(['days']);
    const stocks = [
      { date: '2000-01-01', symbol: 'MSFT', price: 39.81 },
      { date: '2000-01-01', symbol: 'AMZN', price: 64.56 },
      { date: '2000-02-01', symbol: 'MSFT', price: 36.35 },
      { date: '2000-02-01', symbol: 'AMZN', price: 68.87 },
    ];
    const series = planChart(stocks, cols(stocks));
    expect('plan' in series && series.plan).toMatchObject({ series: 'symbol', mark: 'line' });
  });

  it(`caps bars at ${MAX_CATEGORIES} and points at ${MAX_CHART_POINTS}`, async () => {
    const cats = Array.from({ length: 200 }, (_, i) => ({ airport: `A${i}`, flights: 200 - i }));
    const bars = await presentResult({ question: 'q', rows: cats });
    const barValues = (bars.chart?.vegaLite as { data: { values: unknown[] } } | undefined)?.data.values;
    expect(barValues).toHaveLength(MAX_CATEGORIES);
    expect(bars.markdown).toContain(`the first ${MAX_CATEGORIES} of 200 categories`);

    const start = Date.UTC(2000, 0, 1);
    const series = Array.from({ length: 50_000 }, (_, i) => ({
      ts: new Date(start + i * 3_600_000),
      value: Math.sin(i / 100),
    }));
    const p = planChart(
      series.map((r) => ({ ts: normalizeValue(r.ts), value: r.value })),
      classifyColumns([{ ts: '2000-01-01', value: 1 }], ['ts', 'value']),
    );
    expect('plan' in p && p.plan.rows.length).toBe(MAX_CHART_POINTS);
    expect('plan' in p && (chartSpec(p.plan) as { data: { values: unknown[] } }).data.values).toHaveLength(
      MAX_CHART_POINTS,
    );
  });
});

describe('SVG safety', () => {
  it('renders hostile category labels and column names only as escaped text', async () => {
    const rows = HOSTILE.map((s, i) => ({ [HOSTILE[2] as string]: s, 'javascript:alert(1)': i + 1 }));
    const r = await presentResult({ question: HOSTILE[0] as string, rows });
    expect(r.chart).toBeDefined();
    const svg = r.chart?.svg as string;
    expect(svgProblems(svg)).toEqual([]);
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toMatch(/<(foreignObject|iframe|img|a|image|use|style)\b/i);
    // Tags only (text content, where data appears escaped, left out); then attribute names, values removed.
    const tags = [...svg.matchAll(/<[^>]*>/g)].map((m) => m[0]);
    for (const tag of tags) {
      const names = tag.replace(/"[^"]*"/g, '""');
      expect(names).not.toMatch(/\son[a-z]+\s*=/i);
      expect(names).not.toMatch(/href|src=|style=/i);
      expect(names).not.toMatch(/'/); // every value double-quoted, no stray quote from data
      expect(names).toMatch(/^<\/?[a-zA-Z]+(\s+[\w:-]+="")*\s*\/?>$/);
    }
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The hostile column names only ever appear as escaped titles.
    expect(svg).toContain('&quot; onload=&quot;alert(1)');
  });

  it('keeps hostile series names inert in a line chart legend', async () => {
    const rows = HOSTILE.slice(0, 8).flatMap((s, i) => [
      { date: '2020-01-01', who: s, v: i },
      { date: '2020-02-01', who: s, v: i + 1 },
    ]);
    const r = await presentResult({ question: 'q', rows });
    expect(r.chart?.vegaLite).toMatchObject({ encoding: { color: { field: 's' } } });
    expect(svgProblems(r.chart?.svg as string)).toEqual([]);
  });

  it('the checker rejects what an unsafe SVG would contain', () => {
    const ok =
      '<svg xmlns="http://www.w3.org/2000/svg"><g clip-path="url(#clip1)"><text>a &lt; b</text></g></svg>';
    expect(svgProblems(ok)).toEqual([]);
    expect(svgProblems('<svg><script>alert(1)</script></svg>')).toContain('element <script>');
    expect(svgProblems('<svg><rect onclick="x()"/></svg>')).toContain('event handler onclick on <rect>');
    expect(svgProblems('<svg><a xlink:href="javascript:x"><text>t</text></a></svg>').length).toBeGreaterThan(
      0,
    );
    expect(svgProblems('<svg><rect fill="url(https://evil.example/x)"/></svg>')).toContain(
      'url() in fill on <rect>',
    );
    expect(svgProblems('<!DOCTYPE svg [<!ENTITY x "y">]><svg/>').length).toBeGreaterThan(0);
    expect(svgProblems('<svg><foreignObject/></svg>')).toContain('element <foreignobject>');
    expect(svgProblems('<svg><rect style="background:url(x)"/></svg>').length).toBeGreaterThan(0);
  });
});

describe('render time', () => {
  it('renders a 12-point and a 5,000-point chart in bounded time', async () => {
    const small = Array.from({ length: 12 }, (_, i) => ({
      month: `2014-${String(i + 1).padStart(2, '0')}-01`,
      value: (i * 37) % 11,
    }));
    const start = Date.UTC(2000, 0, 1);
    const large = Array.from({ length: MAX_CHART_POINTS }, (_, i) => ({
      day: new Date(start + i * 86_400_000),
      value: Math.round(Math.sin(i / 50) * 1000) / 10,
    }));
    const time = async (rows: Record<string, unknown>[]) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const r = await presentResult({ question: 'q', rows });
        runs.push(performance.now() - t);
        expect(r.chart).toBeDefined();
      }
      return median(runs);
    };
    await time(small); // warm-up: module initialisation and JIT
    const smallMs = await time(small);
    const largeMs = await time(large);
    console.log(
      `present render: 12 points median ${smallMs.toFixed(1)} ms, 5,000 points median ${largeMs.toFixed(1)} ms`,
    );
    expect(smallMs).toBeLessThan(2_000);
    expect(largeMs).toBeLessThan(10_000);
  });
});
