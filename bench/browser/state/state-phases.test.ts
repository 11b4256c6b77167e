import { describe, expect, it } from 'vitest';
import { anotherRound, inSlices } from './state-phases.js';

describe('inSlices', () => {
  it('covers the range once in slices of the given size and sums their results', async () => {
    const seen: Array<[number, number]> = [];
    const sum = await inSlices(2500, 1000, (from, to) => {
      seen.push([from, to]);
      return to - from;
    });
    expect(seen).toEqual([
      [0, 1000],
      [1000, 2000],
      [2000, 2500],
    ]);
    expect(sum).toBe(2500);
  });

  it('runs one slice when the subject never yields, and counts a void slice as 0', async () => {
    const seen: Array<[number, number]> = [];
    expect(await inSlices(7, undefined, (from, to) => void seen.push([from, to]))).toBe(0);
    expect(seen).toEqual([[0, 7]]);
  });
});

describe('anotherRound', () => {
  const spec = { rounds: 5, minTimedMs: 250, maxRounds: 40 };
  it('runs the minimum rounds however long they take', () => {
    expect(anotherRound(spec, 4, 10_000)).toBe(true);
    expect(anotherRound(spec, 5, 10_000)).toBe(false);
  });
  it('runs more rounds until the group has run its minimum time, up to the maximum rounds', () => {
    expect(anotherRound(spec, 5, 249)).toBe(true);
    expect(anotherRound(spec, 5, 250)).toBe(false);
    expect(anotherRound(spec, 39, 10)).toBe(true);
    expect(anotherRound(spec, 40, 10)).toBe(false);
  });
});
