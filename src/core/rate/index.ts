/**
 * The one rate limiter of MCP Factory: token buckets, used by the HTTP API (per token) and by generated servers
 * (process-wide tool-call limit; copied there as src/runtime/rate/, see runtimeFiles()). Dependency-free.
 */
export { type BucketLimit, type Clock, KeyedTokenBuckets, TokenBucket } from './token-bucket.js';
