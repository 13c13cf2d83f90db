/**
 * Validation issues of the factory (code, message, hint, JSON path, and line/column for text) → ranges of the
 * spec text, so the editor can underline them. Issues with a line and column are placed there; the others are
 * found by their JSON path in the YAML/JSON document; an issue that cannot be placed marks the first line.
 * Pure (the `yaml` package parses both YAML and JSON).
 */
import { isNode, isPair, parseDocument } from 'yaml';

export interface SpecIssue {
  code: string;
  message: string;
  path: string;
  hint?: string;
  line?: number;
  column?: number;
}

export interface IssueRange {
  from: number;
  to: number;
}

/** `tools[2].parameters.limit` → ['tools', 2, 'parameters', 'limit']. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(/^\d+$/.test(match[1]) ? Number(match[1]) : match[1]);
  }
  return segments;
}

/** The offset of a 1-based line and column, clamped to the text. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const end = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + Math.max(0, column - 1), end);
}

function lineRange(text: string, from: number): IssueRange {
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  const lineEnd = text.indexOf('\n', from);
  return { from: Math.min(from, text.length), to: Math.max(lineEnd < 0 ? text.length : lineEnd, lineStart) };
}

/** Where an issue is in the text. */
export function issueRange(text: string, issue: SpecIssue): IssueRange {
  if (issue.line !== undefined && issue.line >= 1) {
    const from = offsetOf(text, issue.line, issue.column ?? 1);
    const range = lineRange(text, from);
    return range.to > range.from ? range : { from, to: Math.min(text.length, from + 1) };
  }
  const found = issue.path ? rangeOfPath(text, pathSegments(issue.path)) : undefined;
  return found ?? lineRange(text, 0);
}

/**
 * The range of the deepest node the path reaches: the value when it exists, the key of the closest existing
 * parent otherwise (a missing property is reported where it should go).
 */
export function rangeOfPath(text: string, segments: Array<string | number>): IssueRange | undefined {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
  } catch {
    return undefined;
  }
  for (let length = segments.length; length > 0; length--) {
    const prefix = segments.slice(0, length);
    const node = doc.getIn(prefix, true);
    if (isNode(node) && node.range && node.range[1] > node.range[0])
      return { from: node.range[0], to: node.range[1] };
    // A key whose value is empty (`default:`): mark the key.
    const parent = doc.getIn(prefix.slice(0, -1), true) as { items?: unknown[] } | undefined;
    const key = prefix[prefix.length - 1];
    const pair = parent?.items?.find(
      (item) => isPair(item) && isNode(item.key) && (item.key as { value?: unknown }).value === key,
    );
    if (isPair(pair) && isNode(pair.key) && pair.key.range)
      return { from: pair.key.range[0], to: pair.key.range[1] };
  }
  return undefined;
}

/** "line 3, column 5" (or the JSON path) for the issue list under the editor. */
export function issueLocation(text: string, issue: SpecIssue): string {
  if (issue.line !== undefined)
    return `line ${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}`;
  const range = issueRange(text, issue);
  const before = text.slice(0, range.from);
  const line = before.split('\n').length;
  const column = range.from - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}:${column}${issue.path ? ` (${issue.path})` : ''}`;
}

/** The issues of a validation answer or of an API error's details (422 with details.issues). */
export function issuesFrom(value: unknown): SpecIssue[] {
  const list = (value as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw): SpecIssue[] => {
    if (typeof raw !== 'object' || raw === null) return [];
    const i = raw as Record<string, unknown>;
    if (typeof i.message !== 'string') return [];
    return [
      {
        code: typeof i.code === 'string' ? i.code : 'SPEC_INVALID',
        message: i.message,
        path: typeof i.path === 'string' ? i.path : '',
        ...(typeof i.hint === 'string' ? { hint: i.hint } : {}),
        ...(typeof i.line === 'number' ? { line: i.line } : {}),
        ...(typeof i.column === 'number' ? { column: i.column } : {}),
      },
    ];
  });
}
