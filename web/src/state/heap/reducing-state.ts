/** {@link ReducingState} and {@link AggregatingState} on the heap: read, fold, write back. */
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
} from '../types.js';
import type { HeapContext } from './heap-state.js';
import { SingleValueHeapState } from './single-value-state.js';

export class HeapReducingState<K, V, N> extends SingleValueHeapState<K, N, V> implements ReducingState<K, V, N> {
  readonly kind = 'reducing' as const;
  readonly #reduce: (accumulated: V, added: V) => V;

  constructor(ctx: HeapContext, descriptor: ReducingStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.value, onDrop);
    this.#reduce = descriptor.reduce;
  }

  get(key: K, namespace?: N): V | undefined {
    const loc = this.locate(key, namespace);
    this.reads++;
    const value = this.readCell(loc);
    this.afterAccess();
    return value;
  }

  add(key: K, value: V, namespace?: N): void {
    const loc = this.locate(key, namespace);
    let size = this.stored.check(value);
    const current = this.readForUpdate(loc);
    let next = value;
    if (current !== undefined) {
      next = this.#reduce(current, value);
      size = this.stored.check(next);
    }
    this.writes++;
    this.writeAfterUpdate(loc, next, size);
    this.afterAccess();
  }
}

export class HeapAggregatingState<K, IN, ACC, OUT, N>
  extends SingleValueHeapState<K, N, ACC>
  implements AggregatingState<K, IN, OUT, N>
{
  readonly kind = 'aggregating' as const;
  readonly #descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>;

  constructor(ctx: HeapContext, descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.accumulator, onDrop);
    this.#descriptor = descriptor;
  }

  get(key: K, namespace?: N): OUT | undefined {
    const loc = this.locate(key, namespace);
    this.reads++;
    const acc = this.readCell(loc);
    this.afterAccess();
    return acc === undefined ? undefined : this.#descriptor.result(acc);
  }

  add(key: K, value: IN, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const current = this.readForUpdate(loc) ?? this.#descriptor.create();
    const next = this.#descriptor.add(current, value);
    const size = this.stored.check(next);
    this.writes++;
    this.writeAfterUpdate(loc, next, size);
    this.afterAccess();
  }
}
