/** Pure parts of the registry: secret-reference screening, search terms, latency histograms. */
import { describe, expect, it } from 'vitest';
import {
  aggregateCalls,
  emptyAccumulator,
  finishStats,
  LATENCY_BUCKETS,
  latencyBucket,
  mergeInto,
  quantile,
} from '../../src/store/metrics.js';
import { nameKeywords, queryTerms } from '../../src/store/search.js';
import { checkSecretRefs, secretValueReason } from '../../src/store/validate.js';

describe('secret references', () => {
  it.each([
    'env',
    'environment',
    'vault:kv/inventory#api_key',
    'vault://secret/data/prod/inventory',
    'file:/run/secrets/inventory_key',
    'op://Ops/Inventory/api key',
    'aws-sm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
    'gcp-sm:projects/my-project-123/secrets/db-password/versions/latest',
    'k8s:secret/inventory/api-key',
    'set by the operator in the systemd unit',
    'GitHub Actions secret INVENTORY_API_KEY',
  ])('accepts the reference %s', (source) => {
    expect(secretValueReason(source)).toBeUndefined();
  });

  it.each([
    ['ghp_0123456789abcdefghijklmnopqrstuvwxyz', /GitHub token/],
    ['AKIAIOSFODNN7EXAMPLE', /AWS access key/],
    ['-----BEGIN RSA PRIVATE KEY-----', /private key/],
    ['postgres://app:hunter2@db/app', /password/],
    ['API_TOKEN=abc', /assignment/],
    ['export API_TOKEN=abc', /assignment/],
    ['the password: hunter2', /key=value/],
    ['hunter2', /single word/],
    ['s3cr3t!', /single word/],
    ['Bearer abc.def', /Authorization/],
    ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', /token/],
    ['vault:kv/x#Zm9vYmFyYmF6cXV4cXV1eHh5eno0MjQy', /token/],
    ['token is dGhpc2lzYXZlcnlsb25nc2VjcmV0dmFsdWU1', /token/],
  ])('refuses the value %s', (source, reason) => {
    expect(secretValueReason(source)).toMatch(reason);
  });

  it('checks the shape of each reference', () => {
    expect(checkSecretRefs([{ envVar: 'A_B', source: 'env', description: 'x' }])).toEqual([
      { envVar: 'A_B', source: 'env', description: 'x' },
    ]);
    expect(() => checkSecretRefs({})).toThrow(/array/);
    expect(() =>
      checkSecretRefs([
        { envVar: 'A', source: 'env' },
        { envVar: 'A', source: 'env' },
      ]),
    ).toThrow(/twice/);
    expect(() => checkSecretRefs([{ envVar: 'A', source: 'x'.repeat(201) }])).toThrow(/1-200/);
    expect(() => checkSecretRefs([{ envVar: 'A', source: 'a\nb' }])).toThrow(/single line/);
    expect(() => checkSecretRefs([{ envVar: 'A', source: 'env', value: 'v' }])).toThrow(/references only/);
    expect(() =>
      checkSecretRefs([
        { envVar: 'A', source: 'env', description: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz' },
      ]),
    ).toThrow(/description looks like a secret value/);
    // Short environment values are not matched (too many false positives).
    expect(checkSecretRefs([{ envVar: 'A', source: 'env' }], { A: 'env' })).toHaveLength(1);
  });
});

describe('search terms', () => {
  it('splits tool names into words', () => {
    expect(nameKeywords('search_products')).toBe('search_products search products');
    expect(nameKeywords('listProducts')).toBe('listproducts list products');
    expect(nameKeywords('HTTPGet.v2')).toBe('httpget.v2 http get v2');
    expect(nameKeywords('get')).toBe('get');
  });

  it('keeps only words of a query for SQL: as analysed (stems, synonyms) and as typed, deduplicated', () => {
    expect(queryTerms('  Search "products" OR (NEAR) products* -- ;')).toEqual([
      'search',
      'list',
      'all',
      'browse',
      'enumerate',
      'find',
      'product',
      'near',
      'products',
      'or',
    ]);
    expect(queryTerms('Wetter für Köln')).toEqual(['wetter', 'fur', 'koln', 'für', 'köln']);
    expect(queryTerms('!!!')).toEqual([]);
    // No 16-word cut any more (long task descriptions); bounded all the same.
    expect(queryTerms(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))).toHaveLength(40);
    expect(queryTerms(Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ')).length).toBeLessThanOrEqual(
      256,
    );
  });
});

describe('latency histogram', () => {
  it('maps latencies to √2-wide buckets', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.99)).toBe(0);
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(1.5)).toBe(2);
    expect(latencyBucket(2)).toBe(3);
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKETS - 1);
    expect(latencyBucket(Number.NaN)).toBe(0);
    for (let ms = 1; ms < 30_000; ms *= 1.1) {
      const b = latencyBucket(ms);
      expect(ms).toBeGreaterThanOrEqual(2 ** ((b - 1) / 2) - 1e-9);
      expect(ms).toBeLessThan(2 ** (b / 2) + 1e-9);
    }
  });

  it('estimates percentiles within 20 % of the exact value', () => {
    // A skewed distribution: mostly fast calls with a long tail.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const latencies = Array.from({ length: 5000 }, () => Math.round(5 + 2000 * random() ** 6));
    const groups = aggregateCalls(
      latencies.map((latencyMs, i) => ({ server: 's', tool: 't', ok: true, latencyMs, at: i * 50 })),
      (c) => Number(c.at),
    );
    expect(groups.length).toBe(5); // 250 s of calls → 5 minutes
    const acc = emptyAccumulator();
    for (const g of groups) mergeInto(acc, g);
    const stats = finishStats(acc);
    const sorted = [...latencies].sort((a, b) => a - b);
    const exact = (q: number) => sorted[Math.ceil(q * sorted.length) - 1]!;
    for (const [q, estimate] of [
      [0.5, stats.p50Ms],
      [0.95, stats.p95Ms],
      [0.99, stats.p99Ms],
    ] as const) {
      expect(Math.abs(estimate! - exact(q)) / exact(q), `p${q * 100}`).toBeLessThan(0.2);
    }
    expect(stats.calls).toBe(5000);
    expect(stats.maxMs).toBe(sorted.at(-1));
  });

  it('is exact for a single distinct latency and empty without calls', () => {
    const h = new Map([[latencyBucket(42), 10]]);
    expect(quantile(h, 0.5, 42, 42)).toBe(42);
    expect(quantile(new Map(), 0.5, 0, 0)).toBe(0);
    expect(finishStats(emptyAccumulator()).p99Ms).toBeNull();
  });
});
