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
 * `score` is higher-is-better and comparable only within one result list.
 */
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
  /** Query terms beyond this are ignored (default 16). */
  maxTerms?: number | undefined;
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
): SearchIndex<D> {
  const fields = (Object.keys(weights) as F[]).filter((f) => weights[f] > 0);
  const postings = new Map<string, Posting[]>();
  const lengths = documents.map(() => fields.map(() => 0));
  const totals = fields.map(() => 0);
  documents.forEach((document, doc) => {
    fields.forEach((name, field) => {
      const terms = tokenize(document.fields[name] ?? '');
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
  const norm = (doc: number, field: number): number => {
    const average = averages[field] as number;
    return average > 0 ? 1 - B + (B * ((lengths[doc] as number[])[field] as number)) / average : 1;
  };

  return {
    size: documents.length,
    search(query, options = {}) {
      const terms = queryTokens(query, options.maxTerms ?? 16);
      const scores = new Map<number, number>();
      for (const term of terms) {
        const weighted = new Map<number, number>();
        for (let i = lowerBound(vocabulary, term); i < vocabulary.length; i++) {
          const candidate = vocabulary[i] as string;
          if (!candidate.startsWith(term)) break;
          const credit = candidate === term ? 1 : PREFIX_CREDIT;
          for (const { doc, field, count } of postings.get(candidate) ?? []) {
            const tf = (weights[fields[field] as F] * credit * count) / norm(doc, field);
            weighted.set(doc, (weighted.get(doc) ?? 0) + tf);
          }
        }
        const n = documents.length;
        const idf = Math.log(1 + (n - weighted.size + 0.5) / (weighted.size + 0.5));
        for (const [doc, tf] of weighted) {
          scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (K1 + 1)) / (tf + K1));
        }
      }
      const hits = [...scores.entries()]
        .map(([doc, score]) => ({ doc, score: Math.round(score * 1e9) / 1e9 }))
        .sort(
          (a, b) =>
            b.score - a.score ||
            compareKeys((documents[a.doc] as D).key, (documents[b.doc] as D).key) ||
            a.doc - b.doc,
        );
      const limited = options.limit === undefined ? hits : hits.slice(0, Math.max(0, options.limit));
      return limited.map(({ doc, score }) => ({ document: documents[doc] as D, score }));
    },
  };
}

/** One-off search: index `documents` and run `query` against them. */
export function rankDocuments<F extends string, D extends SearchDocument<F>>(
  documents: readonly D[],
  weights: FieldWeights<F>,
  query: string,
  options?: SearchOptions,
): SearchHit<D>[] {
  return createSearchIndex(documents, weights).search(query, options);
}
