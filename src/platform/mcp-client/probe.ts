/**
 * One health check through MCP itself: connect to an endpoint and list the tools, within a timeout. `ping` is
 * not used because the 2026-07-28 era has no ping method; tools/list exists in both eras and also proves the
 * server can answer a real request. With `expect`, the answer counts only when `serverInfo` names the expected
 * server (and version): a port taken over by another server is not a healthy deployment. A probe never throws:
 * it returns a sample. Classifying samples (healthy/degraded/unhealthy) is deployment policy and lives in
 * src/deploy/health.ts.
 *
 * With an OAuth provider (oauth.ts) the check goes through MCP with a token; when no token can be had (or the
 * server refuses it), the server's open /health still tells whether it runs, and the sample says why the
 * factory cannot call it (`authError`): the server is up, the factory's credentials are the problem.
 */
import type { Client } from '@modelcontextprotocol/client';
import { connectMcp } from './client.js';
import { isUpstreamAuth, type UpstreamCredentials } from './oauth.js';

export interface HealthSample {
  ok: boolean;
  /** Time of the whole check (connect + tools/list), in ms. */
  ms: number;
  /** When the check started (epoch ms). */
  at: number;
  error?: string;
  /** Something answered MCP, but not the expected server (another one holds the port). */
  wrongServer?: boolean;
  /** The server runs (its /health answers) but the factory could not authenticate to it (OAuth). */
  authError?: string;
}

/** Who should answer: `serverInfo.name`, and `serverInfo.version` when known. */
export interface ExpectedServer {
  name: string;
  version?: string | undefined;
}

/** Why `info` is not the expected server, or undefined when it is. */
export function serverMismatch(
  info: { name?: unknown; version?: unknown } | undefined,
  expected: ExpectedServer,
): string | undefined {
  const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.slice(0, 100)) : 'unknown');
  if (info?.name === expected.name && (expected.version === undefined || info.version === expected.version))
    return undefined;
  const wanted = `${JSON.stringify(expected.name)}${expected.version !== undefined ? ` ${expected.version}` : ''}`;
  return `another server answers here: ${show(info?.name)} version ${show(info?.version)}, expected ${wanted}`;
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
  options: { headers?: UpstreamCredentials; timeoutMs: number; expect?: ExpectedServer | undefined },
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
    // The port may be held by another server (a crash-looping container, a fixed port): identity first.
    if (options.expect) {
      const mismatch = serverMismatch(client.getServerVersion(), options.expect);
      if (mismatch) return { ok: false, ms: performance.now() - t0, at, error: mismatch, wrongServer: true };
    }
    await client.listTools(undefined, {
      timeout: options.timeoutMs,
      signal: controller.signal,
      cacheMode: 'bypass',
    });
    return { ok: true, ms: performance.now() - t0, at };
  } catch (error) {
    const oauth = controller.signal.aborted
      ? undefined
      : await oauthHealth(endpoint, options, controller.signal);
    const withToken = isUpstreamAuth(options.headers) && !options.headers.fixed;
    if (oauth)
      return {
        ...oauth,
        ms: performance.now() - t0,
        at,
        ...(withToken && oauth.ok ? { authError: describe(error) } : {}),
      };
    const ms = performance.now() - t0;
    const error_ = controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : describe(error);
    return { ok: false, ms, at, error: error_ };
  } finally {
    clearTimeout(timer);
    await client?.close().catch(() => undefined);
  }
}

/**
 * An OAuth-protected server (401 with `WWW-Authenticate: Bearer resource_metadata=…`, MCP authorization spec)
 * cannot be probed through MCP without an access token the factory does not hold (or could not get): its open
 * `/health` answers instead, with the same identity check (name and version). Undefined when the endpoint is
 * not such a server.
 */
async function oauthHealth(
  endpoint: string,
  options: { expect?: ExpectedServer | undefined },
  signal: AbortSignal,
): Promise<Pick<HealthSample, 'ok' | 'error' | 'wrongServer'> | undefined> {
  try {
    const challenge = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      redirect: 'error',
      signal,
    });
    await challenge.body?.cancel();
    if (
      challenge.status !== 401 ||
      !/\bresource_metadata=/.test(challenge.headers.get('www-authenticate') ?? '')
    )
      return undefined;
    const res = await fetch(new URL('/health', endpoint), { redirect: 'error', signal });
    const body = (await res.json().catch(() => undefined)) as
      | { name?: unknown; version?: unknown }
      | undefined;
    if (!res.ok || !body)
      return { ok: false, error: `OAuth-protected server: /health answered ${res.status}` };
    const mismatch = options.expect ? serverMismatch(body, options.expect) : undefined;
    return mismatch ? { ok: false, error: mismatch, wrongServer: true } : { ok: true };
  } catch {
    return undefined;
  }
}
