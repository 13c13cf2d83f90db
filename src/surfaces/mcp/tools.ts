/**
 * The factory's MCP tools: which operations the MCP server exposes, in the order `tools/list` shows them, and
 * how a result reads as text for a model. Names, titles, descriptions, schemas and annotations are the
 * operations' own (surfaces/operations), so the tools cannot drift from the HTTP API.
 */
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Issue } from '../../core/errors/index.js';
import {
  analyzeData,
  callTool,
  cancelJob,
  createServer,
  deployServer,
  getJob,
  type JobView,
  listJobs,
  listServers,
  type Operation,
  type OperationAnnotations,
  removeServer,
  searchTools,
  serverStatus,
  startServer,
  stopServer,
  submitJobOperation,
  toolsmithArchive,
  toolsmithReview,
  toolsmithRollback,
  toolsmithRun,
  toolsmithRuns,
  validateSpec,
} from '../operations/index.js';

export interface FactoryTool<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  operation: Operation<I, O>;
  /** The result's text content (default: the output as indented JSON). */
  text?(output: z.output<O>, input: z.output<I>): string;
  /** Whether the result is an error result although the operation succeeded (a failed tool of a server). */
  isError?(output: z.output<O>): boolean;
}

function tool<I extends z.ZodType, O extends z.ZodType>(definition: FactoryTool<I, O>): FactoryTool {
  return definition as unknown as FactoryTool;
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function describeIssue(
  issue: Pick<Issue, 'message' | 'hint' | 'path' | 'line' | 'column'> & { code: string },
): string {
  const where = [issue.line !== undefined ? `line ${issue.line}:${issue.column ?? 1}` : '', issue.path]
    .filter(Boolean)
    .join(' ');
  return `- ${where ? `${where}: ` : ''}${issue.message} [${issue.code}]\n  hint: ${issue.hint}`;
}

/** MCP tool annotations of an operation (read-only tools carry no destructive hint). */
export function toolAnnotations(annotations: OperationAnnotations): ToolAnnotations {
  return {
    readOnlyHint: annotations.readOnly,
    ...(annotations.readOnly ? {} : { destructiveHint: annotations.destructive }),
    idempotentHint: annotations.idempotent,
    openWorldHint: annotations.openWorld,
  };
}

export const FACTORY_TOOLS: readonly FactoryTool[] = [
  tool({
    operation: validateSpec,
    text: (result) =>
      result.ok
        ? `The spec is valid: ${result.name}@${result.version}, ${result.tools} tools, ${result.resources} resources, ${result.prompts} prompts.`
        : `The spec is not valid (${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}):\n${result.issues.map(describeIssue).join('\n')}`,
  }),
  tool({
    operation: createServer,
    text: (outcome) =>
      `Created ${outcome.name}@${outcome.version} (revision ${outcome.revision}).\n${jsonText(outcome)}`,
  }),
  tool({ operation: deployServer }),
  tool({ operation: listServers }),
  tool({ operation: serverStatus }),
  tool({ operation: callTool, text: (result) => result.text, isError: (result) => result.isError }),
  tool({ operation: searchTools }),
  tool({ operation: removeServer, text: (_, input) => `Removed ${input.name}.` }),
  tool({ operation: stopServer, text: (_, input) => `Stopped ${input.name}.` }),
  tool({ operation: startServer, text: (_, input) => `Started ${input.name}.` }),
  // Long operations without holding the request open (MCP tasks need SDK support it lacks: docs/jobs.md).
  tool({ operation: submitJobOperation, text: (job) => jobText(job) }),
  tool({ operation: getJob, text: (job) => jobText(job) }),
  tool({ operation: listJobs }),
  tool({ operation: cancelJob, text: (job) => jobText(job) }),
];

/** What a model reads of a job: where it stands and what to do next. */
function jobText(job: JobView): string {
  const progress = job.progress.message
    ? ` (${Math.round(job.progress.fraction * 100)}%: ${job.progress.message})`
    : '';
  const next =
    job.state === 'queued' || job.state === 'running'
      ? `Call get_job with id ${job.id} to follow it (cancel_job stops it).`
      : job.state === 'succeeded'
        ? `Result:\n${jsonText(job.result)}`
        : `Error: ${job.error?.code ?? ''} ${job.error?.message ?? ''}`.trim();
  return `Job ${job.id} (${job.operation}) is ${job.state}${progress}.\n${next}`;
}

/** What a model reads of a toolsmith run: the answer in Markdown, then what happens next. */
function runText(run: {
  id: string;
  status: string;
  next: string;
  error: string | null;
  result?: { markdown?: string };
}): string {
  return [
    run.result?.markdown ?? `Run ${run.id} is ${run.status}.`,
    run.error ? `Error: ${run.error}` : '',
    `Run ${run.id}: ${run.next}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The toolsmith's tools (only on a factory MCP server that has a toolsmith). */
export const TOOLSMITH_TOOLS: readonly FactoryTool[] = [
  tool({ operation: analyzeData, text: (run) => runText(run as Parameters<typeof runText>[0]) }),
  tool({ operation: toolsmithRun, text: (run) => runText(run as Parameters<typeof runText>[0]) }),
  tool({ operation: toolsmithRuns }),
  tool({ operation: toolsmithReview, text: (run) => runText(run as Parameters<typeof runText>[0]) }),
  tool({ operation: toolsmithArchive }),
  tool({ operation: toolsmithRollback }),
];

/** A successful operation as a tool result: text for the model, the output as structuredContent for programs. */
export function toolResult(definition: FactoryTool, output: unknown, input: unknown): CallToolResult {
  const text = definition.text ? definition.text(output, input) : jsonText(output);
  return {
    content: [{ type: 'text', text }],
    structuredContent: { ...(output as Record<string, unknown>) },
    ...(definition.isError?.(output) ? { isError: true } : {}),
  };
}
