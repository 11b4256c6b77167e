/**
 * {@link ValueState} on the heap with values stored directly (key → value) for the descriptors
 * `DirectSingleValueState.fits` accepts; see direct-single-value-state.ts for why it is sound.
 */
import type { ValueState, ValueStateDescriptor } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { DirectSingleValueState } from './direct-single-value-state.js';

export class DirectHeapValueState<K, V> extends DirectSingleValueState<K, V> implements ValueState<K, V, undefined> {
  readonly kind = 'value' as const;
  /**
   * The value serializer's `check`, held directly: calling it through the descriptor's
   * serializer object cost ~4% of a ValueState update at 200k keys in Chromium (a field load
   * and a map check more per call, in a loop bound by memory latency).
   */
  readonly #checkValue: (value: unknown) => number;

  constructor(ctx: HeapContext, descriptor: ValueStateDescriptor<K, V, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.value, onDrop);
    this.#checkValue = descriptor.value.check;
  }

  get(key: K, namespace?: undefined): V | undefined {
    // A hit needs no check of the state: a dropped or closed state's Map is GONE, where every
    // key misses (see DirectState).
    const value = this.byKey.get(key);
    if (value === undefined || namespace !== undefined) return this.#getSlowly(key, namespace);
    return value;
  }

  /** A miss, or a namespace given: the checks `get`'s common path leaves out. */
  #getSlowly(key: K, namespace: unknown): V | undefined {
    this.enter(namespace);
    return this.lookup(key);
  }

  put(key: K, value: V, namespace?: undefined): void {
    // The state's usability is checked only for a new key (`set`): an existing key cannot be
    // in a dropped or closed state's Map.
    if (namespace !== undefined) this.enter(namespace);
    this.set(key, value, this.#checkValue(value));
  }

  delete(key: K, namespace?: undefined): void {
    this.clear(key, namespace);
  }
}
