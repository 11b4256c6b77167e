/**
 * {@link MapState} on the heap for map keys and values of built-in primitive serializers and no
 * TTL, with a namespace serializer or a key that is not primitive (without either,
 * direct-keyed-map-state.ts keeps one Map of key → map), where a (key, namespace)'s Map holds
 * the values themselves: map key → value, as a hand-written `Map<K, Map<UK, UV>>` would.
 * {@link HeapMapState} serves every other descriptor with an entry object per map key (its
 * identity, write time and size).
 *
 * Why it is sound without per-entry records:
 * - Primitive map keys are their own identity (see identity.ts), so the Map key is the map key.
 * - Primitive values are never `undefined`, so `map.get` tells absence by itself.
 * - Primitive serializers' `check` is cheap and gives the same size for the same value, so an
 *   entry's size is recomputed from its key and value when it is overwritten or removed.
 *
 * Iteration hands out the Map's own iterators and marks the cell `shared`; the next change to a
 * shared cell copies the Map first (copy-on-write), so an iterator sees the entries as they were
 * at the call, as {@link HeapMapState}'s snapshots do. Removing the last entry drops the cell
 * without touching its Map.
 *
 * Memory: entries of varying size are charged exactly. Entries of one size (fixed-size map key
 * and value serializers) are charged by capacity, as V8 grows a Map's table in steps: a put past
 * the capacity charges for half as much again as the entries then need (see `reserve`; exactly
 * what they need when the budget refuses that), so most puts of a new map key charge nothing
 * (a charge per put, through cell, state and budget, cost ~7% of MapState put in Chromium).
 * `estimatedBytes` is then the exact estimate plus that reserve.
 *
 * Invariants (beside HeapState's): a cell's Map is never empty; `cell.size` is `CELL_OVERHEAD`
 * plus the namespace's size plus the sum of `#entrySize` over its entries (varying sizes), or
 * plus `cell.capacity` times the one entry size (fixed sizes), with `capacity >= map.size`.
 */
import { checkEntry, checkIterable } from '../bulk-args.js';
import type { MapState, MapStateDescriptor, Serializer } from '../types.js';
import { HeapState, type Cell, type HeapContext, type Location, type PurgeResult } from './heap-state.js';
import { isPrimitiveSerializer } from './identity.js';
import { CELL_OVERHEAD, hasFixedSize, MAP_ENTRY_OVERHEAD, reserve } from './memory-budget.js';
import { NO_ENTRIES } from './direct-state-parts.js';

interface DirectMapCell<N, UK, UV> extends Cell<N> {
  /** Map key → value; never changed in place while `shared`. */
  map: Map<UK, UV>;
  /** Whether an iterator over `map` was handed out since it was last copied. */
  shared: boolean;
  /** Fixed-size entries: the entries charged for (at least `map.size`); 0 for varying sizes. */
  capacity: number;
}

export class DirectHeapMapState<K, UK, UV, N> extends HeapState<K, N, DirectMapCell<N, UK, UV>> implements MapState<K, UK, UV, N> {
  readonly kind = 'map' as const;
  readonly #mapKey: Serializer<UK>;
  readonly #value: Serializer<UV>;
  /** Whether every entry has one size (map key and value serializers of fixed size). */
  readonly #fixedSize: boolean;

  /** Whether `descriptor` has the shape this class serves. */
  static fits(descriptor: MapStateDescriptor<unknown, unknown, unknown, unknown>): boolean {
    return descriptor.ttl === undefined && isPrimitiveSerializer(descriptor.mapKey) && isPrimitiveSerializer(descriptor.value);
  }

  constructor(ctx: HeapContext, descriptor: MapStateDescriptor<K, UK, UV, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.#mapKey = descriptor.mapKey;
    this.#value = descriptor.value;
    this.#fixedSize = hasFixedSize(descriptor.mapKey) && hasFixedSize(descriptor.value);
    // `shared` and `map` change after a cell is made (iteration, copy-on-write): written once on
    // a throwaway cell of the same shape, so V8 compiles nothing on them as constants (see
    // HeapState's constructor).
    const cell = this.#cell(undefined, 0, new Map(), 0);
    cell.shared = true;
    cell.map = new Map();
    cell.capacity = 1;
  }

  /** The cell of (`key`, `namespace`), or undefined; checks the state and (on a miss) the key. */
  #cellOf(key: K, namespace: N | undefined): DirectMapCell<N, UK, UV> | undefined {
    if (namespace === undefined && this.fast) {
      this.checkFast();
      const cell = this.fastCell(key);
      if (cell === undefined) this.checkFastKey(key);
      return cell;
    }
    return this.lookup(this.locate(key, namespace));
  }

  /** `cell.map`, copied first if an iterator over it was handed out. */
  #writable(cell: DirectMapCell<N, UK, UV>): Map<UK, UV> {
    if (cell.shared) {
      cell.map = new Map(cell.map);
      cell.shared = false;
    }
    return cell.map;
  }

  /** Estimated bytes of one entry (validates both). */
  #entrySize(mapKey: UK, value: UV): number {
    return MAP_ENTRY_OVERHEAD + this.#mapKey.check(mapKey) + this.#value.check(value);
  }

  #newCell(namespace: N | undefined, nsSize: number, mapKey: UK, value: UV, size: number): DirectMapCell<N, UK, UV> {
    return this.#cell(namespace, CELL_OVERHEAD + nsSize + size, new Map<UK, UV>().set(mapKey, value), this.#fixedSize ? 1 : 0);
  }

  /** Every cell is made here, so that all have one shape (the constructor's throwaway one too). */
  #cell(namespace: N | undefined, size: number, map: Map<UK, UV>, capacity: number): DirectMapCell<N, UK, UV> {
    return { namespace, size, map, shared: false, capacity };
  }

  /**
   * Sets a checked entry of estimated `size` bytes in `cell`, charging first what it needs. The
   * common case — fixed-size entries, a Map not handed out — is one lookup, as a hand-written
   * `map.set`: an overwrite changes no size, so the old value is not needed, and a new map key
   * shows as growth of the Map, charged only past the capacity (`#grow`). Kept small, with the
   * rest in `#setSlowly`, so that V8 inlines `put` whole into the caller's loop: TurboFan
   * inlines a function only while its bytecode plus all it inlines stays under a cumulative
   * budget (920 bytecodes); past it, recompiles of the caller called `put` (0.75× a raw Map).
   */
  #set(cell: DirectMapCell<N, UK, UV>, mapKey: UK, value: UV, size: number): void {
    if (!this.#fixedSize || cell.shared) return this.#setSlowly(cell, mapKey, value, size);
    const map = cell.map;
    map.set(mapKey, value);
    if (map.size > cell.capacity) this.#grow(cell, map, mapKey, size, true);
  }

  /** `#set` of entries of varying size, or into a Map an iterator holds (copied first). */
  #setSlowly(cell: DirectMapCell<N, UK, UV>, mapKey: UK, value: UV, size: number): void {
    if (this.#fixedSize) {
      // The copy holds what the Map held: growth past the capacity is still a new map key.
      const map = this.#writable(cell);
      map.set(mapKey, value);
      if (map.size > cell.capacity) this.#grow(cell, map, mapKey, size, true);
      return;
    }
    const old = cell.map.get(mapKey);
    const delta = old === undefined ? size : size - this.#entrySize(mapKey, old);
    if (delta !== 0) this.resize(cell, cell.size + delta);
    this.#writable(cell).set(mapKey, value);
  }

  /**
   * Raises the capacity of `cell` (fixed-size entries of `size` bytes) to cover `map`, which has
   * just grown past it by the new `mapKey`: with the reserve if `withReserve` and the budget
   * allows it, else exactly; undoes the set if even that does not fit (the budget's listener
   * runs on a microtask: nothing else runs in between).
   */
  #grow(cell: DirectMapCell<N, UK, UV>, map: Map<UK, UV>, mapKey: UK, size: number, withReserve: boolean): void {
    const needed = map.size;
    const wanted = withReserve ? Math.floor(reserve(needed * size, 0) / size) : needed;
    const capacity = this.ctx.memory.allows((wanted - cell.capacity) * size) ? wanted : needed;
    try {
      this.resize(cell, cell.size + (capacity - cell.capacity) * size);
    } catch (e) {
      map.delete(mapKey);
      throw e;
    }
    cell.capacity = capacity;
  }

  get(key: K, mapKey: UK, namespace?: N): UV | undefined {
    const value = this.#cellOf(key, namespace)?.map.get(mapKey);
    // A hit needs no check: only checked map keys are stored.
    if (value === undefined) this.#mapKey.check(mapKey);
    return value;
  }

  contains(key: K, mapKey: UK, namespace?: N): boolean {
    const found = this.#cellOf(key, namespace)?.map.has(mapKey) === true;
    if (!found) this.#mapKey.check(mapKey);
    return found;
  }

  put(key: K, mapKey: UK, value: UV, namespace?: N): void {
    if (namespace !== undefined || !this.fast) return this.#putLocated(key, mapKey, value, namespace);
    this.checkFast();
    const size = this.#entrySize(mapKey, value);
    const cell = this.fastCell(key);
    if (cell === undefined) this.insertFast(key, this.#newCell(undefined, 0, mapKey, value, size));
    else this.#set(cell, mapKey, value, size);
  }

  /** `put` on the general path (a namespace, or a key that is not primitive). */
  #putLocated(key: K, mapKey: UK, value: UV, namespace: N | undefined): void {
    const loc = this.locate(key, namespace);
    const size = this.#entrySize(mapKey, value);
    const cell = this.lookup(loc);
    if (cell === undefined) this.insert(loc, this.#newCell(loc.namespace, loc.nsSize, mapKey, value, size));
    else this.#set(cell, mapKey, value, size);
  }

  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: N): void {
    const loc = this.locate(key, namespace);
    // Checked and collapsed first, then charged once. Setting the collapsed Map's entries in its
    // order is the same as setting the batch's one by one: a Map keeps a key's first position.
    const batch = new Map<UK, UV>();
    for (const entry of checkIterable(entries, this.name, 'entries')) {
      const pair = checkEntry(entry, this.name, 'entries');
      this.#entrySize(pair[0], pair[1]);
      batch.set(pair[0], pair[1]);
    }
    const cell = this.lookup(loc);
    // Nothing to write, but the key was checked (by the lookup) as by any call.
    if (batch.size === 0) return;
    let delta = 0;
    let added = 0;
    let entryBytes = 0;
    for (const [mapKey, value] of batch) {
      const old = cell?.map.get(mapKey);
      if (old === undefined) added++;
      entryBytes = this.#entrySize(mapKey, value);
      delta += entryBytes - (old === undefined ? 0 : this.#entrySize(mapKey, old));
    }
    if (cell === undefined) {
      this.insert(loc, this.#cell(loc.namespace, CELL_OVERHEAD + loc.nsSize + delta, batch, this.#fixedSize ? batch.size : 0));
      return;
    }
    if (this.#fixedSize) {
      // Every entry is `entryBytes`: new map keys past the capacity are charged exactly.
      const capacity = Math.max(cell.capacity, cell.map.size + added);
      if (capacity > cell.capacity) this.resize(cell, cell.size + (capacity - cell.capacity) * entryBytes);
      cell.capacity = capacity;
    } else {
      this.resize(cell, cell.size + delta);
    }
    const map = this.#writable(cell);
    for (const [mapKey, value] of batch) map.set(mapKey, value);
  }

  remove(key: K, mapKey: UK, namespace?: N): void {
    const loc = this.locate(key, namespace);
    this.#mapKey.check(mapKey);
    const cell = this.lookup(loc);
    const old = cell?.map.get(mapKey);
    if (cell === undefined || old === undefined) return;
    if (cell.map.size === 1) {
      this.removeAt(loc);
    } else {
      // Fixed sizes: the capacity falls with the entry, so the reserve stays as it was.
      this.resize(cell, cell.size - this.#entrySize(mapKey, old));
      if (this.#fixedSize) cell.capacity--;
      this.#writable(cell).delete(mapKey);
    }
  }

  // One iterator creation site per method, as the LSM map state's cached path: the cell's Map,
  // or NO_ENTRIES when the key has none (no Map allocated per absent key).

  entries(key: K, namespace?: N): IterableIterator<[UK, UV]> {
    return this.#shared(key, namespace).entries();
  }

  mapKeys(key: K, namespace?: N): IterableIterator<UK> {
    return this.#shared(key, namespace).keys();
  }

  values(key: K, namespace?: N): IterableIterator<UV> {
    return this.#shared(key, namespace).values();
  }

  /** The Map of (`key`, `namespace`) to iterate, marked shared; {@link NO_ENTRIES} when absent. */
  #shared(key: K, namespace: N | undefined): ReadonlyMap<UK, UV> {
    const cell = this.#cellOf(key, namespace);
    if (cell === undefined) return NO_ENTRIES;
    cell.shared = true;
    return cell.map;
  }

  isEmpty(key: K, namespace?: N): boolean {
    const cell = this.#cellOf(key, namespace);
    return cell === undefined;
  }

  /** One engine entry per map key: `prefix ‖ serialized map key` → serialized value. */
  protected encodeCell(cell: DirectMapCell<N, UK, UV>, prefix: Uint8Array, put: (key: Uint8Array, value: Uint8Array) => void): void {
    for (const [mapKey, value] of cell.map) {
      const keyBytes = this.#mapKey.serialize(mapKey);
      const key = new Uint8Array(prefix.length + keyBytes.length);
      key.set(prefix, 0);
      key.set(keyBytes, prefix.length);
      put(key, this.#value.serialize(value));
    }
  }

  protected decodeEntry(loc: Location<K, N>, rest: Uint8Array, stored: Uint8Array): void {
    const mapKey = this.#mapKey.deserialize(rest.slice());
    const value = this.#value.deserialize(stored.slice());
    const size = this.#entrySize(mapKey, value);
    const cell = this.lookup(loc);
    if (cell === undefined) this.insert(loc, this.#newCell(loc.namespace, loc.nsSize, mapKey, value, size));
    else if (this.#fixedSize) this.#setExactly(cell, mapKey, value, size);
    else this.#set(cell, mapKey, value, size);
  }

  /**
   * `#set` of a fixed-size entry growing the charge by exactly what it needs: a restore charges
   * exactly (docs/state-layout.md), as `putAll` does, where puts one by one take a reserve.
   */
  #setExactly(cell: DirectMapCell<N, UK, UV>, mapKey: UK, value: UV, size: number): void {
    const map = this.#writable(cell);
    map.set(mapKey, value);
    if (map.size > cell.capacity) this.#grow(cell, map, mapKey, size, false);
  }

  // Without TTL nothing expires: HeapState calls these only for states with TTL.
  protected isLive(): boolean {
    return true;
  }

  protected purge(): PurgeResult {
    return { removed: 0, empty: false };
  }
}
