import type { ReactNode } from 'react';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

/** A short status word with a tone; the word itself carries the meaning (colour is never the only cue). */
export function Badge({ tone = 'muted', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** The tone of a server or deployment status word. */
export function statusTone(status: string | undefined): Tone {
  switch (status) {
    case 'running':
    case 'healthy':
    case 'ok':
    case 'succeeded':
    case 'active':
      return 'ok';
    case 'deploying':
    case 'starting':
    case 'degraded':
    case 'pending':
    case 'queued':
      return 'warn';
    case 'failed':
    case 'crashed':
    case 'unhealthy':
    case 'error':
      return 'bad';
    case undefined:
      return 'muted';
    default:
      return 'info';
  }
}
