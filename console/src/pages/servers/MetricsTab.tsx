import { lazy, Suspense, useId, useMemo, useState } from 'react';
import { useMetrics, useServerStats } from '../../api/servers.ts';
import type { CallStats, MetricPoint } from '../../api/types.ts';
import { formatCount, formatMs, formatPercent } from '../../app/format.ts';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import type { Series } from '../../components/LineChart.tsx';
import { Spinner } from '../../components/Spinner.tsx';

// uPlot loads with the first chart, not with the server page.
const LineChart = lazy(() => import('../../components/LineChart.tsx'));

const WINDOWS = [
  { minutes: 60, label: 'Last hour' },
  { minutes: 6 * 60, label: 'Last 6 hours' },
  { minutes: 24 * 60, label: 'Last 24 hours' },
  { minutes: 7 * 24 * 60, label: 'Last 7 days' },
];

/** Latency percentiles and call/error counts over time, and the per-tool figures of the same window. */
export function MetricsTab({ name }: { name: string }) {
  const [minutes, setMinutes] = useState(60);
  const windowId = useId();
  const stats = useServerStats(name, minutes);
  const metrics = useMetrics(name, minutes);
  return (
    <section aria-labelledby="metrics-heading" className="stack">
      <h2 id="metrics-heading">Metrics</h2>
      <div className="field field-inline">
        <label htmlFor={windowId}>Time window</label>
        <select id={windowId} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          {WINDOWS.map((w) => (
            <option key={w.minutes} value={w.minutes}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
      {metrics.isPending ? (
        <Spinner label="Loading the time series…" />
      ) : metrics.isError ? (
        <ErrorPanel title="Could not load the time series" error={metrics.error} />
      ) : metrics.data === null ? (
        <p className="muted">
          This factory does not report metrics over time yet; the window's totals are below.
        </p>
      ) : metrics.data.points.every((p) => p.calls === 0) ? (
        <p className="muted">No tool calls in this window.</p>
      ) : (
        <Charts points={metrics.data.points} />
      )}
      {stats.isPending ? (
        <Spinner label="Loading call statistics…" />
      ) : stats.isError ? (
        <ErrorPanel title="Could not load the call statistics" error={stats.error} />
      ) : stats.data.total.calls === 0 ? (
        // The charts' place already says so when the series exist.
        metrics.data === null ? (
          <p className="muted">No tool calls in this window.</p>
        ) : null
      ) : (
        <StatsTable rows={[{ tool: 'All tools', ...stats.data.total }, ...stats.data.tools]} />
      )}
    </section>
  );
}

/** Columns of the chart data: uPlot wants one array of times and one array per series. */
export function toSeries(points: MetricPoint[]) {
  return {
    times: points.map((p) => Date.parse(p.at) / 1000),
    latency: [
      { label: 'p50', colorVar: '--chart-1', values: points.map((p) => p.p50Ms) },
      { label: 'p95', colorVar: '--chart-2', values: points.map((p) => p.p95Ms) },
      { label: 'p99', colorVar: '--chart-3', values: points.map((p) => p.p99Ms) },
    ] satisfies Series[],
    volume: [
      { label: 'calls', colorVar: '--chart-1', values: points.map((p) => p.calls) },
      { label: 'errors', colorVar: '--chart-bad', values: points.map((p) => p.errors) },
    ] satisfies Series[],
  };
}

function Charts({ points }: { points: MetricPoint[] }) {
  const data = useMemo(() => toSeries(points), [points]);
  return (
    <Suspense fallback={<Spinner label="Loading charts…" />}>
      <div className="charts">
        <LineChart title="Latency (p50, p95, p99)" times={data.times} series={data.latency} unit="ms" />
        <LineChart title="Calls and errors" times={data.times} series={data.volume} unit="calls" />
      </div>
    </Suspense>
  );
}

function StatsTable({ rows }: { rows: Array<CallStats & { tool: string }> }) {
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption>Calls in the window</caption>
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Error rate
            </th>
            <th scope="col" className="num">
              p50
            </th>
            <th scope="col" className="num">
              p95
            </th>
            <th scope="col" className="num">
              p99
            </th>
            <th scope="col" className="num">
              Max
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.tool}>
              <th scope="row">{r.tool === 'All tools' ? r.tool : <code>{r.tool}</code>}</th>
              <td className="num">{formatCount(r.calls)}</td>
              <td className="num">{formatPercent(r.errorRate)}</td>
              <td className="num">{formatMs(r.p50Ms)}</td>
              <td className="num">{formatMs(r.p95Ms)}</td>
              <td className="num">{formatMs(r.p99Ms)}</td>
              <td className="num">{formatMs(r.maxMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
