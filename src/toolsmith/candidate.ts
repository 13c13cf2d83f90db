/**
 * A toolsmith tool as a spec: a `code` tool over the `dataset` connection (DuckDB, one data file per call), with
 * the `dataset` parameter every such tool takes. The same builder makes the one-tool candidate server that
 * validation builds and tests, and the tools of the toolsmith server that promotion adds revisions to — so a
 * promoted tool is exactly the code that was validated, executed and approved.
 */
import type { ServerSpecInput, Tool } from '../core/spec/model.js';
import type { DatasetRef, ToolCode, ToolInterface } from './types.js';

/** The connection every toolsmith tool reads its data through, and the variable listing allowed directories. */
export const DATA_CONNECTION = 'data';
export const DATA_ROOTS_ENV = 'DATASET_ROOTS';

export const DATASET_PARAMETER = {
  type: 'string',
  required: true,
  description:
    'Path of the data file (CSV, TSV, JSON, NDJSON or Parquet, by extension), inside a directory listed in DATASET_ROOTS.',
} as const;

export interface ToolParts {
  tool: ToolInterface;
  code: ToolCode;
  question: string;
  /** Regression examples: the question's arguments on its dataset, with the approved output once there is one. */
  examples: Array<{ dataset: DatasetRef; arguments: Record<string, unknown>; equals?: unknown }>;
  /** Per-call time limit of the tool (the policy's execution timeout). */
  timeoutMs: number;
}

/** The spec of one toolsmith tool. */
export function toolSpec(parts: ToolParts): Tool {
  const { tool, code } = parts;
  const { dataset: _ignored, ...parameters } = tool.parameters;
  return {
    name: tool.name,
    description: `${tool.description}\n\nMade by the toolsmith for the question: ${oneLine(parts.question)}`,
    parameters: { dataset: { ...DATASET_PARAMETER }, ...parameters },
    annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
    timeoutMs: parts.timeoutMs,
    examples: parts.examples.map((e) => ({
      arguments: { ...e.arguments, dataset: e.dataset.path },
      expect: e.equals === undefined ? { isError: false } : { isError: false, equals: e.equals },
    })),
    code: { source: code.source },
    outputValidation: 'strict',
  } as Tool;
}

/** A server holding toolsmith tools (the candidate of a run, or a revision of the toolsmith server). */
export function toolsmithServerSpec(name: string, version: string, tools: Tool[]): ServerSpecInput {
  return {
    name,
    version,
    description:
      'Data-analysis tools made by the MCP Factory toolsmith from questions about datasets, each validated, run in a sandbox and approved twice before it was added here.',
    connections: [
      {
        name: DATA_CONNECTION,
        type: 'dataset',
        rootsEnv: DATA_ROOTS_ENV,
        description: 'The data file named by each call (DuckDB; read-only, nothing else reachable).',
      },
    ],
    tools,
  } as ServerSpecInput;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
