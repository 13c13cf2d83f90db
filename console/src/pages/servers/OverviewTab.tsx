import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { useEnvNames } from '../../api/servers.ts';
import type { ServerStatus } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { formatMs, formatPercent } from '../../app/format.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';
import { type HealthSample, mergeHealthSamples } from './summary.ts';

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

/**
 * The factory does not persist health checks, so the history is what this page saw: each refresh of the
 * server's status (every 10 s) adds the deployments' latest checks.
 */
function HealthHistory({ status }: { status: ServerStatus }) {
  const [samples, setSamples] = useState<HealthSample[]>([]);
  useEffect(() => {
    setSamples((previous) => mergeHealthSamples(previous, status.deployments));
  }, [status.deployments]);
  return (
    <section aria-labelledby="overview-health">
      <h2 id="overview-health">Health since this page opened</h2>
      <p className="help">
        The factory keeps no health history; checks are collected while this page is open.
      </p>
      {samples.length === 0 ? (
        <p className="muted">No health checks yet.</p>
      ) : (
        <HealthStrip checks={samples} />
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
