import { describe, expect, it } from 'vitest';
import { inSlices } from './state-phases.js';

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
