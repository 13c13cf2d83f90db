/**
 * A few lines of a server's log for an error message. A crashing bundle makes Node print the offending source
 * line under a `file:line` header — for a minified bundle, kilobytes of code on one line — so the excerpt drops
 * those source lines and their caret line, keeps the first frame of each stack trace, drops blank lines and
 * Node's version banner, elides any other overlong line, and keeps only the last lines: what is left is the
 * error itself, not the noise around it.
 */

export interface ExcerptOptions {
  /** Lines kept, from the end (default 8). */
  maxLines?: number;
  /** Characters kept of one line (default 240). */
  maxChars?: number;
}

/** `file:///…/server.mjs:12` or `/abs/path/x.js:12`: Node's header above a source excerpt. */
const SOURCE_HEADER = /^(?:file:\/\/)?\/\S*\.[cm]?[jt]sx?:\d+$/;
const CARET = /^\s*\^+\s*$/;
const FRAME = /^\s+at\s/;
const BANNER = /^Node\.js v\d/;
/** Longer than this, a line is code (a source line whose header fell off the excerpt), never a message. */
const HUGE = 2000;

export function logExcerpt(lines: readonly string[], options: ExcerptOptions = {}): string[] {
  const maxLines = options.maxLines ?? 8;
  const maxChars = options.maxChars ?? 240;
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SOURCE_HEADER.test(line.trim())) {
      kept.push(`${line.trim()} (source line omitted)`);
      // The source line, then (usually) a caret line under it.
      if (i + 1 < lines.length) i++;
      if (i + 1 < lines.length && CARET.test(lines[i + 1]!)) i++;
      continue;
    }
    if (CARET.test(line) || BANNER.test(line) || line.trim() === '') continue;
    if (FRAME.test(line) && i > 0 && FRAME.test(lines[i - 1]!)) continue;
    if (line.length > HUGE) kept.push(`[a line of ${line.length} characters omitted]`);
    else if (line.length > maxChars)
      kept.push(`${line.slice(0, maxChars)}… [${line.length - maxChars} characters omitted]`);
    else kept.push(line);
  }
  return kept.slice(-maxLines);
}
