/**
 * The data shapes of the security scanner: rules (what to look for, where, after which masking), findings,
 * the scan report and the scanner's options. Types only.
 */
import type { Severity } from './severity.js';

/**
 * What is blanked out (replaced by spaces, newlines kept) before a rule's pattern is matched:
 * - `comments` (default): `//` and `/* *\/` comments; string, template and regex literals are kept.
 * - `comments-and-strings`: comments plus the contents of string/template/regex literals (the quote
 *   characters and `${`…`}` interpolation code are kept). Use it for rules about code shape.
 * - `none`: the raw text (useful for secrets, which are a leak even inside a comment).
 * Masking only applies to JS/TS files; other files (e.g. `.env`, `.json`) are always matched raw.
 */
export type RuleMask = 'comments' | 'comments-and-strings' | 'none';

export interface SecurityRule {
  /** Stable kebab-case identifier, e.g. `eval`. */
  id: string;
  /** Human readable name. */
  name: string;
  /**
   * Matched per line (after masking) unless `multiline` is true. Every match is a finding. If the
   * pattern has a named group `secret`, the text of that group is redacted in the finding's excerpt.
   */
  pattern: RegExp;
  severity: Severity;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Which file paths the rule applies to (default: `DEFAULT_FILE_PATTERN` in files.ts). */
  files?: RegExp;
  /** Match against the whole (masked) file instead of line by line. */
  multiline?: boolean;
  /** Masking applied before matching (default `comments`). Extension of the base rule shape. */
  mask?: RuleMask;
  /**
   * Only apply the rule to files whose comment-masked content matches this pattern (e.g. a file that
   * imports `child_process`). Extension of the base rule shape.
   */
  when?: RegExp;
}

export interface SecurityFinding {
  ruleId: string;
  ruleName: string;
  severity: Severity;
  message: string;
  hint?: string;
  file: string;
  /** 1-based line of the start of the match. */
  line: number;
  /** 1-based column (UTF-16 code units) of the start of the match. */
  column: number;
  /** The trimmed source line, with secrets redacted (first 4 characters, then `****`). */
  excerpt: string;
}

export interface ScanReport {
  findings: SecurityFinding[];
  counts: Record<Severity, number>;
  highest?: Severity;
  /** Number of files to which at least one rule applied. */
  filesScanned: number;
}

export interface AllowEntry {
  /** Rule id to suppress, or `*` for every rule. */
  ruleId: string;
  /** Only suppress in files whose path matches (default: every file). */
  file?: RegExp;
}

export interface SecurityScannerOptions {
  rules?: SecurityRule[];
  includeDefaultRules?: boolean;
  allow?: AllowEntry[];
}
