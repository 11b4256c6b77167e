/**
 * {@link ListState} on the heap: an array per (key, namespace), elements stored as given. With
 * TTL every element carries its own write time (and its size, so purging can release it). Serves
 * the descriptors {@link DirectHeapListState} does not (a namespace serializer, a key serializer
 * that is not primitive, TTL); see heap-backend.ts.
 *
 * `get` without TTL returns the stored array itself, marking the cell `shared`; the next append
 * to a shared cell copies the array first (copy-on-write), so an array handed out never changes
 * afterwards. Every other change (update, purge, restore) replaces `values` with a new array.
 * This costs at most the copy per get that returning a fresh array cost, and nothing for the
 * usual pattern of many adds and then reads, or many reads.
 */
import { listElements } from '../../engine/merge-values.js';
import { frameListValue } from '../canonical/list-value.js';
import { checkIterable } from '../bulk-args.js';
import { decodeTtlValue, encodeTtlValue } from '../ttl.js';
import type { ListState, ListStateDescriptor, Serializer } from '../types.js';
import { HeapState, type Cell, type HeapContext, type Location, type PurgeResult } from './heap-state.js';
import { CELL_OVERHEAD, ELEMENT_OVERHEAD } from './memory-budget.js';
import type { DirectHeapListState } from './direct-list-state.js';
import { EMPTY_LIST } from './direct-state-parts.js';

interface ListCell<N, V> extends Cell<N> {
  /** Never changed in place while `shared`: appends copy it first. */
  values: V[];
  /** Whether `values` was handed out by `get` since it was last copied or replaced. */
  shared: boolean;
  /** Write times, parallel to `values`; empty without TTL. */
  times: number[];
  /** Estimated sizes, parallel to `values`; empty without TTL. */
  sizes: number[];
}

export class HeapListState<K, V, N> extends HeapState<K, N, ListCell<N, V>> implements ListState<K, V, N> {
  readonly kind = 'list' as const;
  readonly #value: Serializer<V>;

  constructor(ctx: HeapContext, descriptor: ListStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.#value = descriptor.value;
    // `shared` and `values` change after a cell is made (get, copy-on-write): written once on a
    // throwaway cell of the same shape, so V8 compiles nothing on them as constants (see
    // HeapState's constructor).
    const cell = this.#newCell(undefined, 0, [], []);
    cell.shared = true;
    cell.values = [];
  }

  get(key: K, namespace?: N): readonly V[] {
    if (namespace === undefined && this.fast) {
      this.checkFast();
      const cell = this.fastCell(key);
      this.reads++;
      if (cell === undefined) {
        this.checkFastKey(key);
        return EMPTY_LIST;
      }
      cell.shared = true;
      return cell.values;
    }
    const loc = this.locate(key, namespace);
    this.reads++;
    const cell = this.lookup(loc);
    let out: readonly V[] = EMPTY_LIST;
    if (cell !== undefined) {
      if (this.ttl === undefined) {
        cell.shared = true;
        out = cell.values;
      } else {
        out = this.#readWithTtl(loc, cell);
      }
    }
    this.afterAccess();
    return out;
  }

  #readWithTtl(loc: Location<K, N>, cell: ListCell<N, V>): V[] {
    const ttl = this.ttl!;
    const now = this.ctx.clock.now();
    const expiredCount = cell.times.reduce((n, t) => n + (ttl.isExpired(t, now) ? 1 : 0), 0);
    const out = ttl.returnExpired ? cell.values.slice() : cell.values.filter((_, i) => !ttl.isExpired(cell.times[i]!, now));
    if (expiredCount > 0) this.#dropExpired(loc, cell, now, expiredCount);
    if (ttl.refreshOnRead) cell.times.fill(now);
    return out;
  }

  #dropExpired(loc: Location<K, N>, cell: ListCell<N, V>, now: number, count: number): void {
    if (count === cell.values.length) {
      this.expire(loc, count);
      return;
    }
    this.ctx.stats.expiredRemoved += count;
    this.purge(cell, now);
  }

  add(key: K, value: V, namespace?: N): void {
    if (namespace === undefined && this.fast) {
      this.checkFast();
      const size = this.#value.check(value);
      const cell = this.fastCell(key);
      if (cell === undefined) {
        this.insertFast(key, this.#newCell(undefined, 0, [value], [size]));
      } else {
        this.resize(cell, cell.size + size + ELEMENT_OVERHEAD);
        this.#writable(cell).push(value);
      }
      this.writes++;
      return;
    }
    const loc = this.locate(key, namespace);
    const size = this.#value.check(value);
    const cell = this.lookup(loc);
    if (cell === undefined) {
      this.#append(loc, [value], [size]);
      return;
    }
    // The common case, appending to an existing list, without the batch path's arrays.
    this.writes++;
    this.resize(cell, cell.size + size + ELEMENT_OVERHEAD);
    this.#writable(cell).push(value);
    if (this.ttl !== undefined) {
      cell.times.push(this.ctx.clock.now());
      cell.sizes.push(size);
    }
    this.afterAccess();
  }

  /** `cell.values`, copied first if `get` handed it out (see the module comment). */
  #writable(cell: ListCell<N, V>): V[] {
    if (cell.shared) {
      cell.values = cell.values.slice();
      cell.shared = false;
    }
    return cell.values;
  }

  addAll(key: K, values: Iterable<V>, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const list = [...checkIterable(values, this.name, 'values')];
    this.#append(loc, list, list.map((v) => this.#value.check(v)));
  }

  update(key: K, values: Iterable<V>, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const list = [...checkIterable(values, this.name, 'values')];
    const sizes = list.map((v) => this.#value.check(v));
    this.writes++;
    const cell = this.lookup(loc);
    if (list.length === 0) {
      this.removeAt(loc);
    } else {
      const fresh = this.#cell(loc, list, sizes);
      if (cell === undefined) {
        this.insert(loc, fresh);
      } else {
        this.resize(cell, fresh.size);
        cell.values = fresh.values;
        cell.shared = false;
        cell.times = fresh.times;
        cell.sizes = fresh.sizes;
      }
    }
    this.afterAccess();
  }

  /** Appends checked `values` (with their `sizes`); no-op when empty (but for checking the key). */
  #append(loc: Location<K, N>, values: V[], sizes: number[]): void {
    const cell = this.lookup(loc);
    if (values.length === 0) return;
    this.writes++;
    if (cell === undefined) {
      this.insert(loc, this.#cell(loc, values, sizes));
    } else {
      const added = sizes.reduce((a, b) => a + b, 0) + values.length * ELEMENT_OVERHEAD;
      this.resize(cell, cell.size + added);
      const stored = this.#writable(cell);
      for (const v of values) stored.push(v);
      if (this.ttl !== undefined) {
        const now = this.ctx.clock.now();
        for (const s of sizes) {
          cell.times.push(now);
          cell.sizes.push(s);
        }
      }
    }
    this.afterAccess();
  }

  #cell(loc: Location<K, N>, values: V[], sizes: number[]): ListCell<N, V> {
    return this.#newCell(loc.namespace, loc.nsSize, values, sizes);
  }

  /** A cell of `values` (whose estimated sizes are `sizes`) in `namespace` (of `nsSize` bytes). */
  #newCell(namespace: N | undefined, nsSize: number, values: V[], sizes: number[]): ListCell<N, V> {
    let size = CELL_OVERHEAD + nsSize + values.length * ELEMENT_OVERHEAD;
    for (const s of sizes) size += s;
    const withTtl = this.ttl !== undefined;
    const now = withTtl ? this.ctx.clock.now() : 0;
    return {
      namespace,
      size,
      values,
      shared: false,
      times: withTtl ? values.map(() => now) : [],
      sizes: withTtl ? sizes : [],
    };
  }

  protected encodeCell(cell: ListCell<N, V>, prefix: Uint8Array, put: (key: Uint8Array, value: Uint8Array) => void): void {
    const withTtl = this.ttl !== undefined;
    const elements = cell.values.map((v, i) => {
      const bytes = this.#value.serialize(v);
      return withTtl ? encodeTtlValue(cell.times[i]!, bytes) : bytes;
    });
    put(prefix, frameListValue(elements));
  }

  protected decodeEntry(loc: Location<K, N>, _rest: Uint8Array, stored: Uint8Array): void {
    const withTtl = this.ttl !== undefined;
    const values: V[] = [];
    const times: number[] = [];
    for (const element of listElements(stored)) {
      let bytes = element;
      if (withTtl) {
        const framed = decodeTtlValue(element);
        times.push(framed.timestamp);
        bytes = framed.value;
      }
      values.push(this.#value.deserialize(bytes.slice()));
    }
    if (values.length === 0) return;
    const cell = this.#cell(loc, values, values.map((v) => this.#value.check(v)));
    if (withTtl) cell.times = times;
    this.insert(loc, cell);
  }

  protected isLive(cell: ListCell<N, V>, now: number): boolean {
    return cell.times.some((t) => !this.ttl!.isExpired(t, now));
  }

  protected purge(cell: ListCell<N, V>, now: number): PurgeResult {
    const ttl = this.ttl!;
    const values: V[] = [];
    const times: number[] = [];
    const sizes: number[] = [];
    let freed = 0;
    for (let i = 0; i < cell.values.length; i++) {
      if (ttl.isExpired(cell.times[i]!, now)) {
        freed += cell.sizes[i]! + ELEMENT_OVERHEAD;
      } else {
        values.push(cell.values[i]!);
        times.push(cell.times[i]!);
        sizes.push(cell.sizes[i]!);
      }
    }
    const removed = cell.values.length - values.length;
    if (removed > 0 && values.length > 0) {
      this.resize(cell, cell.size - freed);
      cell.values = values;
      cell.shared = false;
      cell.times = times;
      cell.sizes = sizes;
    }
    return { removed, empty: values.length === 0 };
  }
}
