/**
 * Deployment health, for every target: how MCP probe samples (src/platform/mcp-client/probe.ts) become the
 * healthy / degraded / unhealthy verdict shown by status.
 *
 * A tracker keeps the recent samples of one running server and classifies it:
 * - healthy: the last check answered, within `slowMs`, and none of the recent checks failed;
 * - degraded: it answers, but slowly (> slowMs) or intermittently (a recent check failed);
 * - unhealthy: the last check failed (refused, timed out, protocol error).
 * A target without a long-running monitor classifies one sample on demand (sampleReport, probeDeployments).
 * HealthHistoryRecorder stores reports in the registry's health history (the console's timeline).
 */
import type { ExpectedServer, HealthSample } from '../platform/mcp-client/probe.js';
import type { DeploymentRecord, HealthHistoryStore } from '../store/index.js';
import type { HealthReport } from './types.js';

const roundMs = (ms: number) => Math.round(ms * 10) / 10;

export class HealthTracker {
  readonly #samples: HealthSample[] = [];
  constructor(
    readonly window = 5,
    readonly slowMs = 1000,
  ) {}

  record(sample: HealthSample): void {
    this.#samples.push(sample);
    if (this.#samples.length > this.window) this.#samples.shift();
  }

  get last(): HealthSample | undefined {
    return this.#samples[this.#samples.length - 1];
  }

  /** Failed checks in a row, counting back from the latest. */
  get consecutiveFailures(): number {
    let n = 0;
    for (let i = this.#samples.length - 1; i >= 0 && !this.#samples[i]!.ok; i--) n++;
    return n;
  }

  report(): HealthReport {
    const last = this.last;
    if (!last) return { health: 'unknown', checkedAt: new Date().toISOString(), detail: 'not checked yet' };
    const checkedAt = new Date(last.at).toISOString();
    const responseMs = roundMs(last.ms);
    if (!last.ok) return { health: 'unhealthy', checkedAt, detail: last.error ?? 'check failed' };
    // It runs, but the factory cannot call it (OAuth): not a reason to restart it, a reason to look.
    if (last.authError) return { health: 'degraded', responseMs, checkedAt, detail: last.authError };
    const failed = this.#samples.filter((s) => !s.ok).length;
    if (last.ms > this.slowMs) {
      return {
        health: 'degraded',
        responseMs,
        checkedAt,
        detail: `slow: answered in ${Math.round(last.ms)} ms`,
      };
    }
    if (failed > 0) {
      return {
        health: 'degraded',
        responseMs,
        checkedAt,
        detail: `intermittent: ${failed} of the last ${this.#samples.length} checks failed`,
      };
    }
    return { health: 'healthy', responseMs, checkedAt };
  }
}

export interface SampleReportOptions {
  /** Answers slower than this are `degraded`; without it a sample that answered is `healthy`. */
  slowMs?: number;
  /** The report's detail (default: the sample's error, if any). */
  detail?: string;
}

/** The verdict on one sample alone (no history, so never `intermittent`). */
export function sampleReport(sample: HealthSample, options: SampleReportOptions = {}): HealthReport {
  const slow = sample.ok && options.slowMs !== undefined && sample.ms > options.slowMs;
  const detail = options.detail ?? sample.error ?? sample.authError;
  return {
    health: sample.ok ? (slow || sample.authError ? 'degraded' : 'healthy') : 'unhealthy',
    ...(sample.ok ? { responseMs: roundMs(sample.ms) } : {}),
    checkedAt: new Date(sample.at).toISOString(),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** Timeout of an on-demand check (status): long enough for a cold server, short enough for a CLI. */
export const ON_DEMAND_TIMEOUT_MS = 3000;

/**
 * Who must answer for a deployment: generated servers report `serverInfo` { name: spec.name, version:
 * spec.version } (build/generator/server-code.ts), and the registry's server name is the spec's name. The
 * revision is not reported by servers, so the version is the finest identity a check can verify.
 */
export function expectedServer(
  d: Pick<DeploymentRecord, 'server'>,
  spec: { version?: unknown },
): ExpectedServer {
  return { name: d.server, ...(typeof spec.version === 'string' ? { version: spec.version } : {}) };
}

/**
 * Probe, once each, the deployments the registry says are running (with an endpoint), with the credential
 * their spec requires; `classify` turns each sample into a report. By deployment id.
 */
export async function probeDeployments(
  deployments: DeploymentRecord[],
  io: {
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>;
    env: (d: DeploymentRecord) => Record<string, string>;
    classify: (sample: HealthSample) => HealthReport;
  },
): Promise<Map<number, HealthReport>> {
  const out = new Map<number, HealthReport>();
  if (!deployments.some((d) => d.status === 'running' && d.endpoint)) return out;
  // The MCP client (and zod under it) is loaded only to probe: `mcp-factory status` of a stopped server skips it.
  const [{ upstreamCredentials }, { probeMcp }] = await Promise.all([
    import('../platform/mcp-client/oauth.js'),
    import('../platform/mcp-client/probe.js'),
  ]);
  for (const d of deployments) {
    if (d.status !== 'running' || !d.endpoint) continue;
    const spec = await io.spec(d);
    const headers = upstreamCredentials(
      spec as Parameters<typeof upstreamCredentials>[0],
      io.env(d),
      d.endpoint,
    );
    const sample = await probeMcp(d.endpoint, {
      headers,
      timeoutMs: ON_DEMAND_TIMEOUT_MS,
      expect: expectedServer(d, spec),
    });
    out.set(d.id, io.classify(sample));
  }
  return out;
}

/** Same state as the last stored report: store again after this long (the store applies the same rule). */
const RECORD_INTERVAL_MS = 60_000;

/**
 * Stores health reports in the registry's health history, on a change of state and at most once a minute per
 * deployment otherwise. It remembers what it stored so that a steady server costs no registry round trip per
 * check; the store applies the same rule for reports from several processes. A failed write is reported to
 * `onError` and never fails the check that produced the report.
 */
export class HealthHistoryRecorder {
  readonly #last = new Map<number, { health: string; atMs: number }>();

  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  async record(
    store: HealthHistoryStore,
    d: Pick<DeploymentRecord, 'id' | 'server' | 'target'>,
    report: HealthReport,
  ): Promise<void> {
    const atMs = Date.parse(report.checkedAt);
    const last = this.#last.get(d.id);
    if (
      last &&
      (atMs < last.atMs || (last.health === report.health && atMs - last.atMs < RECORD_INTERVAL_MS))
    )
      return;
    this.#last.set(d.id, { health: report.health, atMs });
    try {
      await store.record({
        server: d.server,
        deploymentId: d.id,
        target: d.target,
        health: report.health,
        checkedAt: report.checkedAt,
        responseMs: report.responseMs,
        detail: report.detail,
      });
    } catch (error) {
      this.#last.delete(d.id);
      this.#onError(error);
    }
  }
}
