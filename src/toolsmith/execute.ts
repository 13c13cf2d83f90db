/**
 * Running a toolsmith tool: its server's bundle starts in the sandbox (bubblewrap: no network, read-only root,
 * only the project and the one dataset file bound, a private /tmp, rlimits on CPU, memory, files and
 * processes), speaks MCP over stdio, and answers one call within the policy's wall time; then the whole sandbox
 * is killed. The server gets no environment of the factory (no keys): only DATASET_ROOTS naming the dataset's
 * directory. Where no sandbox works this throws SANDBOX_UNAVAILABLE: the toolsmith never runs generated code
 * unconfined.
 */
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { FactoryError } from '../core/errors/index.js';
import {
  nodeHeapArgs,
  requireSandbox,
  type SandboxLimits,
  sandboxCommand,
  testSandboxUid,
} from '../platform/sandbox/index.js';
import { DATA_ROOTS_ENV } from './candidate.js';
import type { ToolsmithPolicy } from './policy.js';

export interface ExecutionRequest {
  projectDir: string;
  tool: string;
  arguments: Record<string, unknown>;
  /** The dataset file the call reads (its directory is bound read-only and listed in DATASET_ROOTS). */
  datasetPath: string;
  policy: ToolsmithPolicy;
  signal?: AbortSignal | undefined;
}

export interface ExecutionOutcome {
  isError: boolean;
  /** structuredContent, or the JSON of the text when it parses, or the text. */
  value: unknown;
  text: string;
  startMs: number;
  callMs: number;
  sandboxed: true;
}

export function executionLimits(policy: ToolsmithPolicy): SandboxLimits {
  const memory = policy.execution.memoryMb * 1024 * 1024;
  return {
    cpuSeconds: policy.execution.cpuSeconds,
    fileBytes: 16 * 1024 * 1024,
    openFiles: 256,
    processes: 128,
    dataBytes: memory,
    heapMb: Math.max(64, Math.floor(policy.execution.memoryMb / 4)),
    tmpBytes: 64 * 1024 * 1024,
  };
}

export async function executeTool(request: ExecutionRequest): Promise<ExecutionOutcome> {
  const support = requireSandbox('a toolsmith tool');
  if (!support.available) throw new FactoryError('SANDBOX_UNAVAILABLE', support.reason);
  const limits = executionLimits(request.policy);
  const bundle = join(request.projectDir, 'dist', 'server.mjs');
  const dataDir = dirname(request.datasetPath);
  const command = sandboxCommand(support, {
    command: [process.execPath, ...nodeHeapArgs(limits), bundle, '--transport', 'stdio'],
    readOnly: [join(request.projectDir, 'dist'), request.datasetPath],
    network: 'none',
    chdir: '/tmp',
    uid: testSandboxUid(),
    dieWithParent: true,
    newSession: true,
    limits,
  });
  const started = performance.now();
  let stderr = '';
  const transport = new StdioClientTransport({
    command: command.file,
    args: command.args,
    cwd: '/',
    env: {
      PATH: '/usr/bin:/bin',
      LOG_LEVEL: 'warn',
      [DATA_ROOTS_ENV]: dataDir,
    },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const client = new Client(
    { name: 'mcp-factory-toolsmith', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  const deadline = AbortSignal.timeout(request.policy.execution.timeoutSeconds * 1000);
  const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
  try {
    try {
      await client.connect(transport, { signal });
    } catch (error) {
      throw new FactoryError(
        'SERVER_START_FAILED',
        `the tool's server did not start in the sandbox: ${(error as Error).message}${stderr ? `\n${stderr.trim()}` : ''}`,
        { cause: error },
      );
    }
    const startMs = performance.now() - started;
    const t0 = performance.now();
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool(
        { name: request.tool, arguments: request.arguments },
        { signal, timeout: request.policy.execution.timeoutSeconds * 1000 },
      );
    } catch (error) {
      const timedOut = deadline.aborted;
      throw new FactoryError(
        'TOOL_CALL_FAILED',
        timedOut
          ? `the tool did not answer within ${request.policy.execution.timeoutSeconds} s (policy execution.timeoutSeconds)`
          : `the call failed: ${(error as Error).message}${stderr ? `\n${stderr.trim()}` : ''}`,
        { cause: error },
      );
    }
    const text =
      (result.content as Array<{ type: string; text?: string }> | undefined)
        ?.filter((c) => c.type === 'text')
        .map((c) => c.text ?? '')
        .join('\n') ?? '';
    return {
      isError: Boolean(result.isError),
      value: result.structuredContent ?? parseOr(text),
      text,
      startMs: Math.round(startMs),
      callMs: Math.round(performance.now() - t0),
      sandboxed: true,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
