/**
 * Sessions with an MCP server and tool calls through them: start a server bundle over stdio with the SDK v2
 * client (pinned or negotiated protocol era), list its tools, call one and flatten the result to text.
 * Knows nothing about generated projects' layout (see src/build/verify/cases.ts for that).
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { FactoryError } from '../../core/errors/index.js';

export type ProtocolChoice = 'auto' | '2025-11-25' | '2026-07-28';

export interface ToolCallOutcome {
  tool: string;
  isError: boolean;
  text: string;
  structuredContent?: unknown;
  durationMs: number;
}

export interface ServerSession {
  client: Client;
  protocolVersion: string | undefined;
  close(): Promise<void>;
}

/** The protocol version the client settled on with the server (undefined before connecting). */
export function negotiatedProtocol(client: Client): string | undefined {
  return (
    client as unknown as { getNegotiatedProtocolVersion?: () => string | undefined }
  ).getNegotiatedProtocolVersion?.();
}

/** A tool result's content as text: text parts joined by newlines, other parts as `[type]`. */
export function toolResultText(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`))
    .join('\n');
}

/** A tool's result as the factory reports it: the error flag, its text, its structured content when it has some. */
export function toolCallSummary(
  result: { isError?: unknown; content?: unknown; structuredContent?: unknown },
  durationMs: number,
): { isError: boolean; text: string; structuredContent?: unknown; durationMs: number } {
  return {
    isError: result.isError === true,
    text: toolResultText(result),
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    durationMs,
  };
}

/** Start `node <bundle> --transport stdio` in `cwd` and connect to it (SERVER_START_FAILED with its stderr). */
export async function connectStdio(
  bundle: string,
  options: { cwd: string; protocol?: ProtocolChoice; env?: NodeJS.ProcessEnv },
): Promise<ServerSession> {
  const mode =
    options.protocol === '2025-11-25'
      ? 'legacy'
      : options.protocol === '2026-07-28'
        ? { pin: '2026-07-28' }
        : 'auto';
  const client = new Client({ name: 'mcp-factory-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bundle, '--transport', 'stdio'],
    cwd: options.cwd,
    env: {
      ...(process.env as Record<string, string>),
      LOG_LEVEL: 'warn',
      ...(options.env as Record<string, string> | undefined),
    },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new FactoryError(
      'SERVER_START_FAILED',
      `could not start ${bundle}: ${(error as Error).message}${stderr ? `\n${stderr}` : ''}`,
      { cause: error },
    );
  }
  return { client, protocolVersion: negotiatedProtocol(client), close: () => client.close() };
}

/** Call `tool` (TOOL_NOT_FOUND, listing the server's tools, when it has no such tool). */
export async function callTool(
  session: ServerSession,
  tool: string,
  args: Record<string, unknown>,
): Promise<ToolCallOutcome> {
  const { tools } = await session.client.listTools();
  if (!tools.some((t) => t.name === tool)) {
    throw new FactoryError(
      'TOOL_NOT_FOUND',
      `no tool "${tool}"; the server has: ${tools.map((t) => t.name).join(', ') || '(none)'}`,
    );
  }
  const t0 = performance.now();
  const result = await session.client.callTool({ name: tool, arguments: args });
  return { tool, ...toolCallSummary(result, performance.now() - t0) };
}
