/**
 * Hybrid search, pure parts (src/core/search/hybrid.ts: fusion, vectors) and the embeddings provider
 * (src/llm/embeddings.ts) against a local fake of the OpenAI and Gemini embeddings APIs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesToVector,
  dot,
  fuseRankings,
  normalizeVector,
  RRF_K,
  rankBySimilarity,
  vectorToBytes,
} from '../../src/core/search/index.js';
import {
  createEmbedder,
  EMBEDDING_BATCH,
  type EmbeddingsConfig,
  embedderFromEnvironment,
  resolveEmbeddings,
} from '../../src/llm/embeddings.js';
import { DIMS, type FakeEmbeddings, startFakeEmbeddings } from '../llm/fake-embeddings.js';

/** Matches none of the redaction patterns: only the provider's own key filter keeps it out of messages. */
const KEY = 'local-embeddings-key-7f3a9c';

const keys = (hits: Array<{ key: string }>) => hits.map((h) => h.key);

describe('reciprocal rank fusion', () => {
  it('adds 1/(k + rank) over both rankings, ties by best rank then key', () => {
    const fused = fuseRankings(
      [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
      [
        { key: 'a', similarity: 0.1 },
        { key: 'd', similarity: 0.8 },
        { key: 'c', similarity: 0.9 },
      ],
    );
    const k = RRF_K;
    expect(k).toBe(60);
    // a: keyword 1, vector 3; c: keyword 3, vector 1 — equal scores, equal best rank: by key.
    // b: keyword 2; d: vector 2 — equal again: by key.
    expect(keys(fused)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / (k + 1) + 1 / (k + 3), 12);
    expect(fused[1]!.score).toBeCloseTo(1 / (k + 3) + 1 / (k + 1), 12);
    expect(fused[2]!.score).toBeCloseTo(1 / (k + 2), 12);
    expect(fused[3]!).toEqual({ key: 'd', score: 1 / (k + 2), vectorRank: 2 });
    expect(fused[0]).toMatchObject({ keywordRank: 1, vectorRank: 3 });
  });

  it('lets a document found by both beat one found by either alone', () => {
    const fused = fuseRankings(
      [{ key: 'kw-only' }, { key: 'both' }],
      [
        { key: 'vec-only', similarity: 0.99 },
        { key: 'both', similarity: 0.5 },
      ],
    );
    expect(keys(fused)[0]).toBe('both');
  });

  it('honours depth, minSimilarity, limit and k, and counts a repeated key once', () => {
    const fused = fuseRankings(
      [{ key: 'x' }, { key: 'x' }, { key: 'y' }, { key: 'z' }],
      [
        { key: 'p', similarity: 0 },
        { key: 'q', similarity: -0.5 },
        { key: 'r', similarity: Number.NaN },
        { key: 's', similarity: 0.2 },
      ],
      { depth: 2, k: 1 },
    );
    // Keyword: x (1), y (2); z is past the depth. Vector: only s is above 0. x and s tie: by key.
    expect(fused).toEqual([
      { key: 's', score: 1 / 2, vectorRank: 1 },
      { key: 'x', score: 1 / 2, keywordRank: 1 },
      { key: 'y', score: 1 / 3, keywordRank: 2 },
    ]);
    expect(keys(fuseRankings([{ key: 'a' }, { key: 'b' }], [], { limit: 1 }))).toEqual(['a']);
    expect(fuseRankings([], [{ key: 'a', similarity: 0.3 }], { minSimilarity: 0.5 })).toEqual([]);
  });

  it('weights each ranking when asked', () => {
    const keyword = [{ key: 'kw' }];
    const vector = [{ key: 'vec', similarity: 0.9 }];
    expect(keys(fuseRankings(keyword, vector))).toEqual(['kw', 'vec']); // a tie: by key
    const favourVectors = fuseRankings(keyword, vector, { vectorWeight: 2 });
    expect(keys(favourVectors)).toEqual(['vec', 'kw']);
    expect(favourVectors[0]!.score).toBeCloseTo(2 / (RRF_K + 1), 12);
    expect(keys(fuseRankings(keyword, vector, { keywordWeight: 3 }))).toEqual(['kw', 'vec']);
  });

  it('is deterministic whatever the input order of similarities', () => {
    const sims = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, similarity: (i % 5) / 10 }));
    const a = fuseRankings([{ key: 'k7' }], sims);
    const b = fuseRankings([{ key: 'k7' }], [...sims].reverse());
    expect(a).toEqual(b);
  });
});

describe('vectors', () => {
  it('normalises to unit length and refuses zero, empty and non-finite vectors', () => {
    const v = normalizeVector([3, 4]);
    expect(Array.from(v!)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(dot(v!, v!)).toBeCloseTo(1, 6);
    expect(normalizeVector([0, 0])).toBeNull();
    expect(normalizeVector([])).toBeNull();
    expect(normalizeVector([1, Number.NaN])).toBeNull();
    expect(normalizeVector([1, Number.POSITIVE_INFINITY])).toBeNull();
  });

  it('ranks by cosine similarity and leaves out vectors of another length', () => {
    const q = normalizeVector([1, 0])!;
    const ranked = rankBySimilarity(q, [
      { key: 'far', vector: normalizeVector([0, 1])! },
      { key: 'near', vector: normalizeVector([1, 0.1])! },
      { key: 'other-model', vector: normalizeVector([1, 0, 0])! },
    ]);
    expect(ranked.map((r) => r.key)).toEqual(['near', 'far']);
  });

  it('round-trips Float32 little-endian bytes and refuses broken ones', () => {
    const v = normalizeVector([1, -2, 3.5, 0.25])!;
    const bytes = vectorToBytes(v);
    expect(bytes.length).toBe(16);
    // Little-endian: the first float's low byte comes first.
    expect(new DataView(bytes.buffer).getFloat32(0, true)).toBeCloseTo(v[0]!, 7);
    expect(bytesToVector(bytes)).toEqual(v);
    expect(bytesToVector(Buffer.from(bytes))).toEqual(v);
    expect(bytesToVector(bytes.subarray(0, 7))).toBeNull();
    const nan = new Uint8Array(4);
    new DataView(nan.buffer).setFloat32(0, Number.NaN, true);
    expect(bytesToVector(nan)).toBeNull();
  });
});

describe('embeddings provider', () => {
  let fake: FakeEmbeddings;
  let config: EmbeddingsConfig;

  beforeAll(async () => {
    fake = await startFakeEmbeddings(KEY);
    config = {
      provider: 'openai',
      model: 'text-embedding-3-small',
      apiKeyEnv: 'OPENAI_API_KEY',
      baseUrl: fake.url,
      timeoutMs: 2000,
    };
  });
  afterAll(async () => {
    await fake.close();
  });

  const reset = (mode: FakeEmbeddings['mode'] = 'ok') => {
    fake.mode = mode;
    fake.requests = 0;
    fake.inputs.length = 0;
    fake.keys.length = 0;
  };

  it('embeds in batches of 64, in order, unit length, with the key as a Bearer token', async () => {
    reset();
    const texts = Array.from({ length: 130 }, (_, i) => `text number ${i} word${i % 7}`);
    const vectors = await createEmbedder(config, KEY).embed(texts);
    expect(EMBEDDING_BATCH).toBe(64);
    expect(fake.requests).toBe(3);
    expect(fake.inputs).toEqual(texts);
    expect(new Set(fake.keys)).toEqual(new Set([KEY]));
    expect(vectors).toHaveLength(130);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(DIMS);
      expect(dot(v, v)).toBeCloseTo(1, 5);
    }
    // Synonyms of the fake land on one dimension: similarity is meaningful.
    const [a, b, c] = await createEmbedder(config, KEY).embed([
      'weather forecast',
      'meteorological prediction',
      'send email',
    ]);
    expect(dot(a!, b!)).toBeCloseTo(1, 5);
    expect(dot(a!, c!)).toBeLessThan(0.5);
  });

  it('speaks Gemini batchEmbedContents', async () => {
    reset();
    const google = createEmbedder(
      { ...config, provider: 'google', model: 'gemini-embedding-001', baseUrl: fake.googleUrl },
      KEY,
    );
    expect(google.model).toBe('google:gemini-embedding-001');
    const vectors = await google.embed(['read a file', 'send mail']);
    expect(vectors).toHaveLength(2);
    expect(fake.inputs).toEqual(['read a file', 'send mail']);
    expect(fake.keys).toEqual([KEY]);
    expect(dot(vectors[1]!, (await google.embed(['dispatch correspondence']))[0]!)).toBeCloseTo(1, 5);
  });

  it.each([
    ['wrong-count', /holds 1 vectors for 2 inputs/],
    ['nan', /not a finite number/],
    ['huge', /100000 dimensions/],
    ['garbage', /not JSON/],
    ['oversize', /larger than/],
    ['down', /HTTP 500/],
  ] as const)('refuses a %s answer with LLM_PROVIDER_ERROR', async (mode, message) => {
    reset(mode);
    // 17 MB take a while to send on a loaded machine: the size cap, not the timeout, must end the oversize case.
    const error = await createEmbedder(mode === 'oversize' ? { ...config, timeoutMs: 30_000 } : config, KEY)
      .embed(['a', 'b'])
      .then(
        () => expect.fail('expected a failure'),
        (e: unknown) => e as { name: string; code: string; message: string },
      );
    expect(error.name).toBe('FactoryError');
    expect(error.code).toBe('LLM_PROVIDER_ERROR');
    expect(error.message).toMatch(message);
  });

  it('times out a provider that does not answer (LLM_TIMEOUT)', async () => {
    reset('hang');
    const started = Date.now();
    await expect(createEmbedder({ ...config, timeoutMs: 200 }, KEY).embed(['x'])).rejects.toMatchObject({
      code: 'LLM_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(3000);
    reset();
  });

  it('reports a rejected key as LLM_AUTH without repeating the key', async () => {
    reset('reject-key');
    const error = (await createEmbedder(config, KEY)
      .embed(['x'])
      .catch((e: unknown) => e)) as { code: string; message: string; issues: unknown };
    expect(error.code).toBe('LLM_AUTH');
    expect(error.message).toMatch(/Incorrect API key provided/);
    expect(JSON.stringify({ m: error.message, i: error.issues })).not.toContain(KEY);
  });
});

describe('embeddings configuration', () => {
  it('is off without a provider, and off without the key of a provider that needs one', () => {
    expect(resolveEmbeddings({ env: {}, configFile: false }).off).toMatch(/no embeddings provider/);
    expect(embedderFromEnvironment({ env: { OPENAI_API_KEY: KEY }, configFile: false })).toBeUndefined();
    const noKey = resolveEmbeddings({
      env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'openai' },
      configFile: false,
    });
    expect(noKey.off).toMatch(/OPENAI_API_KEY is not set/);
    expect(
      embedderFromEnvironment({ env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'google' }, configFile: false }),
    ).toBeUndefined();
  });

  it('resolves provider defaults, a named key variable and the environment over the file', () => {
    const on = resolveEmbeddings({
      env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'openai', OPENAI_API_KEY: KEY },
      configFile: false,
    });
    expect(on.config).toEqual({
      provider: 'openai',
      model: 'text-embedding-3-small',
      apiKeyEnv: 'OPENAI_API_KEY',
      baseUrl: 'https://api.openai.com/v1',
      timeoutMs: 5000,
    });
    expect(on.apiKey).toBe(KEY);
    const named = resolveEmbeddings({
      env: {
        MCP_FACTORY_EMBEDDINGS_PROVIDER: 'openai-compatible',
        MCP_FACTORY_EMBEDDINGS_MODEL: 'nomic-embed-text',
        MCP_FACTORY_EMBEDDINGS_API_KEY_ENV: 'MY_EMBED_KEY',
        MCP_FACTORY_EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1/',
        MCP_FACTORY_EMBEDDINGS_TIMEOUT_MS: '750',
        MY_EMBED_KEY: KEY,
      },
      configFile: false,
    });
    expect(named.config).toMatchObject({
      provider: 'openai-compatible',
      model: 'nomic-embed-text',
      apiKeyEnv: 'MY_EMBED_KEY',
      baseUrl: 'http://127.0.0.1:9/v1',
      timeoutMs: 750,
    });
    // A local server needs no key; it still needs a model.
    expect(
      resolveEmbeddings({ env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'openai-compatible' }, configFile: false })
        .off,
    ).toMatch(/needs a model/);
  });

  it('reads the `embeddings` section of the config file below the environment, and refuses keys there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpf-embeddings-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(
        file,
        JSON.stringify({
          embeddings: { provider: 'openai', model: 'text-embedding-3-large', timeoutMs: 900 },
        }),
      );
      expect(resolveEmbeddings({ env: { OPENAI_API_KEY: KEY }, configFile: file }).config).toMatchObject({
        provider: 'openai',
        model: 'text-embedding-3-large',
        timeoutMs: 900,
      });
      expect(
        resolveEmbeddings({
          env: { OPENAI_API_KEY: KEY, MCP_FACTORY_EMBEDDINGS_MODEL: 'from-env' },
          configFile: file,
        }).config?.model,
      ).toBe('from-env');
      writeFileSync(file, JSON.stringify({ embeddings: { provider: 'openai', apiKey: 'x' } }));
      expect(() => resolveEmbeddings({ env: {}, configFile: file })).toThrow(/must not hold API keys/);
      writeFileSync(file, JSON.stringify({ embeddings: { provider: 'openai', colour: 'blue' } }));
      expect(() => resolveEmbeddings({ env: {}, configFile: file })).toThrow(/unknown setting/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key written where the variable name belongs, and an unknown provider', () => {
    expect(() =>
      resolveEmbeddings({
        env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'openai', MCP_FACTORY_EMBEDDINGS_API_KEY_ENV: KEY },
        configFile: false,
      }),
    ).toThrow(/NAME of an environment variable/);
    expect(() =>
      resolveEmbeddings({ env: { MCP_FACTORY_EMBEDDINGS_PROVIDER: 'cohere' }, configFile: false }),
    ).toThrow(/MCP_FACTORY_EMBEDDINGS_PROVIDER/);
  });
});
