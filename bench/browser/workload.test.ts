import { describe, expect, it } from 'vitest';
import { KEY_SIZE, Prng, VALUE_SIZE, Workload } from './workload.js';

const spec = { keys: 20_000, seed: 7, gets: 5_000, scans: 300, commits: 50 };

/** Byte equality without vitest's element-by-element deep diff (slow on megabytes). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('Workload', () => {
  it('is the same bytes and order for the same seed, so every contender sees one workload', () => {
    const a = new Workload(spec);
    const b = new Workload(spec);
    expect(sameBytes(b.keyBytes, a.keyBytes)).toBe(true);
    expect(sameBytes(b.valueBytes, a.valueBytes)).toBe(true);
    expect(sameBytes(b.getOrder, a.getOrder)).toBe(true);
    expect(sameBytes(b.scanStarts, a.scanStarts)).toBe(true);
    expect(sameBytes(b.commitOrder, a.commitOrder)).toBe(true);
  });

  it('differs for another seed', () => {
    const a = new Workload(spec);
    const b = new Workload({ ...spec, seed: 8 });
    expect(sameBytes(b.keyBytes, a.keyBytes)).toBe(false);
  });

  it('has distinct 16-byte keys in unsorted (random) order, with 100-byte values', () => {
    const w = new Workload(spec);
    const keys = new Set<string>();
    let ascending = 0;
    let previous = '';
    expect(w.keyBytes.length).toBe(w.count * KEY_SIZE);
    expect(w.valueBytes.length).toBe(w.count * VALUE_SIZE);
    expect(w.key(w.count - 1).length).toBe(KEY_SIZE);
    expect(w.value(w.count - 1).length).toBe(VALUE_SIZE);
    for (let i = 0; i < w.count; i++) {
      const hex = Buffer.from(w.key(i)).toString('hex');
      keys.add(hex);
      if (hex > previous) ascending++;
      previous = hex;
    }
    expect(keys.size).toBe(w.count);
    // Random order: about half of the neighbours ascend (sorted input would give all of them).
    expect(ascending / w.count).toBeGreaterThan(0.45);
    expect(ascending / w.count).toBeLessThan(0.55);
  });

  it('reads, scans and commits only existing keys, and caps reads at the key count', () => {
    const w = new Workload({ ...spec, keys: 1000, gets: 5000 });
    expect(w.getOrder.length).toBe(1000);
    expect(w.scanStarts.length).toBe(300);
    expect(w.commitOrder.length).toBe(50);
    expect(Math.max(...w.getOrder, ...w.scanStarts, ...w.commitOrder)).toBeLessThan(1000);
  });

  it('rejects a non-positive key count', () => {
    expect(() => new Workload({ ...spec, keys: 0 })).toThrow(RangeError);
  });
});

describe('Prng', () => {
  it('spreads below(n) evenly over [0, n)', () => {
    const prng = new Prng(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[prng.below(10)]! += 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('fills byte arrays whose length is not a multiple of four', () => {
    const bytes = new Uint8Array(7);
    new Prng(3).fill(bytes);
    expect(bytes.some((b) => b !== 0)).toBe(true);
    const again = new Uint8Array(7);
    new Prng(3).fill(again);
    expect(again).toEqual(bytes);
  });
});
