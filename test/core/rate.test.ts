/** The shared token bucket (src/core/rate): burst, sustained refill, per-key state, clock going backwards. */
import { describe, expect, it } from 'vitest';
import { KeyedTokenBuckets, TokenBucket } from '../../src/core/rate/index.js';

describe('TokenBucket', () => {
  it('allows a burst, then one token per refill interval', () => {
    let now = 1000;
    const bucket = new TokenBucket({ capacity: 2, refillPerMs: 1 / 100 }, () => now);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
    now += 40;
    expect(bucket.take()).toBe(60);
    now += 60;
    expect(bucket.take()).toBe(0);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 100]);
  });

  it('neither refills nor drains when the clock goes backwards', () => {
    let now = 500;
    const bucket = new TokenBucket({ capacity: 1, refillPerMs: 1 / 100 }, () => now);
    expect(bucket.take()).toBe(0);
    now = 0;
    expect(bucket.take()).toBe(100);
    now = 100;
    expect(bucket.take()).toBe(0);
  });
});

describe('KeyedTokenBuckets', () => {
  it('keeps one bucket per key, each created full', () => {
    let now = 0;
    const buckets = new KeyedTokenBuckets(() => now);
    const limit = { capacity: 1, refillPerMs: 1 / 1000 };
    expect(buckets.take('a', limit)).toBe(0);
    expect(buckets.take('a', limit)).toBe(1000);
    expect(buckets.take('b', limit)).toBe(0);
    now += 250;
    expect(buckets.take('a', limit)).toBe(750);
    buckets.delete('a');
    expect(buckets.take('a', limit)).toBe(0);
  });
});
