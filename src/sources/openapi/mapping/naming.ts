/**
 * Tool names for every operation: explicit names (the names option, then `x-mcp.name`) first, then names
 * derived from the operationId or method and path, all unique and valid. Names are assigned before
 * selection so include/exclude filters never rename a tool.
 */
import type { ApiOperation } from '../model.js';
import { MAX_TOOL_NAME, methodPathName, sanitizeToolName, ToolNamer } from '../names.js';
import type { ReportAdd } from './model.js';

export function assignNames(
  ops: ApiOperation[],
  overrides: Record<string, string>,
  add: ReportAdd,
): Map<ApiOperation, string> {
  const namer = new ToolNamer();
  const names = new Map<ApiOperation, string>();
  const used = new Set<string>();
  const overrideOf = (op: ApiOperation): string | undefined => {
    const keys = [op.operationId, op.key, `${op.method.toLowerCase()} ${op.path}`].filter(
      (k): k is string => !!k,
    );
    for (const k of keys) {
      if (Object.hasOwn(overrides, k)) {
        used.add(k);
        return overrides[k];
      }
    }
    return op.xMcp?.name;
  };
  // Explicit names first: they win over derived ones.
  for (const op of ops) {
    const wanted = overrideOf(op);
    if (wanted === undefined) continue;
    const clean = sanitizeToolName(wanted);
    if (clean !== wanted || clean.length > MAX_TOOL_NAME || clean === '') {
      add(
        op.key,
        `name override "${wanted.slice(0, 80)}" is not a valid tool name (1-64 of A-Z a-z 0-9 _ . -); a derived name is used`,
        'warning',
      );
      continue;
    }
    if (namer.has(clean)) {
      add(op.key, `name override "${clean}" is already taken; a derived name is used`, 'warning');
      continue;
    }
    names.set(op, namer.allocate(clean, op.key));
  }
  for (const op of ops) {
    if (names.has(op)) continue;
    const base =
      sanitizeToolName(op.operationId ?? '') ||
      sanitizeToolName(methodPathName(op.method, op.path)) ||
      'operation';
    const name = namer.allocate(base, op.key);
    if (op.operationId && name !== base) {
      add(
        op.key,
        `tool name "${name}" differs from operationId "${op.operationId.slice(0, 80)}" (cleaned, shortened or made unique)`,
        'info',
      );
    }
    names.set(op, name);
  }
  for (const k of Object.keys(overrides))
    if (!used.has(k)) add('', `the names option "${k.slice(0, 80)}" matches no operation`, 'warning');
  return names;
}
