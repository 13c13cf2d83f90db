import { useEffect, useId, useState } from 'react';
import { Link } from 'wouter';
import { useEnvNames, useServerHealth } from '../../api/servers.ts';
import type { ServerStatus } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { formatMs, formatPercent } from '../../app/format.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';
import { type HealthSample, healthTimeline, mergeHealthSamples } from './summary.ts';

/** Health, endpoints, environment variable names (never values) and tools of the current deployments. */
export function OverviewTab({ status }: { status: ServerStatus }) {
  const auth = useAuth();
  const name = status.server.name;
  const active = status.deployments.filter((d) => d.status !== 'stopped' && d.status !== 'removed');
  return (
    <div className="stack">
      <section aria-labelledby="overview-deployments">
        <h2 id="overview-deployments">Current deployments</h2>
        {active.length === 0 ? (
          <EmptyState title="Not deployed">
            <p>Use Deploy above to run revision {status.server.currentRevision} on a target.</p>
          </EmptyState>
        ) : (
          <dl className="facts">
            {active.map((d) => (
              <div key={d.id} className="fact-group">
                <dt>
                  {d.target} <span className="muted">#{d.id}</span>
                </dt>
                <dd>
                  <Badge tone={statusTone(d.status)}>{d.status}</Badge>{' '}
                  {d.health ? (
                    <>
                      <Badge tone={statusTone(d.health.health)}>{d.health.health}</Badge>{' '}
                      <span className="muted">
                        {d.health.responseMs !== undefined ? `${formatMs(d.health.responseMs)}, ` : ''}
                        checked <TimeAgo at={d.health.checkedAt} />
                      </span>
                    </>
                  ) : null}
                </dd>
                <dd>
                  Endpoint: {d.endpoint ? <code>{d.endpoint}</code> : <span className="muted">none yet</span>}
                </dd>
                {d.startedAt ? (
                  <dd>
                    Started <TimeAgo at={d.startedAt} />
                  </dd>
                ) : null}
                {d.lastError ? <dd className="text-bad">{d.lastError}</dd> : null}
              </div>
            ))}
          </dl>
        )}
      </section>
      <HealthHistory status={status} />
      <EnvNames name={name} />
      <section aria-labelledby="overview-tools">
        <h2 id="overview-tools">Tools ({status.tools.length})</h2>
        {status.tools.length === 0 ? (
          <EmptyState title="No tools you may use" />
        ) : (
          <ul className="tool-list">
            {status.tools.map((tool) => (
              <li key={tool.name}>
                {auth.can('servers.call') ? (
                  <Link
                    href={`/playground?server=${encodeURIComponent(name)}&tool=${encodeURIComponent(tool.name)}`}
                  >
                    <code>{tool.name}</code>
                  </Link>
                ) : (
                  <code>{tool.name}</code>
                )}
                {/* Tool descriptions come from specs and may be hostile: rendered as text only. */}
                {tool.description ? <span className="muted"> — {tool.description}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

const WINDOWS = [
  { minutes: 60, label: 'Last hour', slots: 60 },
  { minutes: 24 * 60, label: 'Last 24 hours', slots: 96 },
  { minutes: 7 * 24 * 60, label: 'Last 7 days', slots: 84 },
] as const;

/**
 * The server's stored health checks as a timeline over a chosen window (GET /mcp/servers/:name/health). A
 * factory that does not store them: the checks this page saw, each refresh of the status adding the latest.
 */
function HealthHistory({ status }: { status: ServerStatus }) {
  const [windowIndex, setWindowIndex] = useState(0);
  const chosen = WINDOWS[windowIndex] ?? WINDOWS[0];
  const stored = useServerHealth(status.server.name, chosen.minutes);
  const [samples, setSamples] = useState<HealthSample[]>([]);
  useEffect(() => {
    setSamples((previous) => mergeHealthSamples(previous, status.deployments));
  }, [status.deployments]);
  const selectId = useId();
  if (stored.isPending) return <Spinner label="Loading the health history…" />;
  if (stored.data === null || stored.isError)
    return (
      <section aria-labelledby="overview-health">
        <h2 id="overview-health">Health since this page opened</h2>
        <p className="help">
          This factory keeps no health history; checks are collected while this page is open.
        </p>
        {samples.length === 0 ? (
          <p className="muted">No health checks yet.</p>
        ) : (
          <HealthStrip checks={samples} />
        )}
      </section>
    );
  const until = stored.dataUpdatedAt || Date.now();
  const since = until - chosen.minutes * 60_000;
  const timeline = healthTimeline(stored.data.history, since, until, chosen.slots);
  const inWindow = stored.data.history.filter((c) => Date.parse(c.checkedAt) >= since);
  const latest = stored.data.history.at(-1);
  return (
    <section aria-labelledby="overview-health">
      <div className="toolbar">
        <h2 id="overview-health">Health history</h2>
        <div className="field field-inline">
          <label htmlFor={selectId}>Window</label>
          <select id={selectId} value={windowIndex} onChange={(e) => setWindowIndex(Number(e.target.value))}>
            {WINDOWS.map((w, i) => (
              <option key={w.minutes} value={i}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="help">
        Stored checks: every change of state, and one check a minute while it stays the same (kept 7 days).
      </p>
      {latest === undefined ? (
        <p className="muted">No health checks stored yet.</p>
      ) : (
        <>
          <p>
            {inWindow.length} stored {inWindow.length === 1 ? 'check' : 'checks'} in the window; latest{' '}
            <Badge tone={statusTone(latest.health)}>{latest.health}</Badge>{' '}
            <span className="muted">
              <TimeAgo at={latest.checkedAt} />
            </span>
            {latest.detail ? <span className="muted"> — {latest.detail}</span> : null}
          </p>
          <ol
            className="health-strip health-timeline"
            aria-label={`Health over the ${chosen.label.toLowerCase()}, oldest first`}
          >
            {timeline.map((slot) => {
              const label = `${new Date(slot.from).toLocaleString()} – ${new Date(slot.to).toLocaleTimeString()}: ${slot.health ?? 'no data'}`;
              return (
                <li
                  key={slot.from}
                  className={`health-cell${slot.health ? ` health-${statusTone(slot.health)}` : ''}`}
                  title={label}
                  data-health={slot.health ?? 'none'}
                >
                  <span className="visually-hidden">{label}</span>
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}

function HealthStrip({ checks }: { checks: HealthSample[] }) {
  const healthy = checks.filter((c) => c.health === 'healthy').length;
  const last = checks.slice(-60);
  return (
    <>
      <p>
        Healthy in {formatPercent(healthy / checks.length)} of {checks.length} checks; latest{' '}
        <Badge tone={statusTone(checks.at(-1)?.health)}>{checks.at(-1)?.health}</Badge>
        {checks.at(-1)?.responseMs !== undefined ? ` (${formatMs(checks.at(-1)?.responseMs)})` : ''}.
      </p>
      <ol className="health-strip" aria-label="Latest health checks, oldest first">
        {last.map((check) => (
          <li
            key={check.key}
            className={`health-cell health-${statusTone(check.health)}`}
            title={`${new Date(check.checkedAt).toLocaleString()}: ${check.health}${check.responseMs !== undefined ? `, ${formatMs(check.responseMs)}` : ''}`}
          >
            <span className="visually-hidden">
              {new Date(check.checkedAt).toLocaleString()}: {check.health}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}

function EnvNames({ name }: { name: string }) {
  const env = useEnvNames(name);
  return (
    <section aria-labelledby="overview-env">
      <h2 id="overview-env">Environment variables</h2>
      <p className="help">Names only: values are secrets, and the console never shows them.</p>
      {env.isPending ? (
        <Spinner label="Loading variable names…" />
      ) : env.isError ? (
        <ErrorPanel error={env.error} title="Could not load the variable names" />
      ) : env.data === null ? (
        <p className="muted">This factory does not report environment variable names yet.</p>
      ) : env.data.variables.length === 0 ? (
        <p className="muted">The server uses no environment variables.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Environment variables</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Required</th>
                <th scope="col">Value comes from</th>
              </tr>
            </thead>
            <tbody>
              {env.data.variables.map((v) => (
                <tr key={v.name}>
                  <th scope="row">
                    <code>{v.name}</code>
                    {v.referenced ? null : <span className="muted"> (not used by the current revision)</span>}
                  </th>
                  <td>{v.required ? 'yes' : 'no'}</td>
                  <td>{v.source ?? <span className="muted">set at deploy time</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
