/**
 * {@link ListState} on the heap for the common shape — a key of a built-in primitive serializer,
 * no namespace serializer, no TTL — kept in one Map of key → list record, as a hand-written
 * `Map<K, V[]>` keeps key → array. {@link HeapListState} serves every other descriptor through
 * HeapState's key entry → cell → array.
 *
 * Why: an add then costs one Map lookup and one record, where the general table follows key
 * entry → cell → array and keeps a miss's entry for the insert (in Chromium's state bench the
 * general class ran ListState add at about 0.6× a raw Map).
 *
 * Why it is sound without key entries: primitive keys are their own identity (identity.ts), so
 * the Map key is the state key; without a namespace serializer no call may name a namespace,
 * so the void namespace is the whole state (see direct-single-value-state.ts, which makes the
 * same argument for values).
 *
 * Snapshots: `get` returns the stored array and marks the record `shared`; the next append to a
 * shared record copies the array first (copy-on-write), so an array handed out never changes.
 * `update` and restores replace the array.
 *
 * Memory: a record charges capacity, not length. `charged` is what the record holds of the
 * budget for its elements; `used` is the exact estimate (the sum over elements of their
 * serializer size plus `ELEMENT_OVERHEAD`). An add that passes `charged` reserves half as much
 * again as it then needs plus 16 elements (LIST_GROWTH_STEP; their overhead only when sizes
 * vary), at most 64 KiB more (see {@link reserve}), so most adds only compare two numbers — as
 * V8 itself grows an array's backing store to `length × 1.5 + 16` and not per push.
 * `estimatedBytes` is then the exact estimate plus that reserve (at most half the elements'
 * bytes plus 16 elements, and at most 64 KiB per list): closer to what V8 holds for the array.
 * With elements of one size (f64, i32, i64, boolean values) a record keeps the length its charge
 * covers (`limit`), so an add is one comparison and a push; the exact estimate is then the
 * length times that size and is not kept (measured in Chromium: ListState add 0.78 → ~0.87× a raw
 * Map without the per-add `used` update).
 * `update`, restores and `clear` charge exactly (a list that shrinks releases its reserve).
 * When the budget refuses the reserve, the add charges exactly what it needs instead, so the
 * budget refuses an add only when its exact estimate does not fit.
 *
 * Invariants (beside DirectState's):
 * - Every element was validated by the value serializer: a hit needs no check.
 * - A record's array is never empty (an empty update removes the key).
 * - `used <= charged`; `bytes` is the sum over records of `ENTRY_OVERHEAD + key size +
 *   charged`.
 * - `get` and `add` test nothing about the state on their common path: a dropped or closed
 *   state's `byKey` is GONE, so they miss and their miss path checks `gone` (a load and a branch
 *   less per call: in Chromium ~5% of a ListState add).
 * - A call that throws has changed nothing: inputs are checked and memory charged before `byKey`
 *   or a record is touched.
 */
import { listElements } from '../../engine/merge-values.js';
import { frameListValue } from '../canonical/list-value.js';
import { checkIterable } from '../bulk-args.js';
import { decodeRestoredKey } from '../canonical/restored-key.js';
import { keyGroupOf } from '../key-groups.js';
import { stateKey } from '../key-layout.js';
import type { ListState, ListStateDescriptor, Serializer } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { isPrimitiveSerializer } from './identity.js';
import { EMPTY_LIST } from './direct-state-parts.js';
import { DirectState } from './direct-state.js';
import { ELEMENT_OVERHEAD, fixedSizeOf, KEY_AND_CELL_OVERHEAD as ENTRY_OVERHEAD, LIST_GROWTH_STEP, reserve } from './memory-budget.js';

/** One key's list. */
interface ListRecord<V> {
  /** Never changed in place while `shared`: appends copy it first. */
  values: V[];
  /** Whether `values` was handed out by `get` since it was last copied or replaced. */
  shared: boolean;
  /**
   * Exact estimated bytes of the elements — kept for elements of varying size only; with one
   * element size it is `values.length` times that size.
   */
  used: number;
  /** Bytes charged for the elements (the exact estimate plus the reserve). */
  charged: number;
  /**
   * The length below which an append is only a push: with one element size and not shared,
   * how many elements `charged` covers; else 0, so that every add takes `#append` (which
   * copies a shared array, and keeps `used` for elements of varying size).
   */
  limit: number;
}

export class DirectHeapListState<K, V> extends DirectState<K, ListRecord<V>> implements ListState<K, V, undefined> {
  readonly kind = 'list' as const;
  readonly #value: Serializer<V>;
  /** The estimated bytes of every element (value plus ELEMENT_OVERHEAD) when they have one size, else 0. */
  readonly #elementBytes: number;
  /**
   * What a growing list reserves beyond half again (see {@link reserve}): LIST_GROWTH_STEP
   * elements' bytes, or their overhead when element sizes vary.
   */
  readonly #growthStep: number;

  /** Whether `descriptor` has the shape this class serves. */
  static fits(descriptor: ListStateDescriptor<unknown, unknown, unknown>): boolean {
    return descriptor.ttl === undefined && descriptor.namespace === undefined && isPrimitiveSerializer(descriptor.key);
  }

  constructor(ctx: HeapContext, descriptor: ListStateDescriptor<K, V, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.#value = descriptor.value;
    const fixed = fixedSizeOf(descriptor.value);
    this.#elementBytes = fixed === 0 ? 0 : fixed + ELEMENT_OVERHEAD;
    this.#growthStep = LIST_GROWTH_STEP * (fixed === 0 ? ELEMENT_OVERHEAD : this.#elementBytes);
    // A throwaway record's changing fields written twice, so that V8 compiles nothing on them as
    // constants (see HeapState's constructor): get, copy-on-write and update change them.
    const record = this.#record([], 0, 0);
    record.shared = true;
    record.values = [];
    record.used = 1;
    record.charged = 1;
    record.limit = 1;
  }

  // -- ListState ------------------------------------------------------------------------------

  get(key: K, namespace?: undefined): readonly V[] {
    if (namespace !== undefined) this.#refuse(namespace);
    const record = this.byKey.get(key);
    if (record === undefined) return this.#missed(key);
    record.shared = true;
    record.limit = 0;
    return record.values;
  }

  add(key: K, value: V, namespace?: undefined): void {
    if (namespace !== undefined) this.#refuse(namespace);
    const size = this.#value.check(value) + ELEMENT_OVERHEAD;
    const record = this.byKey.get(key);
    if (record !== undefined && record.values.length < record.limit) {
      record.values.push(value);
    } else {
      this.#append(key, record, [value], size);
    }
  }

  /**
   * Appends checked `list` (of `size` bytes, not empty) to the list of `key`, whose record is
   * `record` (undefined: a new key, admitted here): everything but `add`'s common case — a new
   * key (charged exactly, as `update` charges), an array `get` handed out (copied first), growth
   * past the charge (with the reserve if the budget allows it, else exactly, which throws,
   * changing nothing, if that does not fit either). It charges before changing anything, at one
   * site, and calls no helper of its own: V8 inlines `add` into its caller's loop only while
   * `add`'s bytecode plus all it inlines (this, when warm-up made it hot), times 1.2, fits
   * TurboFan's cumulative budget of 920 bytecodes (in Chromium, ListState add ran 0.65× a raw
   * Map when it did not, ~0.85× when it did).
   */
  #append(key: K, record: ListRecord<V> | undefined, list: V[], size: number): void {
    if (this.gone === true) this.checkUsable();
    const elementBytes = this.#elementBytes;
    let used = size;
    let had = 0;
    let delta = 0;
    if (record === undefined) {
      if (this.ownsAll === false) this.ctx.keys.keyGroupOf(this.keySerializer, key);
      delta = ENTRY_OVERHEAD + this.keySerializer.check(key);
    } else {
      used += elementBytes === 0 ? record.used : record.values.length * elementBytes;
      had = record.charged;
    }
    let charged = had;
    if (used > had) {
      charged = used;
      const wanted = reserve(used, this.#growthStep);
      if (record !== undefined && this.ctx.memory.allows(wanted - had)) charged = wanted;
    }
    delta += charged - had;
    if (delta !== 0) {
      this.ctx.memory.charge(delta, this.name);
      this.bytes += delta;
    }
    if (record === undefined) {
      // `#record`'s literal, written out: one object shape (same properties, same order).
      this.byKey.set(key, { values: list, shared: false, used, charged, limit: (charged / elementBytes) | 0 });
      return;
    }
    const values = record.shared === true ? record.values.slice() : record.values;
    for (let i = 0; i < list.length; i++) values.push(list[i] as V);
    record.values = values;
    record.shared = false;
    record.used = used;
    record.charged = charged;
    record.limit = (charged / elementBytes) | 0;
  }

  addAll(key: K, values: Iterable<V>, namespace?: undefined): void {
    this.#enter(namespace);
    const list = [...checkIterable(values, this.name, 'values')];
    const size = this.#sizeOf(list);
    const record = this.byKey.get(key);
    if (list.length > 0) this.#append(key, record, list, size);
    else if (record === undefined) this.admit(key);
  }

  update(key: K, values: Iterable<V>, namespace?: undefined): void {
    this.#enter(namespace);
    const list = [...checkIterable(values, this.name, 'values')];
    const size = this.#sizeOf(list);
    const record = this.byKey.get(key);
    if (record === undefined) this.admit(key);
    this.#replace(key, record, list, size);
  }

  clear(key: K, namespace?: undefined): void {
    this.#enter(namespace);
    const record = this.byKey.get(key);
    if (record === undefined) this.admit(key);
    if (record !== undefined) this.removeKey(key, record.charged);
  }

  // -- storage --------------------------------------------------------------------------------

  /** Throws: the state is unusable, or `namespace` is given (there is no namespace serializer). */
  #refuse(namespace: unknown): never {
    this.checkUsable();
    this.refuseNamespace();
  }

  /** Throws unless the state is usable and `namespace` is absent (there is no namespace serializer). */
  #enter(namespace: unknown): void {
    if (this.gone === true) this.checkUsable();
    if (namespace !== undefined) this.refuseNamespace();
  }

  /** Validates every element of `list`; returns their estimated bytes. */
  #sizeOf(list: readonly V[]): number {
    let size = 0;
    for (const v of list) size += this.#value.check(v) + ELEMENT_OVERHEAD;
    return size;
  }

  /** A record of `values`; every record is made here, so that all have one shape. */
  #record(values: V[], used: number, charged: number): ListRecord<V> {
    return { values, shared: false, used, charged, limit: this.#limitOf(charged) };
  }

  /**
   * `limit` of an unshared record charged `charged` bytes: 0 for elements of varying size
   * (`charged / 0` is Infinity or NaN, and either `| 0` is 0).
   */
  #limitOf(charged: number): number {
    return (charged / this.#elementBytes) | 0;
  }

  /** Stores a new list of checked `values` (of `used` bytes) under `key`, admitting the key and charging first. */
  #insert(key: K, values: V[], used: number): void {
    this.charge(ENTRY_OVERHEAD + this.admit(key) + used);
    this.byKey.set(key, this.#record(values, used, used));
  }

  /** Replaces the list of `key` (whose record is `record`, if any) by checked `list`, charging exactly. */
  #replace(key: K, record: ListRecord<V> | undefined, list: V[], used: number): void {
    if (list.length === 0) {
      if (record !== undefined) this.removeKey(key, record.charged);
    } else if (record === undefined) {
      this.#insert(key, list, used);
    } else {
      this.charge(used - record.charged);
      record.values = list;
      record.shared = false;
      record.used = used;
      record.charged = used;
      record.limit = this.#limitOf(used);
    }
  }

  // -- checkpoints ------------------------------------------------------------------------------

  /** Writes every list in the canonical layout: `stateKey(group, key)` → framed serialized elements. */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void {
    this.checkUsable();
    const maxParallelism = this.ctx.keys.maxParallelism;
    for (const [key, record] of this.byKey) {
      const keyBytes = this.keySerializer.serialize(key);
      const elements = record.values.map((v) => this.#value.serialize(v));
      put(stateKey(keyGroupOf(keyBytes, maxParallelism), keyBytes, undefined), frameListValue(elements));
    }
  }

  /**
   * Loads one entry of the canonical layout (as `writeCanonical` writes it), checking and
   * charging it as `update` does. Throws `CorruptionError` for bytes that do not decode (or a
   * namespace, which this state cannot hold), `KeyGroupOutOfRangeError` for a key this instance
   * does not own.
   */
  restoreCanonical(key: Uint8Array, value: Uint8Array): void {
    const k = decodeRestoredKey(this.name, key, this.keySerializer, this.ctx.keys.maxParallelism, false).key;
    const list: V[] = [];
    for (const element of listElements(value)) list.push(this.#value.deserialize(element.slice()));
    this.#enter(undefined);
    const size = this.#sizeOf(list);
    const record = this.byKey.get(k);
    if (record === undefined) this.admit(k);
    this.#replace(k, record, list, size);
  }

  /** `get` of a key without a list: checks the state and the key (throwing for either), then the empty list. */
  #missed(key: K): readonly V[] {
    if (this.gone === true) this.checkUsable();
    this.admit(key);
    return EMPTY_LIST;
  }
}
