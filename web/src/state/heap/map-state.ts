/**
 * {@link MapState} on the heap: a JavaScript Map per (key, namespace), so iteration is in
 * insertion order (a re-put map key keeps its place). With TTL every entry has its own time.
 * `entries`/`mapKeys`/`values` iterate a snapshot taken at the call. Serves the descriptors that
 * direct-keyed-map-state.ts and direct-map-state.ts do not (TTL, or a map key or value serializer
 * that is not a built-in primitive one), and every map state of a backend with `statistics`:
 * each map key's entry records its key, value, write time and size.
 */
import { checkEntry, checkIterable } from '../bulk-args.js';
import { decodeTtlValue, encodeTtlValue } from '../ttl.js';
import type { MapState, MapStateDescriptor, Serializer } from '../types.js';
import { HeapState, type Cell, type HeapContext, type Location, type PurgeResult } from './heap-state.js';
import { bytesIdentity, isPrimitiveSerializer, type Identity } from './identity.js';
import { CELL_OVERHEAD, MAP_ENTRY_OVERHEAD } from './memory-budget.js';

interface MapEntry<UK, UV> {
  readonly mapKey: UK;
  value: UV;
  ts: number;
  size: number;
}

interface MapCell<N, UK, UV> extends Cell<N> {
  readonly map: Map<Identity, MapEntry<UK, UV>>;
}

export class HeapMapState<K, UK, UV, N> extends HeapState<K, N, MapCell<N, UK, UV>> implements MapState<K, UK, UV, N> {
  readonly kind = 'map' as const;
  readonly #mapKey: Serializer<UK>;
  readonly #mapKeyPrimitive: boolean;
  readonly #value: Serializer<UV>;

  constructor(ctx: HeapContext, descriptor: MapStateDescriptor<K, UK, UV, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.#mapKey = descriptor.mapKey;
    this.#mapKeyPrimitive = isPrimitiveSerializer(descriptor.mapKey as Serializer<unknown>);
    this.#value = descriptor.value;
  }

  /** Validates `mapKey`; returns its identity and estimated size. */
  #resolveMapKey(mapKey: UK): readonly [Identity, number] {
    if (this.#mapKeyPrimitive) return [mapKey as Identity, this.#mapKey.check(mapKey)];
    const bytes = this.#mapKey.serialize(mapKey);
    return [bytesIdentity(bytes), bytes.length];
  }

  /** The live entry of `mapKey`, applying TTL (cleanup and refresh on read). */
  #read(loc: Location<K, N>, id: Identity): MapEntry<UK, UV> | undefined {
    const cell = this.lookup(loc);
    const entry = cell?.map.get(id);
    if (cell === undefined || entry === undefined) return undefined;
    const ttl = this.ttl;
    if (ttl !== undefined) {
      const now = this.ctx.clock.now();
      if (ttl.isExpired(entry.ts, now)) {
        this.#removeEntry(loc, cell, id, entry);
        this.ctx.stats.expiredRemoved++;
        return ttl.returnExpired ? entry : undefined;
      }
      if (ttl.refreshOnRead) entry.ts = now;
    }
    return entry;
  }

  #removeEntry(loc: Location<K, N>, cell: MapCell<N, UK, UV>, id: Identity, entry: MapEntry<UK, UV>): void {
    if (cell.map.size === 1) {
      this.removeAt(loc);
    } else {
      this.resize(cell, cell.size - entry.size);
      cell.map.delete(id);
    }
  }

  get(key: K, mapKey: UK, namespace?: N): UV | undefined {
    const loc = this.locate(key, namespace);
    const [id] = this.#resolveMapKey(mapKey);
    this.reads++;
    const entry = this.#read(loc, id);
    this.afterAccess();
    return entry?.value;
  }

  contains(key: K, mapKey: UK, namespace?: N): boolean {
    const loc = this.locate(key, namespace);
    const [id] = this.#resolveMapKey(mapKey);
    this.reads++;
    const found = this.#read(loc, id) !== undefined;
    this.afterAccess();
    return found;
  }

  put(key: K, mapKey: UK, value: UV, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const [id, keySize] = this.#resolveMapKey(mapKey);
    const size = MAP_ENTRY_OVERHEAD + keySize + this.#value.check(value);
    this.#write(loc, [[id, mapKey, value, size]]);
  }

  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const batch: [Identity, UK, UV, number][] = [];
    for (const entry of checkIterable(entries, this.name, 'entries')) {
      const pair = checkEntry(entry, this.name, 'entries');
      const mapKey = pair[0];
      const value = pair[1];
      const [id, keySize] = this.#resolveMapKey(mapKey);
      batch.push([id, mapKey, value, MAP_ENTRY_OVERHEAD + keySize + this.#value.check(value)]);
    }
    this.#write(loc, batch);
  }

  /** Writes checked entries: charges the net size change once, then applies them in order. */
  #write(loc: Location<K, N>, batch: readonly (readonly [Identity, UK, UV, number])[]): void {
    if (batch.length === 0) {
      // Nothing to write, but the key is checked as by any call (a bad or foreign key throws).
      this.lookup(loc);
      return;
    }
    this.writes++;
    const now = this.ttl === undefined ? 0 : this.ctx.clock.now();
    let cell = this.lookup(loc);
    // Net growth, counting a map key repeated in the batch once (its last value wins).
    const sizes = new Map<Identity, number>();
    for (const [id, , , size] of batch) sizes.set(id, size);
    let delta = 0;
    for (const [id, size] of sizes) delta += size - (cell?.map.get(id)?.size ?? 0);
    if (cell === undefined) {
      cell = { namespace: loc.namespace, size: CELL_OVERHEAD + loc.nsSize + delta, map: new Map() };
      this.insert(loc, cell);
    } else {
      this.resize(cell, cell.size + delta);
    }
    for (const [id, mapKey, value, size] of batch) {
      const entry = cell.map.get(id);
      if (entry === undefined) {
        cell.map.set(id, { mapKey, value, ts: now, size });
      } else {
        entry.value = value;
        entry.ts = now;
        entry.size = size;
      }
    }
    this.afterAccess();
  }

  remove(key: K, mapKey: UK, namespace?: N): void {
    const loc = this.locate(key, namespace);
    const [id] = this.#resolveMapKey(mapKey);
    this.writes++;
    const cell = this.lookup(loc);
    const entry = cell?.map.get(id);
    if (cell !== undefined && entry !== undefined) this.#removeEntry(loc, cell, id, entry);
    this.afterAccess();
  }

  entries(key: K, namespace?: N): IterableIterator<[UK, UV]> {
    return this.#snapshot(key, namespace, (e) => [e.mapKey, e.value] as [UK, UV]);
  }

  mapKeys(key: K, namespace?: N): IterableIterator<UK> {
    return this.#snapshot(key, namespace, (e) => e.mapKey);
  }

  values(key: K, namespace?: N): IterableIterator<UV> {
    return this.#snapshot(key, namespace, (e) => e.value);
  }

  isEmpty(key: K, namespace?: N): boolean {
    const loc = this.locate(key, namespace);
    this.reads++;
    const cell = this.lookup(loc);
    let empty = cell === undefined;
    if (cell !== undefined && this.ttl !== undefined) {
      const now = this.ctx.clock.now();
      empty = !this.ttl.returnExpired && !this.isLive(cell, now);
      const { removed, empty: nothingLeft } = this.purge(cell, now);
      this.ctx.stats.expiredRemoved += removed;
      if (nothingLeft) this.removeAt(loc);
    }
    this.afterAccess();
    return empty;
  }

  /** The live entries at call time, mapped; expired ones are cleaned up (and shown only under returnExpired). */
  #snapshot<T>(key: K, namespace: N | undefined, pick: (e: MapEntry<UK, UV>) => T): IterableIterator<T> {
    const loc = this.locate(key, namespace);
    this.reads++;
    const cell = this.lookup(loc);
    const out: T[] = [];
    if (cell !== undefined) {
      const ttl = this.ttl;
      const now = ttl === undefined ? 0 : this.ctx.clock.now();
      for (const entry of cell.map.values()) {
        if (ttl === undefined) {
          out.push(pick(entry));
        } else if (!ttl.isExpired(entry.ts, now)) {
          if (ttl.refreshOnRead) entry.ts = now;
          out.push(pick(entry));
        } else if (ttl.returnExpired) {
          out.push(pick(entry));
        }
      }
      if (ttl !== undefined) {
        const { removed, empty } = this.purge(cell, now);
        this.ctx.stats.expiredRemoved += removed;
        if (empty) this.removeAt(loc);
      }
    }
    this.afterAccess();
    return out[Symbol.iterator]();
  }

  /** One engine entry per map key: `prefix ‖ serialized map key` → value (TTL-stamped). */
  protected encodeCell(cell: MapCell<N, UK, UV>, prefix: Uint8Array, put: (key: Uint8Array, value: Uint8Array) => void): void {
    for (const entry of cell.map.values()) {
      const mapKey = this.#mapKey.serialize(entry.mapKey);
      const key = new Uint8Array(prefix.length + mapKey.length);
      key.set(prefix, 0);
      key.set(mapKey, prefix.length);
      const bytes = this.#value.serialize(entry.value);
      put(key, this.ttl === undefined ? bytes : encodeTtlValue(entry.ts, bytes));
    }
  }

  protected decodeEntry(loc: Location<K, N>, rest: Uint8Array, stored: Uint8Array): void {
    let ts = 0;
    let bytes = stored;
    if (this.ttl !== undefined) ({ timestamp: ts, value: bytes } = decodeTtlValue(stored));
    const mapKey = this.#mapKey.deserialize(rest.slice());
    const value = this.#value.deserialize(bytes.slice());
    const [id, keySize] = this.#resolveMapKey(mapKey);
    const size = MAP_ENTRY_OVERHEAD + keySize + this.#value.check(value);
    const cell = this.lookup(loc);
    if (cell === undefined) {
      this.insert(loc, { namespace: loc.namespace, size: CELL_OVERHEAD + loc.nsSize + size, map: new Map([[id, { mapKey, value, ts, size }]]) });
    } else {
      this.resize(cell, cell.size + size - (cell.map.get(id)?.size ?? 0));
      cell.map.set(id, { mapKey, value, ts, size });
    }
  }

  protected isLive(cell: MapCell<N, UK, UV>, now: number): boolean {
    for (const entry of cell.map.values()) if (!this.ttl!.isExpired(entry.ts, now)) return true;
    return false;
  }

  protected purge(cell: MapCell<N, UK, UV>, now: number): PurgeResult {
    let removed = 0;
    let freed = 0;
    for (const [id, entry] of cell.map) {
      if (this.ttl!.isExpired(entry.ts, now)) {
        removed++;
        freed += entry.size;
        cell.map.delete(id);
      }
    }
    const empty = cell.map.size === 0;
    if (removed > 0 && !empty) this.resize(cell, cell.size - freed);
    return { removed, empty };
  }
}
