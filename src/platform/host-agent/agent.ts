/**
 * The host agent as a web-standard handler (Request → Response; the CLI serves it on node:http). One
 * authenticated route, `POST /v1/run`: body read up to the policy's cap, signature checked (./auth.ts), the
 * run re-checked and capped against the agent's policy (./run-check.ts), then run on the policy's local
 * backend (native or bwrap, the same code generated servers use). `request.signal` — the caller going away —
 * kills the run. `GET /v1/health` answers without authentication (it reveals nothing). Every request that
 * reaches the run route is audited as one JSON line: time, key id, argv, exit, duration, bytes, or refused
 * and why.
 */
import { AGENT_RUN_PATH } from '../../core/exec/agent-protocol.js';
import { CommandRefused } from '../../core/exec/argv.js';
import { LOCAL_BACKENDS } from '../../core/exec/backends.js';
import { readCappedBody } from '../capped-body.js';
import { NonceCache, verifyRequest } from './auth.js';
import type { AgentPolicy } from './policy.js';
import { checkRun } from './run-check.js';

export interface AgentAuditLine {
  time: string;
  keyId?: string | undefined;
  argv?: string[] | undefined;
  exitCode?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  truncated?: boolean;
  durationMs?: number;
  bytesOut?: number;
  refused?: string;
  /** The caller went away before the run ended: it was killed. */
  callerGone?: boolean;
}

export interface HostAgentOptions {
  policy: AgentPolicy;
  keys: ReadonlyMap<string, string>;
  /** Receives every audit line (the CLI appends them to a file as JSON lines). */
  audit: (line: AgentAuditLine) => void;
  /** Most nonces remembered at once (default 100 000). */
  maxNonces?: number;
  now?: () => number;
}

export interface HostAgent {
  fetch(request: Request): Promise<Response>;
  /** Runs in progress (tests and shutdown). */
  readonly activeRuns: number;
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export function createHostAgent(options: HostAgentOptions): HostAgent {
  const { policy, keys, audit } = options;
  const now = options.now ?? Date.now;
  const nonces = new NonceCache(options.maxNonces ?? 100_000);
  const backend = LOCAL_BACKENDS[policy.backend];
  let active = 0;
  const record = (line: Omit<AgentAuditLine, 'time'>) =>
    audit({ time: new Date(now()).toISOString(), ...line });

  async function run(request: Request): Promise<Response> {
    // A request declared too large is left unread (the Node adapter cannot cancel a body that never flowed).
    const body = await readCappedBody(request, policy.maxBodyBytes, { cancelDeclaredTooLarge: false }).catch(
      () => null,
    );
    if (!body) {
      record({ refused: `body larger than ${policy.maxBodyBytes} bytes or unreadable` });
      return json(413, { error: 'request body too large' });
    }
    const path = new URL(request.url).pathname;
    const verdict = verifyRequest(
      { method: request.method, path, headers: request.headers, body },
      keys,
      nonces,
      policy.clockSkewSeconds,
      now(),
    );
    if (!verdict.ok) {
      record({ keyId: verdict.keyId, refused: verdict.reason });
      return json(verdict.status, { error: verdict.status === 503 ? 'busy' : 'authentication failed' });
    }
    const { keyId } = verdict;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      record({ keyId, refused: 'body is not JSON' });
      return json(400, { error: 'body is not JSON' });
    }
    const requested = (parsed as { argv?: unknown } | null)?.argv;
    const argvForAudit = Array.isArray(requested) ? requested.slice(0, 64).map(String) : undefined;
    let checked: ReturnType<typeof checkRun>;
    try {
      checked = checkRun(parsed, policy);
    } catch (error) {
      const reason = error instanceof CommandRefused ? error.message : 'the request could not be checked';
      record({ keyId, argv: argvForAudit, refused: reason });
      return json(403, { refused: reason });
    }
    if (active >= policy.maxConcurrentRuns) {
      record({ keyId, argv: checked.argv, refused: 'too many runs in progress' });
      return json(503, { error: 'busy' });
    }
    active += 1;
    try {
      const result = await backend.run(checked.argv, checked.options, request.signal);
      record({
        keyId,
        argv: checked.argv,
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        truncated: result.truncated,
        durationMs: result.durationMs,
        bytesOut: Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr),
        ...(request.signal.aborted ? { callerGone: true } : {}),
      });
      return json(200, result);
    } finally {
      active -= 1;
    }
  }

  return {
    get activeRuns() {
      return active;
    },
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === '/v1/health' && request.method === 'GET') return json(200, { ok: true });
      if (path !== AGENT_RUN_PATH) return json(404, { error: 'not found' });
      if (request.method !== 'POST') return json(405, { error: 'method not allowed' });
      return run(request);
    },
  };
}
