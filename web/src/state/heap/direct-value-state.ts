/**
 * {@link ValueState} on the heap with values stored directly (key → value) for the descriptors
 * `DirectSingleValueState.fits` accepts; see direct-single-value-state.ts for why it is sound.
 */
import type { ValueState, ValueStateDescriptor } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { DirectSingleValueState } from './direct-single-value-state.js';

export class DirectHeapValueState<K, V> extends DirectSingleValueState<K, V> implements ValueState<K, V, undefined> {
  readonly kind = 'value' as const;

  constructor(ctx: HeapContext, descriptor: ValueStateDescriptor<K, V, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.value, onDrop);
  }

  get(key: K, namespace?: undefined): V | undefined {
    this.enter(namespace);
    const value = this.lookup(key);
    return value;
  }

  put(key: K, value: V, namespace?: undefined): void {
    this.enter(namespace);
    const size = this.stored.check(value);
    this.set(key, value, size);
  }

  delete(key: K, namespace?: undefined): void {
    this.clear(key, namespace);
  }
}
