/**
 * The table of tool kinds. A tool has exactly one of these fields; everything kind-specific lives in the
 * kind's own file. Adding a kind (e.g. command) = one new file + one entry here. The order is the order of
 * the fields in the spec (and so in the published JSON Schema).
 */
import type { z } from 'zod';
import type { Tool } from '../spec/model.js';
import { catalogKind } from './catalog.js';
import { codeKind } from './code.js';
import { commandKind } from './command.js';
import { httpKind } from './http.js';
import { queryKind } from './query.js';
import { sqlKind } from './sql.js';
import { staticKind } from './static.js';
import type { ToolKind } from './types.js';

export const KINDS = [
  sqlKind,
  httpKind,
  codeKind,
  staticKind,
  queryKind,
  catalogKind,
  commandKind,
] as const satisfies readonly ToolKind[];

type Kind = (typeof KINDS)[number];
export type ToolKindName = Kind['name'];

/** The optional tool fields the kinds contribute to the Tool schema, typed per kind. */
export type KindFields = { [K in Kind as K['name']]: z.ZodOptional<K['schema']> };

/** A kind together with the tool's value of its field. */
export interface ToolImplementation {
  kind: ToolKind;
  impl: unknown;
}

/** Every kind field the tool sets, in table order (a valid tool has exactly one). */
export function implementationsOf(tool: Tool): ToolImplementation[] {
  const fields = tool as unknown as Record<string, unknown>;
  return KINDS.flatMap((kind) =>
    fields[kind.name] === undefined ? [] : [{ kind, impl: fields[kind.name] }],
  );
}

/** The tool's implementation (the first, should a broken tool have several). */
export function implementationOf(tool: Tool): ToolImplementation | undefined {
  return implementationsOf(tool)[0];
}

export type * from './types.js';
