/**
 * Search the tools of every server the caller may see (GET /mcp/tools?q=), grouped by server, each with a
 * link to try it in the playground. Descriptions are untrusted text: capped and rendered as text.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { api } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Badge } from '../../components/Badge.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { safeText } from '../../components/schema-form/index.ts';
import { groupByServer, playgroundHref, type ToolMatch } from './group.ts';

const DEBOUNCE_MS = 250;

export default function SearchPage() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const [query, setQuery] = useState(text.trim());
  const inputId = useId();
  const { can } = useAuth();

  useEffect(() => {
    const timer = setTimeout(() => {
      const next = text.trim();
      setQuery(next);
      setParams(next ? { q: next } : {}, { replace: true });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, setParams]);

  const search = useQuery({
    queryKey: ['tools', query],
    enabled: query.length > 0,
    queryFn: ({ signal }) =>
      api<{ matches: ToolMatch[] }>(`/mcp/tools?q=${encodeURIComponent(query.slice(0, 2000))}&limit=100`, {
        signal,
      }),
  });
  const groups = search.data ? groupByServer(search.data.matches) : [];

  return (
    <section className="page page-search">
      <h1>Search tools</h1>
      <search>
        <form className="search-form" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor={inputId}>Search tools across servers</label>
          <input
            id={inputId}
            type="search"
            value={text}
            maxLength={2000}
            placeholder="e.g. list open invoices"
            onChange={(e) => setText(e.currentTarget.value)}
          />
        </form>
      </search>
      {!can('tools.search') && <p className="muted">Your role cannot search tools (tools.search).</p>}
      {query === '' ? (
        <EmptyState title="Type what a tool should do">
          Keywords or a task in words: names, titles and descriptions of every server's tools are searched.
        </EmptyState>
      ) : search.isPending ? (
        <Spinner label="Searching…" />
      ) : search.isError ? (
        <ErrorPanel error={search.error} title="The search failed" onRetry={() => void search.refetch()} />
      ) : groups.length === 0 ? (
        <EmptyState title={`No tool matches “${query.slice(0, 80)}”`}>
          Try other words, or fewer of them. Servers you may not see are left out.
        </EmptyState>
      ) : (
        <div className="search-results" aria-live="polite">
          <p className="muted">
            {search.data?.matches.length} tools on {groups.length} servers
          </p>
          {groups.map((group) => (
            <section key={group.server} className="card search-group" aria-labelledby={`g-${group.server}`}>
              <h2 id={`g-${group.server}`}>
                <Link href={`/servers/${encodeURIComponent(group.server)}`}>{group.server}</Link>{' '}
                <Badge tone="muted">v{group.version}</Badge>
              </h2>
              <ul className="match-list">
                {group.matches.map((match) => (
                  <li key={match.tool} className="match">
                    <div className="match-head">
                      <code>{match.tool}</code>
                      {match.title && <span> — {safeText(match.title, 120)}</span>}
                      {match.annotations.readOnlyHint === true && <Badge tone="info">read-only</Badge>}
                      {match.annotations.destructiveHint === true && <Badge tone="warn">destructive</Badge>}
                    </div>
                    {match.description && (
                      <p className="match-description">{safeText(match.description, 300)}</p>
                    )}
                    <Link href={playgroundHref(match.server, match.tool)}>
                      Try {match.tool} in the playground
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </section>
  );
}
