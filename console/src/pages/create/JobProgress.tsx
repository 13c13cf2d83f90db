/**
 * Live progress of a creation job: the steps as they happen (SSE), a progress bar, and at the end a link to
 * the new server or the failure with what to do. Cancelling asks the API to stop the job.
 */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, api, streamEvents } from '../../api/client.ts';
import { Badge, statusTone } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { type CreateOutcome, createdServer, foldJobEvent, initialProgress, type Started } from './jobs.ts';

export function CreationProgress({
  started,
  onIssues,
}: {
  started: Started;
  onIssues?: (details: unknown) => void;
}) {
  if (started.kind === 'done') return <CreatedPanel outcome={started.outcome} />;
  return <JobProgress jobId={started.job.id} onIssues={onIssues} />;
}

function JobProgress({
  jobId,
  onIssues,
}: {
  jobId: string;
  onIssues?: ((details: unknown) => void) | undefined;
}) {
  const [progress, setProgress] = useState(initialProgress);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    setProgress(initialProgress);
    return streamEvents(
      `/mcp/jobs/${encodeURIComponent(jobId)}/events`,
      (event) => setProgress((current) => foldJobEvent(current, event)),
      (error) => setProgress((current) => ({ ...current, streamError: error.message })),
    );
  }, [jobId]);
  const job = progress.job;
  // Told once per finished job (the callback changes with every render of the parent).
  const issuesListener = useRef(onIssues);
  issuesListener.current = onIssues;
  useEffect(() => {
    if (job?.state === 'failed' && job.error?.details) issuesListener.current?.(job.error.details);
  }, [job]);
  const outcome = createdServer(job);
  const finished = job !== undefined;

  return (
    <section className="card job-progress" aria-labelledby="job-heading">
      <h2 id="job-heading">
        Creating… <Badge tone={statusTone(progress.state)}>{progress.state}</Badge>
      </h2>
      <label className="progress-label">
        Progress
        <progress max={1} value={progress.fraction}>
          {Math.round(progress.fraction * 100)}%
        </progress>
      </label>
      <ol className="job-steps" aria-live="polite">
        {progress.steps.map((step) => (
          <li key={step.id}>{step.message}</li>
        ))}
      </ol>
      {progress.streamError && !finished && (
        <p className="field-error" role="alert">
          Live progress stopped ({progress.streamError}). The job may still be running: see it under Jobs, or
          reload.
        </p>
      )}
      {!finished && (
        <Button
          variant="ghost"
          busy={cancelling}
          onClick={async () => {
            setCancelling(true);
            try {
              await api(`/mcp/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
            } catch (error) {
              setProgress((c) => ({
                ...c,
                streamError: error instanceof Error ? error.message : String(error),
              }));
            } finally {
              setCancelling(false);
            }
          }}
        >
          Cancel creation
        </Button>
      )}
      {outcome && <CreatedPanel outcome={outcome} />}
      {job && job.state !== 'succeeded' && (
        <ErrorPanel
          title={job.state === 'cancelled' ? 'The creation was cancelled' : 'The creation failed'}
          error={
            new ApiError(
              422,
              job.error?.code ?? job.state.toUpperCase(),
              job.error?.message ?? `the job ${job.state}`,
              {
                ...(typeof job.error?.details?.hint === 'string' ? { hint: job.error.details.hint } : {}),
              },
            )
          }
        />
      )}
    </section>
  );
}

export function CreatedPanel({ outcome }: { outcome: CreateOutcome }) {
  return (
    <div className="success-panel" role="status">
      <p>
        Created <strong>{outcome.name}</strong> revision {outcome.revision} (version {outcome.version}).
      </p>
      {outcome.steps.length > 0 && (
        <ul className="inline-list">
          {outcome.steps.map((s) => (
            <li key={s.step}>
              {s.step}: {s.status} ({Math.round(s.durationMs)} ms)
            </li>
          ))}
        </ul>
      )}
      <Link href={`/servers/${encodeURIComponent(outcome.name)}`}>Open {outcome.name}</Link>
    </div>
  );
}
