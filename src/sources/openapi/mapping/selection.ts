/**
 * Which operations are imported: `x-mcp: { exclude: true }`, then the include option (every given criterion
 * must match) and the exclude option (any criterion excludes). Path criteria are globs (`*` one segment,
 * `**` any) or regular expressions.
 */
import type { ApiOperation, OperationSelector } from '../model.js';

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function matchers(sel: OperationSelector | undefined): Array<(op: ApiOperation) => boolean> {
  if (!sel) return [];
  const out: Array<(op: ApiOperation) => boolean> = [];
  if (sel.tags?.length) {
    const tags = new Set(sel.tags);
    out.push((op) => op.tags.some((t) => tags.has(t)));
  }
  if (sel.paths?.length) {
    const res = sel.paths.map((p) => (typeof p === 'string' ? globToRegExp(p) : p));
    out.push((op) => res.some((re) => re.test(op.path)));
  }
  if (sel.methods?.length) {
    const methods = new Set(sel.methods.map((m) => m.toUpperCase()));
    out.push((op) => methods.has(op.method));
  }
  if (sel.operations?.length) {
    const ids = new Set(sel.operations);
    out.push(
      (op) =>
        (op.operationId !== undefined && ids.has(op.operationId)) ||
        ids.has(op.key) ||
        ids.has(`${op.method.toLowerCase()} ${op.path}`),
    );
  }
  return out;
}

/** Why `op` is not imported, or undefined when it is. */
export function exclusionReason(
  op: ApiOperation,
  include?: OperationSelector,
  exclude?: OperationSelector,
): string | undefined {
  if (op.xMcp?.exclude) return 'excluded by x-mcp: { exclude: true }';
  const inc = matchers(include);
  if (inc.length && !inc.every((m) => m(op))) return 'not matched by the include option';
  const exc = matchers(exclude);
  if (exc.some((m) => m(op))) return 'excluded by the exclude option';
  return undefined;
}
