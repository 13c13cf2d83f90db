/**
 * Excerpts of findings with every credential redacted: the secret span of the finding itself plus any
 * credential a secret rule finds on the same line (first 4 characters kept, then `****`), trimmed to
 * at most 200 characters around the match. Pure.
 */
import { withFlags } from './regex.js';
import { SECRET_RULES } from './rules/secrets.js';

/** Keep the first 4 characters of a secret and replace the rest with `****`. */
export function redactSecret(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 4)}****`;
}

/** Global + indices copies of the secret rules' patterns: their `secret` group is what gets redacted. */
const REDACTORS: readonly RegExp[] = SECRET_RULES.map((r) => withFlags(r.pattern, 'gd'));

/** A [start, end) span of a line, in UTF-16 code units. */
export type Range = [start: number, end: number];

function secretRangesIn(line: string, re: RegExp): Range[] {
  const ranges: Range[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const span = m.indices?.groups?.secret;
    if (span && span[1] > span[0]) ranges.push([span[0], span[1]]);
    if (m[0].length === 0) re.lastIndex++;
  }
  return ranges;
}

function applyRedactions(line: string, ranges: Range[]): string {
  if (ranges.length === 0) return line;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Range[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  let out = '';
  let pos = 0;
  for (const [s, e] of merged) {
    out += line.slice(pos, s) + redactSecret(line.slice(s, e));
    pos = e;
  }
  return out + line.slice(pos);
}

const MAX_EXCERPT = 200;

/**
 * The trimmed source line of a finding with secrets redacted; `extra` are spans the finding's own rule
 * marked as secret, `column` (1-based) keeps long lines centred on the match.
 */
export function makeExcerpt(line: string, extra: Range[], column: number): string {
  const ranges = [...extra];
  for (const re of REDACTORS) ranges.push(...secretRangesIn(line, re));
  const redacted = applyRedactions(line.replace(/\r$/, ''), ranges).trim();
  if (redacted.length <= MAX_EXCERPT) return redacted;
  const leading = line.length - line.trimStart().length;
  const start = Math.max(0, Math.min(column - 1 - leading - 60, redacted.length - MAX_EXCERPT));
  const body = redacted.slice(start, start + MAX_EXCERPT);
  return `${start > 0 ? '…' : ''}${body}${start + MAX_EXCERPT < redacted.length ? '…' : ''}`;
}
