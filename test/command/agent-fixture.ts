/**
 * The host agent as the agent tests start it: a policy and a 0600 key file in a temporary directory, the
 * agent served on a free loopback port (startHostAgent, what `mcp-factory host-agent` runs), audit lines
 * kept in memory, and a raw signed-request helper the attack tests use to forge what a client would not.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AGENT_HEADERS,
  AGENT_RUN_PATH,
  type AgentRunRequest,
  canonicalString,
  hmacHex,
  sha256Hex,
} from '../../src/core/exec/agent-protocol.js';
import type { AgentAuditLine, AgentPolicyInput } from '../../src/platform/host-agent/index.js';
import { startHostAgent } from '../../src/surfaces/cli/host-agent-command.js';

/** The agents run commands as dedicated uids (leftover processes are findable): that needs root, as CI runs. */
export const AS_ROOT = process.getuid?.() === 0;

export const KEY_ID = 'server-a';
export const KEY = 'k3y-0f-the-agent-tests-0123456789abcdef';

export interface RunningAgent {
  url: string;
  audit: AgentAuditLine[];
  /** Audit lines of runs that actually ran (not refused). */
  ran: () => AgentAuditLine[];
  close: () => Promise<void>;
}

export async function startTestAgent(dir: string, policy: AgentPolicyInput): Promise<RunningAgent> {
  const policyFile = join(dir, 'agent-policy.json');
  const keyFile = join(dir, 'agent.keys');
  writeFileSync(policyFile, JSON.stringify(policy));
  writeFileSync(keyFile, `# test key\n${KEY_ID} ${KEY}\n`, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const audit: AgentAuditLine[] = [];
  const { served } = await startHostAgent({ policyFile, keyFile, onAudit: (line) => audit.push(line) });
  return {
    url: served.url,
    audit,
    ran: () => audit.filter((line) => line.refused === undefined),
    close: () => served.close(),
  };
}

export function runRequest(argv: string[], overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    argv,
    env: {},
    timeoutMs: 10_000,
    maxOutputBytes: 64 * 1024,
    limits: { cpuSeconds: 5, memoryBytes: 512 * 1024 * 1024, processes: 16, fileBytes: 1024 * 1024 },
    network: false,
    ...overrides,
  };
}

export interface Forgery {
  key?: string;
  keyId?: string;
  timestamp?: string;
  nonce?: string;
  /** Sign this body but send `body`. */
  signedBody?: string;
  drop?: keyof typeof AGENT_HEADERS;
  signature?: (real: string) => string;
}

/** Signed headers for `body`, with any part forged. */
export function forgedHeaders(body: string, f: Forgery = {}): Record<string, string> {
  const timestamp = f.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = f.nonce ?? crypto.randomUUID().replaceAll('-', '');
  const real = hmacHex(
    f.key ?? KEY,
    canonicalString('POST', AGENT_RUN_PATH, timestamp, nonce, sha256Hex(f.signedBody ?? body)),
  );
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [AGENT_HEADERS.keyId]: f.keyId ?? KEY_ID,
    [AGENT_HEADERS.timestamp]: timestamp,
    [AGENT_HEADERS.nonce]: nonce,
    [AGENT_HEADERS.signature]: f.signature ? f.signature(real) : real,
  };
  if (f.drop) delete headers[AGENT_HEADERS[f.drop]];
  return headers;
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(AGENT_RUN_PATH, url), {
    method: 'POST',
    headers,
    body,
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function healthy(url: string): Promise<boolean> {
  const response = await fetch(new URL('/v1/health', url));
  return response.status === 200;
}
