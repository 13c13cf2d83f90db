/**
 * Toolsmith reviews: the runs waiting for a decision (stage 1: is the output right? stage 2: promote the
 * tool?) or all runs, and one run's question, plan, code, validation report, result and decisions (?run=).
 */
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link, useSearchParams } from 'wouter';
import { ApiError, api } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { safeText } from '../../components/schema-form/index.ts';
import { RunDetail } from './RunDetail.tsx';
import { reviewStage } from './series.ts';
import type { RunView } from './types.ts';

const RUN_ID = /^run_[0-9a-f]{16}$/;

export default function ReviewsPage() {
  const [params, setParams] = useSearchParams();
  const run = params.get('run');
  const { can } = useAuth();
  if (!can('toolsmith.read'))
    return (
      <section className="page">
        <h1>Reviews</h1>
        <EmptyState title="Your role cannot read toolsmith runs">
          Ask an administrator for the toolsmith.read permission.
        </EmptyState>
      </section>
    );
  if (run && RUN_ID.test(run))
    return (
      <section className="page page-review">
        <p>
          <Link href="/reviews">← All reviews</Link>
        </p>
        <RunDetail id={run} />
      </section>
    );
  const pendingOnly = params.get('all') !== '1';
  return (
    <RunList
      pendingOnly={pendingOnly}
      onPendingOnly={(v) => setParams(v ? {} : { all: '1' }, { replace: true })}
    />
  );
}

function RunList({
  pendingOnly,
  onPendingOnly,
}: {
  pendingOnly: boolean;
  onPendingOnly: (value: boolean) => void;
}) {
  const toggleId = useId();
  const runs = useQuery({
    queryKey: ['toolsmith-runs', pendingOnly],
    queryFn: ({ signal }) =>
      api<{ runs: RunView[] }>(`/mcp/analyze?limit=200${pendingOnly ? '&pending=1' : ''}`, { signal }),
    refetchInterval: 15_000,
  });
  const columns: Array<Column<RunView>> = [
    {
      key: 'question',
      header: 'Question',
      render: (r) => <Link href={`/reviews?run=${r.id}`}>{safeText(r.question, 120) ?? r.id}</Link>,
      sortValue: (r) => r.question,
    },
    {
      key: 'waits',
      header: 'Waits for',
      render: (r) => {
        const stage = reviewStage(r);
        return stage ? <Badge tone="warn">stage {stage} review</Badge> : <span className="muted">—</span>;
      },
    },
    {
      key: 'status',
      header: 'Status',
      render: (r) => <Badge tone={statusTone(r.status)}>{r.status}</Badge>,
      sortValue: (r) => r.status,
    },
    { key: 'tool', header: 'Tool state', render: (r) => r.toolState, sortValue: (r) => r.toolState },
    { key: 'by', header: 'Asked by', render: (r) => r.createdBy ?? '', sortValue: (r) => r.createdBy },
    {
      key: 'at',
      header: 'Created',
      render: (r) =>
        r.createdAt ? <time dateTime={r.createdAt}>{new Date(r.createdAt).toLocaleString()}</time> : '',
      sortValue: (r) => r.createdAt,
    },
  ];
  return (
    <section className="page page-reviews">
      <h1>Reviews</h1>
      <div className="field field-boolean">
        <input
          id={toggleId}
          type="checkbox"
          checked={pendingOnly}
          onChange={(e) => onPendingOnly(e.currentTarget.checked)}
        />
        <label htmlFor={toggleId}>Only runs waiting for a review</label>
      </div>
      {runs.isPending ? (
        <Spinner label="Loading the runs…" />
      ) : runs.isError ? (
        runs.error instanceof ApiError && runs.error.code === 'TOOLSMITH_FAILED' ? (
          <EmptyState title="This factory has no toolsmith">
            The toolsmith runs with `mcp-factory serve` when it has a factory home and an LLM provider
            (docs/llm.md).
          </EmptyState>
        ) : (
          <ErrorPanel
            error={runs.error}
            title="Could not list the runs"
            onRetry={() => void runs.refetch()}
          />
        )
      ) : runs.data.runs.length === 0 ? (
        <EmptyState title={pendingOnly ? 'Nothing waits for a review' : 'No toolsmith runs yet'}>
          Runs start when someone asks a question about a dataset (POST /mcp/analyze, or the analyze_data
          tool).
        </EmptyState>
      ) : (
        <DataTable
          caption={pendingOnly ? 'Runs waiting for a review' : 'Toolsmith runs'}
          columns={columns}
          rows={runs.data.runs}
          rowKey={(r) => r.id}
          initialSort={{ key: 'at', direction: 'descending' }}
        />
      )}
    </section>
  );
}
