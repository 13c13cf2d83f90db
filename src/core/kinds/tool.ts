/**
 * What a tool's kind decides about the tool as a whole: the parameters it really takes, how its value maps to
 * structuredContent, and its annotation hints. Generic over the KINDS table.
 */
import { valueToJsonSchema, wrapInResult } from '../codegen/json-schema.js';
import type { Tool, ValueSchema } from '../spec/model.js';
import { implementationOf } from './index.js';
import type { OutputPlan, Pagination } from './types.js';

/** Parameters a tool really takes: declared ones, or those its kind adds or substitutes. */
export function effectiveParameters(tool: Tool, pagination: Pagination): Record<string, ValueSchema> {
  const found = implementationOf(tool);
  return found?.kind.parameters?.(found.impl, tool, pagination) ?? tool.parameters;
}

/** How a tool's value maps to structuredContent and which outputSchema advertises it. */
export function outputPlan(tool: Tool): OutputPlan {
  const found = implementationOf(tool);
  const planned = found?.kind.output?.(found.impl, tool);
  if (planned) return planned;
  const returns = tool.returns;
  if (!returns) return { mode: 'none' };
  if (returns.type === 'object' && !returns.nullable)
    return { schema: valueToJsonSchema(returns, false), mode: 'object' };
  return { schema: wrapInResult(valueToJsonSchema(returns, false)), mode: 'wrap' };
}

/** MCP annotation hints: the tool's own annotations, else what its kind infers. */
export function annotationHints(tool: Tool): Record<string, boolean> | undefined {
  const a = tool.annotations;
  const found = implementationOf(tool);
  const inferred = found?.kind.annotations?.(found.impl) ?? {};
  const hints: Record<string, boolean> = {};
  const readOnly = a?.readOnly ?? inferred.readOnly;
  if (readOnly !== undefined) hints.readOnlyHint = readOnly;
  const destructive = a?.destructive ?? inferred.destructive;
  if (destructive !== undefined) hints.destructiveHint = destructive;
  const idempotent = a?.idempotent ?? inferred.idempotent;
  if (idempotent !== undefined) hints.idempotentHint = idempotent;
  const openWorld = a?.openWorld ?? inferred.openWorld;
  if (openWorld !== undefined) hints.openWorldHint = openWorld;
  return Object.keys(hints).length ? hints : undefined;
}
