import { useTriggerRuns } from '../../api/servers.ts';
import type { ServerStatus, TriggerRun } from '../../api/types.ts';
import { formatMs } from '../../app/format.ts';
import { Badge } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';

const outcomeTone = (outcome: string) =>
  outcome === 'succeeded' ? 'ok' : outcome === 'duplicate' ? 'muted' : 'bad';

const COLUMNS: Array<Column<TriggerRun>> = [
  {
    key: 'started',
    header: 'Started',
    sortValue: (r) => r.startedAt,
    render: (r) => <TimeAgo at={r.startedAt} />,
  },
  { key: 'trigger', header: 'Trigger', render: (r) => `#${r.trigger} ${r.type}` },
  { key: 'tool', header: 'Tool', sortValue: (r) => r.tool, render: (r) => <code>{r.tool}</code> },
  { key: 'attempt', header: 'Attempt', className: 'num', render: (r) => r.attempt },
  {
    key: 'outcome',
    header: 'Outcome',
    sortValue: (r) => r.outcome,
    render: (r) => <Badge tone={outcomeTone(r.outcome)}>{r.outcome}</Badge>,
  },
  {
    key: 'duration',
    header: 'Duration',
    className: 'num',
    sortValue: (r) => r.durationMs,
    render: (r) => formatMs(r.durationMs),
  },
  {
    key: 'error',
    header: 'Error',
    render: (r) => (r.error ? <span className="text-bad">{r.error}</span> : '—'),
  },
];

/** The server's triggers (schedules, webhooks, queues) and their latest runs. */
export function TriggersTab({ status }: { status: ServerStatus }) {
  const runs = useTriggerRuns(status.server.name);
  const triggers = status.triggers ?? [];
  return (
    <div className="stack">
      <section aria-labelledby="triggers-heading">
        <h2 id="triggers-heading">Triggers</h2>
        {triggers.length === 0 ? (
          <EmptyState title="No trigger has run">
            <p>
              Triggers are declared in the spec's <code>triggers</code> section; their runs appear here.
            </p>
          </EmptyState>
        ) : (
          <ul className="tool-list">
            {triggers.map((t) => (
              <li key={t.trigger}>
                #{t.trigger} {t.type} → <code>{t.tool}</code>: last{' '}
                <Badge tone={outcomeTone(t.lastOutcome)}>{t.lastOutcome}</Badge>{' '}
                <TimeAgo at={t.lastStartedAt} />{' '}
                <span className="muted">
                  (
                  {Object.entries(t.counts)
                    .map(([outcome, n]) => `${n} ${outcome}`)
                    .join(', ')}
                  )
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="trigger-runs-heading">
        <h2 id="trigger-runs-heading">Recent runs</h2>
        {runs.isPending ? (
          <Spinner label="Loading trigger runs…" />
        ) : runs.isError ? (
          <ErrorPanel title="Could not load the trigger runs" error={runs.error} />
        ) : runs.data.runs.length === 0 ? (
          <p className="muted">No runs yet.</p>
        ) : (
          <DataTable
            caption="Trigger runs"
            columns={COLUMNS}
            rows={runs.data.runs}
            rowKey={(r) => `${r.trigger}:${r.key}:${r.attempt}`}
          />
        )}
      </section>
    </div>
  );
}
