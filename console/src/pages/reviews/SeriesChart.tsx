/** A toolsmith result series on uPlot (canvas; uPlot's styles go through the CSSOM, which the CSP allows). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from './series.ts';

const COLOR_VARS = ['--chart-1', '--chart-2', '--chart-3'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export default function SeriesChart({ data, title }: { data: ChartData; title: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const text = cssVar('--text-muted', '#555');
    const grid = cssVar('--border', '#ccc');
    const labels = data.labels;
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 260,
      scales: { x: { time: false } },
      series: [
        {
          label: data.xLabel,
          // Labels sit on whole positions only.
          ...(labels ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : {}),
          ...(labels ? { value: (_u: uPlot, v: number) => labels[Math.round(v)] ?? '' } : {}),
        },
        ...data.series.map((s, i) => ({
          label: s.name,
          stroke: cssVar(COLOR_VARS[i % COLOR_VARS.length] as string, '#1f6feb'),
          width: 2,
        })),
      ],
      axes: [
        {
          ...axis,
          label: data.xLabel,
          // Labels sit on whole positions only.
          ...(labels ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : {}),
          ...(labels
            ? {
                values: (_u: uPlot, splits: number[]) =>
                  splits.map((v) => (Number.isInteger(v) ? (labels[v] ?? '') : '')),
              }
            : {}),
        },
        axis,
      ],
    };
    const plot = new uPlot(
      options,
      [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, element.clientWidth), height: 260 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data]);
  return <div className="series-chart" ref={host} role="img" aria-label={title} />;
}
