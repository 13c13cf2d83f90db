import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { api } from '../../api/client.ts';
import type { AuditEntry } from '../../api/types.ts';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';
import { type AuditFilters, auditQuery, withinTime } from './filters.ts';

const PAGE = 100;

/** The audit trail, newest first: filter by actor, action, server and time; page backwards with "Load older". */
export default function AuditPage() {
  const [filters, setFilters] = useState<AuditFilters>({});
  const ids = { actor: useId(), action: useId(), target: useId(), from: useId(), to: useId() };
  const entries = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam, signal }) =>
      api<{ entries: AuditEntry[] }>(`/mcp/audit?${auditQuery(filters, PAGE, pageParam)}`, { signal }),
    getNextPageParam: (last) => (last.entries.length < PAGE ? undefined : last.entries.at(-1)?.id),
  });
  const all = useMemo(() => entries.data?.pages.flatMap((p) => p.entries) ?? [], [entries.data]);
  const shown = useMemo(() => all.filter((e) => withinTime(e, filters)), [all, filters]);
  // Entries are newest first: once one is older than "from", older pages cannot match.
  const pastFrom =
    filters.from !== undefined && all.length > 0 && Date.parse(all.at(-1)!.at) < Date.parse(filters.from);

  // A "to" time can hide whole pages of newer entries: keep loading until something shows or the window is passed.
  useEffect(() => {
    if (filters.to && shown.length === 0 && entries.hasNextPage && !entries.isFetching && !pastFrom)
      void entries.fetchNextPage();
  }, [filters.to, shown.length, entries.hasNextPage, entries.isFetching, pastFrom, entries.fetchNextPage]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (key: string) => {
      const value = String(form.get(key) ?? '').trim();
      return value || undefined;
    };
    const time = (key: string) => {
      const value = text(key);
      return value ? new Date(value).toISOString() : undefined;
    };
    const next: AuditFilters = {};
    for (const [key, value] of [
      ['actor', text('actor')],
      ['action', text('action')],
      ['target', text('target')],
      ['from', time('from')],
      ['to', time('to')],
    ] as const)
      if (value !== undefined) next[key] = value;
    setFilters(next);
  }

  return (
    <>
      <h1>Audit</h1>
      <form className="card form-grid" onSubmit={apply} aria-label="Audit filters">
        <div className="field">
          <label htmlFor={ids.actor}>Actor</label>
          <input id={ids.actor} name="actor" placeholder="alice, token:ci" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={ids.action}>Action</label>
          <input id={ids.action} name="action" placeholder="server.create" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={ids.target}>Server or target</label>
          <input id={ids.target} name="target" placeholder="inventory" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} name="from" type="datetime-local" />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} name="to" type="datetime-local" />
        </div>
        <div className="actions">
          <Button type="submit" variant="primary">
            Apply filters
          </Button>
          <Button type="reset" onClick={() => setFilters({})}>
            Clear
          </Button>
        </div>
      </form>
      {entries.isPending ? (
        <Spinner label="Loading the audit trail…" />
      ) : entries.isError ? (
        <ErrorPanel
          title="Could not read the audit trail"
          error={entries.error}
          onRetry={() => void entries.refetch()}
        />
      ) : shown.length === 0 && (!entries.hasNextPage || pastFrom) ? (
        <EmptyState
          title={Object.keys(filters).length ? 'No entry matches the filters' : 'The audit trail is empty'}
        >
          {Object.keys(filters).length ? (
            <p>Filters match exactly (e.g. action server.create); clear them to see all.</p>
          ) : null}
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Audit entries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <TimeAgo at={e.at} />
                    </td>
                    <td>{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{e.target}</td>
                    <td>
                      {e.details && Object.keys(e.details).length > 0 ? (
                        <details>
                          <summary>Show</summary>
                          <pre className="wrap">{JSON.stringify(e.details, null, 2)}</pre>
                        </details>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {entries.hasNextPage && !pastFrom ? (
            <Button busy={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
              Load older entries
            </Button>
          ) : (
            <p className="muted">No older entries{filters.from ? ' in this window' : ''}.</p>
          )}
        </>
      )}
    </>
  );
}
