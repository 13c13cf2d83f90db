/**
 * The one keyword search of MCP Factory: Unicode-aware tokenizing and BM25F ranking over weighted fields. Used by
 * the registry's tool search (src/store/search.ts), the OpenAPI catalog inside generated servers (copied there as
 * src/runtime/search/, see runtimeFiles()), and anything else that ranks text. Dependency-free by contract.
 */
export {
  englishQuery,
  englishTerms,
  type QueryAlternatives,
  STOP_WORDS,
  SYNONYM_CREDIT,
  stem,
  VERB_GROUPS,
} from './english.js';
export {
  bytesToVector,
  dot,
  FUSION_DEPTH,
  type FusedHit,
  type FusionOptions,
  fuseRankings,
  normalizeVector,
  type RankedKey,
  RRF_K,
  rankBySimilarity,
  type Similarity,
  type TextEmbedder,
  vectorToBytes,
} from './hybrid.js';
export {
  catalogOperationText,
  createOperationIndex,
  OPERATION_WEIGHTS,
  type OperationDocument,
  type OperationField,
  type OperationText,
} from './operations.js';
export {
  createSearchIndex,
  type FieldWeights,
  type IndexOptions,
  PREFIX_CREDIT,
  rankDocuments,
  type SearchDocument,
  type SearchHit,
  type SearchIndex,
  type SearchOptions,
} from './rank.js';
export { foldText, identifierParts, MAX_TERM_LENGTH, queryTokens, tokenize } from './tokenize.js';
