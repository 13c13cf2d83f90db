/**
 * A small JS/TS lexer that blanks comments (and, in the `code` variant, the contents of string, template and
 * regex literals) while keeping every offset, line and column of the input. Rules match against the masked
 * text so comments never produce findings. Pure.
 */

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
