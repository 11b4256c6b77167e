/**
 * MapState on LSM: one engine entry per map entry, keyed `state key ‖ serialized map key`, so a
 * map is one contiguous key range: iteration is a prefix scan in the byte order of the
 * serialized map keys, and clearing a map is one range deletion.
 *
 * With a write-back cache (no TTL, primitive keys, namespaces and map keys; see cell-cache.ts) a
 * cell holds the entries of one map that are known — all of them when `complete` (the map was
 * scanned, or was empty when first written) — and the changes the engine lacks. Complete cells
 * are iterated from memory, in the same byte order the engine would give: an iteration gets the
 * cell's own Map iterator, and the next write copies the Map (copy-on-write), so what it sees
 * is the map as it was when it started.
 *
 * With TTL there is no cache: iteration reads the engine. Under `onReadAndWrite` every live
 * entry an iteration returns is a read and restarts its lifetime, as in Flink's TtlMapState
 * (which restamps each entry as its iterator reaches it) and the heap backend; `isEmpty` reads
 * no entry for the caller and restamps none, as on the heap.
 */
import type { ColumnFamily } from '../../engine/column-family.js';
import { WriteBatch } from '../../engine/write-batch.js';
import { checkEntry, checkIterable } from '../bulk-args.js';
import { compareBytes, decodeStateKey } from '../key-layout.js';
import type { MapState, MapStateDescriptor, Serializer } from '../types.js';
import { compareCodePoints } from '../serde/unicode.js';
import { CellCache, isCacheableSerializer, type CachedCell } from './cell-cache.js';
import { LsmState, prefixEnd, type LsmContext } from './lsm-state.js';
import { ValueSize } from './value-size.js';

/** A map key known to be absent whose delete the engine may still lack. */
const ABSENT: unique symbol = Symbol('absent');

/** An engine entry an iteration read and will write again when it ends (see `#engineEntries`). */
interface MetEntry {
  /** Engine key (a copy). */
  readonly k: Uint8Array;
  /** The stored bytes as read, TTL frame included (a copy). */
  readonly raw: Uint8Array;
  /** Whether it was expired when read: deleted at the end, else restamped. */
  readonly expired: boolean;
}

/** A cached map (see the module comment). */
interface MapCell<UK, UV> extends CachedCell {
  /** Engine key prefix of the map's entries. */
  readonly prefix: Uint8Array;
  /**
   * Known entries. Incomplete cells also mark removed or known-absent map keys `ABSENT`;
   * complete ones never hold `ABSENT` (absence is implied), so their Map is the map.
   */
  entries: Map<UK, UV | typeof ABSENT>;
  /** Whether every entry of the map is in `entries`. */
  complete: boolean;
  /** Complete cells: whether `entries` is in the serialized map keys' byte order. */
  sorted: boolean;
  /** Complete and sorted cells: the greatest key in `entries`. */
  last: UK | undefined;
  /**
   * Whether the engine holds none of this map's entries (it was empty when the cell was made, or
   * was cleared) and nothing was written back since: then every entry is a change and
   * `changed` stays empty (one Set insert less per put while a map is being built).
   */
  fresh: boolean;
  /** Map keys whose entry the engine lacks (unless `fresh`). */
  readonly changed: Set<UK>;
  /** Whether the engine still holds entries this map no longer has (after `clear`). */
  cleared: boolean;
  /** Whether an iteration was handed `entries`: the next write copies the Map first (copy-on-write). */
  shared: boolean;
}

/** The byte order of serialized keys, for the primitive serializer `id`, on the JS values. */
function keyOrder(id: string): (a: unknown, b: unknown) => number {
  if (id !== 'string') {
    // Numbers (sign-flipped big-endian), bigints and booleans serialize in natural order.
    return (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);
  }
  // WTF-8 byte order is code point order (a lone surrogate its own code point), which is not
  // JavaScript's `<` on UTF-16 units.
  return (a, b) => compareCodePoints(a as string, b as string);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class LsmMapState<K, UK, UV, N> extends LsmState<K, N> implements MapState<K, UK, UV, N> {
  readonly kind = 'map' as const;
  readonly #mapKey: Serializer<UK>;
  readonly #value: Serializer<UV>;
  readonly #cache: CellCache<MapCell<UK, UV>> | undefined;
  /**
   * Map value sizes against the engine's maxValueSize, for what the cache holds back
   * (value-size.ts). Each map entry is an engine value of its own (put or delete at write-back),
   * so no combination of entries makes a larger one: checking each value is enough.
   */
  readonly #size: ValueSize<UV>;
  readonly #order: (a: unknown, b: unknown) => number;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: MapStateDescriptor<K, UK, UV, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.#mapKey = descriptor.mapKey;
    this.#value = descriptor.value;
    this.#order = keyOrder(descriptor.mapKey.id);
    this.#cache =
      ctx.cacheEntries > 0 &&
      descriptor.ttl === undefined &&
      isCacheableSerializer(descriptor.key) &&
      isCacheableSerializer(descriptor.namespace) &&
      isCacheableSerializer(descriptor.mapKey)
        ? new CellCache<MapCell<UK, UV>>(ctx.cacheEntries, ctx)
        : undefined;
    this.#size = new ValueSize(descriptor.value, ctx.db.limits.maxValueSize, this.name);
  }

  // -- engine access ---------------------------------------------------------------------------

  /** The live value at engine key `k` (TTL: cleanup and refresh on read). */
  #readAt(k: Uint8Array): { readonly value: UV } | undefined {
    this.ctx.stats.reads++;
    const live = this.readLive(k, false);
    return live === undefined ? undefined : { value: this.#value.deserialize(live.bytes) };
  }

  /**
   * Live entries of the map at `prefix` as `[mapKey bytes, value bytes]` (copies), in map-key
   * byte order. Under TTL, when the iteration ends (exhausted, or left by `break`/`return()`),
   * one batch deletes the expired entries it met and, with `reads` under `onReadAndWrite`,
   * restamps the live ones it returned: each is recorded before it is yielded, so an iteration
   * left half-way restamps what the caller got and nothing more — per entry as read, as
   * Flink's iterator does; restamping unread entries would cost a scan of the rest of the map.
   * An iterator dropped without `return()` never ends: its entries keep their stamps.
   */
  *#engineEntries(prefix: Uint8Array, reads: boolean): Generator<readonly [Uint8Array, Uint8Array]> {
    this.ctx.stats.reads++;
    const now = this.ctx.clock.now();
    const restamp = reads && this.ttl?.refreshOnRead === true;
    const met: MetEntry[] = [];
    const changes = this.writeCount;
    try {
      for (const [k, raw] of this.cf.entries({ prefix })) {
        const { value, expired, timestamp } = this.unstamp(raw, now);
        // A stamp already at `now` needs no rewrite (an iteration right after a write, say).
        if (expired || (restamp && timestamp < now)) met.push({ k, raw, expired });
        if (expired && this.ttl?.returnExpired !== true) continue;
        yield [decodeStateKey(k).mapKey, value] as const;
      }
    } finally {
      this.#rewriteMet(met, changes, now);
    }
  }

  /**
   * Deletes the expired entries of `met` and restamps the others at `now`, in one batch. An
   * entry no longer stored as read (the state changed since `changes`: written, removed, or
   * restamped by a later read) is left as it is now: the write wins over the iteration. Nothing
   * is written once the state is gone (dropped, or the backend closed) during the iteration.
   */
  #rewriteMet(met: readonly MetEntry[], changes: number, now: number): void {
    if (met.length === 0 || this.gone || this.ctx.db.closed) return;
    const current = this.writeCount === changes ? undefined : this.cf.multiGet(met.map((m) => m.k));
    const batch = new WriteBatch();
    let expired = 0;
    met.forEach((m, i) => {
      const stored = current?.[i];
      if (current !== undefined && (stored === undefined || compareBytes(stored, m.raw) !== 0)) return;
      if (m.expired) {
        batch.delete(m.k, this.cf);
        expired++;
      } else {
        batch.put(m.k, this.stamp(this.unstamp(m.raw, now).value, now), this.cf);
      }
    });
    if (batch.count === 0) return;
    this.ctx.db.write(batch);
    this.countExpiredRemoved(expired);
  }

  // -- the cache ---------------------------------------------------------------------------------

  /**
   * The cell of (key, namespace); validates the key. A new cell is entered in the cache; with
   * `probe` it is first checked against the engine, and when the map is empty there it starts
   * complete (so a map built by puts is iterated from memory).
   */
  #cell(cache: CellCache<MapCell<UK, UV>>, key: K, namespace: N | undefined, probe: boolean): MapCell<UK, UV> {
    this.checkUsable();
    const cached = cache.get(key, namespace);
    if (cached !== undefined) return cached;
    const prefix = this.locate(key, namespace);
    // One crossing: a keys-only scan of at most one entry, without an iterator's snapshot.
    const complete = probe && this.cf.count({ prefix, limit: 1 }) === 0;
    const cell: MapCell<UK, UV> = {
      key,
      namespace,
      weight: 1,
      dirty: false,
      prefix,
      entries: new Map(),
      complete,
      sorted: true,
      last: undefined,
      fresh: complete,
      changed: new Set(),
      cleared: false,
      shared: false,
    };
    cache.add(cell);
    return cell;
  }

  /** `cell.entries`, safe to change: replaced by a copy while iterations read it. */
  #writable(cell: MapCell<UK, UV>): Map<UK, UV | typeof ABSENT> {
    if (cell.shared) {
      cell.entries = new Map(cell.entries);
      cell.shared = false;
    }
    return cell.entries;
  }

  /**
   * Records `value` (`ABSENT`: a removal) for `mapKey` in `cell` as a change for the engine;
   * returns how many entries the cell gained (-1, 0 or 1), for the caller to reweigh it once its
   * changes are all made (reweighing may evict the cell: a change after that would go to a cell
   * the cache no longer holds).
   */
  #change(cache: CellCache<MapCell<UK, UV>>, cell: MapCell<UK, UV>, mapKey: UK, value: UV | typeof ABSENT): number {
    this.countWrite(value === ABSENT);
    const entries = this.#writable(cell);
    const isNew = !entries.has(mapKey);
    let grew = 0;
    if (value === ABSENT && cell.complete) {
      // A complete map has no entry for a key it does not have; the engine may still have one.
      if (isNew) return 0;
      entries.delete(mapKey);
      grew = -1;
    } else {
      entries.set(mapKey, value);
      if (isNew) grew = 1;
      if (isNew && cell.complete && cell.sorted) {
        if (cell.last === undefined || this.#order(cell.last, mapKey) < 0) cell.last = mapKey;
        else cell.sorted = false;
      }
    }
    if (!cell.fresh) cell.changed.add(mapKey);
    // Dirty first: growing may evict, and eviction writes every dirty cell out.
    cache.markDirty(cell);
    return grew;
  }

  /**
   * The cell of (key, namespace) holding the whole map, sorted: read from the engine (after
   * writing back what the caches hold) if it was not complete.
   */
  #completeCell(cache: CellCache<MapCell<UK, UV>>, key: K, namespace: N | undefined): MapCell<UK, UV> {
    const cell = this.#cell(cache, key, namespace, false);
    if (!cell.complete) {
      this.ctx.flushAll();
      const entries = new Map<UK, UV | typeof ABSENT>();
      let last: UK | undefined;
      // A cached map has no TTL (see the constructor): nothing to restamp.
      for (const [mk, v] of this.#engineEntries(cell.prefix, false)) {
        last = this.#mapKey.deserialize(mk);
        entries.set(last, this.#value.deserialize(v));
      }
      const grew = entries.size - cell.entries.size;
      cell.entries = entries;
      cell.shared = false;
      cell.complete = true;
      cell.sorted = true;
      cell.last = last;
      cache.reweigh(cell, grew);
    } else if (!cell.sorted) {
      const sorted = [...cell.entries].sort((a, b) => this.#order(a[0], b[0]));
      cell.entries = new Map(sorted);
      cell.shared = false;
      cell.sorted = true;
      cell.last = sorted.length === 0 ? undefined : sorted[sorted.length - 1]![0];
    } else {
      this.ctx.stats.reads++;
    }
    return cell;
  }

  /** The entries of the complete cell of (key, namespace), handed to an iteration (see `shared`). */
  #iterable(cache: CellCache<MapCell<UK, UV>>, key: K, namespace: N | undefined): Map<UK, UV> {
    const cell = this.#completeCell(cache, key, namespace);
    cell.shared = true;
    return cell.entries as Map<UK, UV>;
  }

  override collectPending(batch: WriteBatch): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      if (cell.cleared) batch.deleteRange(cell.prefix, prefixEnd(cell.prefix)!, this.cf);
      if (cell.fresh) {
        for (const [mk, v] of cell.entries) batch.put(concat(cell.prefix, this.#mapKey.serialize(mk)), this.#value.serialize(v as UV), this.cf);
        continue;
      }
      for (const mk of cell.changed) {
        const v = cell.entries.get(mk);
        const k = concat(cell.prefix, this.#mapKey.serialize(mk));
        if (v === ABSENT || v === undefined) batch.delete(k, this.cf);
        else batch.put(k, this.#value.serialize(v), this.cf);
      }
    }
  }

  override pendingWritten(): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    for (const cell of cache.dirtyCells()) {
      cell.cleared = false;
      cell.fresh = false;
      cell.changed.clear();
    }
    super.pendingWritten();
  }

  /** Checks the engine key of `mapKey` in `cell` fits (`size`: the map key's `check` estimate). */
  #checkEntryKey(cell: MapCell<UK, UV>, mapKey: UK, size: number): void {
    if (this.nearKeyLimit(cell.prefix.length + size * 1.5 + 8)) this.checkKeyLength(cell.prefix.length + this.#mapKey.serialize(mapKey).length);
  }

  // -- MapState ----------------------------------------------------------------------------------

  get(key: K, mapKey: UK, namespace?: N): UV | undefined {
    const cache = this.#cache;
    if (cache === undefined) return this.#readAt(this.locate(key, namespace, this.#mapKey.serialize(mapKey)))?.value;
    this.#mapKey.check(mapKey);
    const cell = this.#cell(cache, key, namespace, false);
    const known = cell.entries.get(mapKey);
    if (known !== undefined || cell.complete) {
      this.ctx.stats.reads++;
      return known === ABSENT ? undefined : known;
    }
    const value = this.#readAt(concat(cell.prefix, this.#mapKey.serialize(mapKey)))?.value;
    this.#writable(cell).set(mapKey, value === undefined ? ABSENT : value);
    cache.reweigh(cell, 1);
    return value;
  }

  contains(key: K, mapKey: UK, namespace?: N): boolean {
    if (this.#cache !== undefined) return this.get(key, mapKey, namespace) !== undefined;
    return this.#readAt(this.locate(key, namespace, this.#mapKey.serialize(mapKey))) !== undefined;
  }

  put(key: K, mapKey: UK, value: UV, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace, this.#mapKey.serialize(mapKey));
      const bytes = this.stamp(this.#value.serialize(value));
      this.countWrite(false);
      this.cf.put(k, bytes);
      return;
    }
    const size = this.#mapKey.check(mapKey);
    this.#size.check(value, this.#value.check(value));
    // Before the cell is looked up: a retried write-back evicts cells (see CellCache.admit).
    cache.admit();
    const cell = this.#cell(cache, key, namespace, true);
    this.#checkEntryKey(cell, mapKey, size);
    const grew = this.#change(cache, cell, mapKey, value);
    if (grew !== 0) cache.reweigh(cell, grew);
  }

  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      this.locate(key, namespace);
      const batch = new WriteBatch();
      const now = this.ctx.clock.now();
      for (const entry of checkIterable(entries, this.name, 'entries')) {
        const pair = checkEntry(entry, this.name, 'entries');
        batch.put(this.locate(key, namespace, this.#mapKey.serialize(pair[0])), this.stamp(this.#value.serialize(pair[1]), now), this.cf);
      }
      if (batch.count === 0) return;
      this.countWrite(false);
      this.ctx.db.write(batch);
      return;
    }
    // Entries are read by index, not destructured: a pair may be any array-like (see checkEntry).
    const list = [...checkIterable(entries, this.name, 'entries')].map((entry) => checkEntry(entry, this.name, 'entries'));
    const sizes = list.map((e) => {
      this.#size.check(e[1], this.#value.check(e[1]));
      return this.#mapKey.check(e[0]);
    });
    if (list.length > 0) cache.admit();
    const cell = this.#cell(cache, key, namespace, true);
    list.forEach((e, i) => this.#checkEntryKey(cell, e[0], sizes[i]!));
    let grew = 0;
    for (const e of list) grew += this.#change(cache, cell, e[0], e[1]);
    if (grew !== 0) cache.reweigh(cell, grew);
  }

  remove(key: K, mapKey: UK, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      const k = this.locate(key, namespace, this.#mapKey.serialize(mapKey));
      this.countWrite(true);
      this.cf.delete(k);
      return;
    }
    this.#mapKey.check(mapKey);
    cache.admit();
    const cell = this.#cell(cache, key, namespace, false);
    const grew = this.#change(cache, cell, mapKey, ABSENT);
    if (grew !== 0) cache.reweigh(cell, grew);
  }

  override clear(key: K, namespace?: N): void {
    const cache = this.#cache;
    if (cache === undefined) {
      super.clear(key, namespace);
      return;
    }
    cache.admit();
    const cell = this.#cell(cache, key, namespace, false);
    this.countWrite(true);
    const before = cell.entries.size;
    cell.entries = new Map();
    cell.shared = false;
    cell.changed.clear();
    cell.complete = true;
    cell.sorted = true;
    cell.last = undefined;
    cell.cleared = true;
    cell.fresh = true;
    cache.markDirty(cell);
    cache.reweigh(cell, -before);
  }

  protected override removeAll(prefix: Uint8Array): void {
    // A state key starts with its key group (< 0x8000), so it is never all 0xff bytes.
    this.cf.deleteRange(prefix, prefixEnd(prefix)!);
  }

  // With a cache, iteration resolves the map when called (as the heap backend's snapshot);
  // without, when first advanced (the engine scan's implicit snapshot).

  entries(key: K, namespace?: N): IterableIterator<[UK, UV]> {
    const cache = this.#cache;
    if (cache === undefined) return this.#engineEntriesOf(key, namespace);
    return this.#iterable(cache, key, namespace).entries();
  }

  mapKeys(key: K, namespace?: N): IterableIterator<UK> {
    const cache = this.#cache;
    if (cache === undefined) return this.#engineKeysOf(key, namespace);
    return this.#iterable(cache, key, namespace).keys();
  }

  values(key: K, namespace?: N): IterableIterator<UV> {
    const cache = this.#cache;
    if (cache === undefined) return this.#engineValuesOf(key, namespace);
    return this.#iterable(cache, key, namespace).values();
  }

  isEmpty(key: K, namespace?: N): boolean {
    const cache = this.#cache;
    if (cache !== undefined) return this.#completeCell(cache, key, namespace).entries.size === 0;
    for (const _ of this.#engineEntries(this.locate(key, namespace), false)) return false;
    return true;
  }

  *#engineEntriesOf(key: K, namespace: N | undefined): Generator<[UK, UV]> {
    for (const [mk, v] of this.#engineEntries(this.locate(key, namespace), true)) yield [this.#mapKey.deserialize(mk), this.#value.deserialize(v)];
  }

  *#engineKeysOf(key: K, namespace: N | undefined): Generator<UK> {
    for (const [mk] of this.#engineEntries(this.locate(key, namespace), true)) yield this.#mapKey.deserialize(mk);
  }

  *#engineValuesOf(key: K, namespace: N | undefined): Generator<UV> {
    for (const [, v] of this.#engineEntries(this.locate(key, namespace), true)) yield this.#value.deserialize(v);
  }

  protected override writeBackCache(): CellCache<CachedCell> | undefined {
    return this.#cache;
  }

  /**
   * A complete cell is the map; an incomplete one decides only when it holds an entry. One
   * holding back removals (and nothing else) writes them back first, for the engine to decide.
   */
  protected override cachedPresence(key: K, namespace: N | undefined): boolean | undefined {
    const cell = this.#cache?.peek(key, namespace);
    if (cell === undefined) return undefined;
    if (cell.complete) return cell.entries.size > 0;
    for (const v of cell.entries.values()) if (v !== ABSENT) return true;
    if (cell.dirty) this.ctx.flushAll();
    return undefined;
  }
}
