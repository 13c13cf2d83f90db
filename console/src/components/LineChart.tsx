/**
 * A time-series line chart on uPlot (canvas; small). uPlot sets element styles through the CSSOM, which a
 * strict CSP allows; the colours come from CSS variables so the chart follows the theme.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** A CSS variable name, e.g. --chart-1. */
  colorVar: string;
  values: Array<number | null>;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export default function LineChart({
  title,
  times,
  series,
  unit,
  height = 220,
}: {
  title: string;
  /** Unix seconds. */
  times: number[];
  series: Series[];
  unit: string;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const text = cssVar('--text-muted');
    const grid = cssVar('--border');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.colorVar),
          width: 2,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${Math.round(v * 100) / 100} ${unit}`),
        })),
      ],
      axes: [axis, { ...axis, label: unit, labelSize: 20 }],
      legend: { live: true },
    };
    const plot = new uPlot(options, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, element.clientWidth), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, unit, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}: chart; the same figures are in the table below`} />
    </figure>
  );
}
