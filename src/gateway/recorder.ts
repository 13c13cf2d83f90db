/**
 * What the gateway writes about its calls: per-minute call metrics (the registry's, as for the control plane's
 * calls) and one audit entry per call (caller, tool, outcome, duration). Written in batches every second, off
 * the call path; at most 10,000 calls wait — past that, entries are dropped and counted (`dropped`), so a slow
 * registry never slows or stalls the gateway.
 */
import type { Registry } from '../store/index.js';

export interface GatewayCallRecord {
  caller: string;
  upstream: string;
  tool: string;
  publicName: string;
  ok: boolean;
  latencyMs: number;
}

const MAX_PENDING = 10_000;

export class CallRecorder {
  readonly #registry: Registry;
  #pending: GatewayCallRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    registry: Registry,
    readonly intervalMs = 1_000,
  ) {
    this.#registry = registry;
  }

  record(call: GatewayCallRecord): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending.push(call);
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.#timer.unref();
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#flushing = (async () => {
      await this.#registry
        .recordCalls(
          batch.map((c) => ({ server: c.upstream, tool: c.tool, ok: c.ok, latencyMs: c.latencyMs })),
        )
        .catch(() => undefined);
      await this.#registry
        .auditBatch(
          batch.map((c) => ({
            actor: c.caller,
            action: 'gateway.call',
            target: c.upstream,
            details: { tool: c.tool, ok: c.ok, ms: Math.round(c.latencyMs * 10) / 10 },
          })),
        )
        .catch(() => undefined);
    })();
    await this.#flushing;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
