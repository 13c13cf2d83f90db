/**
 * Creations run as jobs: POST /mcp/create?async=1 (or /mcp/create/natural?async=1) answers 202 with the job
 * when the factory runs a worker pool, or 201 with the outcome at once when it does not. The job's Server-Sent
 * Events (GET /mcp/jobs/:id/events) are folded into a step list by `foldJobEvent` (pure).
 */
import { api } from '../../api/client.ts';

export interface JobView {
  id: string;
  operation: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: { fraction: number; message: string | null };
  result: unknown;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface CreateOutcome {
  name: string;
  revision: number;
  version: string;
  steps: Array<{ step: string; status: string; durationMs: number }>;
  envRefs?: unknown;
  warnings?: unknown;
}

export type Started = { kind: 'job'; job: JobView } | { kind: 'done'; outcome: CreateOutcome };

function isJob(value: unknown): value is JobView {
  return (
    typeof value === 'object' && value !== null && 'state' in value && 'id' in value && 'progress' in value
  );
}

/** Start creating a server from spec text (YAML or JSON); `force` records a new revision. */
export async function startCreate(specText: string, force: boolean): Promise<Started> {
  const answer = await api<unknown>(`/mcp/create?async=1`, {
    method: 'POST',
    body: { spec: specText, force },
  });
  return isJob(answer) ? { kind: 'job', job: answer } : { kind: 'done', outcome: answer as CreateOutcome };
}

/** Start creating a server from a plain-language description (needs an LLM provider). */
export async function startCreateFromDescription(description: string, name?: string): Promise<Started> {
  const answer = await api<unknown>(`/mcp/create/natural?async=1`, {
    method: 'POST',
    body: { description, ...(name ? { name } : {}) },
  });
  return isJob(answer) ? { kind: 'job', job: answer } : { kind: 'done', outcome: answer as CreateOutcome };
}

export interface JobStep {
  id: number;
  at: string;
  message: string;
}

export interface JobProgressState {
  state: JobView['state'] | 'connecting';
  fraction: number;
  steps: JobStep[];
  job?: JobView;
  /** The stream itself failed (the job may still be running). */
  streamError?: string;
}

export const initialProgress: JobProgressState = { state: 'connecting', fraction: 0, steps: [] };

const MAX_STEPS = 200;

/** One SSE event of a job (`state`, `progress`, `end`, `error`) folded into the progress shown. */
export function foldJobEvent(
  current: JobProgressState,
  event: { type: string; data: string },
): JobProgressState {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return current;
  }
  if (event.type === 'end' && isJob(data))
    return {
      ...current,
      state: data.state,
      fraction: data.state === 'succeeded' ? 1 : current.fraction,
      job: data,
    };
  if (event.type === 'error')
    return {
      ...current,
      streamError: typeof data.message === 'string' ? data.message : 'the event stream failed',
    };
  if (event.type !== 'state' && event.type !== 'progress') return current;
  const state = typeof data.state === 'string' ? (data.state as JobView['state']) : current.state;
  const fraction =
    typeof data.progress === 'number' ? Math.max(current.fraction, data.progress) : current.fraction;
  const message =
    typeof data.message === 'string' && data.message ? data.message : event.type === 'state' ? state : '';
  const id = typeof data.id === 'number' ? data.id : current.steps.length;
  const steps =
    message && !current.steps.some((s) => s.id === id)
      ? [...current.steps, { id, at: typeof data.at === 'string' ? data.at : '', message }].slice(-MAX_STEPS)
      : current.steps;
  return { ...current, state, fraction, steps };
}

/** The server a finished creation made (from the job's result). */
export function createdServer(job: JobView | undefined): CreateOutcome | undefined {
  const result = job?.result as Partial<CreateOutcome> | null | undefined;
  return result && typeof result.name === 'string' ? (result as CreateOutcome) : undefined;
}
