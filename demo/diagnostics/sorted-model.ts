/**
 * The reference the engine is compared with: a map from byte-string keys to values, kept in the
 * engine's order (bytewise, unsigned).
 *
 * Keys are held as "byte strings" (one UTF-16 code unit per byte, 0–255), because comparing such
 * strings with `<` is exactly bytewise comparison of the bytes.
 */
export class SortedModel {
  readonly #values = new Map<string, Uint8Array>();
  /** Every key of `#values`, ascending. */
  readonly #keys: string[] = [];

  /** The byte string of `bytes`. */
  static keyOf(bytes: Uint8Array): string {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }

  /** The bytes of a byte string. */
  static bytesOf(key: string): Uint8Array {
    return Uint8Array.from(key, (c) => c.charCodeAt(0));
  }

  get size(): number {
    return this.#keys.length;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#values.get(SortedModel.keyOf(key));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const k = SortedModel.keyOf(key);
    if (!this.#values.has(k)) this.#keys.splice(this.#lowerBound(k), 0, k);
    this.#values.set(k, value);
  }

  delete(key: Uint8Array): void {
    const k = SortedModel.keyOf(key);
    if (!this.#values.delete(k)) return;
    this.#keys.splice(this.#lowerBound(k), 1);
  }

  /** Entries with `from <= key < to`, at most `limit`, ascending. */
  scan(from: Uint8Array | undefined, to: Uint8Array | undefined, limit = Infinity): Array<[Uint8Array, Uint8Array]> {
    const start = from === undefined ? 0 : this.#lowerBound(SortedModel.keyOf(from));
    const end = to === undefined ? this.#keys.length : this.#lowerBound(SortedModel.keyOf(to));
    const out: Array<[Uint8Array, Uint8Array]> = [];
    for (let i = start; i < end && out.length < limit; i++) {
      const k = this.#keys[i] as string;
      out.push([SortedModel.bytesOf(k), this.#values.get(k) as Uint8Array]);
    }
    return out;
  }

  /** An independent copy (values are never mutated, so they are shared). */
  clone(): SortedModel {
    const copy = new SortedModel();
    copy.#keys.push(...this.#keys);
    for (const [k, v] of this.#values) copy.#values.set(k, v);
    return copy;
  }

  /** Index of the first key `>= k`. */
  #lowerBound(k: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#keys[mid] as string) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
