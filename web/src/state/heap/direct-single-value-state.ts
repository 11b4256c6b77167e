/**
 * Value, reducing and aggregating state on the heap for the common shape — a key and a stored
 * value (or accumulator) of built-in primitive serializers, no namespace serializer, no TTL —
 * kept in one Map of key → value, as a hand-written `Map<K, V>` would. {@link HeapState} serves
 * every other descriptor with an entry object per key and a cell object per (key, namespace).
 *
 * Why: a get then reads the value in one Map lookup, where the general table follows key entry →
 * cell → value (in Node at 200k keys: a raw Map 9.6M gets/s, one object per key 5.2M, two 4.1M).
 *
 * Why it is sound without per-key records:
 * - Primitive keys are their own identity (see identity.ts), so the Map key is the state key.
 * - Primitive values are never `undefined`, so `map.get` tells absence by itself.
 * - A key's group is not stored. When the backend owns every key group no key can be foreign
 *   and the group is computed only when needed (`keysAndNamespaces(keyGroup)`, checkpoints: one
 *   serialization and hash per key per call); otherwise an insert checks it (memoized by
 *   KeyContext) and refuses a foreign key before storing anything.
 * - An entry's size is recomputed from its key and value when it is overwritten or removed:
 *   primitive serializers' `check` is cheap and gives the same size for the same value (and
 *   values are never mutated after being handed in). Fixed-size values (numbers) change
 *   nothing on overwrite, so no charge is made.
 * - Without a namespace serializer no call may name a namespace, so the void namespace is the
 *   whole state. (A descriptor with one is served by HeapState even for its void-namespace
 *   calls: a state that has namespaces, e.g. windows, mostly uses them, and keeping one Map per
 *   namespace beside this one would charge a key's overhead twice or need a second lookup.)
 *
 * Invariants (beside DirectState's):
 * - Every value of `byKey` was validated by the stored serializer: a hit needs no check.
 * - `bytes` is the sum over entries of `ENTRY_OVERHEAD + key size + value size` — what
 *   HeapState charges for a key with one void-namespace cell, so both classes account the same
 *   for the same calls.
 * - A call that throws has changed nothing: inputs are checked and memory charged before `byKey`
 *   is touched (a new fixed-size key's set is undone if its check or charge throws).
 */
import { decodeRestoredKey } from '../canonical/restored-key.js';
import { keyGroupOf } from '../key-groups.js';
import { stateKey } from '../key-layout.js';
import type { Serializer, StateDescriptorBase } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { isPrimitiveSerializer } from './identity.js';
import { DirectState } from './direct-state.js';
import { hasFixedSize, KEY_AND_CELL_OVERHEAD as ENTRY_OVERHEAD } from './memory-budget.js';

export abstract class DirectSingleValueState<K, V> extends DirectState<K, V> {
  /** The serializer of what is stored (the value, or the accumulator). */
  protected readonly stored: Serializer<V>;
  /** Whether every stored value has one size (see {@link hasFixedSize}). Tested `=== true`, as `gone` (see DirectState). */
  readonly #fixedSize: boolean;

  /** Whether a descriptor with these parts has the shape this class serves. */
  static fits(descriptor: StateDescriptorBase<unknown, unknown>, stored: Serializer<unknown>): boolean {
    return (
      descriptor.ttl === undefined &&
      descriptor.namespace === undefined &&
      isPrimitiveSerializer(descriptor.key) &&
      isPrimitiveSerializer(stored)
    );
  }

  constructor(ctx: HeapContext, descriptor: StateDescriptorBase<K, unknown>, stored: Serializer<V>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.stored = stored;
    this.#fixedSize = hasFixedSize(stored);
  }

  // -- access (for the kinds) ------------------------------------------------------------------

  /** Throws unless the state is usable and `namespace` is absent (there is no namespace serializer). */
  protected enter(namespace: unknown): void {
    if (this.gone === true || namespace !== undefined) this.#refuse(namespace);
  }

  /** Throws: the state is unusable, or `namespace` is given (there is no namespace serializer). */
  #refuse(namespace: unknown): never {
    this.checkUsable();
    this.refuseNamespace();
  }

  /**
   * The value stored under `key` (REQUIRES: `enter` passed). On a miss, validates the key and
   * checks it is owned (throwing for a bad or foreign key); a hit needs no check.
   */
  protected lookup(key: K): V | undefined {
    const value = this.byKey.get(key);
    if (value === undefined) this.admit(key);
    return value;
  }

  /**
   * Stores checked `value` of estimated `size` bytes under `key`, admitting a new key and
   * charging the size change first (REQUIRES: no namespace was given; the state need not be
   * usable: a dropped or closed state's Map is GONE, where every key is new, and a new key's
   * path checks the state).
   */
  protected set(key: K, value: V, size: number): void {
    if (this.#fixedSize === true) return this.setFixed(key, value, size);
    const old = this.byKey.get(key);
    this.#store(key, old, old === undefined ? this.#admitNew(key) : 0, value, size);
  }

  /**
   * `set` for a stored serializer of fixed size (REQUIRES: as `set`, and `hasFixedSize(stored)`).
   * One lookup: an overwrite changes no size, so the old value is not needed; a new key shows
   * as growth of the Map, and is checked, admitted and charged then, the set undone if any of
   * it throws (nothing runs in between: the serializers are built-in, the budget's listener
   * runs on a microtask). So GONE holds the key only until `#added` throws, and is empty again
   * whenever a call returns.
   */
  protected setFixed(key: K, value: V, size: number): void {
    const map = this.byKey;
    const entries = map.size;
    map.set(key, value);
    if (map.size !== entries) this.#added(key, size);
  }

  /**
   * Checks the state is usable, then admits and charges `key`, just set with a value of `size`
   * bytes; removes it again if any of that throws.
   */
  #added(key: K, size: number): void {
    try {
      if (this.gone === true) this.checkUsable();
      this.charge(ENTRY_OVERHEAD + this.admit(key) + size);
    } catch (e) {
      this.byKey.delete(key);
      throw e;
    }
  }

  /** Checks the state is usable, then admits `key`, about to be inserted (see `set`). */
  #admitNew(key: K): number {
    if (this.gone === true) this.checkUsable();
    return this.admit(key);
  }

  /**
   * Stores checked `value` of estimated `size` bytes under `key`, whose stored value is `old`
   * (REQUIRES: `enter` passed, and `old` is what `lookup(key)` returned: a new key is admitted).
   */
  protected store(key: K, old: V | undefined, value: V, size: number): void {
    this.#store(key, old, old === undefined ? this.keySerializer.check(key) : 0, value, size);
  }

  /** Charges the size change (a new key's `keySize` bytes included), then stores. */
  #store(key: K, old: V | undefined, keySize: number, value: V, size: number): void {
    if (old === undefined) {
      this.charge(ENTRY_OVERHEAD + keySize + size);
    } else if (this.#fixedSize === false) {
      const delta = size - this.stored.check(old);
      if (delta !== 0) this.charge(delta);
    }
    this.byKey.set(key, value);
  }

  // -- State ----------------------------------------------------------------------------------

  clear(key: K, namespace?: undefined): void {
    this.enter(namespace);
    const old = this.lookup(key);
    if (old === undefined) return;
    this.removeKey(key, this.stored.check(old));
  }

  // -- checkpoints ------------------------------------------------------------------------------

  /** Writes every entry in the canonical layout: `stateKey(group, key)` → serialized value. */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void {
    this.checkUsable();
    const maxParallelism = this.ctx.keys.maxParallelism;
    for (const [key, value] of this.byKey) {
      const keyBytes = this.keySerializer.serialize(key);
      put(stateKey(keyGroupOf(keyBytes, maxParallelism), keyBytes, undefined), this.stored.serialize(value));
    }
  }

  /**
   * Loads one entry of the canonical layout (as `writeCanonical` writes it), checking and
   * charging it as a write does. Throws `CorruptionError` for bytes that do not decode (or a
   * namespace, which this state cannot hold), `KeyGroupOutOfRangeError` for a key this
   * instance does not own.
   */
  restoreCanonical(key: Uint8Array, value: Uint8Array): void {
    const k = decodeRestoredKey(this.name, key, this.keySerializer, this.ctx.keys.maxParallelism, false).key;
    const v = this.stored.deserialize(value.slice());
    this.enter(undefined);
    const size = this.stored.check(v);
    this.store(k, this.lookup(k), v, size);
  }
}
