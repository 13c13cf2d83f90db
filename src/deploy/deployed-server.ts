/**
 * Talking to a deployed server through its MCP endpoint, for the control plane: pick the deployment that runs,
 * connect with the credential its spec requires, list or call tools and run the revision's planned test cases.
 * Every call is recorded in the registry's call metrics (best effort: metrics never fail a call).
 */
import type { Client } from '@modelcontextprotocol/client';
import { type CaseOutcome, runAllCases } from '../build/verify/cases.js';
import { FactoryError } from '../core/errors/index.js';
import type { ServerSpec } from '../core/spec/model.js';
import {
  connectMcp,
  negotiatedProtocol,
  type ServerSession,
  toolCallSummary,
  upstreamCredentials,
} from '../platform/mcp-client/index.js';
import type { DeploymentRecord, Registry } from '../store/index.js';
import type { ToolCallResult } from './types.js';

export interface ToolSummary {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
}

/** Timeout of the connection to a deployed server (a management call, not a health probe). */
const CONNECT_TIMEOUT_MS = 10_000;

/** The deployment to talk to: a running one with an endpoint (DEPLOYMENT_NOT_RUNNING when there is none). */
export function runningDeployment(
  name: string,
  deployments: DeploymentRecord[],
): DeploymentRecord & {
  endpoint: string;
} {
  const d = deployments.find((x) => x.status === 'running' && x.endpoint) ?? deployments[0]!;
  if (d.status !== 'running' || !d.endpoint) {
    throw new FactoryError(
      'DEPLOYMENT_NOT_RUNNING',
      `${name} is ${d.status === 'running' ? 'running without an endpoint' : d.status}${d.lastError ? ` (${d.lastError})` : ''}`,
      { details: { server: name, status: d.status, desired: d.desired } },
    );
  }
  return d as DeploymentRecord & { endpoint: string };
}

/** Connect to the deployment's endpoint (DEPLOYMENT_NOT_RUNNING when it does not answer). */
export async function connectDeployment(
  name: string,
  d: DeploymentRecord & { endpoint: string },
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
): Promise<Client> {
  try {
    return await connectMcp(d.endpoint, {
      headers: upstreamCredentials(spec, env, d.endpoint),
      timeoutMs: CONNECT_TIMEOUT_MS,
      name: 'mcp-factory-control',
    });
  } catch (error) {
    // It answers, but the factory could not get (or use) a token: that error says why, and names the server.
    if (error instanceof FactoryError && error.code === 'UPSTREAM_AUTH_FAILED') throw error;
    throw new FactoryError(
      'DEPLOYMENT_NOT_RUNNING',
      `${name} does not answer at ${d.endpoint}: ${(error as Error).message}`,
      { details: { server: name, endpoint: d.endpoint }, cause: error },
    );
  }
}

export async function listDeployedTools(client: Client): Promise<ToolSummary[]> {
  const { tools } = await client.listTools();
  return tools.map((t) => ({ name: t.name, title: t.title, description: t.description }));
}

/** Call `tool` on server `name` (TOOL_NOT_FOUND when it has no such tool) and record the call. */
export async function callDeployedTool(
  registry: Registry,
  client: Client,
  name: string,
  tool: string,
  args: Record<string, unknown>,
): Promise<ToolCallResult> {
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === tool)) {
    throw new FactoryError(
      'TOOL_NOT_FOUND',
      `no tool "${tool}" on ${name}; it has: ${tools.map((t) => t.name).join(', ') || '(none)'}`,
    );
  }
  const t0 = performance.now();
  let ok = false;
  try {
    const result = await client.callTool({ name: tool, arguments: args });
    ok = !result.isError;
    return toolCallSummary(result, performance.now() - t0);
  } finally {
    await registry
      .recordCalls([{ server: name, tool, ok, latencyMs: performance.now() - t0 }])
      .catch(() => undefined);
  }
}

/** Run the planned test cases of the project in `dir` against the deployment, and record the calls. */
export async function testDeployment(
  registry: Registry,
  client: Client,
  name: string,
  dir: string,
  env: Record<string, string>,
): Promise<{ protocolVersion: string | undefined; outcomes: CaseOutcome[] }> {
  const session: ServerSession = {
    client,
    protocolVersion: negotiatedProtocol(client),
    close: () => client.close(),
  };
  const outcomes = await runAllCases(dir, session, env);
  const calls = outcomes.flatMap((o) =>
    o.outcome
      ? [{ server: name, tool: o.outcome.tool, ok: !o.outcome.isError, latencyMs: o.outcome.durationMs }]
      : [],
  );
  await registry.recordCalls(calls).catch(() => undefined);
  return { protocolVersion: session.protocolVersion, outcomes };
}
