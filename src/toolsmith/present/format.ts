/**
 * Cell values for display: normalization of what a tool returns (bigint, Date, nested values) and Markdown-safe
 * text. Every string that comes from data goes through `escapeMarkdownText` before it reaches Markdown: the
 * result has no raw HTML, no link or image syntax, no emphasis/code markers, no table-breaking pipes or
 * newlines, and no GFM autolinks (http://, www., e-mail). Pure functions, no I/O.
 */

/** A display value: what a cell becomes after normalization. */
export type Scalar = string | number | boolean | null;

/** Longest text kept in one cell (or one chart label, see chart.ts); the rest becomes "…". */
export const MAX_CELL_CHARS = 200;

/** Word joiner (U+2060): invisible, breaks GFM autolink detection without changing what a reader sees. */
const WJ = '\u2060';

/** bigint → number when exact, else its decimal string; Date → ISO text; objects → JSON; undefined → null. */
export function normalizeValue(value: unknown): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return formatDate(value);
  try {
    const json = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    return json ?? String(value);
  } catch {
    return String(value);
  }
}

/** 2012-06-01 for a UTC midnight, else ISO without milliseconds; invalid dates become "Invalid Date". */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'Invalid Date';
  const iso = date.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.replace('.000Z', 'Z');
}

/**
 * Readable numbers, locale-independent (en-US): integers get thousands separators from 10,000 up (so years and
 * small counts stay as they are), fractions keep two decimals (or three significant digits below 1), very large
 * or tiny magnitudes use exponent notation. `plain` keeps integers without separators (ids, years).
 */
export function formatNumber(n: number, plain = false): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  if (Object.is(n, -0)) return '0';
  const abs = Math.abs(n);
  if (Number.isInteger(n)) {
    if (plain || abs < 10_000) return String(n);
    if (abs >= 1e21) return n.toExponential(3);
    return n.toLocaleString('en-US');
  }
  if (abs >= 1e15 || abs < 1e-6) return n.toExponential(3);
  if (abs >= 1) return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return String(Number(n.toPrecision(3)));
}

/** Column names whose integers are identifiers or calendar values, shown without thousands separators. */
export function isPlainNumberColumn(name: string): boolean {
  return /(^|_)(year|yr|id|code|zip)$|^id_|_id_/i.test(name);
}

/** Cut to MAX_CELL_CHARS (code points, so no half surrogate pairs). */
export function truncateText(s: string, max = MAX_CELL_CHARS): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Text on one line without invisible trouble: line breaks and tabs become spaces; other control characters
 * (not even well-formed in XML) and bidirectional overrides (which can make text read backwards) are dropped.
 */
export function cleanText(raw: string): string {
  return raw
    .replace(/\r\n|[\r\n\t\u2028\u2029\u0085]/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/**
 * Text from data as inline Markdown that renders literally: newlines and tabs become spaces, control characters
 * are dropped, HTML-significant characters become entities, Markdown punctuation is backslash-escaped (pipes too,
 * so it is safe inside a table cell), and autolink triggers are broken with an invisible word joiner.
 */
export function escapeMarkdownText(raw: string): string {
  let s = truncateText(cleanText(raw));
  s = s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  // Inline Markdown only (a cell or an answer never starts a line, so block syntax such as # - + 1. is inert):
  // code, emphasis, strikethrough, links/images, table pipes and GitHub math.
  s = s.replace(/[\\`*_[\]|~$]/g, (c) => `\\${c}`);
  // GFM extended autolinks: "scheme://", "www." and "user@host" are recognised in plain text, even after
  // backslash escapes or entities; a word joiner inside the trigger stops the match and is invisible.
  s = s.replace(/:\/\//g, `:${WJ}//`);
  s = s.replace(/\b(w)(ww\.)/gi, `$1${WJ}$2`);
  s = s.replace(/@/g, `@${WJ}`);
  s = s.replace(/^\s+|\s+$/g, '');
  return s;
}

/** One normalized value as Markdown: numbers formatted, null in italics, text escaped. */
export function formatCell(value: Scalar, column = ''): string {
  if (value === null) return '*null*';
  // formatNumber yields only digits, separators, signs, "e", "NaN" and "∞": nothing Markdown interprets.
  if (typeof value === 'number') return formatNumber(value, isPlainNumberColumn(column));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === '') return '*(empty)*';
  return escapeMarkdownText(value);
}
