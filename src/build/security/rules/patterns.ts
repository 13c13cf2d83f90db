/**
 * Building blocks of the default rules' patterns: case-insensitive spellings without the `i` flag, static
 * literals, module specifier positions, secret-token shapes and loopback hosts.
 */
import type { SecurityRule } from '../types.js';

export const BT = '`';
/** Case-insensitive spelling of a lower-case word without the `i` flag. */
export const ci = (word: string): string => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
/** Words joined by an optional `_`/`-` separator, each case-insensitive. */
export const words = (...parts: string[]): string => parts.map(ci).join('[_-]?');
/** A complete static string literal (works on masked text too, where contents are blanks). */
export const STATIC_LITERAL = String.raw`(?:'[^'\n]*'|"[^"\n]*"|${BT}[^${BT}$]*${BT})`;
/** `name:` / `name?:` right after `(`: a parameter list of a declaration, not a call. */
export const TYPED_PARAM = String.raw`[\w$]+\s*\??\s*:`;
/** Module specifier position: import … from 'x', import('x'), require('x'), import 'x', export … from 'x'. */
export const moduleRef = (name: string): RegExp =>
  new RegExp(
    // Anchored at the line start (one attempt per line) so long generated lines scan in linear time.
    String.raw`^(?!\s*(?:import|export)\s+type\b)[^\n]*?(?:\bfrom\s*|(?<!\btypeof\s+)\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])(?:node:)?${name}\1`,
  );

export const SECRET_PLACEHOLDER = String.raw`(?![\w.-]*?(?:xxxxx|XXXXX|EXAMPLE|[Ee]xample|[Pp]laceholder|PLACEHOLDER|[Yy]our[_-]|YOUR[_-]|[Dd]ummy|DUMMY|(?<rep>[A-Za-z0-9])\k<rep>{7}))`;
export const SECRET_TOKENS = [
  // AWS access key id
  `(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Za-z0-9])`,
  // GitHub classic and fine-grained tokens
  `gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9_])`,
  `github_pat_[A-Za-z0-9_]{22,255}`,
  // OpenAI / Anthropic style keys (sk-…, sk-proj-…, sk-ant-api03-…): need a digit and an upper-case letter
  `sk-(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])`,
  // Stripe live keys
  `[rs]k_live_[0-9A-Za-z]{20,}`,
  // Slack tokens and webhooks
  `xox[abposr]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}`,
  String.raw`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}`,
  // Google API key
  `AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])`,
  // npm access token
  `npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])`,
  // JSON Web Token (header and payload are base64url JSON objects)
  String.raw`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
];

/** Loopback and unspecified hosts, where plain HTTP and embedded credentials are not a network leak. */
export const NOT_LOCALHOST = String.raw`(?!localhost\b|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)`;

/** Rules are frozen so the shared defaults cannot be changed by a caller. */
export function rule(r: SecurityRule): SecurityRule {
  return Object.freeze(r);
}
