import { describe, expect, it } from 'vitest';
import {
  breakerTone,
  errorRateText,
  gatewayBase,
  sortUpstreams,
  type UpstreamHealth,
} from '../../../console/src/pages/gateway/model.ts';
import {
  cellText,
  chartOf,
  MAX_ROWS,
  reviewStage,
  rowsOf,
  tableOf,
} from '../../../console/src/pages/reviews/series.ts';

describe('toolsmith results → table and chart', () => {
  it('finds rows in an array or in the one array of an object', () => {
    expect(rowsOf([{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(rowsOf({ rows: [{ a: 1 }], total: 1 })).toEqual([{ a: 1 }]);
    expect(rowsOf({ a: [{ x: 1 }], b: [{ y: 2 }] })).toBeUndefined();
    expect(rowsOf([1, 2])).toBeUndefined();
    expect(rowsOf(42)).toBeUndefined();
    expect(rowsOf([])).toBeUndefined();
  });

  it('charts a series with label x values, numeric columns only', () => {
    const table = tableOf([
      { month: 'Jan', sales: 10, note: 'x', cost: '4' },
      { month: 'Feb', sales: 12, note: 'y', cost: null },
    ]);
    expect(chartOf(table)).toEqual({
      xLabel: 'month',
      x: [0, 1],
      labels: ['Jan', 'Feb'],
      series: [
        { name: 'sales', values: [10, 12] },
        { name: 'cost', values: [4, null] },
      ],
    });
  });

  it('uses ascending numeric x values as they are, and charts nothing without a series', () => {
    expect(
      chartOf(
        tableOf([
          { year: 2020, n: 1 },
          { year: 2021, n: 2 },
        ]),
      )?.x,
    ).toEqual([2020, 2021]);
    expect(
      chartOf(
        tableOf([
          { year: 2021, n: 1 },
          { year: 2020, n: 2 },
        ]),
      )?.labels,
    ).toEqual(['2021', '2020']);
    expect(
      chartOf(
        tableOf([
          { a: 'x', b: 'y' },
          { a: 'z', b: 'w' },
        ]),
      ),
    ).toBeUndefined();
    expect(chartOf(tableOf([{ a: 1, b: 2 }]))).toBeUndefined();
    expect(chartOf(undefined)).toBeUndefined();
  });

  it('caps rows and cell text', () => {
    const table = tableOf(Array.from({ length: MAX_ROWS + 10 }, (_, i) => ({ i })));
    expect(table?.rows).toHaveLength(MAX_ROWS);
    expect(table?.omitted).toBe(10);
    expect(cellText('x'.repeat(500))).toHaveLength(200);
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText(undefined)).toBe('');
  });

  it('knows which review a run waits for', () => {
    expect(reviewStage({ status: 'waiting', node: 'review_output' })).toBe(1);
    expect(reviewStage({ status: 'waiting', node: 'review_promotion' })).toBe(2);
    expect(reviewStage({ status: 'done', node: 'review_output' })).toBeUndefined();
  });
});

describe('gateway status', () => {
  const upstream = (name: string, breaker: UpstreamHealth['breaker'], connected = true): UpstreamHealth => ({
    name,
    source: 'registry',
    connected,
    breaker,
    tools: 1,
    lastError: null,
    calls: 0,
    failures: 0,
  });

  it('puts upstreams needing attention first', () => {
    expect(
      sortUpstreams([upstream('a', 'closed'), upstream('b', 'open'), upstream('c', 'closed', false)]).map(
        (u) => u.name,
      ),
    ).toEqual(['b', 'c', 'a']);
    expect(breakerTone('half-open')).toBe('warn');
    expect(breakerTone('isolated')).toBe('bad');
    expect(errorRateText(0, 0)).toBe('—');
    expect(errorRateText(200, 1)).toBe('0.5%');
  });

  it('only calls a same-origin path for the gateway', () => {
    expect(gatewayBase('/gateway/')).toBe('/gateway');
    for (const url of [
      'https://evil.example',
      '//evil.example',
      'javascript:alert(1)',
      '/a/../b',
      '',
      undefined,
    ])
      expect(gatewayBase(url), String(url)).toBeUndefined();
  });
});
