/**
 * Resolves a key to its serialized bytes and key group, checking that the backend owns the key
 * group, with the last key cached: a job usually touches several states with the same key per
 * event, and Flink re-serialized the key on every access.
 *
 * The cache compares keys with `===` and serializers by identity, so a key object (e.g. a
 * `Uint8Array` key) must not be mutated after it was used as a key — as with any map key.
 */
import { KeyGroupOutOfRangeError, keyGroupOf, type KeyGroupRange } from './key-groups.js';
import type { Serializer } from './types.js';

/** A key with its bytes and key group. */
export interface ResolvedKey {
  readonly bytes: Uint8Array;
  readonly keyGroup: number;
}

/** The key-group arithmetic of one backend instance, with a one-entry cache. */
export class KeyContext {
  readonly maxParallelism: number;
  readonly range: KeyGroupRange;
  #lastSerializer: Serializer<unknown> | undefined;
  #lastKey: unknown;
  #last: ResolvedKey | undefined;
  /** Serializations avoided by the cache (for metrics and tests). */
  hits = 0;
  misses = 0;

  constructor(maxParallelism: number, range: KeyGroupRange) {
    this.maxParallelism = maxParallelism;
    this.range = range;
  }

  /**
   * The bytes and key group of `key`. Throws what the serializer throws for a bad key, and
   * `KeyGroupOutOfRangeError` when this instance does not own the key's group.
   */
  resolve<K>(serializer: Serializer<K>, key: K): ResolvedKey {
    const last = this.#last;
    if (last !== undefined && key === this.#lastKey && serializer === this.#lastSerializer) {
      this.hits++;
      return last;
    }
    this.misses++;
    const bytes = serializer.serialize(key);
    const keyGroup = keyGroupOf(bytes, this.maxParallelism);
    if (keyGroup < this.range.from || keyGroup > this.range.to) {
      throw new KeyGroupOutOfRangeError(
        `key is in key group ${keyGroup}, outside this backend's range [${this.range.from}, ${this.range.to}]`,
        { keyGroup, from: this.range.from, to: this.range.to, maxParallelism: this.maxParallelism },
      );
    }
    const resolved = { bytes, keyGroup };
    this.#lastSerializer = serializer as Serializer<unknown>;
    this.#lastKey = key;
    this.#last = resolved;
    return resolved;
  }
}
