/**
 * English analysis for searches over English text (API operations, MCP tools): stop words dropped, a light
 * suffix stripper, and a small table of the verbs APIs name their operations with. Opt-in (createSearchIndex's
 * `english`); the OpenAPI catalog and the registry's tool search use it. Dependency-free, like the rest of this
 * folder (copied into generated servers).
 */

/** Function words that say nothing about which operation is meant ("send *an* SMS *to* a number"). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or of to for in on at by with from into onto as about via per than then so if ' +
    'is are was were be been being am do does did done can could will would should shall may might must ' +
    'i me my mine we us our you your he him his she her it its they them their this that these those ' +
    'there here what which who whom whose how when where why please want need like just some any each ' +
    'every also too very'
  ).split(' '),
);

/**
 * Verbs that name the same action across APIs (REST methods and their usual words): any member of a group
 * also finds the others, at SYNONYM_CREDIT. General API vocabulary, not tuned to any one document.
 */
export const VERB_GROUPS: ReadonlyArray<readonly string[]> = [
  ['create', 'add', 'new', 'make', 'send', 'post', 'insert', 'register', 'open', 'schedule'],
  ['delete', 'remove', 'destroy', 'erase', 'drop', 'revoke', 'cancel'],
  ['get', 'fetch', 'retrieve', 'read', 'show', 'view', 'describe', 'lookup', 'grab', 'check'],
  ['list', 'all', 'browse', 'enumerate', 'search', 'find'],
  ['update', 'modify', 'change', 'edit', 'set', 'patch', 'rename'],
  ['buy', 'purchase'],
];

/** A synonym counts this much of the word itself. */
export const SYNONYM_CREDIT = 0.5;

const SYNONYMS: ReadonlyMap<string, readonly string[]> = new Map(
  VERB_GROUPS.flatMap((group) => group.map((word) => [word, group.filter((w) => w !== word)] as const)),
);

const VOWEL = /[aeiouy]/;

/** Porter's measure: the number of vowel→consonant transitions (`tr`=0, `trouble`=1, `troubles`=2). */
function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const vowel = isVowelAt(stem, i);
    if (prevVowel && !vowel) m++;
    prevVowel = vowel;
  }
  return m;
}

function isVowelAt(word: string, i: number): boolean {
  const c = word[i] as string;
  if ('aeiou'.includes(c)) return true;
  // `y` after a consonant is a vowel (`try`), at the start or after a vowel a consonant (`yes`, `day`).
  return c === 'y' && i > 0 && !isVowelAt(word, i - 1);
}

/** Consonant-vowel-consonant at the end, the last not w, x or y (`hop`, not `how`): such stems take an `e`. */
function endsCvc(word: string): boolean {
  const n = word.length;
  return (
    n >= 3 &&
    !isVowelAt(word, n - 1) &&
    isVowelAt(word, n - 2) &&
    !isVowelAt(word, n - 3) &&
    !'wxy'.includes(word[n - 1] as string)
  );
}

/**
 * A light English stemmer (Porter's steps 1a and 1b, with `ies` → `y`): plurals and -ed/-ing forms meet their
 * base (`messages` → message, `recording`/`recorded` → record, `created` → create, `queries` → query). Words
 * of non-Latin scripts, numbers and short words are left alone. Used on document and query terms alike.
 */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  // Step 1a: plurals.
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && VOWEL.test(w.slice(0, -1)))
    w = w.slice(0, -1);
  // Step 1b: -eed, -ed, -ing.
  if (w.endsWith('eed')) {
    if (measure(w.slice(0, -3)) > 0) w = w.slice(0, -1);
    return w;
  }
  const suffix = w.endsWith('ed') ? 2 : w.endsWith('ing') ? 3 : 0;
  if (!suffix) return w;
  const base = w.slice(0, -suffix);
  if (!VOWEL.test(base) || base.length < 2) return w;
  if (/(?:at|bl|iz)$/.test(base)) return `${base}e`;
  const last = base[base.length - 1] as string;
  if (last === base[base.length - 2] && !isVowelAt(base, base.length - 1) && !'lsz'.includes(last))
    return base.slice(0, -1);
  if (measure(base) === 1 && endsCvc(base)) return `${base}e`;
  return base;
}

/** Document terms under English analysis: stop words out, the rest stemmed. */
export function englishTerms(terms: readonly string[]): string[] {
  const out: string[] = [];
  for (const term of terms) {
    if (STOP_WORDS.has(term)) continue;
    let stemmed = STEMS.get(term);
    if (stemmed === undefined) {
      stemmed = stem(term);
      if (STEMS.size >= STEM_CACHE_SIZE) STEMS.clear();
      STEMS.set(term, stemmed);
    }
    out.push(stemmed);
  }
  return out;
}

/** Stems of document terms, memoised (terms repeat across documents); dropped when full. */
const STEMS = new Map<string, string>();
const STEM_CACHE_SIZE = 50_000;

/** One query word and what else finds it: the word itself (credit 1) and its verb synonyms. */
export type QueryAlternatives = Array<{ term: string; credit: number }>;

/**
 * Query terms under English analysis: stop words out (unless nothing else is left), each remaining word with
 * its synonyms, all stemmed like the documents.
 */
export function englishQuery(terms: readonly string[]): QueryAlternatives[] {
  const content = terms.filter((t) => !STOP_WORDS.has(t));
  const seen = new Set<string>();
  const out: QueryAlternatives[] = [];
  for (const term of content.length ? content : terms) {
    const stemmed = stem(term);
    // `record recordings` is one word twice.
    if (seen.has(stemmed)) continue;
    seen.add(stemmed);
    const alternatives: QueryAlternatives = [{ term: stemmed, credit: 1 }];
    for (const synonym of SYNONYMS.get(term) ?? []) {
      const s = stem(synonym);
      if (!alternatives.some((a) => a.term === s)) alternatives.push({ term: s, credit: SYNONYM_CREDIT });
    }
    out.push(alternatives);
  }
  return out;
}
