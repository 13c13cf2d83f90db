/** Connect to a generated server (its bundle over stdio) with the SDK v2 client and call tools. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BUNDLE_FILE, type TestCase } from '../../build/generator/index.js';
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

export async function connectToProject(
  dir: string,
  options: { protocol?: ProtocolChoice; env?: NodeJS.ProcessEnv } = {},
): Promise<ServerSession> {
  const root = resolve(dir);
  const bundle = join(root, BUNDLE_FILE);
  if (!existsSync(bundle)) {
    throw new FactoryError('SERVER_START_FAILED', `${bundle} does not exist`, {
      details: { hint: 'Create the server first (mcp-factory create) or run npm run build in it.' },
    });
  }
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
    cwd: root,
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
  return {
    client,
    protocolVersion: (
      client as unknown as { getNegotiatedProtocolVersion?: () => string | undefined }
    ).getNegotiatedProtocolVersion?.(),
    close: () => client.close(),
  };
}

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
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return {
    tool,
    isError: Boolean(result.isError),
    text: content.map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`)).join('\n'),
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    durationMs: performance.now() - t0,
  };
}

export interface CaseOutcome {
  case: TestCase;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  outcome?: ToolCallOutcome;
}

/** Run the project's planned test cases (test/cases.json) against the server. */
export async function runAllCases(
  dir: string,
  session: ServerSession,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CaseOutcome[]> {
  const file = join(resolve(dir), 'test', 'cases.json');
  const cases = JSON.parse(readFileSync(file, 'utf8')) as TestCase[];
  const outcomes: CaseOutcome[] = [];
  for (const c of cases) {
    const missing = c.requiresEnv.filter((n) => !env[n]);
    if (c.skip || missing.length) {
      outcomes.push({ case: c, status: 'skipped', reason: c.skip ?? `set ${missing.join(', ')}` });
      continue;
    }
    const outcome = await callTool(session, c.tool, c.arguments);
    const problems: string[] = [];
    if (outcome.isError !== c.expectError)
      problems.push(c.expectError ? 'expected an error result' : `error: ${outcome.text.slice(0, 300)}`);
    if (c.contains !== undefined && !outcome.text.includes(c.contains))
      problems.push(`expected "${c.contains}" in the result`);
    outcomes.push({
      case: c,
      status: problems.length ? 'failed' : 'passed',
      ...(problems.length ? { reason: problems.join('; ') } : {}),
      outcome,
    });
  }
  return outcomes;
}
