/**
 * The LSM states holding one value per (key, namespace): value, reducing, aggregating. Reducing
 * and aggregating `add` read, fold and write back (the fold is a user function the engine cannot
 * run in a merge).
 */
import type { ColumnFamily } from '../../engine/column-family.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  Serializer,
  StateDescriptorBase,
  ValueState,
  ValueStateDescriptor,
} from '../types.js';
import { LsmState, type LsmContext } from './lsm-state.js';

/** A single stored value of type `S` per (key, namespace), with TTL applied on read. */
abstract class SingleValueLsmState<K, N, S> extends LsmState<K, N> {
  protected readonly stored: Serializer<S>;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: StateDescriptorBase<K, N>, stored: Serializer<S>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.stored = stored;
  }

  /** The live value at engine key `k`, applying TTL (cleanup on read, refresh on read). */
  protected readAt(k: Uint8Array, forUpdate: boolean): S | undefined {
    this.ctx.stats.reads++;
    const raw = this.cf.get(k);
    if (raw === undefined) return undefined;
    const now = this.ctx.clock.now();
    const { value, expired } = this.unstamp(raw, now);
    const ttl = this.ttl;
    if (expired && ttl !== undefined) {
      this.cf.delete(k);
      this.ctx.stats.expiredRemoved++;
      // An expired value never seeds a fold; a plain read may still see it once.
      return ttl.returnExpired && !forUpdate ? this.stored.deserialize(value) : undefined;
    }
    if (ttl?.refreshOnRead && !forUpdate) this.cf.put(k, this.stamp(value, now));
    return this.stored.deserialize(value);
  }

  protected writeAt(k: Uint8Array, value: S): void {
    const bytes = this.stored.serialize(value);
    this.ctx.stats.writes++;
    this.cf.put(k, this.stamp(bytes));
  }
}

export class LsmValueState<K, V, N> extends SingleValueLsmState<K, N, V> implements ValueState<K, V, N> {
  readonly kind = 'value' as const;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ValueStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, descriptor.value, onDrop);
  }

  get(key: K, namespace?: N): V | undefined {
    return this.readAt(this.locate(key, namespace), false);
  }

  put(key: K, value: V, namespace?: N): void {
    const k = this.locate(key, namespace);
    this.stored.check(value);
    this.writeAt(k, value);
  }

  delete(key: K, namespace?: N): void {
    this.clear(key, namespace);
  }
}

export class LsmReducingState<K, V, N> extends SingleValueLsmState<K, N, V> implements ReducingState<K, V, N> {
  readonly kind = 'reducing' as const;
  readonly #reduce: (a: V, b: V) => V;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ReducingStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, descriptor.value, onDrop);
    this.#reduce = descriptor.reduce;
  }

  get(key: K, namespace?: N): V | undefined {
    return this.readAt(this.locate(key, namespace), false);
  }

  add(key: K, value: V, namespace?: N): void {
    const k = this.locate(key, namespace);
    this.stored.check(value);
    const current = this.readAt(k, true);
    const next = current === undefined ? value : this.#reduce(current, value);
    this.stored.check(next);
    this.writeAt(k, next);
  }
}

export class LsmAggregatingState<K, IN, ACC, OUT, N> extends SingleValueLsmState<K, N, ACC> implements AggregatingState<K, IN, OUT, N> {
  readonly kind = 'aggregating' as const;
  readonly #descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, descriptor.accumulator, onDrop);
    this.#descriptor = descriptor;
  }

  get(key: K, namespace?: N): OUT | undefined {
    const acc = this.readAt(this.locate(key, namespace), false);
    return acc === undefined ? undefined : this.#descriptor.result(acc);
  }

  add(key: K, value: IN, namespace?: N): void {
    const k = this.locate(key, namespace);
    const current = this.readAt(k, true) ?? this.#descriptor.create();
    const next = this.#descriptor.add(current, value);
    this.stored.check(next);
    this.writeAt(k, next);
  }
}
