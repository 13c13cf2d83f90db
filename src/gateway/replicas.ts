/**
 * Endpoint selection for an upstream with several replicas (a swarm service publishes one port per replica):
 * each call goes to the replica with the fewest calls in flight, ties broken round-robin, so sequential calls
 * alternate and a slow replica gets fewer. A replica whose call could not be delivered (connection refused, its
 * circuit open, its queue full) is benched — skipped for a backoff that doubles up to a bound — and the call
 * moves on to the next replica; a benched replica is tried again once its time is up, and only before that
 * when every other replica failed too. A call that reached a replica is moved on after a transport failure only
 * when it may be replayed (read-only tools); an answer, even an error one, is never replayed elsewhere.
 */

/** Errors that prove the request never reached the upstream (safe to send elsewhere). */
const undelivered = new WeakSet<object>();

export function markUndelivered<E>(error: E): E {
  if (typeof error === 'object' && error !== null) undelivered.add(error);
  return error;
}

export function wasUndelivered(error: unknown): boolean {
  return typeof error === 'object' && error !== null && undelivered.has(error);
}

/** A refused TCP connection somewhere in the error's cause chain: nothing was sent. */
export function connectionRefused(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') return true;
    if (/ECONNREFUSED/.test(String((e as { message?: unknown }).message ?? ''))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface ReplicaSelectorOptions {
  /** First bench of a replica that failed to take a call (default 1 s). */
  benchMs?: number;
  /** Longest bench after repeated failures (default 30 s). */
  maxBenchMs?: number;
  now?: () => number;
}

export class ReplicaSelector {
  readonly size: number;
  readonly #inFlight: number[];
  readonly #benchedUntil: number[];
  readonly #strikes: number[];
  readonly #benchMs: number;
  readonly #maxBenchMs: number;
  readonly #now: () => number;
  #cursor = 0;

  constructor(size: number, options: ReplicaSelectorOptions = {}) {
    this.size = size;
    this.#inFlight = new Array<number>(size).fill(0);
    this.#benchedUntil = new Array<number>(size).fill(0);
    this.#strikes = new Array<number>(size).fill(0);
    this.#benchMs = options.benchMs ?? 1_000;
    this.#maxBenchMs = options.maxBenchMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** Replica indices in the order a call should try them (every replica, the benched ones last). */
  order(): number[] {
    const now = this.#now();
    const start = this.#cursor;
    this.#cursor = (this.#cursor + 1) % this.size;
    const turn = (i: number) => (i - start + this.size) % this.size;
    const all = Array.from({ length: this.size }, (_, i) => i);
    const ready = all
      .filter((i) => this.#benchedUntil[i]! <= now)
      .sort((a, b) => this.#inFlight[a]! - this.#inFlight[b]! || turn(a) - turn(b));
    const benched = all
      .filter((i) => this.#benchedUntil[i]! > now)
      .sort((a, b) => this.#benchedUntil[a]! - this.#benchedUntil[b]!);
    return [...ready, ...benched];
  }

  isBenched(i: number): boolean {
    return this.#benchedUntil[i]! > this.#now();
  }

  inFlight(i: number): number {
    return this.#inFlight[i]!;
  }

  /**
   * Run `attempt` on replicas in order until one answers. Moves on after an undelivered failure, or after any
   * failure when `replay` (and `mayMoveOn` agrees); the last failure is thrown when every replica failed.
   */
  async run<R>(
    attempt: (i: number) => Promise<R>,
    options: { replay: boolean; mayMoveOn?: (error: unknown) => boolean },
  ): Promise<R> {
    let last: unknown;
    for (const i of this.order()) {
      this.#inFlight[i]!++;
      try {
        const result = await attempt(i);
        this.#strikes[i] = 0;
        this.#benchedUntil[i] = 0;
        return result;
      } catch (error) {
        last = error;
        const notSent = wasUndelivered(error);
        if (notSent) this.#bench(i);
        const moveOn = (notSent || options.replay) && (options.mayMoveOn?.(error) ?? true);
        if (!moveOn) throw error;
      } finally {
        this.#inFlight[i]!--;
      }
    }
    throw last;
  }

  #bench(i: number): void {
    const strikes = ++this.#strikes[i]!;
    const ms = Math.min(this.#maxBenchMs, this.#benchMs * 2 ** Math.min(strikes - 1, 20));
    this.#benchedUntil[i] = this.#now() + ms;
  }
}
