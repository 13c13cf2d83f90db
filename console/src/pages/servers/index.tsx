import { useDeferredValue, useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { useAllDeployments, useServers } from '../../api/servers.ts';
import type { ServerRecord } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { errorRate, formatCount, formatDuration, formatPercent, matchesFilter } from '../../app/format.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { withSummaries } from './summary.ts';

const serverKey = (server: ServerRecord) => server.name;
const BY_NAME = { key: 'name', direction: 'ascending' } as const;

/** Seconds since a deployment started, or undefined. */
function uptimeSeconds(server: ServerRecord, now: number): number | undefined {
  const started = server.summary?.startedAt;
  if (!started || server.status !== 'running') return undefined;
  return Math.max(0, (now - Date.parse(started)) / 1000);
}

function columns(now: number): Array<Column<ServerRecord>> {
  return [
    {
      key: 'name',
      header: 'Name',
      sortValue: (s) => s.name,
      render: (s) => <Link href={`/servers/${encodeURIComponent(s.name)}`}>{s.name}</Link>,
    },
    {
      key: 'status',
      header: 'Status',
      sortValue: (s) => s.status,
      render: (s) => <Badge tone={statusTone(s.status)}>{s.status}</Badge>,
    },
    {
      key: 'health',
      header: 'Health',
      sortValue: (s) => s.summary?.health ?? undefined,
      render: (s) =>
        s.summary?.health ? (
          <Badge tone={statusTone(s.summary.health)}>{s.summary.health}</Badge>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      key: 'revision',
      header: 'Revision',
      sortValue: (s) => s.currentRevision,
      className: 'num',
      render: (s) => (
        <span title={`version ${s.currentVersion}`}>
          {s.currentRevision}
          {s.latestRevision !== s.currentRevision ? (
            <span className="muted"> / {s.latestRevision}</span>
          ) : null}
        </span>
      ),
    },
    {
      key: 'target',
      header: 'Target',
      sortValue: (s) => s.summary?.target ?? undefined,
      render: (s) => s.summary?.target ?? <span className="muted">—</span>,
    },
    {
      key: 'endpoint',
      header: 'Endpoint',
      render: (s) =>
        s.summary?.endpoint ? <code>{s.summary.endpoint}</code> : <span className="muted">—</span>,
    },
    {
      key: 'uptime',
      header: 'Uptime',
      className: 'num',
      sortValue: (s) => uptimeSeconds(s, now),
      render: (s) => formatDuration(uptimeSeconds(s, now)),
    },
    {
      key: 'calls',
      header: 'Calls (1 h)',
      className: 'num',
      sortValue: (s) => s.summary?.calls,
      render: (s) => formatCount(s.summary?.calls),
    },
    {
      key: 'errors',
      header: 'Error rate',
      className: 'num',
      sortValue: (s) => errorRate(s.summary?.calls, s.summary?.errors),
      render: (s) => formatPercent(errorRate(s.summary?.calls, s.summary?.errors)),
    },
  ];
}

export default function ServersPage() {
  const auth = useAuth();
  const servers = useServers();
  const deployments = useAllDeployments();
  const [filter, setFilter] = useState('');
  const deferredFilter = useDeferredValue(filter);
  const filterId = useId();
  const now = servers.dataUpdatedAt || Date.now();
  const all = useMemo(
    () => withSummaries(servers.data?.servers ?? [], deployments.data?.deployments),
    [servers.data, deployments.data],
  );
  // Health and call figures are shown only when the API reports them (see work/notes/console-needs.md).
  const hasCalls = all.some((s) => s.summary?.calls !== undefined);
  const hasHealth = all.some((s) => s.summary?.health);
  const cols = useMemo(
    () =>
      columns(now).filter(
        (c) => (hasCalls || (c.key !== 'calls' && c.key !== 'errors')) && (hasHealth || c.key !== 'health'),
      ),
    [now, hasCalls, hasHealth],
  );
  const rows = useMemo(
    () =>
      all.filter((s) =>
        matchesFilter(deferredFilter, [
          s.name,
          s.status,
          s.currentVersion,
          s.summary?.target,
          s.summary?.health,
          s.summary?.endpoint,
        ]),
      ),
    [all, deferredFilter],
  );

  return (
    <>
      <div className="page-head">
        <h1>Servers</h1>
        {auth.can('servers.create') ? (
          <Link href="/create" className="btn btn-primary">
            Create a server
          </Link>
        ) : null}
      </div>
      {servers.isPending ? (
        <Spinner label="Loading servers…" />
      ) : servers.isError ? (
        <ErrorPanel
          title="Could not list the servers"
          error={servers.error}
          onRetry={() => void servers.refetch()}
        />
      ) : all.length === 0 ? (
        <EmptyState title="No servers yet">
          {auth.can('servers.create') ? (
            <p>
              <Link href="/create">Create one</Link> from a spec, a template, an OpenAPI document or a
              database, or run <code>mcp-factory create --spec FILE</code>.
            </p>
          ) : (
            <p>Servers you may see will appear here once someone creates them.</p>
          )}
        </EmptyState>
      ) : (
        <>
          <div className="toolbar">
            <div className="field field-inline">
              <label htmlFor={filterId}>Filter servers</label>
              <input
                id={filterId}
                type="search"
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                placeholder="name, status, target…"
              />
            </div>
            <output className="muted" aria-live="polite">
              {rows.length === all.length
                ? `${all.length} ${all.length === 1 ? 'server' : 'servers'}`
                : `${rows.length} of ${all.length} servers`}
            </output>
          </div>
          {rows.length === 0 ? (
            <EmptyState title="No server matches the filter">
              <p>Clear the filter or try fewer words.</p>
            </EmptyState>
          ) : (
            <DataTable
              caption="Servers"
              columns={cols}
              rows={rows}
              rowKey={serverKey}
              initialSort={BY_NAME}
            />
          )}
        </>
      )}
    </>
  );
}
