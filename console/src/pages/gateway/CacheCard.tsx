/**
 * The gateway's result cache and circuit breakers per upstream (GET {gateway}/cache, which the factory reads
 * from the gateway's metrics). A factory without that route answers 404: the card then says so and the rest
 * of the page stays.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { Badge } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { breakerTone, breakerWords, hitRateText, type UpstreamCache } from './model.ts';

const columns: Array<Column<UpstreamCache>> = [
  {
    key: 'upstream',
    header: 'Upstream',
    render: (c) => <code>{c.upstream}</code>,
    sortValue: (c) => c.upstream,
  },
  {
    key: 'hitRate',
    header: 'Cache hit rate',
    render: (c) => hitRateText(c.hitRate),
    sortValue: (c) => c.hitRate ?? -1,
  },
  { key: 'hits', header: 'Hits', render: (c) => c.hits, sortValue: (c) => c.hits },
  { key: 'misses', header: 'Misses', render: (c) => c.misses, sortValue: (c) => c.misses },
  {
    key: 'breaker',
    header: 'Breaker',
    render: (c) => (c.breaker ? <Badge tone={breakerTone(c.breaker)}>{breakerWords(c.breaker)}</Badge> : '—'),
  },
];

export function CacheCard({ base }: { base: string }) {
  const cache = useQuery({
    queryKey: ['gateway-cache', base],
    queryFn: ({ signal }) => api<{ upstreams: UpstreamCache[] }>(`${base}/cache`, { signal }),
    refetchInterval: 10_000,
  });
  return (
    <section className="card" aria-labelledby="cache-heading">
      <h2 id="cache-heading">Result cache and breakers</h2>
      {cache.isPending ? (
        <Spinner label="Reading the gateway's metrics…" />
      ) : cache.isError ? (
        <ErrorPanel error={cache.error} title="The cache figures are not available" />
      ) : cache.data.upstreams.length === 0 ? (
        <p className="muted">No upstream has a cache or a breaker yet.</p>
      ) : (
        <DataTable
          caption="Result cache per upstream"
          columns={columns}
          rows={cache.data.upstreams}
          rowKey={(c) => c.upstream}
        />
      )}
    </section>
  );
}
