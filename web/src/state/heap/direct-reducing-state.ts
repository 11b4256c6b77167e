/**
 * {@link ReducingState} and {@link AggregatingState} on the heap with the value or accumulator
 * stored directly (key → value) for the descriptors `DirectSingleValueState.fits` accepts; see
 * direct-single-value-state.ts for why it is sound. Read, fold, write back, as reducing-state.ts.
 */
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
} from '../types.js';
import type { HeapContext } from './heap-state.js';
import { DirectSingleValueState } from './direct-single-value-state.js';

export class DirectHeapReducingState<K, V> extends DirectSingleValueState<K, V> implements ReducingState<K, V, undefined> {
  readonly kind = 'reducing' as const;
  readonly #reduce: (accumulated: V, added: V) => V;

  constructor(ctx: HeapContext, descriptor: ReducingStateDescriptor<K, V, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.value, onDrop);
    this.#reduce = descriptor.reduce;
  }

  get(key: K, namespace?: undefined): V | undefined {
    this.enter(namespace);
    const value = this.lookup(key);
    return value;
  }

  add(key: K, value: V, namespace?: undefined): void {
    this.enter(namespace);
    let size = this.stored.check(value);
    const current = this.lookup(key);
    let next = value;
    if (current !== undefined) {
      next = this.#reduce(current, value);
      size = this.stored.check(next);
    }
    this.store(key, current, next, size);
  }
}

export class DirectHeapAggregatingState<K, IN, ACC, OUT>
  extends DirectSingleValueState<K, ACC>
  implements AggregatingState<K, IN, OUT, undefined>
{
  readonly kind = 'aggregating' as const;
  readonly #descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, unknown>;

  constructor(ctx: HeapContext, descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.accumulator, onDrop);
    this.#descriptor = descriptor;
  }

  get(key: K, namespace?: undefined): OUT | undefined {
    this.enter(namespace);
    const acc = this.lookup(key);
    return acc === undefined ? undefined : this.#descriptor.result(acc);
  }

  add(key: K, value: IN, namespace?: undefined): void {
    this.enter(namespace);
    const current = this.lookup(key);
    const next = this.#descriptor.add(current ?? this.#descriptor.create(), value);
    const size = this.stored.check(next);
    this.store(key, current, next, size);
  }
}
