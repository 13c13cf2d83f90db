/**
 * Static security scanner for the TypeScript/JavaScript sources of a generated MCP server.
 *
 * Pure module: no I/O, no logging, no process access. Feed it `[path, content]` pairs and it returns a
 * report. Each rule is a regular expression matched against a *masked* copy of the source so that
 * comments never produce findings (and, for code-shape rules, string contents do not either) while
 * line and column numbers stay identical to the original text.
 */

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** All severities, in ascending order. */
export const SEVERITIES: readonly Severity[] = Object.freeze(['info', 'low', 'medium', 'high', 'critical']);

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for `info` up to 4 for `critical`. Throws a TypeError for an unknown severity. */
export function severityRank(s: Severity): number {
  const rank = SEVERITIES.indexOf(s);
  if (rank < 0)
    throw new TypeError(`Unknown severity ${JSON.stringify(s)}; expected one of ${SEVERITIES.join(', ')}`);
  return rank;
}

export function isAtLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

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
  /** Which file paths the rule applies to (default: {@link DEFAULT_FILE_PATTERN}). */
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

/** Files rules apply to unless they say otherwise. */
export const DEFAULT_FILE_PATTERN = /\.(c|m)?[jt]sx?$/;

const JS_FILE = /\.(?:c|m)?[jt]sx?$/;
/** JS/TS sources plus configuration-like files where secrets and TLS switches also leak. */
const SOURCE_OR_CONFIG_FILE =
  /(?:\.(?:c|m)?[jt]sx?|\.(?:json|jsonc|ya?ml|toml|ini|cfg|conf|properties|sh))$|(?:^|\/)\.(?:env(?:\.[\w.-]+)?|npmrc)$/;
const SOURCE_CONFIG_OR_KEY_FILE = new RegExp(`${SOURCE_OR_CONFIG_FILE.source}|\\.(?:pem|key)$`);
const SOURCE_OR_JSON_FILE = /\.(?:(?:c|m)?[jt]sx?|json|jsonc)$/;

// ---------------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------------

export interface MaskedSource {
  /** Comments blanked; everything else as in the source. */
  comments: string;
  /** Comments and string/template/regex literal contents blanked. */
  code: string;
}

const REGEX_PRECEDING_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const REGEX_PRECEDING_PUNCTUATORS = '([{},;:=!&|?+-*%<>~^';

function isIdentCode(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 95 || // _
    c === 36 || // $
    c > 127
  );
}

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;
}

/** Replace every character except line breaks with a space. */
function blankOut(text: string): string {
  return text.replace(/[^\r\n]/g, ' ');
}

/** Rebuild `src` with the given (sorted, non-overlapping) ranges blanked. */
function blankRanges(src: string, ranges: readonly number[]): string {
  if (ranges.length === 0) return src;
  let out = '';
  let pos = 0;
  for (let k = 0; k < ranges.length; k += 2) {
    const s = ranges[k] as number;
    const e = ranges[k + 1] as number;
    out += src.slice(pos, s) + blankOut(src.slice(s, e));
    pos = e;
  }
  return out + src.slice(pos);
}

/**
 * Blank comments (and, in the `code` variant, literal contents) of JS/TS source. Lengths and line
 * breaks are preserved, so offsets, lines and columns are identical to the input. Quote characters
 * and template `${ … }` interpolations are kept in both variants.
 */
export function maskSource(src: string): MaskedSource {
  const n = src.length;
  /** Flat [start, end, start, end, …] ranges, in order. */
  const commentRanges: number[] = [];
  /** Comment ranges and literal-content ranges, in order. */
  const codeRanges: number[] = [];
  const comment = (s: number, e: number): void => {
    if (e <= s) return;
    commentRanges.push(s, e);
    codeRanges.push(s, e);
  };
  const literal = (s: number, e: number): void => {
    if (e > s) codeRanges.push(s, e);
  };

  let inTemplate = false;
  /** Brace depth inside the current `${ … }` (or at top level). */
  let depth = 0;
  const templateStack: number[] = [];
  let lastChar = '';
  let lastWord = '';
  let i = 0;

  if (src.startsWith('#!')) {
    const end = src.indexOf('\n');
    i = end < 0 ? n : end;
    comment(0, i);
  }

  while (i < n) {
    const c = src.charCodeAt(i);
    if (inTemplate) {
      const start = i;
      while (i < n) {
        const t = src.charCodeAt(i);
        if (t === 92 /* \ */) i += 2;
        else if (t === 96 /* ` */ || (t === 36 /* $ */ && src.charCodeAt(i + 1) === 123)) break;
        else i++;
      }
      if (i > n) i = n;
      literal(start, i);
      if (i >= n) break;
      if (src.charCodeAt(i) === 96) {
        i++;
        inTemplate = false;
        lastChar = '`';
        lastWord = '';
      } else {
        i += 2; // `${`
        templateStack.push(depth);
        depth = 0;
        inTemplate = false;
        lastChar = '{';
        lastWord = '';
      }
      continue;
    }

    if (isSpaceCode(c)) {
      i++;
      continue;
    }
    if (isIdentCode(c)) {
      const start = i;
      while (i < n && isIdentCode(src.charCodeAt(i))) i++;
      lastWord = src.slice(start, i);
      lastChar = src[i - 1] as string;
      continue;
    }
    const next = src.charCodeAt(i + 1);
    if (c === 47 /* / */ && next === 47) {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      comment(i, stop);
      i = stop;
      continue;
    }
    if (c === 47 && next === 42 /* * */) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      comment(i, stop);
      i = stop;
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const start = ++i;
      while (i < n) {
        const t = src.charCodeAt(i);
        if (t === 92) i += 2;
        else if (t === c || t === 10)
          break; // closing quote, or unterminated at end of line
        else i++;
      }
      if (i > n) i = n;
      literal(start, i);
      if (src.charCodeAt(i) === c) i++;
      lastChar = '"';
      lastWord = '';
      continue;
    }
    if (c === 96) {
      i++;
      inTemplate = true;
      continue;
    }
    if (
      c === 47 &&
      (lastChar === '' ||
        REGEX_PRECEDING_PUNCTUATORS.includes(lastChar) ||
        (lastWord !== '' && REGEX_PRECEDING_KEYWORDS.has(lastWord)))
    ) {
      // A regular expression literal, if it closes on this line.
      let j = i + 1;
      let inClass = false;
      let closed = -1;
      while (j < n) {
        const t = src.charCodeAt(j);
        if (t === 10 || t === 13) break;
        if (t === 92) {
          j += 2;
          continue;
        }
        if (t === 91 /* [ */) inClass = true;
        else if (t === 93 /* ] */) inClass = false;
        else if (t === 47 && !inClass) {
          closed = j;
          break;
        }
        j++;
      }
      if (closed > 0) {
        literal(i + 1, closed);
        i = closed + 1;
        while (i < n && isIdentCode(src.charCodeAt(i))) i++; // flags
        lastChar = ')'; // a regex literal behaves like an operand
        lastWord = '';
        continue;
      }
    }
    if (c === 123 /* { */) {
      depth++;
    } else if (c === 125 /* } */) {
      if (depth === 0 && templateStack.length > 0) {
        i++;
        depth = templateStack.pop() ?? 0;
        inTemplate = true;
        continue;
      }
      if (depth > 0) depth--;
    }
    lastChar = src[i] as string;
    lastWord = '';
    i++;
  }
  return { comments: blankRanges(src, commentRanges), code: blankRanges(src, codeRanges) };
}

// ---------------------------------------------------------------------------------------------------
// Pattern helpers for the default rules
// ---------------------------------------------------------------------------------------------------

const BT = '`';
/** Case-insensitive spelling of a lower-case word without the `i` flag. */
const ci = (word: string): string => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
/** Words joined by an optional `_`/`-` separator, each case-insensitive. */
const words = (...parts: string[]): string => parts.map(ci).join('[_-]?');
/** A complete static string literal (works on masked text too, where contents are blanks). */
const STATIC_LITERAL = String.raw`(?:'[^'\n]*'|"[^"\n]*"|${BT}[^${BT}$]*${BT})`;
/** `name:` / `name?:` right after `(`: a parameter list of a declaration, not a call. */
const TYPED_PARAM = String.raw`[\w$]+\s*\??\s*:`;
/** Module specifier position: import … from 'x', import('x'), require('x'), import 'x', export … from 'x'. */
const moduleRef = (name: string): RegExp =>
  new RegExp(
    // Anchored at the line start (one attempt per line) so long generated lines scan in linear time.
    String.raw`^(?!\s*(?:import|export)\s+type\b)[^\n]*?(?:\bfrom\s*|(?<!\btypeof\s+)\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"])(?:node:)?${name}\1`,
  );

const SECRET_PLACEHOLDER = String.raw`(?![\w.-]*?(?:xxxxx|XXXXX|EXAMPLE|[Ee]xample|[Pp]laceholder|PLACEHOLDER|[Yy]our[_-]|YOUR[_-]|[Dd]ummy|DUMMY|(?<rep>[A-Za-z0-9])\k<rep>{7}))`;
const SECRET_TOKENS = [
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

const SENSITIVE_NAME_WORDS = [
  words('password'),
  words('passwd'),
  words('passphrase'),
  words('secret'),
  words('secret', 'key'),
  words('secret', 'access', 'key'),
  words('api', 'key'),
  words('api', 'token'),
  words('private', 'key'),
  words('access', 'token'),
  words('auth', 'token'),
  words('refresh', 'token'),
  words('bearer', 'token'),
  words('session', 'token'),
  words('github', 'token'),
  words('bot', 'token'),
].join('|');
/** Names that are only sensitive on their own (`token: '…'`, `pwd: '…'`), not as a suffix (`nextToken`). */
const SENSITIVE_EXACT_NAMES = [ci('token'), ci('pwd')].join('|');

/** Literal values that are obviously not real credentials. Must consume the whole literal. */
const CREDENTIAL_PLACEHOLDER = [
  `[*xX.#?_-]+`,
  `<[^>]*>`,
  String.raw`\{\{[^}]*\}\}`,
  String.raw`%\w+%`,
  String.raw`\$[A-Za-z_]\w*`,
  `[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+`, // an environment variable name
  String.raw`(?:${['env', 'arn', 'op', 'vault', 'ssm', 'aws', 'gcp', 'azure'].map(ci).join('|')}):[^'"${BT}\s]*`,
  String.raw`(?:\.{1,2}/|~/|/)[^'"${BT}]*`, // a path
  String.raw`[\w./-]*\.(?:pem|key|crt|cer|p12|pfx|json|txt|env)`,
  String.raw`(?:${['your', 'my', 'change', 'replace', 'enter', 'insert', 'test', 'example', 'sample', 'dummy', 'fake', 'placeholder', 'redacted', 'xxx'].map(ci).join('|')})[\w-]*`,
  `(?:${['password', 'passwd', 'secret', 'token', 'none', 'null', 'undefined', 'string', 'required', 'optional', 'hidden', 'masked', 'todo', 'tbd'].map(ci).join('|')}|${words('api', 'key')}|${words('access', 'token')})`,
].join('|');

const HARDCODED_CREDENTIAL = new RegExp(
  String.raw`(?<![\w$-])['"]?(?:[\w$-]*?(?:${SENSITIVE_NAME_WORDS})|${SENSITIVE_EXACT_NAMES})\d*['"]?\s*(?::|=|\?\?=|\|\|=)\s*(?<q>['"${BT}])(?!(?:${CREDENTIAL_PLACEHOLDER}|${SECRET_TOKENS.join('|')})\k<q>)(?<secret>(?:(?!\k<q>|\$\{)[^\\\s]|\\.){3,})\k<q>(?!\s*[|&])`,
);

/**
 * Interpolated/concatenated expressions treated as safe: identifier quoting/escaping helpers,
 * generated placeholder lists (`placeholders`, `….map((_, i) => \`$${i + 1}\`)`, `….map(() => '?')`)
 * and the `.text`/`.sql` of another (static) statement.
 */
const SQL_SAFE_EXPR = String.raw`\s*(?:(?:[\w$]+\s*\.\s*)*(?:quote|escape)\w*\s*\(|[\w$]*placeholders?\b|[^${BT};}]*?(?:${BT}\$\$\{|=>\s*['"]\?['"])|[\w$]+(?:\s*\.\s*[\w$]+)*\s*\.\s*(?:text|sql)\b(?!\s*[(.[]))`;
/** Interpolation positions that only take numbers (LIMIT/OFFSET) or are positional placeholders ($${n}). */
const SQL_SAFE_POSITION = String.raw`(?<!\$)(?<!\b(?:LIMIT|OFFSET)\s+)`;
const sqlHead = (b: string): string =>
  String.raw`\s*\(?\s*(?:SELECT\s+(?:DISTINCT\s+)?(?=\*|\$\{|[\w."\[\]]+\s*(?:\(|,|AS\b|FROM\b))${b}*?\bFROM\b|INSERT\s+(?:OR\s+\w+\s+)?INTO\b|UPDATE\s+${b}*?\bSET\s+(?:[\w."\[\]]+\s*=|\$\{)|DELETE\s+FROM\b|(?:DROP|TRUNCATE|ALTER)\s+(?:TABLE|DATABASE|SCHEMA|VIEW|INDEX)\b|(?:REPLACE|MERGE)\s+INTO\b)`;
const TPL_BODY = String.raw`(?:[^${BT}\\]|\\.)`;
const SQ_BODY = String.raw`(?:[^'\\\n]|\\.)`;
const DQ_BODY = String.raw`(?:[^"\\\n]|\\.)`;
/** Concatenated with a non-literal operand that is not an obviously safe helper. */
const CONCAT_DYNAMIC = String.raw`\s*\+\s*(?=[\w$(])(?!${SQL_SAFE_EXPR})`;
const TEMPLATE_OPEN = String.raw`(?:(?<=\b(?:return|await|yield|throw|case|of|in|else|do)\s*)|(?<![\w$)\]]\s*))`;
const STRING_BUILT_SQL = new RegExp(
  [
    // `SELECT … ${value}` (not a tagged template such as sql`…`, not $${n} positional placeholders)
    String.raw`(?=${BT})${TEMPLATE_OPEN}${BT}(?=${sqlHead(TPL_BODY)})${TPL_BODY}*?(?:${SQL_SAFE_POSITION}\$\{(?!${SQL_SAFE_EXPR})|${BT}${CONCAT_DYNAMIC})`,
    // 'SELECT … WHERE id = ' + id
    `'(?=${sqlHead(SQ_BODY)})${SQ_BODY}*'${CONCAT_DYNAMIC}`,
    `"(?=${sqlHead(DQ_BODY)})${DQ_BODY}*"${CONCAT_DYNAMIC}`,
  ].join('|'),
  'i',
);

const NOT_LOCALHOST = String.raw`(?!localhost\b|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)`;

// ---------------------------------------------------------------------------------------------------
// Default rules
// ---------------------------------------------------------------------------------------------------

function rule(r: SecurityRule): SecurityRule {
  return Object.freeze(r);
}

export const DEFAULT_RULES: readonly SecurityRule[] = Object.freeze([
  rule({
    id: 'eval',
    name: 'Use of eval()',
    pattern: /(?<![\w$.]|\bfunction\s+)eval\s*\(|\b(?:globalThis|window|global|self)\s*\.\s*eval\s*\(/,
    severity: 'critical',
    message: 'eval() executes arbitrary code; any attacker-influenced input becomes code execution.',
    hint: 'Parse data with JSON.parse or a real parser, or dispatch through a lookup table of allowed operations.',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'new-function',
    name: 'Function constructor',
    pattern: /(?<![\w$.])(?:new\s+)?Function\s*\(/,
    severity: 'critical',
    message: 'The Function constructor compiles a string into code, like eval().',
    hint: 'Write the function statically; select behaviour with a map of handlers instead of generating code.',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'shell-exec',
    name: 'Shell command execution',
    pattern: new RegExp(
      [
        // exec(cmd) / execSync(cmd) imported from child_process, unless the command is a static literal
        String.raw`(?<![\w$.]|\bfunction\s+|\b(?:async|get|set|static)\s+)(?:exec|execSync)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|${TYPED_PARAM})`,
        String.raw`\b(?:child_process|childProcess|childProc|cp)\s*\.\s*(?:exec|execSync)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|${TYPED_PARAM})`,
        String.raw`\bpromisify\s*\(\s*(?:[\w$]+\s*\.\s*)?exec\s*\)`,
        // spawn/execFile/fork with { shell: true } (or a shell path)
        String.raw`\b(?:spawn|spawnSync|execFile|execFileSync|fork)\s*\([^;]{0,600}?\bshell\s*:\s*(?:true\b|['"${BT}])`,
      ].join('|'),
    ),
    severity: 'critical',
    message:
      'Runs a command through a shell; metacharacters in interpolated input lead to command injection.',
    hint: 'Use execFile/spawn with an argument array and shell: false, and validate every argument.',
    multiline: true,
    mask: 'comments-and-strings',
    when: /\bchild_process\b/,
  }),
  rule({
    id: 'child-process-import',
    name: 'child_process import',
    pattern: moduleRef('child_process'),
    severity: 'medium',
    message: 'Imports child_process; a generated MCP server rarely needs to start processes.',
    hint: 'Remove the import, or make sure every spawned command and argument is fixed or strictly validated.',
  }),
  rule({
    id: 'vm-module',
    name: 'vm module import',
    pattern: moduleRef('vm'),
    severity: 'high',
    message: 'Imports the vm module, which compiles and runs code and is not a security sandbox.',
    hint: 'Avoid executing dynamic code; if isolation is required, use a separate process or a real sandbox.',
  }),
  rule({
    id: 'dynamic-require',
    name: 'Dynamic require/import',
    pattern: new RegExp(
      String.raw`(?<![\w$.]|\bfunction\s+)(?:require|import)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|\)|${TYPED_PARAM})`,
    ),
    severity: 'medium',
    message: 'Loads a module whose specifier is computed at runtime; input could pick an unexpected module.',
    hint: 'Use static import specifiers, or map allowed names to modules with a fixed table.',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'string-built-sql',
    name: 'SQL built from strings',
    pattern: STRING_BUILT_SQL,
    severity: 'high',
    message: 'SQL text is built by interpolating or concatenating values, which allows SQL injection.',
    hint: 'Keep the SQL text static and pass values as parameters (client.query(text, values)); quote identifiers with a vetted helper.',
    multiline: true,
  }),
  rule({
    id: 'tls-verification-disabled',
    name: 'TLS certificate verification disabled',
    pattern: new RegExp(
      [
        String.raw`\brejectUnauthorized['"]?\s*[:=]\s*(?:false|0)\b`,
        String.raw`\bNODE_TLS_REJECT_UNAUTHORIZED['"]?\s*\]?\s*[:=]\s*['"${BT}]?0(?![\w.])`,
        String.raw`\bcheckServerIdentity\s*[:=]\s*(?:\(\s*\)|[\w$]+)\s*=>\s*(?:undefined|null|\{\s*\})`,
        String.raw`\bstrictSSL['"]?\s*:\s*false\b`,
      ].join('|'),
    ),
    severity: 'high',
    message:
      'TLS certificate verification is disabled, so connections can be intercepted (man-in-the-middle).',
    hint: 'Keep verification on; to trust a private CA, pass it via the `ca` option or NODE_EXTRA_CA_CERTS.',
    files: SOURCE_OR_CONFIG_FILE,
  }),
  rule({
    id: 'hardcoded-secret',
    name: 'Hard-coded secret token',
    pattern: new RegExp(`(?<![A-Za-z0-9_-])${SECRET_PLACEHOLDER}(?<secret>${SECRET_TOKENS.join('|')})`),
    severity: 'critical',
    message: 'A credential (API key, access token or JWT) is embedded in the source.',
    hint: 'Revoke the credential, remove it from the code and history, and read it from the environment (process.env).',
    files: SOURCE_OR_CONFIG_FILE,
    mask: 'none',
  }),
  rule({
    id: 'private-key',
    name: 'Embedded private key',
    // The header must be followed by key material (possibly after `\n` escapes, line breaks, quotes,
    // `+` concatenation or `Proc-Type:`-style headers), so a bare header string used in a comparison is not reported.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[\s'"`+,]|[A-Za-z-]+: [^\n\\]*)*(?<secret>[A-Za-z0-9+/]{40,}={0,2})/,
    severity: 'critical',
    message: 'A PEM private key is embedded in the source.',
    hint: 'Revoke the key, remove it, and load key material from a file path or secret store given by configuration.',
    files: SOURCE_CONFIG_OR_KEY_FILE,
    multiline: true,
    mask: 'none',
  }),
  rule({
    id: 'hardcoded-credential',
    name: 'Hard-coded password or key',
    pattern: HARDCODED_CREDENTIAL,
    severity: 'high',
    message: 'A password, secret or API key is assigned a literal value.',
    hint: 'Read the value from the environment (process.env.NAME) or a secret store, and fail clearly when it is missing.',
    files: SOURCE_OR_JSON_FILE,
  }),
  rule({
    id: 'hardcoded-auth-header',
    name: 'Hard-coded Authorization header',
    pattern: new RegExp(
      String.raw`\b[Aa]uthorization['"]?\s*(?:[:=]|,)\s*(?<q>['"${BT}])(?:[Bb]earer|[Bb]asic|[Tt]oken)\s+${SECRET_PLACEHOLDER}(?<secret>[A-Za-z0-9._~+/=-]{8,})\k<q>`,
    ),
    severity: 'high',
    message: 'An Authorization header carries a literal credential.',
    hint: 'Build the header at runtime from a credential read from the environment (e.g. process.env.API_TOKEN).',
  }),
  rule({
    id: 'credential-in-url',
    name: 'Credentials in URL',
    pattern: new RegExp(
      String.raw`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:@/'"${BT}?#]+:(?!\$\{|<|\*+@|x+@|(?:password|pass|secret|changeme)@)(?<secret>[^\s@/'"${BT}?#]+)@${NOT_LOCALHOST}[\w[]`,
    ),
    severity: 'high',
    message: 'A URL contains a literal user:password pair.',
    hint: 'Assemble connection URLs from configuration at runtime (e.g. process.env.DATABASE_URL).',
    files: SOURCE_OR_CONFIG_FILE,
  }),
  rule({
    id: 'http-cleartext-credential-url',
    name: 'Credentials sent over plain HTTP',
    pattern: new RegExp(
      String.raw`\bhttp://${NOT_LOCALHOST}(?:[^\s:@/'"${BT}]+:[^\s@/'"${BT}]+@|[^\s'"${BT}]*[?&](?:api[_-]?key|apikey|access[_-]?token|token|password|passwd|secret|client[_-]?secret|auth|sig|signature)=)`,
      'i',
    ),
    severity: 'medium',
    message:
      'Credentials are sent in a plain-HTTP URL and can be read or replayed by anyone on the network path.',
    hint: 'Use https:// and pass credentials in a header rather than the URL.',
  }),
  rule({
    id: 'insecure-random-token',
    name: 'Math.random() for secrets',
    pattern: new RegExp(
      String.raw`(?<![\w$])[\w$]*?(?:${['token', 'secret', 'password', 'passwd', 'nonce', 'salt', 'otp', 'csrf', 'verifier', 'challenge'].map(ci).join('|')}|${words('session', 'id')}|${words('api', 'key')})[\w$]*\s*(?:[:=]|\?\?=)[^;\n]*?\bMath\s*\.\s*random\s*\(`,
    ),
    severity: 'medium',
    message: 'Math.random() is predictable and must not generate tokens, secrets, nonces or salts.',
    hint: 'Use crypto.randomBytes(), crypto.randomUUID() or crypto.getRandomValues().',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'env-dump',
    name: 'Environment exposed',
    pattern:
      /(?<![\w$])(?:JSON\s*\.\s*stringify|console\s*\.\s*\w+|(?:[\w$]+\s*\.\s*)?(?:log|info|debug|warn|error|trace|send|json|write|end))\s*\(\s*process\s*\.\s*env\s*[,)]/,
    severity: 'medium',
    message: 'The whole process environment is serialized or logged, leaking every secret it contains.',
    hint: 'Log or return only the specific, non-secret settings that are needed.',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'weak-hash',
    name: 'Weak hash algorithm',
    pattern: /\bcreateHash\s*\(\s*(['"`])(?:md4|md5|sha1|sha-1|ripemd160)\1/i,
    severity: 'low',
    message: 'MD5/SHA-1 are broken for security purposes (signatures, password or token hashing).',
    hint: 'Use SHA-256 or better; for passwords use scrypt, argon2 or bcrypt.',
  }),
  rule({
    id: 'recursive-delete-dynamic-path',
    name: 'Recursive delete of a computed path',
    pattern: new RegExp(
      String.raw`(?<![\w$])(?:[\w$]+\s*\.\s*)?(?:rm|rmSync|rmdir|rmdirSync)\s*\(\s*(?!${STATIC_LITERAL}\s*,)[^;\n]*?\brecursive\s*:\s*true\b`,
    ),
    severity: 'low',
    message: 'Recursively deletes a path computed at runtime; a bad value can wipe unrelated files.',
    hint: 'Resolve the path and check it stays inside the intended base directory before deleting.',
    mask: 'comments-and-strings',
  }),
  rule({
    id: 'cors-wildcard-origin',
    name: 'Any-origin CORS',
    pattern:
      /(['"`])Access-Control-Allow-Origin\1\s*[,:]\s*(['"`])\*\2|\borigin\s*:\s*(?:(['"`])\*\3|true\b)/i,
    severity: 'low',
    message:
      'Any web origin may call this HTTP endpoint; MCP HTTP servers must validate Origin (DNS rebinding).',
    hint: 'Allow-list the expected origins and reject requests with an unexpected Origin header.',
  }),
  rule({
    id: 'bind-all-interfaces',
    name: 'Listening on all interfaces',
    pattern:
      /\b(?:host|hostname|bind|address)\s*[:=]\s*(['"`])(?:0\.0\.0\.0|::)\1|\.listen\s*\([^)\n]*(['"`])(?:0\.0\.0\.0|::)\2/,
    severity: 'info',
    message: 'The server listens on every network interface, not only localhost.',
    hint: 'Bind to 127.0.0.1 for local MCP servers unless remote access is intended and authenticated.',
  }),
]);

// ---------------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------------

/** Keep the first 4 characters of a secret and replace the rest with `****`. */
export function redactSecret(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 4)}****`;
}

const REDACTOR_IDS = [
  'hardcoded-secret',
  'private-key',
  'hardcoded-credential',
  'hardcoded-auth-header',
  'credential-in-url',
];
const REDACTORS: readonly RegExp[] = DEFAULT_RULES.filter((r) => REDACTOR_IDS.includes(r.id)).map((r) =>
  withFlags(r.pattern, 'gd'),
);

type Range = [start: number, end: number];

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

function makeExcerpt(line: string, extra: Range[], column: number): string {
  const ranges = [...extra];
  for (const re of REDACTORS) ranges.push(...secretRangesIn(line, re));
  const redacted = applyRedactions(line.replace(/\r$/, ''), ranges).trim();
  if (redacted.length <= MAX_EXCERPT) return redacted;
  const leading = line.length - line.trimStart().length;
  const start = Math.max(0, Math.min(column - 1 - leading - 60, redacted.length - MAX_EXCERPT));
  const body = redacted.slice(start, start + MAX_EXCERPT);
  return `${start > 0 ? '…' : ''}${body}${start + MAX_EXCERPT < redacted.length ? '…' : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------------------

const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MASKS: readonly RuleMask[] = ['comments', 'comments-and-strings', 'none'];

function withFlags(re: RegExp, add: string): RegExp {
  const flags = new Set(re.flags.replace('y', ''));
  for (const f of add) flags.add(f);
  return new RegExp(re.source, [...flags].join(''));
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  const ok = re.test(s);
  re.lastIndex = 0;
  return ok;
}

function validateRule(rule: unknown, existing: ReadonlySet<string>): asserts rule is SecurityRule {
  if (typeof rule !== 'object' || rule === null) throw new TypeError('Security rule must be an object');
  const r = rule as Record<string, unknown>;
  const label = typeof r.id === 'string' && r.id !== '' ? `Security rule "${r.id}"` : 'Security rule';
  if (typeof r.id !== 'string' || !RULE_ID.test(r.id)) {
    throw new TypeError(`${label}: id must be a non-empty kebab-case string (got ${JSON.stringify(r.id)})`);
  }
  if (existing.has(r.id)) throw new TypeError(`${label}: a rule with this id is already registered`);
  if (typeof r.name !== 'string' || r.name.trim() === '') {
    throw new TypeError(`${label}: name must be a non-empty string`);
  }
  if (!(r.pattern instanceof RegExp)) throw new TypeError(`${label}: pattern must be a RegExp`);
  if (!isSeverity(r.severity)) {
    throw new TypeError(
      `${label}: severity must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(r.severity)})`,
    );
  }
  if (typeof r.message !== 'string' || r.message.trim() === '') {
    throw new TypeError(`${label}: message must be a non-empty string`);
  }
  if (r.hint !== undefined && typeof r.hint !== 'string') {
    throw new TypeError(`${label}: hint must be a string when given`);
  }
  if (r.files !== undefined && !(r.files instanceof RegExp)) {
    throw new TypeError(`${label}: files must be a RegExp when given`);
  }
  if (r.when !== undefined && !(r.when instanceof RegExp)) {
    throw new TypeError(`${label}: when must be a RegExp when given`);
  }
  if (r.multiline !== undefined && typeof r.multiline !== 'boolean') {
    throw new TypeError(`${label}: multiline must be a boolean when given`);
  }
  if (r.mask !== undefined && !MASKS.includes(r.mask as RuleMask)) {
    throw new TypeError(`${label}: mask must be one of ${MASKS.join(', ')} (got ${JSON.stringify(r.mask)})`);
  }
}

interface CompiledRule {
  rule: SecurityRule;
  /** Global + indices copy of the pattern (never shared with callers). */
  re: RegExp;
  files: RegExp;
  when?: RegExp;
  mask: RuleMask;
}

interface FileView {
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

function emptyCounts(): Record<Severity, number> {
  return { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
}

export class SecurityScanner {
  readonly #compiled: CompiledRule[] = [];
  readonly #ids = new Set<string>();
  readonly #allow: AllowEntry[];

  constructor(options: SecurityScannerOptions = {}) {
    if (options.includeDefaultRules !== false) for (const r of DEFAULT_RULES) this.addRule(r);
    for (const r of options.rules ?? []) this.addRule(r);
    this.#allow = (options.allow ?? []).map((entry, i) => {
      if (typeof entry?.ruleId !== 'string' || entry.ruleId === '') {
        throw new TypeError(`allow[${i}]: ruleId must be a non-empty string`);
      }
      if (entry.file !== undefined && !(entry.file instanceof RegExp)) {
        throw new TypeError(`allow[${i}]: file must be a RegExp when given`);
      }
      return { ruleId: entry.ruleId, ...(entry.file ? { file: withFlags(entry.file, '') } : {}) };
    });
  }

  /** Register a rule. Throws a TypeError when it is malformed or its id is already taken. */
  addRule(rule: SecurityRule): this {
    validateRule(rule, this.#ids);
    const frozen: SecurityRule = Object.isFrozen(rule) ? rule : Object.freeze({ ...rule });
    this.#ids.add(frozen.id);
    this.#compiled.push({
      rule: frozen,
      re: withFlags(frozen.pattern, 'gd'),
      files: withFlags(frozen.files ?? DEFAULT_FILE_PATTERN, ''),
      ...(frozen.when ? { when: withFlags(frozen.when, '') } : {}),
      mask: frozen.mask ?? 'comments',
    });
    return this;
  }

  get rules(): readonly SecurityRule[] {
    return Object.freeze(this.#compiled.map((c) => c.rule));
  }

  scan(files: Iterable<[path: string, content: string]> | Record<string, string>): ScanReport {
    const entries: Iterable<[string, string]> =
      typeof (files as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? (files as Iterable<[string, string]>)
        : Object.entries(files as Record<string, string>);
    const findings: SecurityFinding[] = [];
    const seen = new Set<string>();
    let filesScanned = 0;

    for (const [path, content] of entries) {
      if (typeof path !== 'string' || typeof content !== 'string') {
        throw new TypeError('scan() expects [path, content] string pairs');
      }
      const normalized = path.replace(/\\/g, '/');
      const applicable = this.#compiled.filter((c) => test(c.files, normalized));
      if (applicable.length === 0) continue;
      filesScanned++;
      const view = createView(path, content, JS_FILE.test(normalized));

      for (const c of applicable) {
        if (c.when && !test(c.when, variant(view, 'comments').text)) continue;
        if (this.#allowed(c.rule.id, normalized)) continue;
        for (const f of runRule(c, view)) {
          const key = `${f.ruleId}\u0000${f.file}\u0000${f.line}\u0000${f.column}`;
          if (seen.has(key)) continue;
          seen.add(key);
          findings.push(f);
        }
      }
    }

    findings.sort(
      (a, b) =>
        (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
        a.line - b.line ||
        a.column - b.column ||
        severityRank(b.severity) - severityRank(a.severity) ||
        (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
    );
    const counts = emptyCounts();
    let highest: Severity | undefined;
    for (const f of findings) {
      counts[f.severity]++;
      if (highest === undefined || severityRank(f.severity) > severityRank(highest)) highest = f.severity;
    }
    return { findings, counts, ...(highest ? { highest } : {}), filesScanned };
  }

  #allowed(ruleId: string, path: string): boolean {
    return this.#allow.some(
      (a) => (a.ruleId === '*' || a.ruleId === ruleId) && (a.file === undefined || test(a.file, path)),
    );
  }
}

function createView(path: string, content: string, isJs: boolean): FileView {
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

function variant(view: FileView, mask: RuleMask): { text: string; lines: string[] } {
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

function runRule(c: CompiledRule, view: FileView): SecurityFinding[] {
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

// ---------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------

/**
 * Human-readable report: one line per finding (`severity  file:line:col  ruleId  message (hint: …)`),
 * then a summary line.
 */
export function formatReport(report: ScanReport): string {
  const width = Math.max(...SEVERITIES.map((s) => s.length));
  const lines = report.findings.map((f) => {
    const hint = f.hint ? ` (hint: ${f.hint})` : '';
    return `${f.severity.padEnd(width)}  ${f.file}:${f.line}:${f.column}  ${f.ruleId}  ${f.message}${hint}`;
  });
  const scanned = `${report.filesScanned} file${report.filesScanned === 1 ? '' : 's'} scanned`;
  const total = report.findings.length;
  if (total === 0) {
    lines.push(`No security findings (${scanned}).`);
  } else {
    const parts = [...SEVERITIES]
      .reverse()
      .filter((s) => report.counts[s] > 0)
      .map((s) => `${report.counts[s]} ${s}`);
    lines.push(`${total} security finding${total === 1 ? '' : 's'}: ${parts.join(', ')} (${scanned}).`);
  }
  return lines.join('\n');
}
