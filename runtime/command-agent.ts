/**
 * The agent execution backend of command tools: the call is sent to a host agent (`mcp-factory host-agent`,
 * src/platform/host-agent/) as one signed `POST /v1/run` (HMAC-SHA256 over method, path, timestamp, nonce and
 * the body's hash; ./exec/agent-protocol.ts), and the agent's result is the run's result. The agent re-checks
 * the call against its own policy and caps its limits; a refusal is a tool error saying why. The caller's
 * abort and the timeout close the request, which makes the agent kill the run. Importing this module
 * registers the backend (only servers with agent tools bundle it).
 */
import { BACKENDS, type ExecBackend, type ExecResult } from './command-exec.js';
import { ToolError } from './errors.js';
import { AGENT_RUN_PATH, type AgentRunRequest, signRequest } from './exec/agent-protocol.js';
import { failedRun } from './exec/backends.js';

/** Time the agent gets beyond the run's own timeout to answer (it kills the run at the timeout itself). */
const ANSWER_GRACE_MS = 10_000;

function isExecResult(value: unknown): value is ExecResult {
  const r = value as Partial<ExecResult> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    (typeof r.exitCode === 'number' || r.exitCode === null) &&
    (typeof r.signal === 'string' || r.signal === null) &&
    typeof r.stdout === 'string' &&
    typeof r.stderr === 'string' &&
    typeof r.truncated === 'boolean' &&
    typeof r.timedOut === 'boolean' &&
    typeof r.durationMs === 'number'
  );
}

export const agentBackend: ExecBackend = {
  name: 'agent',
  async run(argv, options, signal) {
    const started = performance.now();
    const target = options.agent;
    if (!target) return failedRun('the agent backend needs an agent', started);
    let url: URL;
    try {
      url = new URL(AGENT_RUN_PATH, target.url);
    } catch {
      throw new ToolError('the host agent URL is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ToolError('the host agent URL must be http: or https:');
    const request: AgentRunRequest = {
      argv,
      env: options.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      limits: options.limits,
      network: options.network,
    };
    const body = JSON.stringify(request);
    const deadline = AbortSignal.timeout(options.timeoutMs + ANSWER_GRACE_MS);
    const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signRequest(target.keyId, target.key, 'POST', url.pathname, body),
        },
        body,
        signal: abort,
        redirect: 'error',
      });
    } catch (error) {
      if (deadline.aborted) return failedRun('the host agent did not answer in time', started, true);
      if (signal?.aborted)
        return { ...failedRun('the call was cancelled', started), exitCode: null, signal: 'SIGKILL' };
      return failedRun(`host agent: ${error instanceof Error ? error.message : String(error)}`, started);
    }
    const answer = (await response.json().catch(() => undefined)) as
      | { refused?: unknown; error?: unknown }
      | undefined;
    if (response.status === 403 && typeof answer?.refused === 'string')
      throw new ToolError(`the host agent refused the command: ${answer.refused}`);
    if (!response.ok)
      throw new ToolError(
        `the host agent answered ${response.status}${typeof answer?.error === 'string' ? `: ${answer.error}` : ''}`,
      );
    if (!isExecResult(answer)) throw new ToolError('the host agent answered something that is not a result');
    return answer;
  },
};

BACKENDS.agent = agentBackend;
