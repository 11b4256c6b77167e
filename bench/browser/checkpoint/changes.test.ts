import { describe, expect, it } from 'vitest';
import { Prng } from '../workload.js';
import { changedCount, distinctIndexes } from './changes.js';

describe('distinctIndexes', () => {
  it('draws distinct indexes inside the range', () => {
    const out = distinctIndexes(new Prng(9), 10_000, 1_000_000);
    expect(out.length).toBe(10_000);
    expect(new Set(out).size).toBe(10_000);
    expect(out.every((i) => i < 1_000_000)).toBe(true);
  });

  it('is a permutation when asked for the whole range', () => {
    const out = distinctIndexes(new Prng(2), 1000, 1000);
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is the same for the same seed and spreads over the range', () => {
    const a = distinctIndexes(new Prng(5), 1000, 100_000);
    expect(distinctIndexes(new Prng(5), 1000, 100_000)).toEqual(a);
    expect(a.filter((i) => i >= 50_000).length).toBeGreaterThan(400);
    expect(a.filter((i) => i >= 50_000).length).toBeLessThan(600);
  });

  it('refuses more indexes than the range holds', () => {
    expect(() => distinctIndexes(new Prng(1), 11, 10)).toThrow(RangeError);
  });
});

describe('changedCount', () => {
  it('is the fraction of the keys, at least one', () => {
    expect(changedCount(1_000_000, 0.01)).toBe(10_000);
    expect(changedCount(10, 0.01)).toBe(1);
    expect(() => changedCount(100, 0)).toThrow(RangeError);
    expect(() => changedCount(100, 1.5)).toThrow(RangeError);
  });
});
