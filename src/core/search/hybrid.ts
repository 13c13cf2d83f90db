/**
 * Hybrid search: keyword ranking (./rank.ts) fused with embedding similarity. Pure, no I/O, dependency-free like
 * the rest of this folder; the embedding provider is behind `TextEmbedder` (src/llm/embeddings.ts implements it,
 * src/store/search.ts uses it).
 *
 * - Vectors are unit-length Float32Arrays, so cosine similarity is a dot product (`normalizeVector`, `dot`).
 * - Fusion is reciprocal rank fusion (RRF): a document scores Σ w / (k + rank) over the rankings that hold it
 *   (rank 1 is the best; k = 60, the usual value; each ranking's weight w is 1 unless set). Ranks, not scores, are fused: BM25 scores and cosine
 *   similarities live on different scales. Only the first `depth` of each ranking count, and a vector candidate
 *   needs a similarity above `minSimilarity`, so a query does not return every document.
 * - Ties: the fused score, then the better of the two ranks, then the key (code-unit order): the same inputs
 *   always give the same list.
 */

/** Turns texts into vectors of one vector space (one provider and model). */
export interface TextEmbedder {
  /** Names the vector space (`openai:text-embedding-3-small`): vectors of different models never mix. */
  readonly model: string;
  /** One vector per text, in order, each unit-length (see normalizeVector). */
  embed(texts: readonly string[], options?: { signal?: AbortSignal | undefined }): Promise<Float32Array[]>;
}

/** The RRF constant: a larger k flattens the difference between the first ranks. */
export const RRF_K = 60;
/** Entries of each ranking that take part in the fusion. */
export const FUSION_DEPTH = 100;

export interface RankedKey {
  key: string;
}

export interface Similarity {
  key: string;
  similarity: number;
}

export interface FusionOptions {
  /** RRF constant (default RRF_K). */
  k?: number | undefined;
  /** Entries of each ranking used (default FUSION_DEPTH). */
  depth?: number | undefined;
  /** A vector candidate must be more similar than this (default 0). */
  minSimilarity?: number | undefined;
  /** At most this many results (default all). */
  limit?: number | undefined;
  /** Weight of the keyword ranking's terms (default 1). */
  keywordWeight?: number | undefined;
  /** Weight of the vector ranking's terms (default 1). */
  vectorWeight?: number | undefined;
}

export interface FusedHit {
  key: string;
  score: number;
  /** 1-based rank in the keyword list (within depth), when the key is there. */
  keywordRank?: number;
  /** 1-based rank by similarity (within depth, above minSimilarity), when the key is there. */
  vectorRank?: number;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The vector scaled to length 1; null when it is empty, zero or holds a non-finite number. */
export function normalizeVector(values: ArrayLike<number>): Float32Array | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (typeof x !== 'number' || !Number.isFinite(x)) return null;
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] as number) / norm;
  return out;
}

/** Dot product: the cosine similarity of two unit vectors; NaN when their lengths differ. */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** Keys by similarity to `query`, best first (ties by key); vectors of another length are left out. */
export function rankBySimilarity(
  query: Float32Array,
  vectors: ReadonlyArray<{ key: string; vector: Float32Array }>,
): Similarity[] {
  const out: Similarity[] = [];
  for (const { key, vector } of vectors) {
    const similarity = dot(query, vector);
    if (Number.isFinite(similarity)) out.push({ key, similarity });
  }
  return out.sort((a, b) => b.similarity - a.similarity || compareKeys(a.key, b.key));
}

/**
 * Reciprocal rank fusion of a keyword ranking (best first) and vector similarities (any order; ranked here).
 * A key repeated within one list counts at its first (best) place.
 */
export function fuseRankings(
  keyword: readonly RankedKey[],
  similarities: readonly Similarity[],
  options: FusionOptions = {},
): FusedHit[] {
  const k = options.k ?? RRF_K;
  const depth = options.depth ?? FUSION_DEPTH;
  const minSimilarity = options.minSimilarity ?? 0;
  const keywordWeight = options.keywordWeight ?? 1;
  const vectorWeight = options.vectorWeight ?? 1;
  const hits = new Map<string, FusedHit>();
  const hit = (key: string) => {
    let h = hits.get(key);
    if (!h) {
      h = { key, score: 0 };
      hits.set(key, h);
    }
    return h;
  };
  let rank = 0;
  for (const { key } of keyword) {
    if (rank >= depth) break;
    if (hits.get(key)?.keywordRank !== undefined) continue;
    rank++;
    const h = hit(key);
    h.keywordRank = rank;
    h.score += keywordWeight / (k + rank);
  }
  const ranked = similarities
    .filter((s) => Number.isFinite(s.similarity) && s.similarity > minSimilarity)
    .sort((a, b) => b.similarity - a.similarity || compareKeys(a.key, b.key));
  rank = 0;
  for (const { key } of ranked) {
    if (rank >= depth) break;
    if (hits.get(key)?.vectorRank !== undefined) continue;
    rank++;
    const h = hit(key);
    h.vectorRank = rank;
    h.score += vectorWeight / (k + rank);
  }
  const best = (h: FusedHit) => Math.min(h.keywordRank ?? Infinity, h.vectorRank ?? Infinity);
  const out = [...hits.values()].sort(
    (a, b) => b.score - a.score || best(a) - best(b) || compareKeys(a.key, b.key),
  );
  return options.limit === undefined ? out : out.slice(0, Math.max(0, options.limit));
}

/** A vector as bytes: Float32, little-endian (what the registry stores). */
export function vectorToBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  return bytes;
}

/** Bytes written by vectorToBytes back to a vector; null when the length is not a multiple of 4 or a value is not finite. */
export function bytesToVector(bytes: Uint8Array): Float32Array | null {
  if (bytes.length === 0 || bytes.length % 4 !== 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) {
    const x = view.getFloat32(i * 4, true);
    if (!Number.isFinite(x)) return null;
    out[i] = x;
  }
  return out;
}
