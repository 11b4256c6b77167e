/**
 * ListState on LSM: the list of (key, namespace) is one engine value in the `listAppend` format
 * (`varint32 length ‖ element` per element), and `add` is a merge — the engine appends without
 * reading the list (Flink's RocksDB backend does the same; its JNI limit of 2 GiB per list value
 * failed silently). Here a merge operand past `maxValueSize` fails with `ValueTooLargeError`,
 * but a list that grows past it by many appends is only refused when read (the merged value); and
 * with the cache, one oversized operand fails its whole write-back batch — a known limit (see
 * issue 5's notes), to be checked when an append is cached.
 *
 * With a write-back cache (no TTL, primitive keys and namespaces; see cell-cache.ts) a cell holds
 * either the whole list (`complete`, after a read or an `update`) or just the elements appended
 * since its last write-back (the engine holds the rest). Appends written back become one merge
 * operand per list, whatever their number; an `update` or `clear` becomes one put or delete.
 * `get` of a cached list hands out the cell's array and copies it on the next append, so the
 * returned snapshot never changes (the ListState contract) and a read costs no copy.
 */
import { WriteBatch } from '../../engine/write-batch.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { listElements } from '../../engine/merge-values.js';
import { frameListValue } from '../canonical/list-value.js';
import type { ListState, ListStateDescriptor, Serializer } from '../types.js';
import { CellCache, isCacheableSerializer, type CachedCell } from './cell-cache.js';
import { LsmState, type LsmContext } from './lsm-state.js';

/** A cached list (see the module comment). */
interface ListCell<V> extends CachedCell {
  /** Engine key of the list. */
  readonly k: Uint8Array;
  /** `complete`: the list; else the elements appended since the last write-back. */
  list: V[];
  /** Whether `list` is the whole list. */
  complete: boolean;
  /** Leading elements of a complete `list` the engine already has. */
  written: number;
  /** Whether the engine's value is to be replaced by `list` (after `update` or `clear`). */
  replace: boolean;
  /** Whether `get` handed `list` out: the next append copies it first (copy-on-write). */
  shared: boolean;
}

export class LsmListState<K, V, N> extends LsmState<K, N> implements ListState<K, V, N> {
  readonly kind = 'list' as const;
  readonly #value: Serializer<V>;
  readonly #cache: CellCache<ListCell<V>> | undefined;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ListStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.#value = descriptor.value;
    this.#cache =
      ctx.cacheEntries > 0 && descriptor.ttl === undefined && isCacheableSerializer(descriptor.key) && isCacheableSerializer(descriptor.namespace)
        ? new CellCache<ListCell<V>>(ctx.cacheEntries, ctx)
        : undefined;
  }

  protected override visible(stored: Uint8Array, now: number): boolean {
    if (this.ttl === undefined || this.ttl.returnExpired) return true;
    return listElements(stored).some((e) => !this.unstamp(e, now).expired);
  }

  /** The elements stored in the engine at `k` (TTL not applied). */
  #engineList(k: Uint8Array): V[] {
    const raw = this.cf.get(k);
    return raw === undefined ? [] : listElements(raw).map((e) => this.#value.deserialize(e));
  }

  get(key: K, namespace?: N): readonly V[] {
    const cache = this.#cache;
    if (cache === undefined) return this.#getUncached(key, namespace);
    this.checkUsable();
    this.ctx.stats.reads++;
    let cell = cache.get(key, namespace);
    if (cell === undefined) {
      const k = this.locate(key, namespace);
      const list = this.#engineList(k);
      cell = { key, namespace, weight: 1 + list.length, dirty: false, k, list, complete: true, written: list.length, replace: false, shared: false };
      cache.add(cell);
    } else if (!cell.complete) {
      const appended = cell.list;
      const list = this.#engineList(cell.k);
      for (const v of appended) list.push(v);
      cell.list = list;
      cell.shared = false;
      cell.complete = true;
      cell.written = list.length - appended.length;
      cache.reweigh(cell, list.length - appended.length);
    }
    // The snapshot ListState.get promises: this array is never changed again (see #appendable).
    cell.shared = true;
    return cell.list;
  }

  /** `cell.list`, safe to append to: a copy if `get` handed it out. */
  #appendable(cell: ListCell<V>): V[] {
    if (cell.shared) {
      cell.list = cell.list.slice();
      cell.shared = false;
    }
    return cell.list;
  }

  #getUncached(key: K, namespace: N | undefined): V[] {
    const k = this.locate(key, namespace);
    this.ctx.stats.reads++;
    const raw = this.cf.get(k);
    if (raw === undefined) return [];
    const elements = listElements(raw);
    if (this.ttl === undefined) return elements.map((e) => this.#value.deserialize(e));
    const now = this.ctx.clock.now();
    const live: Uint8Array[] = [];
    const out: V[] = [];
    let expired = 0;
    for (const e of elements) {
      const u = this.unstamp(e, now);
      if (u.expired) {
        expired++;
        if (this.ttl.returnExpired) out.push(this.#value.deserialize(u.value));
      } else {
        live.push(this.ttl.refreshOnRead ? this.stamp(u.value, now) : e);
        out.push(this.#value.deserialize(u.value));
      }
    }
    // Cleanup on read: write back what is live (and, onReadAndWrite, refreshed).
    if (expired > 0 || this.ttl.refreshOnRead) {
      this.ctx.stats.expiredRemoved += expired;
      if (live.length === 0) this.cf.delete(k);
      else this.cf.put(k, frameListValue(live));
    }
    return out;
  }

  /**
   * The cell of (key, namespace), created if the cache has none (validating the key): empty and,
   * with `probe`, complete when the engine has no list there (one lookup, so that a list built
   * by appends is then read from memory), else incomplete.
   */
  #cellFor(cache: CellCache<ListCell<V>>, key: K, namespace: N | undefined, probe: boolean): ListCell<V> {
    this.checkUsable();
    const cell = cache.peek(key, namespace);
    if (cell !== undefined) return cell;
    const k = this.locate(key, namespace);
    const complete = probe && !this.cf.has(k);
    return { key, namespace, weight: 1, dirty: false, k, list: [], complete, written: 0, replace: false, shared: false };
  }

  /** Makes `cell` dirty and (re)enters it in the cache with `added` more elements. */
  #changed(cache: CellCache<ListCell<V>>, cell: ListCell<V>, added: number): void {
    this.ctx.stats.writes++;
    // Dirty first: adding or growing may evict, and eviction writes every dirty cell out.
    cache.markDirty(cell);
    if (cache.peek(cell.key, cell.namespace) === cell) {
      cache.reweigh(cell, added);
    } else {
      cell.weight += added;
      cache.add(cell);
    }
  }

  add(key: K, value: V, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      const bytes = this.stamp(this.#value.serialize(value));
      this.ctx.stats.writes++;
      this.cf.merge(k, bytes);
      return;
    }
    this.#value.check(value);
    this.checkUsable();
    // Before the cell is looked up: a retried write-back evicts cells (see CellCache.admit).
    cache.admit();
    const cached = cache.peek(key, namespace);
    if (cached !== undefined) {
      // The common case, appending to a cached list, without #cellFor's re-entry check.
      this.#appendable(cached).push(value);
      this.ctx.stats.writes++;
      cache.markDirty(cached);
      cache.reweigh(cached, 1);
      return;
    }
    const cell = this.#cellFor(cache, key, namespace, true);
    this.#appendable(cell).push(value);
    this.#changed(cache, cell, 1);
  }

  addAll(key: K, values: Iterable<V>, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      const batch = new WriteBatch();
      const now = this.ctx.clock.now();
      for (const v of values) batch.merge(k, this.stamp(this.#value.serialize(v), now), this.cf);
      if (batch.count === 0) return;
      this.ctx.stats.writes++;
      this.ctx.db.write(batch);
      return;
    }
    const list = [...values];
    for (const v of list) this.#value.check(v);
    if (list.length > 0) cache.admit();
    const cell = this.#cellFor(cache, key, namespace, list.length > 0);
    if (list.length === 0) return;
    const appendable = this.#appendable(cell);
    for (const v of list) appendable.push(v);
    this.#changed(cache, cell, list.length);
  }

  update(key: K, values: Iterable<V>, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      const now = this.ctx.clock.now();
      const elements = [...values].map((v) => this.stamp(this.#value.serialize(v), now));
      this.ctx.stats.writes++;
      if (elements.length === 0) this.cf.delete(k);
      else this.cf.put(k, frameListValue(elements));
      return;
    }
    const list = [...values];
    for (const v of list) this.#value.check(v);
    this.#replace(cache, key, namespace, list);
  }

  override clear(key: K, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) super.clear(key, namespace);
    else this.#replace(cache, key, namespace, []);
  }

  #replace(cache: CellCache<ListCell<V>>, key: K, namespace: N | undefined, list: V[]): void {
    cache.admit();
    const cell = this.#cellFor(cache, key, namespace, false);
    const before = cell.list.length;
    cell.list = list;
    cell.shared = false;
    cell.complete = true;
    cell.written = 0;
    cell.replace = true;
    this.#changed(cache, cell, list.length - before);
  }

  override collectPending(batch: WriteBatch): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      const from = cell.replace || !cell.complete ? 0 : cell.written;
      const elements: Uint8Array[] = [];
      for (let i = from; i < cell.list.length; i++) elements.push(this.#value.serialize(cell.list[i]!));
      if (cell.replace) {
        if (elements.length === 0) batch.delete(cell.k, this.cf);
        else batch.put(cell.k, frameListValue(elements), this.cf);
      } else if (elements.length > 0) {
        batch.appendList(cell.k, frameListValue(elements), this.cf);
      }
    }
  }

  override pendingWritten(): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      cell.replace = false;
      if (cell.complete) {
        cell.written = cell.list.length;
      } else {
        // The engine has these appends now; what comes before them is still unknown.
        const n = cell.list.length;
        cell.list = [];
        cell.shared = false;
        cache.reweigh(cell, -n);
      }
    }
    super.pendingWritten();
  }

  protected override writeBackCache(): CellCache<CachedCell> | undefined {
    return this.#cache;
  }
}
