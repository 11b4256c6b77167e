/**
 * The workload every contender runs: `keys` random 16-byte keys with random 100-byte values,
 * written in the order generated (random key order), then point reads, scans and commits at
 * random existing keys. Everything comes from one seeded PRNG, so every contender of a run sees
 * the same bytes in the same order (the runner also checks that they found the same things).
 */
import type { RunSpec } from './protocol.js';

/** Bytes per key (db_bench's `--key_size=16`). */
export const KEY_SIZE = 16;
/** Bytes per value (db_bench's `--value_size=100`). */
export const VALUE_SIZE = 100;

/**
 * xoshiro128** seeded through splitmix32: fast, 128 bits of state, good enough statistically that
 * 16-byte keys never collide in practice (the chance among 10^6 keys is about 2^-88).
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** An integer in `[0, bound)`, for `bound <= 2^32` (the modulo bias is below 2^-12 for bound < 2^20). */
  below(bound: number): number {
    return this.nextU32() % bound;
  }

  /** Fills `bytes` with random bytes. */
  fill(bytes: Uint8Array): void {
    const whole = bytes.length & ~3;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < whole; i += 4) view.setUint32(i, this.nextU32(), true);
    for (let i = whole; i < bytes.length; i++) bytes[i] = this.nextU32() & 0xff;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generated data of one run. Indexes refer to keys in write order. */
export class Workload {
  /** Number of keys. */
  readonly count: number;
  /** Key `i` is bytes `[16i, 16i+16)`. */
  readonly keyBytes: Uint8Array<ArrayBuffer>;
  /** Value `i` is bytes `[100i, 100i+100)`. */
  readonly valueBytes: Uint8Array<ArrayBuffer>;
  /** Keys read by the `get` phase, uniformly at random with repetition (like db_bench readrandom). */
  readonly getOrder: Uint32Array;
  /** First keys of the `scan` phase's scans. */
  readonly scanStarts: Uint32Array;
  /** Keys overwritten by the `commit` phase. */
  readonly commitOrder: Uint32Array;

  constructor(spec: Pick<RunSpec, 'keys' | 'seed' | 'gets' | 'scans' | 'commits'>) {
    if (!Number.isInteger(spec.keys) || spec.keys < 1) throw new RangeError(`keys must be a positive integer, got ${spec.keys}`);
    const prng = new Prng(spec.seed);
    this.count = spec.keys;
    this.keyBytes = new Uint8Array(spec.keys * KEY_SIZE);
    this.valueBytes = new Uint8Array(spec.keys * VALUE_SIZE);
    prng.fill(this.keyBytes);
    prng.fill(this.valueBytes);
    const indexes = (n: number): Uint32Array => {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = prng.below(spec.keys);
      return out;
    };
    this.getOrder = indexes(Math.min(spec.gets, spec.keys));
    this.scanStarts = indexes(spec.scans);
    this.commitOrder = indexes(spec.commits);
  }

  /** Key `i`: a view into {@link Workload.keyBytes} (no copy). */
  key(i: number): Uint8Array<ArrayBuffer> {
    return this.keyBytes.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE);
  }

  /** Value `i`: a view into {@link Workload.valueBytes} (no copy). */
  value(i: number): Uint8Array<ArrayBuffer> {
    return this.valueBytes.subarray(i * VALUE_SIZE, (i + 1) * VALUE_SIZE);
  }
}
