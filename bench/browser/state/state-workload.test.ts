import { describe, expect, it } from 'vitest';
import { Prng } from '../workload.js';
import { randomIndexes, StateWorkload, stateKeys } from './state-workload.js';

const sizes = { seed: 3, valueSmallKeys: 100, valueLargeKeys: 2000, valueOps: 500, listKeys: 10, listLength: 5, listGets: 50, mapKeys: 20, mapEntries: 7, mapGets: 300, mapIterations: 40 };

describe('StateWorkload', () => {
  it('gives every subject the same keys and orders for the same seed', () => {
    const a = new StateWorkload(sizes);
    const b = new StateWorkload(sizes);
    expect(b.valueLargeKeys).toEqual(a.valueLargeKeys);
    expect(b.valueSmallUpdates).toEqual(a.valueSmallUpdates);
    expect(b.mapGetEntries).toEqual(a.mapGetEntries);
    expect(new StateWorkload({ ...sizes, seed: 4 }).valueSmallKeys).not.toEqual(a.valueSmallKeys);
  });

  it('draws every index inside its key set or map', () => {
    const w = new StateWorkload(sizes);
    const within = (a: Uint32Array, bound: number): boolean => a.every((i) => i < bound);
    expect(w.valueSmallGets.length).toBe(500);
    expect(within(w.valueSmallGets, 100) && within(w.valueSmallUpdates, 100)).toBe(true);
    expect(within(w.valueLargeGets, 2000) && within(w.valueLargeUpdates, 2000)).toBe(true);
    expect(within(w.listGets, 10) && within(w.mapGetKeys, 20) && within(w.mapIterations, 20)).toBe(true);
    expect(within(w.mapGetEntries, 7)).toBe(true);
    // Uniform draws over 2,000 keys: 500 draws hit many distinct keys, not a few.
    expect(new Set(w.valueLargeGets).size).toBeGreaterThan(400);
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => new StateWorkload({ ...sizes, listLength: 0 })).toThrow(RangeError);
    expect(() => new StateWorkload({ ...sizes, valueOps: 1.5 })).toThrow(RangeError);
  });
});

describe('stateKeys', () => {
  it('makes distinct user-id-like string keys', () => {
    const keys = stateKeys(new Prng(1), 50_000);
    expect(new Set(keys).size).toBe(50_000);
    expect(keys[0]).toMatch(/^user:[0-9a-f]{8}0$/);
    expect(keys[255]).toMatch(/^user:[0-9a-f]{8}ff$/);
  });
});

describe('randomIndexes', () => {
  it('refuses an empty range', () => {
    expect(() => randomIndexes(new Prng(1), 3, 0)).toThrow(RangeError);
  });
});
