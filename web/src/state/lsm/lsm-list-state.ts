/**
 * ListState on LSM: the list of (key, namespace) is one engine value in the `listAppend` format
 * (`varint32 length ‖ element` per element), and `add` is a merge — the engine appends without
 * reading the list (Flink's RocksDB backend does the same; its JNI limit of 2 GiB per list value
 * failed silently).
 *
 * `maxValueSize` (the engine's limit on one value) and lists, as RocksDB has it for merges: the
 * limit is checked on what a write writes — a merge operand or a put — when the call is made;
 * the merged list exists only where the engine computes it (reads, flushes, compactions). So:
 * - A write whose operand or put would pass the limit throws `ValueTooLargeError` and writes
 *   nothing: an `add` of an element, an `addAll` (one operand per element without a cache), an
 *   `update` (one put).
 * - Through a write-back cache the check is the same on what write-back will write — the cell's
 *   appends, as one operand, or its whole list after an `update`, as one put (see `#fits`) — and
 *   stricter: the cache knows the engine's list size without an extra read (its one lookup when
 *   a list enters the cache reads the length too), so an append that would make the merged list
 *   pass the limit throws as well, and a cached list never grows past it.
 * - Without a cache (TTL, or key or namespace serializers that are not primitive), appends do
 *   not read the list, so a list can grow past the limit by separate appends, each within it.
 *   Such a list is refused where it is merged: `get` throws `ValueTooLargeError` (`clear` and
 *   `update` still work, they do not read it). The engine's flush and compaction keep its
 *   operands unmerged instead of failing (docs/engine-api.md), so the rest of the state and the
 *   database carry on; the list stays unreadable until it is cleared or replaced. To bound a
 *   list, bound what is appended to it, or keep it cached.
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
import { checkIterable } from '../bulk-args.js';
import { frameListValue } from '../canonical/list-value.js';
import type { ListState, ListStateDescriptor, Serializer } from '../types.js';
import { CellCache, isCacheableSerializer, type CachedCell } from './cell-cache.js';
import { LsmState, type LsmContext } from './lsm-state.js';
import { fixedSizeOf } from '../serde/primitive.js';
import { framedLength, ValueSize } from './value-size.js';

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
  /**
   * Bytes of the list value the engine holds at `k`, exactly: read when the cell was made (with
   * `replace`, not needed, 0), then advanced by each write-back.
   */
  engineBytes: number;
  /**
   * An upper bound of the bytes the next write-back writes: the elements of `list` it writes
   * (from `written` on; all of them when incomplete or `replace`), each with its varint32 frame —
   * the merge operand, or with `replace` the put value. Exact from write-back to the next write.
   */
  pendingBytes: number;
  /** Whether `pendingBytes` is exact (measured, or bounds that are exact). */
  pendingExact: boolean;
}

export class LsmListState<K, V, N> extends LsmState<K, N> implements ListState<K, V, N> {
  readonly kind = 'list' as const;
  readonly #value: Serializer<V>;
  readonly #cache: CellCache<ListCell<V>> | undefined;
  /** Element sizes against the engine's maxValueSize, for what the cache holds back. */
  readonly #size: ValueSize<V>;
  /** The framed bytes of every element when the value serializer has one size (f64, i32, i64, boolean), else 0. */
  readonly #elementBound: number;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ListStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.#value = descriptor.value;
    this.#cache =
      ctx.cacheEntries > 0 && descriptor.ttl === undefined && isCacheableSerializer(descriptor.key) && isCacheableSerializer(descriptor.namespace)
        ? new CellCache<ListCell<V>>(ctx.cacheEntries, ctx)
        : undefined;
    this.#size = new ValueSize(descriptor.value, ctx.db.limits.maxValueSize, this.name);
    const fixed = fixedSizeOf(descriptor.value);
    this.#elementBound = fixed === 0 ? 0 : framedLength(fixed);
  }

  protected override visible(stored: Uint8Array, now: number): boolean {
    if (this.ttl === undefined || this.ttl.returnExpired) return true;
    return listElements(stored).some((e) => !this.unstamp(e, now).expired);
  }

  /** The elements stored in the engine at `k` (TTL not applied), and the bytes of that value. */
  #engineList(k: Uint8Array): { readonly list: V[]; readonly bytes: number } {
    const raw = this.cf.get(k);
    return raw === undefined ? { list: [], bytes: 0 } : { list: listElements(raw).map((e) => this.#value.deserialize(e)), bytes: raw.length };
  }

  get(key: K, namespace?: N): readonly V[] {
    const cache = this.#cache;
    if (cache === undefined) return this.#getUncached(key, namespace);
    this.checkUsable();
    this.ctx.stats.reads++;
    let cell = cache.get(key, namespace);
    if (cell === undefined) {
      const k = this.locate(key, namespace);
      const { list, bytes } = this.#engineList(k);
      cell = this.#newCell(key, namespace, k, list, true, bytes);
      cell.weight += list.length;
      cell.written = list.length;
      cache.add(cell);
    } else if (!cell.complete) {
      const appended = cell.list;
      const { list, bytes } = this.#engineList(cell.k);
      cell.engineBytes = bytes;
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
      this.countExpiredRemoved(expired);
      if (live.length === 0) this.cf.delete(k);
      else this.cf.put(k, frameListValue(live));
    }
    return out;
  }

  /** A clean cell of weight 1 holding `list` (none of it written), the engine's list being `engineBytes` long. */
  #newCell(key: K, namespace: N | undefined, k: Uint8Array, list: V[], complete: boolean, engineBytes: number): ListCell<V> {
    return { key, namespace, weight: 1, dirty: false, k, list, complete, written: 0, replace: false, shared: false, engineBytes, pendingBytes: 0, pendingExact: true };
  }

  /**
   * The cell of (key, namespace), created if the cache has none (validating the key): empty and,
   * with `probe`, complete when the engine has no list there (one lookup, so that a list built
   * by appends is then read from memory, which also gives the list's size), else incomplete.
   */
  #cellFor(cache: CellCache<ListCell<V>>, key: K, namespace: N | undefined, probe: boolean): ListCell<V> {
    this.checkUsable();
    const cell = cache.peek(key, namespace);
    if (cell !== undefined) return cell;
    const k = this.locate(key, namespace);
    // Not probed: about to be replaced (`#replace`), so the engine's list does not matter.
    if (!probe) return this.#newCell(key, namespace, k, [], false, 0);
    // The length of the engine's view, not a copy: as cheap as asking whether it is there.
    const engineBytes = this.cf.read(k, (value) => value.length);
    return this.#newCell(key, namespace, k, [], engineBytes === undefined, engineBytes ?? 0);
  }

  /**
   * Counts appended elements whose framed sizes add up to at most `bound` into `cell`'s
   * write-back, if the bound shows they fit: that the write-back then writes, and the engine's
   * merged list then holds, at most maxValueSize bytes. Returns false, counting nothing, when the
   * bound does not show it (then `#reserveExactly` decides).
   */
  #fits(cell: ListCell<V>, bound: number): boolean {
    const pending = cell.pendingBytes + bound;
    if ((cell.replace === true ? 0 : cell.engineBytes) + pending > this.#size.limit) return false;
    cell.pendingBytes = pending;
    if (this.#size.exact === false) cell.pendingExact = false;
    return true;
  }

  /**
   * Counts `values` as appended to `cell` by their exact sizes, for appends whose bound did not
   * fit (`#fits`): serializes them, and what the cell holds back once (then kept exact, so
   * appends refused near the limit measure only themselves). Throws `ValueTooLargeError`,
   * counting nothing, when the write-back value or the merged list would pass maxValueSize.
   */
  #reserveExactly(cell: ListCell<V>, values: readonly V[]): void {
    if (!cell.pendingExact) {
      cell.pendingBytes = this.#measure(cell.list, cell.replace || !cell.complete ? 0 : cell.written);
      cell.pendingExact = true;
    }
    const pending = cell.pendingBytes + this.#measure(values, 0);
    const total = (cell.replace ? 0 : cell.engineBytes) + pending;
    if (total > this.#size.limit) throw this.#size.tooLarge(total, 'the list');
    cell.pendingBytes = pending;
  }

  /** The framed bytes of `values` from index `from` on, serialized to be measured. */
  #measure(values: readonly V[], from: number): number {
    let bytes = 0;
    for (let i = from; i < values.length; i++) bytes += framedLength(this.#size.measure(values[i]!));
    return bytes;
  }

  /** Makes `cell` dirty and (re)enters it in the cache with `added` more elements. */
  #changed(cache: CellCache<ListCell<V>>, cell: ListCell<V>, added: number): void {
    // An empty list after a change: the key's list was cleared or replaced by none.
    this.countWrite(cell.list.length === 0);
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
      this.countWrite(false);
      this.cf.merge(k, bytes);
      return;
    }
    const estimate = this.#value.check(value);
    // Before the cell is looked up: a retried write-back evicts cells (see CellCache.admit).
    cache.admit();
    const cell = cache.peek(key, namespace);
    // The common case, appending to a cached list that `get` did not hand out. No usability
    // check: dropping or releasing a state empties its cache first, so a cell found means a
    // usable state (the miss path checks).
    if (cell !== undefined && cell.shared === false) {
      const bound = this.#elementBound !== 0 ? this.#elementBound : framedLength(this.#size.bound(estimate));
      if (this.#fits(cell, bound)) {
        cell.list.push(value);
        this.countWrite(false);
        cache.markDirty(cell);
        cache.reweigh(cell, 1);
        return;
      }
    }
    this.#addSlowly(cache, cell, key, value, namespace, estimate);
  }

  /** `add` of a checked `value` (of estimate `estimate`) to a list not cached, or handed out, or near maxValueSize. */
  #addSlowly(cache: CellCache<ListCell<V>>, cached: ListCell<V> | undefined, key: K, value: V, namespace: N | undefined, estimate: number): void {
    this.checkUsable();
    const bound = framedLength(this.#size.bound(estimate));
    const cell = cached ?? this.#cellFor(cache, key, namespace, true);
    if (!this.#fits(cell, bound)) this.#reserveExactly(cell, [value]);
    this.#appendable(cell).push(value);
    if (cached === undefined) {
      this.#changed(cache, cell, 1);
      return;
    }
    this.countWrite(false);
    cache.markDirty(cell);
    cache.reweigh(cell, 1);
  }

  addAll(key: K, values: Iterable<V>, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      const batch = new WriteBatch();
      const now = this.ctx.clock.now();
      for (const v of checkIterable(values, this.name, 'values')) batch.merge(k, this.stamp(this.#value.serialize(v), now), this.cf);
      if (batch.count === 0) return;
      this.countWrite(false);
      this.ctx.db.write(batch);
      return;
    }
    const list = [...checkIterable(values, this.name, 'values')];
    let bound = 0;
    for (const v of list) bound += framedLength(this.#size.bound(this.#value.check(v)));
    if (list.length > 0) cache.admit();
    const cell = this.#cellFor(cache, key, namespace, list.length > 0);
    if (list.length === 0) return;
    if (!this.#fits(cell, bound)) this.#reserveExactly(cell, list);
    const appendable = this.#appendable(cell);
    for (const v of list) appendable.push(v);
    this.#changed(cache, cell, list.length);
  }

  update(key: K, values: Iterable<V>, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace);
      const now = this.ctx.clock.now();
      const elements = [...checkIterable(values, this.name, 'values')].map((v) => this.stamp(this.#value.serialize(v), now));
      this.countWrite(elements.length === 0);
      if (elements.length === 0) this.cf.delete(k);
      else this.cf.put(k, frameListValue(elements));
      return;
    }
    const list = [...checkIterable(values, this.name, 'values')];
    let bound = 0;
    for (const v of list) bound += framedLength(this.#size.bound(this.#value.check(v)));
    // Written back as one put of the whole list, nothing before it (as `#fits` counts).
    let exact = this.#size.exact;
    if (bound > this.#size.limit) {
      bound = this.#measure(list, 0);
      exact = true;
      if (bound > this.#size.limit) throw this.#size.tooLarge(bound, 'the list');
    }
    this.#replace(cache, key, namespace, list, bound, exact);
  }

  override clear(key: K, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) super.clear(key, namespace);
    else this.#replace(cache, key, namespace, [], 0, true);
  }

  /** Makes `list`, of `bytes` framed bytes (exactly if `exact`, else a bound), the whole list of (key, namespace). */
  #replace(cache: CellCache<ListCell<V>>, key: K, namespace: N | undefined, list: V[], bytes: number, exact: boolean): void {
    cache.admit();
    const cell = this.#cellFor(cache, key, namespace, false);
    const before = cell.list.length;
    cell.list = list;
    cell.shared = false;
    cell.complete = true;
    cell.written = 0;
    cell.replace = true;
    cell.pendingBytes = bytes;
    cell.pendingExact = exact;
    this.#changed(cache, cell, list.length - before);
  }

  override collectPending(batch: WriteBatch): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      const from = cell.replace || !cell.complete ? 0 : cell.written;
      const elements: Uint8Array[] = [];
      for (let i = from; i < cell.list.length; i++) elements.push(this.#value.serialize(cell.list[i]!));
      const value = frameListValue(elements);
      // Exact now, for pendingWritten to advance engineBytes by.
      cell.pendingBytes = value.length;
      cell.pendingExact = true;
      if (cell.replace) {
        if (elements.length === 0) batch.delete(cell.k, this.cf);
        else batch.put(cell.k, value, this.cf);
      } else if (elements.length > 0) {
        batch.appendList(cell.k, value, this.cf);
      }
    }
  }

  override pendingWritten(): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      cell.engineBytes = (cell.replace ? 0 : cell.engineBytes) + cell.pendingBytes;
      cell.pendingBytes = 0;
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

  /** A complete cell is the list; an incomplete one holds appends the engine's list lacks, if any. */
  protected override cachedPresence(key: K, namespace: N | undefined): boolean | undefined {
    const cell = this.#cache?.peek(key, namespace);
    if (cell === undefined) return undefined;
    if (cell.list.length > 0) return true;
    return cell.complete ? false : undefined;
  }
}
