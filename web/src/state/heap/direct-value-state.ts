/**
 * {@link ValueState} on the heap with values stored directly (key → value) for the descriptors
 * `DirectSingleValueState.fits` accepts; see direct-single-value-state.ts for why it is sound.
 * {@link directHeapValueState} picks the class: a value serializer of fixed size (numbers,
 * booleans) gets one whose `put` calls that serializer's check as a constant.
 */
import type { ValueState, ValueStateDescriptor } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { DirectSingleValueState } from './direct-single-value-state.js';
import { hasFixedSize } from './memory-budget.js';

type Check = (value: unknown) => number;

export class DirectHeapValueState<K, V> extends DirectSingleValueState<K, V> implements ValueState<K, V, undefined> {
  readonly kind = 'value' as const;
  /**
   * The value serializer's `check`, held directly: calling it through the descriptor's
   * serializer object cost ~4% of a ValueState update at 200k keys in Chromium (a field load
   * and a map check more per call, in a loop bound by memory latency).
   */
  readonly #checkValue: Check;

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

/** The class {@link directHeapValueState} uses for each fixed-size value serializer's check. */
const fixedSizeClasses = new Map<Check, typeof DirectHeapValueState>();

/**
 * A DirectHeapValueState whose `put` calls `check` (a fixed-size value serializer's) as the
 * class's own constant, and stores without testing the size kind. Why a class per check: when
 * V8 inlines `put` into a loop it knows the function, hence `check`, and the call costs the
 * check alone; held in a field (as the base class does) the check is loaded and compared on
 * every call. In a harness of the state bench's loop (ValueState update at 200k keys in
 * Chromium, 20 fresh workers each way, one session) the generic `put` ran at 0.76× a raw Map,
 * this one at 0.81× (medians). What remains of the gap is telling a new key from an existing
 * one (docs/benchmarks.md, "What the update at 200,000 keys pays for").
 */
function fixedSizeValueStateClass(check: Check): typeof DirectHeapValueState {
  let cls = fixedSizeClasses.get(check);
  if (cls === undefined) {
    cls = class DirectFixedSizeValueState<K, V> extends DirectHeapValueState<K, V> {
      override put(key: K, value: V, namespace?: undefined): void {
        if (namespace !== undefined) this.enter(namespace);
        this.setFixed(key, value, check(value));
      }
    };
    fixedSizeClasses.set(check, cls);
  }
  return cls;
}

/** The direct ValueState for `descriptor` (REQUIRES: `DirectSingleValueState.fits` accepts it). */
export function directHeapValueState<K, V>(ctx: HeapContext, descriptor: ValueStateDescriptor<K, V, unknown>, onDrop: (name: string) => void): DirectHeapValueState<K, V> {
  const value = descriptor.value;
  const cls = hasFixedSize(value) ? fixedSizeValueStateClass(value.check) : DirectHeapValueState;
  return new cls(ctx, descriptor, onDrop) as DirectHeapValueState<K, V>;
}
