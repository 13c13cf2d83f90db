/**
 * Text → search terms, the same way for documents and queries, in any script. Dependency-free: this folder is
 * also copied into every generated server (src/runtime/search/), so it imports nothing outside itself.
 *
 * - Words are runs of letters, digits and combining marks; everything else separates them.
 * - Identifiers are split: `listProducts`, `list_products`, `HTTPGet` → list products / http get. A camelCase
 *   word also yields its joined form (`listproducts`), so a query typed as one word still finds it.
 * - Folding: NFKC (full-width and compatibility forms), lower case plus the special case folds (ß → ss, final
 *   sigma), and diacritics removed from Latin and Greek letters (`Köln` = `koln`, `café` = `cafe`). Marks of
 *   other scripts are kept: in Devanagari or Thai they are part of the spelling, not an accent.
 * - Han, Hiragana, Katakana and Hangul runs have no spaces between words: they become overlapping character
 *   bigrams (`東京都` → 東京 京都), a single character stays a unigram. A query bigram finds the same bigram in a
 *   document; a one-character query finds it as a prefix.
 */

/** Terms longer than this are cut (a base64 blob is not a word anyone searches for). */
export const MAX_TERM_LENGTH = 64;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_OR_NOT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
/** A Latin or Greek letter followed by its combining marks (after canonical decomposition). */
const ACCENTED = /([\p{Script=Latin}\p{Script=Greek}])\p{Mn}+/gu;
/** Folds toLowerCase() leaves alone but case folding makes (Unicode CaseFolding.txt, full mappings). */
const SPECIAL_FOLDS: Readonly<Record<string, string>> = { ß: 'ss', ς: 'σ', ẞ: 'ss', ſ: 's' };
const SPECIAL = /[ßςẞſ]/gu;

/** NFKC, case folding and Latin/Greek diacritics removal: the form terms are compared in. */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(SPECIAL, (c) => SPECIAL_FOLDS[c] ?? c)
    .normalize('NFD')
    .replace(ACCENTED, '$1')
    .normalize('NFC');
}

/**
 * The parts of one identifier-like word, lower-cased but not otherwise folded: `HTTPGet` → http get,
 * `listProducts2` → list products2. Used where the original spelling must survive (full-text index content).
 */
export function identifierParts(text: string): string[] {
  const spaced = text
    .normalize('NFKC')
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2');
  return (spaced.toLowerCase().match(WORD) ?? []).map((w) => w.slice(0, MAX_TERM_LENGTH));
}

function cjkTerms(run: string, out: string[]): void {
  const chars = [...run];
  if (chars.length === 1) out.push(chars[0] as string);
  for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i]}${chars[i + 1]}`);
}

/**
 * The terms of a text, in order, with repeats (term frequency matters for ranking). Deterministic and
 * locale-independent: the same text gives the same terms on every machine.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.normalize('NFKC').match(WORD) ?? []) {
    const cached = WORD_TERMS.get(word);
    if (cached) {
      for (const term of cached) out.push(term);
      continue;
    }
    const terms = wordTerms(word);
    if (WORD_TERMS.size >= WORD_CACHE_SIZE) WORD_TERMS.clear();
    WORD_TERMS.set(word, terms);
    for (const term of terms) out.push(term);
  }
  return out;
}

/**
 * The terms of one word, memoised: folding is the costly part of indexing and words repeat (a catalog of
 * 10,000 tools has a few thousand distinct words). Bounded: the memo is dropped when it fills up.
 */
const WORD_TERMS = new Map<string, readonly string[]>();
const WORD_CACHE_SIZE = 50_000;

function wordTerms(word: string): string[] {
  const out: string[] = [];
  for (const run of word.match(CJK_OR_NOT) ?? []) {
    if (CJK.test(run)) {
      cjkTerms(foldText(run), out);
      continue;
    }
    const parts = identifierParts(run).map(foldText).filter(Boolean);
    // More than one part means a case change inside the word: also index it joined.
    if (parts.length > 1) out.push(parts.join('').slice(0, MAX_TERM_LENGTH));
    for (const part of parts) out.push(part.slice(0, MAX_TERM_LENGTH));
  }
  return out;
}

/** The distinct terms of a query, in first-seen order, at most `max`. */
export function queryTokens(query: string, max = 16): string[] {
  return [...new Set(tokenize(query))].slice(0, max);
}
