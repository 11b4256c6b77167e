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
import { WriteBatch } from '../../engine/write-batch.js';
import { LsmState, type LsmContext } from './lsm-state.js';
import { CellCache, isCacheableSerializer, type CachedCell } from './cell-cache.js';
import { ValueSize } from './value-size.js';

/**
 * Built-in serializers whose `deserialize` copies what it keeps (bytes copies; msgpack may
 * return views into its input, custom ones are unknown), so they may decode engine memory.
 */
const VIEW_SAFE_SERIALIZERS = new Set(['string', 'f64', 'i32', 'i64', 'boolean', 'bytes', 'json']);

/** A cached value: `undefined` is "known absent" (a delete when dirty). */
interface ValueCell<S> extends CachedCell {
  value: S | undefined;
}

/** A single stored value of type `S` per (key, namespace), with TTL applied on read. */
abstract class SingleValueLsmState<K, N, S> extends LsmState<K, N> {
  protected readonly stored: Serializer<S>;
  /** Whether the value serializer never keeps a view of its input (so it may read engine memory). */
  readonly #viewSafe: boolean;
  /**
   * Write-back cache of deserialized values (see cell-cache.ts); none with TTL or non-primitive
   * keys. Writes change the cell only; the engine gets them when a dirty cell is evicted (with
   * every other dirty cell of the backend, one batch), before iteration and metrics, at a
   * checkpoint and at close — so repeated updates of a hot key cost one engine write.
   */
  readonly #cache: CellCache<ValueCell<S>> | undefined;
  /** Value sizes against the engine's maxValueSize, for what the cache holds back (value-size.ts). */
  readonly #size: ValueSize<S>;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: StateDescriptorBase<K, N>, stored: Serializer<S>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.stored = stored;
    this.#viewSafe = VIEW_SAFE_SERIALIZERS.has(stored.id);
    const capacity = ctx.cacheEntries;
    this.#cache =
      capacity > 0 && descriptor.ttl === undefined && isCacheableSerializer(descriptor.key) && isCacheableSerializer(descriptor.namespace)
        ? new CellCache<ValueCell<S>>(capacity, ctx)
        : undefined;
    this.#size = new ValueSize(stored, ctx.db.limits.maxValueSize, this.name);
  }

  override collectPending(batch: WriteBatch): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      const k = this.locate(cell.key as K, cell.namespace as N | undefined);
      if (cell.value === undefined) batch.delete(k, this.cf);
      else batch.put(k, this.stored.serialize(cell.value), this.cf);
    }
  }

  /** The value of (key, namespace): from the cache, else from the engine (then cached). */
  protected load(key: K, namespace: N | undefined, forUpdate: boolean): S | undefined {
    const cache = this.#cache;
    if (cache === undefined) return this.readAt(this.locate(key, namespace), forUpdate);
    this.checkUsable();
    const cell = cache.get(key, namespace);
    if (cell !== undefined) {
      this.ctx.stats.reads++;
      return cell.value;
    }
    const value = this.readAt(this.locate(key, namespace), forUpdate);
    cache.add({ key, namespace, weight: 1, dirty: false, value });
    return value;
  }

  /**
   * Writes `value` for (key, namespace) (`undefined`: deletes), through the cache; `estimate` is
   * what `check` returned for it.
   */
  protected store(key: K, namespace: N | undefined, value: S | undefined, estimate: number): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      if (value === undefined) {
        this.countWrite(true);
        this.cf.delete(k);
      } else {
        this.writeAt(k, value);
      }
      return;
    }
    this.checkUsable();
    // The engine meets the value only at write-back: measured now (value-size.ts).
    if (value !== undefined) this.#size.check(value, estimate);
    cache.admit();
    this.countWrite(value === undefined);
    const cell = cache.peek(key, namespace);
    if (cell !== undefined) {
      cell.value = value;
      cache.markDirty(cell);
      return;
    }
    // A key the cache holds was validated when it entered; a new one is validated here (its
    // engine key is built at write-back).
    this.validate(key, namespace);
    const fresh: ValueCell<S> = { key, namespace, weight: 1, dirty: false, value };
    // Dirty before it is added: adding may evict, and eviction writes every dirty cell out.
    cache.markDirty(fresh);
    cache.add(fresh);
  }

  override clear(key: K, namespace?: N): void {
    this.store(key, namespace, undefined, 0);
  }

  protected override writeBackCache(): CellCache<CachedCell> | undefined {
    return this.#cache;
  }

  /** A cell holds the value itself, or knows it absent. */
  protected override cachedPresence(key: K, namespace: N | undefined): boolean | undefined {
    const cell = this.#cache?.peek(key, namespace);
    return cell === undefined ? undefined : cell.value !== undefined;
  }

  /** The live value at engine key `k`, applying TTL (cleanup on read, refresh on read). */
  protected readAt(k: Uint8Array, forUpdate: boolean): S | undefined {
    this.ctx.stats.reads++;
    if (this.ttl === undefined && this.#viewSafe) {
      // Deserialized straight from the engine's memory: no copy of the value.
      return this.cf.read(k, (view) => this.stored.deserialize(view));
    }
    // An expired value never seeds a fold; a plain read may still see it once (see readLive).
    const live = this.readLive(k, forUpdate);
    return live === undefined ? undefined : this.stored.deserialize(live.bytes);
  }

  protected writeAt(k: Uint8Array, value: S): void {
    const bytes = this.stored.serialize(value);
    this.countWrite(false);
    this.cf.put(k, this.stamp(bytes));
  }
}

export class LsmValueState<K, V, N> extends SingleValueLsmState<K, N, V> implements ValueState<K, V, N> {
  readonly kind = 'value' as const;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ValueStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, descriptor.value, onDrop);
  }

  get(key: K, namespace?: N): V | undefined {
    return this.load(key, namespace, false);
  }

  put(key: K, value: V, namespace?: N): void {
    // Without a cache (or for a key it does not hold), `store` locates — validating the key.
    this.store(key, namespace, value, this.stored.check(value));
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
    return this.load(key, namespace, false);
  }

  add(key: K, value: V, namespace?: N): void {
    this.stored.check(value);
    const current = this.load(key, namespace, true);
    const next = current === undefined ? value : this.#reduce(current, value);
    this.store(key, namespace, next, this.stored.check(next));
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
    const acc = this.load(key, namespace, false);
    return acc === undefined ? undefined : this.#descriptor.result(acc);
  }

  add(key: K, value: IN, namespace?: N): void {
    const stored = this.load(key, namespace, true);
    const current = stored ?? this.#descriptor.create();
    const next = this.#descriptor.add(current, value);
    this.store(key, namespace, next, this.stored.check(next));
  }
}
