/**
 * A small seeded pseudo-random generator (xorshift32 over a splitmix-style seed scramble), so
 * that a differential run is reproduced exactly from its seed.
 */
export class SeededRandom {
  #state: number;

  /** `seed`: any integer; 0 is allowed (it is scrambled first). */
  constructor(seed: number) {
    let s = (seed | 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
    s ^= s >>> 16;
    // xorshift32 has the single fixed point 0: never start there.
    this.#state = s === 0 ? 0x6d2b79f5 : s;
  }

  /** The next 32 random bits, as an unsigned integer. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x;
    return x >>> 0;
  }

  /** An integer in `[0, n)`. */
  below(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in `[lo, hi]`. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const r = this.next();
      out[i] = r & 0xff;
      if (i + 1 < n) out[i + 1] = (r >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (r >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = r >>> 24;
    }
    return out;
  }
}
