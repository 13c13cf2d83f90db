/**
 * Ranked keyword search over a fixed set of documents with weighted fields (BM25F). Dependency-free, like the
 * tokenizer (copied into generated servers).
 *
 * - Each query term matches a document term exactly (full credit) or as a prefix (`prod` finds `products`, at
 *   PREFIX_CREDIT): people type the start of words.
 * - A field's weight multiplies its term frequency, normalised by the field's length against the average; the
 *   sum saturates (k1) so one word repeated does not beat several words matched; rare terms count more (idf).
 *   Matching more of the query's terms therefore ranks higher.
 * - Ties are broken by the document's `key` (code-unit order, independent of locale), then by input order: the
 *   same documents and query always give the same list.
 * - With `english` (./english.ts), stop words are dropped, words stemmed, and a query word also finds its verb
 *   synonyms (at a lower credit); a document counts a word's best alternative only.
 * `score` is higher-is-better and comparable only within one result list.
 */
import { englishQuery, englishTerms, type QueryAlternatives } from './english.js';
import { queryTokens, tokenize } from './tokenize.js';

/** Relative importance of each field, e.g. `{ name: 10, title: 5, description: 2 }`. */
export type FieldWeights<F extends string> = Readonly<Record<F, number>>;

export interface SearchDocument<F extends string = string> {
  /** Unique and stable (a name, an id): the tie-breaker. */
  key: string;
  fields: Readonly<Partial<Record<F, string | null | undefined>>>;
}

export interface SearchHit<D> {
  document: D;
  score: number;
}

export interface SearchOptions {
  /** At most this many hits (default: all). */
  limit?: number | undefined;
  /** Query terms beyond this are ignored (default 16; under English analysis, counted after stop words). */
  maxTerms?: number | undefined;
}

export interface IndexOptions {
  /**
   * English analysis (./english.ts): stop words dropped, light stemming, API verb synonyms. For English text
   * such as API operations and tools; off by default (text in other languages keeps every word as typed).
   */
  english?: boolean | undefined;
  /**
   * Score each field as its own BM25 (idf per field, the weight outside the saturation) and add them up,
   * instead of one BM25 over the weighted fields. For documents whose minor fields repeat across the set (an
   * API's paths and parameters all say `account`): a word common there still counts where it is rare, the name.
   */
  fieldIdf?: boolean | undefined;
}

export interface SearchIndex<D> {
  readonly size: number;
  /** Documents matching at least one query term, best first; none for a query without terms. */
  search(query: string, options?: SearchOptions): SearchHit<D>[];
}

/** BM25 term-frequency saturation and length normalisation (the usual values). */
const K1 = 1.2;
const B = 0.75;
/** A prefix match counts this much of an exact one. */
export const PREFIX_CREDIT = 0.5;

interface Posting {
  doc: number;
  field: number;
  count: number;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first index in sorted `terms` whose term is ≥ `term`. */
function lowerBound(terms: readonly string[], term: string): number {
  let lo = 0;
  let hi = terms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((terms[mid] as string) < term) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index documents once, search them many times. */
export function createSearchIndex<F extends string, D extends SearchDocument<F>>(
  documents: readonly D[],
  weights: FieldWeights<F>,
  indexOptions: IndexOptions = {},
): SearchIndex<D> {
  const english = indexOptions.english === true;
  const fieldIdf = indexOptions.fieldIdf === true;
  const documentTerms = (text: string) => (english ? englishTerms(tokenize(text)) : tokenize(text));
  // Each query word with what else finds it (itself only, unless English analysis adds synonyms).
  // Under English analysis stop words go before the cap: a long question keeps its content words.
  const queryWords = (query: string, max: number): QueryAlternatives[] =>
    english
      ? englishQuery(queryTokens(query, Number.POSITIVE_INFINITY)).slice(0, max)
      : queryTokens(query, max).map((term) => [{ term, credit: 1 }]);
  const fields = (Object.keys(weights) as F[]).filter((f) => weights[f] > 0);
  const postings = new Map<string, Posting[]>();
  const lengths = documents.map(() => fields.map(() => 0));
  const totals = fields.map(() => 0);
  documents.forEach((document, doc) => {
    fields.forEach((name, field) => {
      const terms = documentTerms(document.fields[name] ?? '');
      (lengths[doc] as number[])[field] = terms.length;
      totals[field] = (totals[field] as number) + terms.length;
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, count] of counts) {
        const list = postings.get(term);
        if (list) list.push({ doc, field, count });
        else postings.set(term, [{ doc, field, count }]);
      }
    });
  });
  const vocabulary = [...postings.keys()].sort(compareKeys);
  const averages = totals.map((total) => (documents.length ? total / documents.length : 0));
  const count = documents.length;
  const width = fields.length;
  // Length normalisation of each (document, field), computed once.
  const norms = new Float64Array(count * width);
  for (let doc = 0; doc < count; doc++) {
    for (let field = 0; field < width; field++) {
      const average = averages[field] as number;
      norms[doc * width + field] =
        average > 0 ? 1 - B + (B * ((lengths[doc] as number[])[field] as number)) / average : 1;
    }
  }
  const fieldWeights = fields.map((f) => weights[f]);
  // Documents in key order, so ties compare two integers.
  const keyRanks = new Int32Array(count);
  documents
    .map((d, doc) => ({ key: d.key, doc }))
    .sort((a, b) => compareKeys(a.key, b.key) || a.doc - b.doc)
    .forEach(({ key, doc }, rank, sorted) => {
      const previous = sorted[rank - 1];
      keyRanks[doc] = previous && previous.key === key ? (keyRanks[previous.doc] as number) : rank;
    });

  /** Per-document accumulators, reused by every search (searches are synchronous) and reset after use. */
  class Accumulator {
    readonly values = new Float64Array(count);
    readonly touched: number[] = [];
    add(doc: number, value: number): void {
      if (this.values[doc] === 0) this.touched.push(doc);
      this.values[doc] = (this.values[doc] as number) + value;
    }
    reset(): void {
      for (const doc of this.touched) this.values[doc] = 0;
      this.touched.length = 0;
    }
  }
  let buffers: { slots: Accumulator[]; pseudo: Accumulator; best: Accumulator; scores: Accumulator } | null =
    null;

  return {
    size: count,
    search(query, options = {}) {
      buffers ??= {
        slots: fields.map(() => new Accumulator()),
        pseudo: new Accumulator(),
        best: new Accumulator(),
        scores: new Accumulator(),
      };
      const { slots, pseudo, best, scores } = buffers;
      try {
        for (const alternatives of queryWords(query, options.maxTerms ?? 16)) {
          // A document scores a query word by its best alternative (a synonym never adds to the word itself).
          for (const { term, credit: wordCredit } of alternatives) {
            // Term frequency by document, per field (fieldIdf) or all fields weighted into one (slot 0).
            for (let i = lowerBound(vocabulary, term); i < vocabulary.length; i++) {
              const candidate = vocabulary[i] as string;
              if (!candidate.startsWith(term)) break;
              const credit = candidate === term ? 1 : PREFIX_CREDIT;
              for (const { doc, field, count: n } of postings.get(candidate) ?? []) {
                const weight = fieldIdf ? 1 : (fieldWeights[field] as number);
                const value = (weight * credit * n) / (norms[doc * width + field] as number);
                (slots[fieldIdf ? field : 0] as Accumulator).add(doc, value);
              }
            }
            const idfs = slots.map((slot) =>
              Math.log(1 + (count - slot.touched.length + 0.5) / (slot.touched.length + 0.5)),
            );
            const idf = Math.max(0, ...idfs.filter((_, i) => (slots[i] as Accumulator).touched.length > 0));
            slots.forEach((slot, field) => {
              // fieldIdf: a field counts as much as the word is distinctive there, against its best field.
              const factor = fieldIdf
                ? ((fieldWeights[field] as number) * (idfs[field] as number)) / (idf || 1)
                : 1;
              for (const doc of slot.touched) pseudo.add(doc, factor * (slot.values[doc] as number));
              slot.reset();
            });
            for (const doc of pseudo.touched) {
              const tf = pseudo.values[doc] as number;
              const score = (wordCredit * idf * tf * (K1 + 1)) / (tf + K1);
              const current = best.values[doc] as number;
              if (score > current) best.add(doc, score - current);
            }
            pseudo.reset();
          }
          for (const doc of best.touched) scores.add(doc, best.values[doc] as number);
          best.reset();
        }
        const hits = scores.touched
          .map((doc) => ({ doc, score: Math.round((scores.values[doc] as number) * 1e9) / 1e9 }))
          .sort(
            (a, b) =>
              b.score - a.score || (keyRanks[a.doc] as number) - (keyRanks[b.doc] as number) || a.doc - b.doc,
          );
        const limited = options.limit === undefined ? hits : hits.slice(0, Math.max(0, options.limit));
        return limited.map(({ doc, score }) => ({ document: documents[doc] as D, score }));
      } finally {
        for (const slot of slots) slot.reset();
        pseudo.reset();
        best.reset();
        scores.reset();
      }
    },
  };
}

/** One-off search: index `documents` and run `query` against them. */
export function rankDocuments<F extends string, D extends SearchDocument<F>>(
  documents: readonly D[],
  weights: FieldWeights<F>,
  query: string,
  options?: SearchOptions & IndexOptions,
): SearchHit<D>[] {
  return createSearchIndex(documents, weights, {
    english: options?.english,
    fieldIdf: options?.fieldIdf,
  }).search(query, options);
}
