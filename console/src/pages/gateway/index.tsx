/**
 * The gateway: its upstream servers (health, circuit breakers, calls and failures, replicas) and the tool
 * descriptions its catalog flagged. The gateway is a separate process (`mcp-factory gateway`); the console
 * reaches it only through the same origin, when the factory says where (GET /mcp/capabilities: gateway.url).
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { Badge } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { safeText } from '../../components/schema-form/index.ts';
import { useCapabilities } from '../capabilities.ts';
import { CacheCard } from './CacheCard.tsx';
import {
  breakerTone,
  breakerWords,
  errorRateText,
  type GatewayHealth,
  gatewayBase,
  sortUpstreams,
  type UpstreamHealth,
} from './model.ts';

export default function GatewayPage() {
  const capabilities = useCapabilities();
  const base = gatewayBase(capabilities.data?.gateway?.url);
  return (
    <section className="page page-gateway">
      <h1>Gateway</h1>
      {capabilities.isPending ? (
        <Spinner />
      ) : capabilities.isError ? (
        <ErrorPanel error={capabilities.error} title="Could not ask the factory about its gateway" />
      ) : base ? (
        <GatewayStatus base={base} />
      ) : (
        <EmptyState title="No gateway is connected to this console">
          <p>
            The gateway is its own process: it puts the deployed servers behind one MCP endpoint with circuit
            breakers, a result cache and rate limits. Run one with{' '}
            <code>mcp-factory gateway --port 8090</code> (README: “The gateway”).
          </p>
          <p>
            To show its upstreams, breakers and cache here, the operator sets{' '}
            <code>MCP_FACTORY_GATEWAY_URL</code> (and <code>MCP_FACTORY_GATEWAY_TOKEN</code>, a gateway token
            with servers.read and api.metrics) where <code>mcp-factory serve</code> runs; the factory then
            reads the gateway for this page.
          </p>
        </EmptyState>
      )}
    </section>
  );
}

function GatewayStatus({ base }: { base: string }) {
  // The factory reads the gateway with its own token: what is shown is the gateway as the factory sees it.
  const health = useQuery({
    queryKey: ['gateway-health', base],
    queryFn: ({ signal }) => api<GatewayHealth>(`${base}/health/detailed`, { signal }),
    refetchInterval: 10_000,
  });
  if (health.isPending) return <Spinner label="Asking the gateway…" />;
  if (health.isError)
    return (
      <ErrorPanel
        error={health.error}
        title="The gateway did not answer"
        onRetry={() => void health.refetch()}
      />
    );
  const data = health.data;
  const columns: Array<Column<UpstreamHealth>> = [
    { key: 'name', header: 'Upstream', render: (u) => <code>{u.name}</code>, sortValue: (u) => u.name },
    { key: 'source', header: 'Source', render: (u) => u.source, sortValue: (u) => u.source },
    {
      key: 'connected',
      header: 'Connection',
      render: (u) => (
        <Badge tone={u.connected ? 'ok' : 'bad'}>{u.connected ? 'connected' : 'disconnected'}</Badge>
      ),
    },
    {
      key: 'breaker',
      header: 'Breaker',
      render: (u) => <Badge tone={breakerTone(u.breaker)}>{breakerWords(u.breaker)}</Badge>,
      sortValue: (u) => u.breaker,
    },
    {
      key: 'tools',
      header: 'Tools',
      render: (u) => (u.tools === null ? '—' : u.tools),
      sortValue: (u) => u.tools ?? -1,
    },
    { key: 'calls', header: 'Calls', render: (u) => u.calls, sortValue: (u) => u.calls },
    {
      key: 'errors',
      header: 'Failures',
      render: (u) => `${u.failures} (${errorRateText(u.calls, u.failures)})`,
      sortValue: (u) => u.failures,
    },
    {
      key: 'replicas',
      header: 'Replicas',
      render: (u) =>
        u.replicas?.length ? (
          <details>
            <summary>{u.replicas.length} endpoints</summary>
            <ul>
              {u.replicas.map((r) => (
                <li key={r.endpoint}>
                  <code>{r.endpoint}</code> <Badge tone={breakerTone(r.breaker)}>{r.breaker}</Badge>
                  {r.benched ? ' benched' : ''} · {r.inFlight} in flight · {r.calls} calls, {r.failures}{' '}
                  failed
                </li>
              ))}
            </ul>
          </details>
        ) : (
          '—'
        ),
    },
    { key: 'error', header: 'Last error', render: (u) => (u.lastError ? safeText(u.lastError, 200) : '') },
  ];
  return (
    <>
      <p>
        {data.upstreams.length} upstreams, {data.tools} tools you may use.
      </p>
      {data.upstreams.length === 0 ? (
        <EmptyState title="The gateway has no upstreams">
          Deploy a server, or add one to the gateway (POST /api/v1/servers on the gateway).
        </EmptyState>
      ) : (
        <DataTable
          caption="Upstream servers"
          columns={columns}
          rows={sortUpstreams(data.upstreams)}
          rowKey={(u) => u.name}
        />
      )}
      <CacheCard base={base} />
      <section className="card" aria-labelledby="flagged-heading">
        <h2 id="flagged-heading">Flagged tool descriptions</h2>
        {data.report.flagged.length === 0 ? (
          <p className="muted">
            No description was flagged (prose addressing the model, hidden instructions).
          </p>
        ) : (
          <ul>
            {data.report.flagged.map((f) => (
              <li key={`${f.upstream}/${f.tool}`}>
                <code>
                  {f.upstream}/{f.tool}
                </code>{' '}
                {f.blocked ? <Badge tone="bad">blocked</Badge> : <Badge tone="warn">flagged</Badge>}{' '}
                {f.flags.map((flag) => safeText(flag, 80)).join(', ')}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
