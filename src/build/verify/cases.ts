/**
 * A generated project as an MCP server: start its bundle over stdio, and run its planned test cases
 * (test/cases.json, written by the generator's test plan) against any session with it — the project's own
 * process, or a deployment of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FactoryError } from '../../core/errors/index.js';
import {
  callTool,
  connectStdio,
  type ProtocolChoice,
  type ServerSession,
  type ToolCallOutcome,
} from '../../platform/mcp-client/index.js';
import { equalsProblem } from '../generator/expect-equals.js';
import { BUNDLE_FILE, type TestCase } from '../generator/index.js';

export interface CaseOutcome {
  case: TestCase;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  outcome?: ToolCallOutcome;
}

/** Start the project's bundle over stdio (SERVER_START_FAILED when it has not been built). */
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
  return connectStdio(bundle, { cwd: root, ...options });
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
    if (c.equals !== undefined) {
      const problem = equalsProblem(c.equals, outcome.structuredContent, outcome.text);
      if (problem) problems.push(problem);
    }
    outcomes.push({
      case: c,
      status: problems.length ? 'failed' : 'passed',
      ...(problems.length ? { reason: problems.join('; ') } : {}),
      outcome,
    });
  }
  return outcomes;
}
