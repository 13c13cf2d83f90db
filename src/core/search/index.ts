/**
 * The one keyword search of MCP Factory: Unicode-aware tokenizing and BM25F ranking over weighted fields. Used by
 * the registry's fallback search, the OpenAPI catalog inside generated servers (copied there as
 * src/runtime/search/, see runtimeFiles()), and anything else that ranks text. Dependency-free by contract.
 */
export {
  createSearchIndex,
  type FieldWeights,
  PREFIX_CREDIT,
  rankDocuments,
  type SearchDocument,
  type SearchHit,
  type SearchIndex,
  type SearchOptions,
} from './rank.js';
export { foldText, identifierParts, MAX_TERM_LENGTH, queryTokens, tokenize } from './tokenize.js';
