/**
 * Health through MCP itself: connect to the deployment's endpoint with the SDK v2 client (version negotiation
 * `auto`: `server/discover` on 2026-07-28 servers, `initialize` on 2025-11-25 ones) and list the tools, within a
 * timeout. `ping` is not used because the 2026-07-28 era has no ping method; tools/list exists in both eras and
 * also proves the server can answer a real request.
 *
 * A tracker keeps the recent samples of one running server and classifies it:
 * - healthy: the last check answered, within `slowMs`, and none of the recent checks failed;
 * - degraded: it answers, but slowly (> slowMs) or intermittently (a recent check failed);
 * - unhealthy: the last check failed (refused, timed out, protocol error).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../../core/spec/model.js';
import type { HealthReport } from '../../deploy/types.js';

export interface HealthSample {
  ok: boolean;
  /** Time of the whole check (connect + tools/list), in ms. */
  ms: number;
  at: number;
  error?: string;
}

export function newMcpClient(name = 'mcp-factory'): Client {
  return new Client({ name, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
}

/** Connect the SDK v2 client to a Streamable HTTP endpoint, with the credential the server requires. */
export async function connectMcp(
  endpoint: string,
  options: { headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; name?: string } = {},
): Promise<Client> {
  const client = newMcpClient(options.name);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: { headers: options.headers ?? {} },
  });
  try {
    await client.connect(transport, {
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return client;
}

/** The HTTP headers a client needs for a server with `auth` in its spec (values from the deployment's env). */
export function authHeaders(
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
): Record<string, string> {
  const auth = spec.auth;
  if (!auth || auth.type === 'none') return {};
  const value = env[auth.envVar];
  if (!value) return {};
  return auth.type === 'api_key' ? { [auth.header]: value } : { authorization: `Bearer ${value}` };
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  const text = `${e?.message ?? String(error)}${cause && !e?.message?.includes(cause) ? ` (${cause})` : ''}`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** One MCP health check. Never throws. */
export async function probeMcp(
  endpoint: string,
  options: { headers?: Record<string, string>; timeoutMs: number },
): Promise<HealthSample> {
  const at = Date.now();
  const t0 = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let client: Client | undefined;
  try {
    client = await connectMcp(endpoint, {
      headers: options.headers ?? {},
      timeoutMs: options.timeoutMs,
      signal: controller.signal,
      name: 'mcp-factory-health',
    });
    await client.listTools(undefined, {
      timeout: options.timeoutMs,
      signal: controller.signal,
      cacheMode: 'bypass',
    });
    return { ok: true, ms: performance.now() - t0, at };
  } catch (error) {
    const ms = performance.now() - t0;
    const error_ = controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : describe(error);
    return { ok: false, ms, at, error: error_ };
  } finally {
    clearTimeout(timer);
    await client?.close().catch(() => undefined);
  }
}

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
    const responseMs = Math.round(last.ms * 10) / 10;
    if (!last.ok) return { health: 'unhealthy', checkedAt, detail: last.error ?? 'check failed' };
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
