import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './path.js';

export interface Position {
  line: number;
  column: number;
}

/**
 * Find the source position of a JSON path in a parsed YAML/JSON document: the deepest node that exists
 * on the path (for an unknown or missing key, its parent mapping or the key itself).
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
): Position | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      // Point at the key for a final segment (unknown field); otherwise descend into the value.
      best = isNodeWithRange(pair.key) ? pair.key : best;
      node = pair.value;
      if (isNodeWithRange(node)) best = node;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNodeWithRange(item)) break;
      node = item;
      best = item;
    } else break;
  }
  if (!best?.range) return undefined;
  const pos = lineCounter.linePos(best.range[0]);
  return { line: pos.line, column: pos.col };
}

/** Position of the key itself (used for "unknown field" issues). */
export function locateKey(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
): Position | undefined {
  if (path.length === 0) return locate(doc, lineCounter, path);
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1];
  let node: unknown = doc.contents;
  for (const seg of parentPath) {
    if (isMap(node))
      node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return locate(doc, lineCounter, parentPath);
  }
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
    if (pair && isNodeWithRange(pair.key) && pair.key.range) {
      const pos = lineCounter.linePos(pair.key.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return locate(doc, lineCounter, path);
}

function isNodeWithRange(n: unknown): n is Node {
  return typeof n === 'object' && n !== null && 'range' in n && Array.isArray((n as Node).range);
}
