/**
 * One health check through MCP itself: connect to an endpoint and list the tools, within a timeout. `ping` is
 * not used because the 2026-07-28 era has no ping method; tools/list exists in both eras and also proves the
 * server can answer a real request. A probe never throws: it returns a sample. Classifying samples
 * (healthy/degraded/unhealthy) is deployment policy and lives in src/deploy/health.ts.
 */
import type { Client } from '@modelcontextprotocol/client';
import { connectMcp } from './client.js';

export interface HealthSample {
  ok: boolean;
  /** Time of the whole check (connect + tools/list), in ms. */
  ms: number;
  /** When the check started (epoch ms). */
  at: number;
  error?: string;
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
