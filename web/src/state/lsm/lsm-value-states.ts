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
  StateMetrics,
  ValueState,
  ValueStateDescriptor,
} from '../types.js';
import { WriteBatch } from '../../engine/write-batch.js';
import { LsmState, type LsmContext } from './lsm-state.js';
import { cacheableSerializers, MISS, StateCache } from './state-cache.js';

/**
 * Built-in serializers whose `deserialize` copies what it keeps (bytes copies; msgpack may
 * return views into its input, custom ones are unknown), so they may decode engine memory.
 */
const VIEW_SAFE_SERIALIZERS = new Set(['string', 'f64', 'i32', 'i64', 'boolean', 'bytes', 'json']);

/** A single stored value of type `S` per (key, namespace), with TTL applied on read. */
abstract class SingleValueLsmState<K, N, S> extends LsmState<K, N> {
  protected readonly stored: Serializer<S>;
  /** Whether the value serializer never keeps a view of its input (so it may read engine memory). */
  readonly #viewSafe: boolean;
  /** Deserialized values of recently used keys (see state-cache.ts); none with TTL. */
  readonly #cache: StateCache<S> | undefined;
  /**
   * Write-back: (namespace → key → engine key) of cached values newer than the engine's. Written
   * in one batch when the task that made them ends (a microtask), before any iteration, before a
   * checkpoint and at close, and one by one when the cache evicts them. Repeated updates of a key
   * within a task so cost one engine write.
   */
  readonly #dirty = new Map<unknown, Map<unknown, Uint8Array | undefined>>();
  #dirtyCount = 0;
  #flushScheduled = false;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: StateDescriptorBase<K, N>, stored: Serializer<S>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.stored = stored;
    this.#viewSafe = VIEW_SAFE_SERIALIZERS.has(stored.id);
    const capacity = ctx.cacheEntries;
    this.#cache =
      capacity > 0 && descriptor.ttl === undefined && cacheableSerializers(descriptor.key.id, descriptor.namespace?.id)
        ? new StateCache<S>(capacity, (key, namespace, value) => this.#evicted(key, namespace, value))
        : undefined;
  }

  /** A cache entry left: if it was dirty, its value goes to the engine now. */
  #evicted(key: unknown, namespace: unknown, value: S | undefined): void {
    const k = this.#takeDirty(key, namespace);
    if (k !== undefined && value !== undefined) this.writeAt(k, value);
  }

  /** Removes (key, namespace) from the dirty set; its engine key if it was dirty (located now if needed). */
  #takeDirty(key: unknown, namespace: unknown): Uint8Array | undefined {
    const m = this.#dirty.get(namespace);
    if (m === undefined || !m.has(key)) return undefined;
    const k = m.get(key) ?? this.locate(key as K, namespace as N | undefined);
    m.delete(key);
    this.#dirtyCount--;
    if (m.size === 0) this.#dirty.delete(namespace);
    return k;
  }

  /** Writes every dirty value to the engine in one batch. */
  override flushPending(): void {
    if (this.#dirtyCount === 0) return;
    const cache = this.#cache!;
    const batch = new WriteBatch();
    for (const [namespace, m] of this.#dirty) {
      for (const [key, k] of m) {
        const value = cache.get(key, namespace);
        // Dirty entries are in the cache (eviction writes them out first).
        if (value !== MISS && value !== undefined) {
          batch.put(k ?? this.locate(key as K, namespace as N | undefined), this.stamp(this.stored.serialize(value)), this.cf);
        }
      }
    }
    this.#dirty.clear();
    this.#dirtyCount = 0;
    if (batch.count > 0) this.ctx.db.write(batch);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.ctx.db.closed) return;
      try {
        this.flushPending();
      } catch {
        // Still dirty: retried by the next flush (iteration, checkpoint, close or task end).
      }
    });
  }

  /** The value of (key, namespace): from the cache, else from the engine (then cached). */
  protected load(key: K, namespace: N | undefined, forUpdate: boolean): { readonly k: Uint8Array | undefined; readonly value: S | undefined } {
    const cache = this.#cache;
    if (cache !== undefined) {
      this.checkUsable();
      const hit = cache.get(key, namespace);
      if (hit !== MISS) {
        this.ctx.stats.reads++;
        return { k: undefined, value: hit };
      }
    }
    const k = this.locate(key, namespace);
    const value = this.readAt(k, forUpdate);
    cache?.set(key, namespace, value);
    return { k, value };
  }

  /** Writes `value` for (key, namespace), through the cache. `k` if already located. */
  protected store(key: K, namespace: N | undefined, k: Uint8Array | undefined, value: S): void {
    const cache = this.#cache;
    if (cache === undefined) {
      this.writeAt(k ?? this.locate(key, namespace), value);
      return;
    }
    // A key the cache holds was validated when it entered: its engine key can wait for the flush.
    let at = k;
    if (at === undefined) {
      this.checkUsable();
      if (cache.get(key, namespace) === MISS) at = this.locate(key, namespace);
    }
    this.ctx.stats.writes++;
    let m = this.#dirty.get(namespace);
    if (m === undefined) {
      m = new Map();
      this.#dirty.set(namespace, m);
    }
    if (!m.has(key)) this.#dirtyCount++;
    if (at !== undefined || !m.has(key)) m.set(key, at);
    cache.set(key, namespace, value);
    this.#scheduleFlush();
  }

  override clear(key: K, namespace?: N): void {
    super.clear(key, namespace);
    this.#takeDirty(key, namespace);
    this.#cache?.set(key, namespace, undefined);
  }

  override clearAll(): void {
    this.#dirty.clear();
    this.#dirtyCount = 0;
    super.clearAll();
    this.#cache?.clear();
  }

  override keys(namespace?: N): IterableIterator<K> {
    this.flushPending();
    return super.keys(namespace);
  }

  override keysAndNamespaces(keyGroup?: number): IterableIterator<readonly [K, N | undefined]> {
    this.flushPending();
    return super.keysAndNamespaces(keyGroup);
  }

  override metrics(): StateMetrics {
    this.flushPending();
    return super.metrics();
  }

  override drop(): void {
    this.#dirty.clear();
    this.#dirtyCount = 0;
    super.drop();
  }

  override release(): void {
    super.release();
    this.#dirty.clear();
    this.#dirtyCount = 0;
    this.#cache?.clear();
  }

  /** Cache hit and miss counts (for metrics). */
  get cacheStats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.#cache?.hits ?? 0, misses: this.#cache?.misses ?? 0 };
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
    return this.load(key, namespace, false).value;
  }

  put(key: K, value: V, namespace?: N): void {
    // Without a cache (or for a key it does not hold), `store` locates — validating the key.
    this.stored.check(value);
    this.store(key, namespace, undefined, value);
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
    return this.load(key, namespace, false).value;
  }

  add(key: K, value: V, namespace?: N): void {
    this.stored.check(value);
    const { k, value: current } = this.load(key, namespace, true);
    const next = current === undefined ? value : this.#reduce(current, value);
    this.stored.check(next);
    this.store(key, namespace, k, next);
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
    const acc = this.load(key, namespace, false).value;
    return acc === undefined ? undefined : this.#descriptor.result(acc);
  }

  add(key: K, value: IN, namespace?: N): void {
    const { k, value: stored } = this.load(key, namespace, true);
    const current = stored ?? this.#descriptor.create();
    const next = this.#descriptor.add(current, value);
    this.stored.check(next);
    this.store(key, namespace, k, next);
  }
}
