/**
 * The wire contract between a generated server's agent backend (runtime/command-agent.ts) and the host agent
 * (src/platform/host-agent/): one `POST /v1/run` whose JSON body is an `AgentRunRequest`, signed with
 * HMAC-SHA256 over a canonical string of method, path, timestamp, nonce and the SHA-256 of the exact body
 * bytes. The agent answers an `AgentRunResponse` (200), or `{ refused }` (403: its policy refused the call)
 * or `{ error }` (401 authentication, 413 too large, 400 malformed, 503 busy).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CommandLimits } from './argv.js';
import type { ExecResult } from './backends.js';

export const AGENT_RUN_PATH = '/v1/run';
export const AGENT_HEADERS = {
  keyId: 'x-mcp-agent-key-id',
  timestamp: 'x-mcp-agent-timestamp',
  nonce: 'x-mcp-agent-nonce',
  signature: 'x-mcp-agent-signature',
} as const;

/** What the server asks the agent to run; the agent re-checks every field against its own policy. */
export interface AgentRunRequest {
  /** argv[0] is the program name (or absolute path) as the server's spec allowed it. */
  argv: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  stdin?: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  limits: CommandLimits;
  network: boolean;
}

export type AgentRunResponse = ExecResult;

/** The string both sides sign: a version tag, then one field per line (none may hold a newline). */
export function canonicalString(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  bodySha256Hex: string,
): string {
  return ['mcp-agent-v1', method.toUpperCase(), path, timestamp, nonce, bodySha256Hex].join('\n');
}

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function hmacHex(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** The headers of a signed request for `body` (timestamp: Unix seconds; nonce: 128 random bits). */
export function signRequest(
  keyId: string,
  key: string,
  method: string,
  path: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = hmacHex(key, canonicalString(method, path, timestamp, nonce, sha256Hex(body)));
  return {
    [AGENT_HEADERS.keyId]: keyId,
    [AGENT_HEADERS.timestamp]: timestamp,
    [AGENT_HEADERS.nonce]: nonce,
    [AGENT_HEADERS.signature]: signature,
  };
}
