import { useLocation, useSearch } from 'wouter';
import { useServer } from '../../api/servers.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { type TabSpec, Tabs } from '../../components/Tabs.tsx';
import { DeploymentsTab } from './DeploymentsTab.tsx';
import { LogsTab } from './LogsTab.tsx';
import { MetricsTab } from './MetricsTab.tsx';
import { OverviewTab } from './OverviewTab.tsx';
import { RevisionsTab } from './RevisionsTab.tsx';
import { ServerActions } from './ServerActions.tsx';
import { TriggersTab } from './TriggersTab.tsx';

const TABS: TabSpec[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'revisions', label: 'Revisions' },
  { id: 'deployments', label: 'Deployments' },
  { id: 'logs', label: 'Logs' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'triggers', label: 'Triggers' },
];

/** One server: its state, actions and a tab per aspect; the tab is in the URL (?tab=logs) so it can be shared. */
export default function ServerPage({ name }: { name: string }) {
  const status = useServer(name);
  const search = useSearch();
  const [location, navigate] = useLocation();
  const requested = new URLSearchParams(search).get('tab') ?? 'overview';
  const tab = TABS.some((t) => t.id === requested) ? requested : 'overview';

  if (status.isPending) return <Spinner label={`Loading ${name}…`} />;
  if (status.isError)
    return (
      <>
        <h1>{name}</h1>
        <ErrorPanel
          title={`Could not load ${name}`}
          error={status.error}
          onRetry={() => void status.refetch()}
        />
      </>
    );
  const data = status.data;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>{data.server.name}</h1>
          <p className="subtitle">
            <Badge tone={statusTone(data.server.status)}>{data.server.status}</Badge> revision{' '}
            {data.server.currentRevision} (version {data.server.currentVersion})
          </p>
        </div>
        <ServerActions status={data} />
      </div>
      {data.server.lastError ? (
        <div className="error-panel" role="status">
          <p className="error-title">Last error</p>
          <pre className="wrap">{data.server.lastError}</pre>
        </div>
      ) : null}
      <Tabs
        label={`${name} details`}
        tabs={TABS}
        selected={tab}
        onSelect={(id) => navigate(`${location}?tab=${id}`, { replace: true })}
      >
        {tab === 'overview' ? <OverviewTab status={data} /> : null}
        {tab === 'revisions' ? <RevisionsTab status={data} /> : null}
        {tab === 'deployments' ? <DeploymentsTab status={data} /> : null}
        {tab === 'logs' ? <LogsTab name={name} /> : null}
        {tab === 'metrics' ? <MetricsTab name={name} /> : null}
        {tab === 'triggers' ? <TriggersTab status={data} /> : null}
      </Tabs>
    </>
  );
}
