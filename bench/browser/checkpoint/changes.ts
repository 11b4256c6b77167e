/**
 * Which keys the checkpoint benchmark changes between its full and its incremental checkpoint,
 * and which it reads back after the restore: seeded, so every run changes the same keys.
 */
import type { Prng } from '../workload.js';

/** `count` distinct indexes of `[0, bound)`, in random order (a partial Fisher–Yates shuffle). */
export function distinctIndexes(prng: Prng, count: number, bound: number): Uint32Array {
  if (!Number.isInteger(count) || count < 0 || count > bound) throw new RangeError(`count must be an integer in [0, ${bound}], got ${count}`);
  // Swaps recorded sparsely: a full permutation of a million indexes is not needed for 1%.
  const swapped = new Map<number, number>();
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + prng.below(bound - i);
    const atJ = swapped.get(j) ?? j;
    out[i] = atJ;
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out;
}

/** The number of keys changed: `fraction` of `keys`, at least one. */
export function changedCount(keys: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`changeFraction must be in (0, 1], got ${fraction}`);
  return Math.max(1, Math.round(keys * fraction));
}
