/**
 * Running one compiled rule over one file: the file's masked variants (computed lazily, once per file),
 * matching line by line or over the whole text, and turning each match into a finding with its 1-based
 * line and column in the original text. Pure.
 */
import { maskSource } from './mask.js';
import { makeExcerpt, type Range } from './redact.js';
import type { RuleMask, SecurityFinding, SecurityRule } from './types.js';

/** A rule ready to run: private copies of its patterns with the flags the engine needs. */
export interface CompiledRule {
  rule: SecurityRule;
  /** Global + indices copy of the pattern (never shared with callers). */
  re: RegExp;
  files: RegExp;
  when?: RegExp;
  mask: RuleMask;
}

export interface FileView {
  path: string;
  original: string;
  originalLines: string[];
  lineStarts: number[];
  variants: Map<RuleMask, { text: string; lines: string[] }>;
}

function splitLines(text: string): string[] {
  return text.split('\n');
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line index containing `offset`. */
function lineIndexAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A view of a file that masks JS/TS sources and treats every other file as raw text. */
export function createView(path: string, content: string, isJs: boolean): FileView {
  const view: FileView = {
    path,
    original: content,
    originalLines: splitLines(content),
    lineStarts: lineStartsOf(content),
    variants: new Map(),
  };
  const raw = { text: content, lines: view.originalLines };
  view.variants.set('none', raw);
  if (!isJs) {
    view.variants.set('comments', raw);
    view.variants.set('comments-and-strings', raw);
  }
  return view;
}

/** The text (and lines) of `view` under `mask`; the lexer runs at most once per file. */
export function variant(view: FileView, mask: RuleMask): { text: string; lines: string[] } {
  let v = view.variants.get(mask);
  if (!v) {
    const masked = maskSource(view.original);
    view.variants.set('comments', { text: masked.comments, lines: splitLines(masked.comments) });
    view.variants.set('comments-and-strings', { text: masked.code, lines: splitLines(masked.code) });
    v = view.variants.get(mask) as { text: string; lines: string[] };
  }
  return v;
}

function finding(
  c: CompiledRule,
  view: FileView,
  lineIndex: number,
  column: number,
  secret: Range[],
): SecurityFinding {
  const r = c.rule;
  return {
    ruleId: r.id,
    ruleName: r.name,
    severity: r.severity,
    message: r.message,
    ...(r.hint !== undefined ? { hint: r.hint } : {}),
    file: view.path,
    line: lineIndex + 1,
    column: column + 1,
    excerpt: makeExcerpt(view.originalLines[lineIndex] ?? '', secret, column + 1),
  };
}

/** Every match of the rule in the file, as findings (unsorted, possibly duplicated across rules). */
export function runRule(c: CompiledRule, view: FileView): SecurityFinding[] {
  const out: SecurityFinding[] = [];
  const { text, lines } = variant(view, c.mask);
  const re = c.re;
  if (c.rule.multiline) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) re.lastIndex++;
      const lineIndex = lineIndexAt(view.lineStarts, m.index);
      const lineStart = view.lineStarts[lineIndex] ?? 0;
      const lineEnd = lineStart + (view.originalLines[lineIndex]?.length ?? 0);
      const span = m.indices?.groups?.secret;
      const ranges: Range[] = [];
      if (span && span[0] < lineEnd && span[1] > lineStart) {
        ranges.push([Math.max(span[0], lineStart) - lineStart, Math.min(span[1], lineEnd) - lineStart]);
      }
      out.push(finding(c, view, lineIndex, m.index - lineStart, ranges));
    }
    re.lastIndex = 0;
    return out;
  }
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li] as string;
    re.lastIndex = 0;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[0].length === 0) re.lastIndex++;
      const span = m.indices?.groups?.secret;
      out.push(finding(c, view, li, m.index, span && span[1] > span[0] ? [[span[0], span[1]]] : []));
    }
  }
  re.lastIndex = 0;
  return out;
}
