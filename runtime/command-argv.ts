/**
 * The argv of a command tool call (the rules live in ./exec/argv.ts, shared with the host agent): this module
 * re-exports them and turns a refusal into the ToolError a tool call answers with.
 */

import { ToolError } from './errors.js';
import {
  type CommandDefinition,
  CommandRefused,
  type PreparedCommand,
  prepareCommand as prepare,
} from './exec/argv.js';

export {
  type CommandDefinition,
  type CommandLimits,
  type CommandPolicy,
  CommandRefused,
  type CommandRoot,
  confinePath,
  isInside,
  type PreparedCommand,
  resolveProgram,
  resolveRoots,
  type TemplatePart,
} from './exec/argv.js';

/** A refusal of the shared rules as a tool error (its message is what the caller sees). */
export function asToolError(error: unknown): unknown {
  return error instanceof CommandRefused ? new ToolError(error.message, { cause: error }) : error;
}

/** Builds and checks the call; throws a ToolError (nothing has run) when any rule refuses it. */
export function prepareCommand(def: CommandDefinition, args: Record<string, unknown>): PreparedCommand {
  try {
    return prepare(def, args);
  } catch (error) {
    throw asToolError(error);
  }
}
