/**
 * The durable graph: a run advances one node at a time, and after each node its whole state is written to the
 * registry in one transaction with the event that explains it (the checkpoint). A worker works on a run only
 * while it holds the run's lease, renewed while a node runs; a worker that dies leaves a lease that expires, and
 * any process (`resume`) picks the run up again at the node it had reached — including runs waiting for a
 * person, which simply stay waiting until someone decides. Nodes are re-runnable from their input state.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { FactoryError } from '../core/errors/index.js';
import type { RunRecord, ToolsmithStore } from '../store/index.js';
import { INTERRUPTS, NODE_FUNCTIONS, type NodeContext, type NodeOutcome } from './nodes.js';
import type { NodeName, RunState } from './types.js';

export const DEFAULT_LEASE_MS = 60_000;

export function workerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export interface WorkflowDeps {
  store: ToolsmithStore;
  worker: string;
  leaseMs: number;
  context(runId: string, signal: AbortSignal): Omit<NodeContext, 'runId' | 'signal'>;
  /** Called after each checkpoint (progress output, tests that stop a run at a node). */
  onCheckpoint?: (run: RunRecord, node: NodeName) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Errors that no repair can fix: the run fails with them at once. */
function fatal(error: unknown): string {
  if (error instanceof FactoryError) return `${error.code}: ${error.message}`;
  return `INTERNAL_ERROR: ${(error as Error)?.message ?? String(error)}`;
}

/**
 * Run `id` until it waits for a person, finishes, fails, or another worker holds it; returns the run as it
 * then is. Safe to call for any run in any state (it does nothing to a run that is not running).
 */
export async function advance(id: string, deps: WorkflowDeps): Promise<RunRecord> {
  for (;;) {
    if (deps.signal?.aborted) {
      await deps.store.release(id, deps.worker);
      return deps.store.getRun(id);
    }
    const run = await deps.store.claim(id, deps.worker, deps.leaseMs);
    if (!run) return deps.store.getRun(id);
    const node = run.node as NodeName;
    if (INTERRUPTS.has(node)) {
      // A running run parked at an interrupt (should not happen): make it wait instead of spinning.
      await deps.store.checkpoint(
        id,
        deps.worker,
        { status: 'waiting' },
        { actor: 'toolsmith', kind: 'waiting', node },
        deps.leaseMs,
      );
      return deps.store.getRun(id);
    }
    const controller = new AbortController();
    const signal = deps.signal ? AbortSignal.any([controller.signal, deps.signal]) : controller.signal;
    const heartbeat = setInterval(
      () => {
        deps.store.claim(id, deps.worker, deps.leaseMs).then(
          (held) => {
            if (!held) controller.abort(new Error('lease lost'));
          },
          () => undefined,
        );
      },
      Math.max(1000, Math.floor(deps.leaseMs / 3)),
    );
    heartbeat.unref();
    const state = run.state as unknown as RunState;
    const started = performance.now();
    let outcome: NodeOutcome;
    try {
      outcome = await NODE_FUNCTIONS[node](state, { ...deps.context(id, signal), runId: id, signal });
    } catch (error) {
      outcome = { state, next: node, status: 'failed', error: fatal(error) };
    } finally {
      clearInterval(heartbeat);
    }
    // The lease was lost, or this process is stopping: the node's result is dropped (nodes are re-runnable)
    // and the run stays where its last checkpoint put it, for whoever resumes it.
    if (controller.signal.aborted) return deps.store.getRun(id);
    if (deps.signal?.aborted) {
      await deps.store.release(id, deps.worker);
      return deps.store.getRun(id);
    }
    const spent = Math.round(performance.now() - started);
    const nextState: RunState = {
      ...outcome.state,
      nodeMs: { ...outcome.state.nodeMs, [node]: (outcome.state.nodeMs?.[node] ?? 0) + spent },
    };
    const saved = await deps.store.checkpoint(
      id,
      deps.worker,
      {
        node: outcome.next,
        state: nextState as unknown as Record<string, unknown>,
        ...(outcome.status ? { status: outcome.status } : {}),
        ...(outcome.toolState ? { toolState: outcome.toolState } : {}),
        ...(outcome.toolName !== undefined ? { toolName: outcome.toolName } : {}),
        ...(outcome.toolVersion !== undefined ? { toolVersion: outcome.toolVersion } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      },
      {
        actor: 'toolsmith',
        kind: outcome.status === 'failed' ? 'failed' : 'node',
        node,
        ...(outcome.toolState && outcome.toolState !== run.toolState
          ? { fromState: run.toolState, toState: outcome.toolState }
          : {}),
        note: (outcome.error ?? outcome.note ?? null)?.slice(0, 2000) ?? null,
        details: { ms: spent, next: outcome.next },
      },
      deps.leaseMs,
    );
    if (!saved) return deps.store.getRun(id);
    await deps.onCheckpoint?.(saved, node);
    if (saved.status !== 'running') return saved;
  }
}
