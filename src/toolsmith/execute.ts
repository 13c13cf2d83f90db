/**
 * Running a toolsmith tool: its server's bundle starts in the sandbox (bubblewrap: no network, read-only root,
 * only the project and the one dataset file bound, a private /tmp, rlimits on CPU, memory, files and
 * processes), speaks MCP over stdio, and answers one call within the policy's wall time; then the whole sandbox
 * is killed. The server gets no environment of the factory (no keys): only DATASET_ROOTS naming the dataset's
 * directory. With the policy's `sandbox: docker`, the same runs in a container (platform/sandbox/container.ts)
 * instead. Where the chosen sandbox does not work this throws SANDBOX_UNAVAILABLE: the toolsmith never runs
 * generated code unconfined.
 */

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { FactoryError } from '../core/errors/index.js';
import {
  containerCommand,
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

/** The command that starts the tool's server confined: bubblewrap, or a container (policy `sandbox: docker`). */
function confinedServer(request: ExecutionRequest): {
  file: string;
  args: string[];
  env: Record<string, string>;
  stop?: () => void;
} {
  const limits = executionLimits(request.policy);
  const dist = join(request.projectDir, 'dist');
  const bundle = join(dist, 'server.mjs');
  const dataDir = dirname(request.datasetPath);
  const serverEnv = { LOG_LEVEL: 'warn', [DATA_ROOTS_ENV]: dataDir };
  if (request.policy.sandbox === 'docker') {
    const c = containerCommand({
      image: request.policy.docker.image,
      runtime: request.policy.docker.runtime,
      command: ['node', ...nodeHeapArgs(limits), bundle, '--transport', 'stdio'],
      readOnly: [dist, request.datasetPath],
      env: serverEnv,
      workdir: '/tmp',
      memoryMb: request.policy.execution.memoryMb,
      cpus: 1,
      processes: limits.processes,
      tmpMb: Math.floor(limits.tmpBytes / 1024 / 1024),
    });
    const stop = () => {
      spawn(c.file, ['kill', c.name], { stdio: 'ignore' }).on('error', () => undefined);
    };
    return { file: c.file, args: c.args, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stop };
  }
  const support = requireSandbox('a toolsmith tool');
  if (!support.available) throw new FactoryError('SANDBOX_UNAVAILABLE', support.reason);
  const command = sandboxCommand(support, {
    command: [process.execPath, ...nodeHeapArgs(limits), bundle, '--transport', 'stdio'],
    readOnly: [dist, request.datasetPath],
    network: 'none',
    chdir: '/tmp',
    uid: testSandboxUid(),
    dieWithParent: true,
    newSession: true,
    limits,
  });
  return { file: command.file, args: command.args, env: { PATH: '/usr/bin:/bin', ...serverEnv } };
}

export async function executeTool(request: ExecutionRequest): Promise<ExecutionOutcome> {
  const server = confinedServer(request);
  const started = performance.now();
  let stderr = '';
  const transport = new StdioClientTransport({
    command: server.file,
    args: server.args,
    cwd: '/',
    env: server.env,
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
    server.stop?.();
  }
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
