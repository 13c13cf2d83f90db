/**
 * One toolsmith run: question and dataset, the plan, the generated code (read-only <pre>), the validation
 * report, the result (its Markdown as text, a table, a uPlot chart when the rows are a series) and the
 * decisions; when it waits for a review, the reviewer's decision with a note (reject asks to confirm).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useId, useState } from 'react';
import { api } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { useToasts } from '../../app/toasts.tsx';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { safeText } from '../../components/schema-form/index.ts';
import { cellText, chartOf, reviewStage, tableOf } from './series.ts';
import type { RunView } from './types.ts';

const SeriesChart = lazy(() => import('./SeriesChart.tsx'));

export function RunDetail({ id }: { id: string }) {
  const run = useQuery({
    queryKey: ['toolsmith-run', id],
    queryFn: ({ signal }) => api<RunView>(`/mcp/analyze/${id}`, { signal }),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 3000 : false),
  });
  if (run.isPending) return <Spinner label="Loading the run…" />;
  if (run.isError)
    return (
      <>
        <h1>Run {id}</h1>
        <ErrorPanel error={run.error} title="Could not read the run" onRetry={() => void run.refetch()} />
      </>
    );
  const r = run.data;
  const table = tableOf(r.result?.value);
  const chart = chartOf(table);
  const stage = reviewStage(r);
  return (
    <>
      <h1>Review: {safeText(r.question, 120) ?? r.id}</h1>
      <p>
        <Badge tone={statusTone(r.status)}>{r.status}</Badge> <Badge tone="info">{r.toolState}</Badge>{' '}
        <span className="muted">{safeText(r.next, 300)}</span>
      </p>
      {r.error && (
        <p className="field-error" role="alert">
          {safeText(r.error, 1000)}
        </p>
      )}
      {stage && <ReviewForm run={r} stage={stage} />}
      <section className="card" aria-labelledby="question-heading">
        <h2 id="question-heading">Question and dataset</h2>
        <p className="pre-wrap">{safeText(r.question, 4000)}</p>
        {r.dataset && (
          <dl className="facts">
            <dt>Dataset</dt>
            <dd>
              <code>{r.dataset.given}</code>
            </dd>
            <dt>Format</dt>
            <dd>{r.dataset.format}</dd>
            <dt>Rows</dt>
            <dd>{r.dataset.rows}</dd>
          </dl>
        )}
        {r.tool && (
          <p>
            Tool <code>{r.tool.name}</code>
            {r.tool.version !== null ? ` v${r.tool.version}` : ''}: {safeText(r.tool.description, 500)}
          </p>
        )}
      </section>
      {r.plan !== undefined && (
        <section className="card" aria-labelledby="plan-heading">
          <h2 id="plan-heading">Plan</h2>
          <pre className="output">
            {typeof r.plan === 'string' ? r.plan : JSON.stringify(r.plan, null, 2)}
          </pre>
        </section>
      )}
      {r.code && (
        <section className="card" aria-labelledby="code-heading">
          <h2 id="code-heading">Code</h2>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the code block scrolls; keyboard users need to reach it. */}
          <pre className="output code" tabIndex={0}>
            {r.code}
          </pre>
        </section>
      )}
      {r.validation && (
        <section className="card" aria-labelledby="validation-heading">
          <h2 id="validation-heading">Validation</h2>
          <p>
            <Badge tone={r.validation.schema_ok ? 'ok' : 'bad'}>
              schema {r.validation.schema_ok ? 'ok' : 'failed'}
            </Badge>{' '}
            <Badge tone={r.validation.tests_ok ? 'ok' : 'bad'}>
              tests {r.validation.tests_ok ? 'ok' : 'failed'}
            </Badge>{' '}
            <Badge tone={r.validation.sandbox_ok ? 'ok' : 'bad'}>
              sandbox {r.validation.sandbox_ok ? 'ok' : 'failed'}
            </Badge>{' '}
            <span className="muted">{Math.round(r.validation.durationMs)} ms</span>
          </p>
          {r.validation.steps.length > 0 && (
            <ul className="inline-list">
              {r.validation.steps.map((s) => (
                <li key={s.step}>
                  {s.step}: {s.status} ({Math.round(s.ms)} ms)
                </li>
              ))}
            </ul>
          )}
          {[
            ...r.validation.errors.map((m) => ['error', m]),
            ...r.validation.warnings.map((m) => ['warning', m]),
          ].map(([kind, message], index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list per run.
            <p key={index}>
              <Badge tone={kind === 'error' ? 'bad' : 'warn'}>{kind}</Badge> {safeText(message, 1000)}
            </p>
          ))}
        </section>
      )}
      {r.result && (
        <section className="card" aria-labelledby="result-heading">
          <h2 id="result-heading">Result</h2>
          {r.result.markdown && <pre className="output pre-wrap">{r.result.markdown.slice(0, 20_000)}</pre>}
          {chart && (
            <Suspense fallback={<Spinner label="Loading the chart…" />}>
              <SeriesChart
                data={chart}
                title={`Chart of the result: ${chart.series.map((s) => s.name).join(', ')} by ${chart.xLabel}`}
              />
            </Suspense>
          )}
          {table ? (
            <div className="table-scroll">
              <table className="data-table">
                <caption>
                  Result rows{table.omitted > 0 ? ` (first ${table.rows.length}; ${table.omitted} more)` : ''}
                </caption>
                <thead>
                  <tr>
                    {table.columns.map((c) => (
                      <th key={c} scope="col">
                        {c}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {table.rows.map((row, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: result rows have no identity of their own.
                    <tr key={index}>
                      {table.columns.map((c) => (
                        <td key={c}>{cellText(row[c])}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            r.result.value !== undefined && (
              <pre className="output">{JSON.stringify(r.result.value, null, 2).slice(0, 50_000)}</pre>
            )
          )}
        </section>
      )}
      {r.decisions && r.decisions.length > 0 && (
        <section className="card" aria-labelledby="decisions-heading">
          <h2 id="decisions-heading">Decisions</h2>
          <ol>
            {r.decisions.map((d) => (
              <li key={`${d.at}-${d.stage}`}>
                Stage {d.stage}: <strong>{d.decision}</strong> by {d.actor}{' '}
                <time dateTime={d.at}>{new Date(d.at).toLocaleString()}</time>
                {d.note && <p className="pre-wrap">{safeText(d.note, 4000)}</p>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

function ReviewForm({ run, stage }: { run: RunView; stage: 1 | 2 }) {
  const { can } = useAuth();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const noteId = useId();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<string>();
  const [confirmReject, setConfirmReject] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const allowed = can('toolsmith.review');

  const decide = async (decision: 'approve' | 'reject' | 'revise') => {
    setBusy(decision);
    setFailure(undefined);
    try {
      await api(`/mcp/analyze/${run.id}/review`, {
        method: 'POST',
        body: { decision, stage, ...(note.trim() ? { note: note.trim() } : {}) },
      });
      toasts.notify(
        `Run ${run.id}: ${decision === 'revise' ? 'sent back' : `${decision}d`} (stage ${stage})`,
      );
      setNote('');
      await queryClient.invalidateQueries({ queryKey: ['toolsmith-run', run.id] });
      await queryClient.invalidateQueries({ queryKey: ['toolsmith-runs'] });
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card review-form" aria-labelledby="review-heading">
      <h2 id="review-heading">
        {stage === 1
          ? 'Stage 1: is the output right?'
          : 'Stage 2: promote the tool into the toolsmith server?'}
      </h2>
      <div className="field">
        <label htmlFor={noteId}>
          Note (optional{stage === 1 ? '; with "Send back", the problem to fix' : ''})
        </label>
        <textarea
          id={noteId}
          rows={3}
          maxLength={4000}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
        />
      </div>
      <div className="actions">
        <Button
          variant="primary"
          busy={busy === 'approve'}
          disabled={!allowed || busy !== undefined}
          onClick={() => void decide('approve')}
        >
          Approve
        </Button>
        {stage === 1 && (
          <Button
            busy={busy === 'revise'}
            disabled={!allowed || busy !== undefined || !note.trim()}
            onClick={() => void decide('revise')}
          >
            Send back for revision
          </Button>
        )}
        <Button
          variant="danger"
          busy={busy === 'reject'}
          disabled={!allowed || busy !== undefined}
          onClick={() => setConfirmReject(true)}
        >
          Reject
        </Button>
      </div>
      {!allowed && <p className="muted">Your role may not review toolsmith runs (toolsmith.review).</p>}
      {failure !== undefined && <ErrorPanel error={failure} title="The decision was not recorded" />}
      <ConfirmDialog
        open={confirmReject}
        onOpenChange={setConfirmReject}
        title="Reject this run?"
        description="The tool is marked REJECTED and will not be promoted. This cannot be undone."
        confirmLabel="Reject run"
        onConfirm={() => decide('reject')}
      />
    </section>
  );
}
