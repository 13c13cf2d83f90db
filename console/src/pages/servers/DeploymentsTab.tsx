import { useMemo } from 'react';
import { useServerDeployments, useServerHistory } from '../../api/servers.ts';
import type { Deployment, ServerStatus } from '../../api/types.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';

const COLUMNS: Array<Column<Deployment>> = [
  { key: 'id', header: 'Deployment', className: 'num', sortValue: (d) => d.id, render: (d) => `#${d.id}` },
  {
    key: 'revision',
    header: 'Revision',
    className: 'num',
    sortValue: (d) => d.revision,
    render: (d) => d.revision,
  },
  { key: 'target', header: 'Target', sortValue: (d) => d.target, render: (d) => d.target },
  {
    key: 'status',
    header: 'Status',
    sortValue: (d) => d.status,
    render: (d) => (
      <>
        <Badge tone={statusTone(d.status)}>{d.status}</Badge>
        {d.desired !== d.status ? <span className="muted"> (wants {d.desired})</span> : null}
      </>
    ),
  },
  {
    key: 'replicas',
    header: 'Replicas',
    className: 'num',
    render: (d) => (d.replicasDesired === null ? '—' : `${d.replicasActual ?? 0} / ${d.replicasDesired}`),
  },
  { key: 'endpoint', header: 'Endpoint', render: (d) => (d.endpoint ? <code>{d.endpoint}</code> : '—') },
  {
    key: 'started',
    header: 'Started',
    sortValue: (d) => d.startedAt ?? undefined,
    render: (d) => <TimeAgo at={d.startedAt} />,
  },
  { key: 'stopped', header: 'Stopped', render: (d) => <TimeAgo at={d.stoppedAt} /> },
  {
    key: 'error',
    header: 'Last error',
    render: (d) => (d.lastError ? <span className="text-bad">{d.lastError}</span> : '—'),
  },
];

/** Every deployment of the server, newest first, and its change history (the current ones when no history). */
export function DeploymentsTab({ status }: { status: ServerStatus }) {
  const name = status.server.name;
  const all = useServerDeployments(name);
  const history = useServerHistory(name);
  const rows = useMemo(
    () => (all.data ? all.data.deployments : status.deployments),
    [all.data, status.deployments],
  );
  return (
    <div className="stack">
      <section aria-labelledby="deployments-heading">
        <h2 id="deployments-heading">Deployments</h2>
        {all.isPending ? (
          <Spinner label="Loading deployments…" />
        ) : all.isError ? (
          <ErrorPanel title="Could not load the deployments" error={all.error} />
        ) : rows.length === 0 ? (
          <EmptyState title="Never deployed">
            <p>Use Deploy above to run it on a target.</p>
          </EmptyState>
        ) : (
          <DataTable
            caption="Deployments"
            columns={COLUMNS}
            rows={rows}
            rowKey={(d) => String(d.id)}
            initialSort={{ key: 'id', direction: 'descending' }}
          />
        )}
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        {history.isPending ? (
          <Spinner label="Loading the history…" />
        ) : history.isError ? (
          <ErrorPanel title="Could not load the history" error={history.error} />
        ) : history.data === null ? (
          <p className="muted">This factory does not report a server history yet.</p>
        ) : history.data.entries.length === 0 ? (
          <p className="muted">No changes recorded.</p>
        ) : (
          <ol className="history">
            {history.data.entries.map((entry) => (
              <li key={entry.id}>
                <TimeAgo at={entry.at} /> <code>{entry.action}</code> by {entry.actor}
                {describeDetails(entry.details)}
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

/** A short summary of an audit entry's details (revision, target, status), as text. */
export function describeDetails(details: Record<string, unknown> | null | undefined): string {
  if (!details) return '';
  const parts: string[] = [];
  for (const key of ['revision', 'from', 'to', 'target', 'status', 'version'] as const) {
    const value = details[key];
    if (typeof value === 'string' || typeof value === 'number') parts.push(`${key} ${value}`);
  }
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
