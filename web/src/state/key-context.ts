/**
 * Resolves a key to its serialized bytes and key group, checking that the backend owns the key
 * group, with the last key cached: a job usually touches several states with the same key per
 * event, and Flink re-serialized the key on every access.
 *
 * {@link KeyContext.keyGroupOf} also memoizes the key groups of keys of the built-in primitive
 * serializers (string, f64, i32, i64, boolean), up to {@link KEY_MEMO_SIZE} per serializer (the
 * memo is emptied when full): the heap backend needs only the key group of such keys, so a
 * working set of keys is serialized and hashed once, not on every access.
 *
 * The cache compares keys with `===` and serializers by identity, so a key object (e.g. a
 * `Uint8Array` key) must not be mutated after it was used as a key — as with any map key.
 */
import { InvalidArgumentError } from '../errors.js';
import { KeyGroupOutOfRangeError, keyGroupOf, type KeyGroupRange } from './key-groups.js';
import { isPrimitiveSerializer } from './serde/primitive.js';
import type { Serializer } from './types.js';

/** Keys memoized per primitive serializer before the memo is emptied. */
export const KEY_MEMO_SIZE = 65_536;

/** A key with its bytes and key group. */
export interface ResolvedKey {
  readonly bytes: Uint8Array;
  readonly keyGroup: number;
}

/** The key-group arithmetic of one backend instance, with a one-entry cache. */
export class KeyContext {
  readonly maxParallelism: number;
  readonly range: KeyGroupRange;
  /** Whether `range` is every key group (then no key is foreign). */
  readonly ownsAll: boolean;
  #lastSerializer: Serializer<unknown> | undefined;
  #lastKey: unknown;
  #last: ResolvedKey | undefined;
  readonly #memos = new WeakMap<Serializer<unknown>, Map<unknown, number>>();
  /** The memo of the serializer used last (most jobs use one key serializer), or undefined. */
  #memoSerializer: Serializer<unknown> | undefined;
  #memo: Map<unknown, number> | undefined;
  /** Serializations avoided by the cache (for metrics and tests). */
  hits = 0;
  misses = 0;

  constructor(maxParallelism: number, range: KeyGroupRange) {
    this.maxParallelism = maxParallelism;
    this.range = range;
    this.ownsAll = range.from === 0 && range.to === maxParallelism - 1;
  }

  /**
   * Throws `InvalidArgumentError` unless `keyGroup` is an integer in this instance's range (the
   * argument of `keysAndNamespaces(keyGroup)`).
   */
  checkKeyGroupArgument(keyGroup: number): void {
    const range = this.range;
    if (!Number.isInteger(keyGroup) || keyGroup < range.from || keyGroup > range.to) {
      throw new InvalidArgumentError(`key group ${keyGroup} is outside this backend's range [${range.from}, ${range.to}]`, { keyGroup: String(keyGroup) });
    }
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
    this.#remember(serializer, key, resolved);
    return resolved;
  }

  /**
   * The key group of `key`, checked against the range like {@link resolve}; memoized for the
   * built-in primitive serializers (only key groups inside the range are ever memoized).
   */
  keyGroupOf<K>(serializer: Serializer<K>, key: K): number {
    let memo = this.#memo;
    if (serializer !== this.#memoSerializer) {
      memo = isPrimitiveSerializer(serializer as Serializer<unknown>) ? this.#memos.get(serializer as Serializer<unknown>) : undefined;
      if (memo === undefined && isPrimitiveSerializer(serializer as Serializer<unknown>)) {
        memo = new Map();
        this.#memos.set(serializer as Serializer<unknown>, memo);
      }
      this.#memoSerializer = serializer as Serializer<unknown>;
      this.#memo = memo;
    }
    if (memo === undefined || typeof key === 'object') return this.resolve(serializer, key).keyGroup;
    const known = memo.get(key);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    const { keyGroup } = this.resolve(serializer, key);
    if (memo.size >= KEY_MEMO_SIZE) memo.clear();
    memo.set(key, keyGroup);
    return keyGroup;
  }

  #remember<K>(serializer: Serializer<K>, key: K, resolved: ResolvedKey): void {
    this.#lastSerializer = serializer as Serializer<unknown>;
    this.#lastKey = key;
    this.#last = resolved;
  }
}
