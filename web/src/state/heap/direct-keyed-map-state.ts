/**
 * {@link MapState} on the heap for the common shape — a key, map keys and values of built-in
 * primitive serializers, no namespace serializer, no TTL — kept in one Map of key → map record,
 * the record holding the key's Map of map key → value: as a hand-written
 * `Map<K, Map<UK, UV>>`. {@link DirectHeapMapState} serves primitive map keys and values with a
 * namespace serializer (or a key that is not primitive) through HeapState's key entry → cell →
 * Map; {@link HeapMapState} every other descriptor.
 *
 * Why: a put then costs one Map lookup for the record and the entry Map's set, where the
 * HeapState table follows key entry → void-namespace cell → Map (in Chromium's state bench
 * DirectHeapMapState ran MapState put at about 0.8× a raw Map).
 *
 * Why it is sound without key entries and cells: primitive keys are their own identity
 * (identity.ts), so the Map key is the state key; without a namespace serializer no call may
 * name a namespace, so the void namespace is the whole state (see direct-single-value-state.ts).
 * Within a record, DirectHeapMapState's argument holds: primitive map keys are their own
 * identity, primitive values are never `undefined` (so `map.get` tells absence by itself), and
 * primitive serializers' `check` gives the same size for the same value, so an entry's size is
 * recomputed from its map key and value when it is overwritten or removed.
 *
 * Snapshots: `entries`, `mapKeys` and `values` hand out the record's Map's own iterators and mark
 * the record `shared`; the next change to a shared record copies the Map first (copy-on-write),
 * so an iterator sees the entries as they were at the call. Removing the last entry drops the
 * record without touching its Map. An absent key iterates one shared empty Map.
 *
 * Memory, charged as HeapState charges the same calls (`KEY_OVERHEAD + CELL_OVERHEAD` + key size
 * + entries, each entry `MAP_ENTRY_OVERHEAD` + map key size + value size): entries of varying
 * size exactly; entries of one size (fixed-size map key and value serializers, see
 * {@link hasFixedSize}) with a reserve, as DirectHeapMapState does — a put of a new map key past
 * the charge charges for half as much again as the entries then need (see {@link reserve};
 * exactly what they need when the budget refuses that), so most puts of a new map key charge
 * nothing. A record keeps how many entries its charge covers (`capacity`, 0 while shared and for
 * varying sizes), so that such a put is one comparison and the set. A new key, `putAll` and
 * restores charge exactly what is past the charge; a removal releases its entry, keeping the
 * reserve as it was.
 *
 * Invariants (beside DirectState's):
 * - Every stored map key and value was validated by its serializer: a hit needs no check.
 * - A record's Map is never empty (removing its last entry removes the key).
 * - `charged` is at least the exact estimate of a record's entries (equal to it for varying
 *   sizes); `capacity` is `⌊charged / entry size⌋` for fixed sizes while not `shared`, else 0, so
 *   `map.size < capacity` means one more entry is charged for. `bytes` is the sum over records
 *   of `ENTRY_OVERHEAD + key size + charged`.
 * - `get`, `contains` and `put` test nothing about the state on their common path: a dropped or
 *   closed state's `byKey` is GONE, so they miss and their miss path checks `gone` (as in
 *   DirectHeapListState).
 * - A call that throws has changed nothing: inputs are checked and memory charged before `byKey`
 *   or a record is touched.
 */
import { checkEntry, checkIterable } from '../bulk-args.js';
import { decodeRestoredKey } from '../canonical/restored-key.js';
import { keyGroupOf } from '../key-groups.js';
import { stateKey } from '../key-layout.js';
import type { MapState, MapStateDescriptor, Serializer } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { isPrimitiveSerializer } from './identity.js';
import { NO_ENTRIES } from './direct-state-parts.js';
import { DirectState } from './direct-state.js';
import { fixedSizeOf, hasFixedSize, KEY_AND_CELL_OVERHEAD as ENTRY_OVERHEAD, MAP_ENTRY_OVERHEAD, reserve } from './memory-budget.js';

/** One key's map. */
interface MapRecord<UK, UV> {
  /** Map key → value; never empty, and never changed in place while `shared`. */
  map: Map<UK, UV>;
  /** Whether an iterator over `map` was handed out since it was last copied. */
  shared: boolean;
  /** Bytes charged for the entries. */
  charged: number;
  /** How many entries `charged` covers: 0 while `shared`, and for entries of varying sizes. */
  capacity: number;
}

export class DirectKeyedHeapMapState<K, UK, UV> extends DirectState<K, MapRecord<UK, UV>> implements MapState<K, UK, UV, undefined> {
  readonly kind = 'map' as const;
  readonly #mapKey: Serializer<UK>;
  readonly #value: Serializer<UV>;
  /** The one estimated size of every entry (map key and value serializers of fixed size), else 0. */
  readonly #entryBytes: number;

  /** Whether `descriptor` has the shape this class serves. */
  static fits(descriptor: MapStateDescriptor<unknown, unknown, unknown, unknown>): boolean {
    return (
      descriptor.ttl === undefined &&
      descriptor.namespace === undefined &&
      isPrimitiveSerializer(descriptor.key) &&
      isPrimitiveSerializer(descriptor.mapKey) &&
      isPrimitiveSerializer(descriptor.value)
    );
  }

  constructor(ctx: HeapContext, descriptor: MapStateDescriptor<K, UK, UV, unknown>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.#mapKey = descriptor.mapKey;
    this.#value = descriptor.value;
    const fixed = hasFixedSize(descriptor.mapKey) && hasFixedSize(descriptor.value);
    this.#entryBytes = fixed ? MAP_ENTRY_OVERHEAD + fixedSizeOf(descriptor.mapKey) + fixedSizeOf(descriptor.value) : 0;
    // A throwaway record's changing fields written twice, so that V8 compiles nothing on them as
    // constants (see HeapState's constructor): iteration, copy-on-write and growth change them
    // (iteration first in the bench's map phases, after the puts were compiled).
    const record = this.#record(new Map(), 0);
    record.shared = true;
    record.map = new Map();
    record.charged = 1;
    record.capacity = 1;
  }

  // -- MapState -------------------------------------------------------------------------------

  get(key: K, mapKey: UK, namespace?: undefined): UV | undefined {
    if (namespace !== undefined) this.#refuse();
    const record = this.byKey.get(key);
    const value = record?.map.get(mapKey);
    if (value === undefined) this.#missed(key, record, mapKey);
    return value;
  }

  contains(key: K, mapKey: UK, namespace?: undefined): boolean {
    if (namespace !== undefined) this.#refuse();
    const record = this.byKey.get(key);
    const found = record !== undefined && record.map.has(mapKey);
    if (!found) this.#missed(key, record, mapKey);
    return found;
  }

  /**
   * The common case — fixed-size entries, the Map not handed out, its charge covering one more
   * entry — is one lookup for the record, one compare and the set, as a hand-written
   * `Map<K, Map<UK, UV>>` put: the set adds at most one entry, so nothing is charged. Everything
   * else is in `#putSlowly`.
   */
  put(key: K, mapKey: UK, value: UV, namespace?: undefined): void {
    if (namespace !== undefined) this.#refuse();
    const size = MAP_ENTRY_OVERHEAD + this.#mapKey.check(mapKey) + this.#value.check(value);
    const record = this.byKey.get(key);
    if (record !== undefined && record.map.size < record.capacity) record.map.set(mapKey, value);
    else this.#putSlowly(key, record, mapKey, value, size);
  }

  /**
   * Sets checked `mapKey` → `value` (of `size` bytes) in the map of `key`, whose record is
   * `record` (undefined: a new key, admitted here): everything but `put`'s common case — a new
   * key (charged exactly, as `putAll` charges), a Map an iterator holds (copied first), entries
   * of varying sizes (charged exactly), a new map key past the charge (with the reserve if the
   * budget allows it, else exactly, which throws, changing nothing, if that does not fit
   * either). An overwrite of a fixed-size entry changes no size.
   *
   * It charges before changing anything, at one site, and calls no helper of its own on the
   * paths a state of fixed-size entries takes while its maps grow (`#checkOwned`, `#sizeChange`
   * and `#unshare` serve a partial key-group range, varying sizes and iterated maps): V8
   * inlines `put` into its caller's loop only while `put`'s bytecode plus all it inlines (this,
   * once warm-up made it hot, with what it calls), times 1.2, fits TurboFan's cumulative budget
   * of 920 bytecodes — counted from `put`'s own optimized code once it has some. With helpers
   * for admitting, growing and making records, and a separate path for varying sizes, that
   * came to 780-850 (×1.2: 940-1020), and recompiles of the caller called `put`; now 738
   * (Chromium, --trace-turbo-inlining).
   */
  #putSlowly(key: K, record: MapRecord<UK, UV> | undefined, mapKey: UK, value: UV, size: number): void {
    if (this.gone === true) this.checkUsable();
    const entryBytes = this.#entryBytes;
    let delta = 0;
    let target = record;
    if (target === undefined) {
      if (this.ownsAll === false) this.#checkOwned(key);
      delta = ENTRY_OVERHEAD + this.keySerializer.check(key);
      // `#record`'s literal, written out: one object shape (same properties, same order). Stored
      // once charged.
      target = { map: new Map<UK, UV>(), shared: false, charged: 0, capacity: 0 };
    }
    const map = target.map;
    const old = map.get(mapKey);
    const had = target.charged;
    let charged = had;
    if (entryBytes === 0) {
      charged += this.#sizeChange(mapKey, old, size);
    } else if (old === undefined) {
      // A new map key past the charge: exactly for a new map, else with the reserve if the
      // budget allows it.
      const needed = (map.size + 1) * entryBytes;
      if (needed > had) {
        const wanted = reserve(needed, 0);
        charged = record !== undefined && this.ctx.memory.allows(wanted - had) ? wanted : needed;
      }
    }
    delta += charged - had;
    if (delta !== 0) {
      this.ctx.memory.charge(delta, this.name);
      this.bytes += delta;
    }
    if (target.shared) this.#unshare(target);
    target.map.set(mapKey, value);
    target.charged = charged;
    target.capacity = (charged / entryBytes) | 0;
    if (record === undefined) this.byKey.set(key, target);
  }

  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: undefined): void {
    this.#enter(namespace);
    // Checked and collapsed first, then charged once. Setting the collapsed Map's entries in its
    // order is the same as setting the batch's one by one: a Map keeps a key's first position.
    const batch = new Map<UK, UV>();
    for (const entry of checkIterable(entries, this.name, 'entries')) {
      const pair = checkEntry(entry, this.name, 'entries');
      this.#entrySize(pair[0], pair[1]);
      batch.set(pair[0], pair[1]);
    }
    if (batch.size !== 0) this.#putBatch(key, batch);
    // Nothing to write, but the key is checked as by any call (a bad or foreign key throws).
    else if (!this.byKey.has(key)) this.admit(key);
  }

  /**
   * Sets the checked entries of `batch` (not empty; kept as the key's Map when the key is new)
   * under `key`, admitting a new key and charging first, exactly what is past the charge.
   */
  #putBatch(key: K, batch: Map<UK, UV>): void {
    const record = this.byKey.get(key);
    const entryBytes = this.#entryBytes;
    let used = 0;
    let had = 0;
    let delta = 0;
    if (record === undefined) {
      for (const [mapKey, value] of batch) used += this.#entrySize(mapKey, value);
      delta = ENTRY_OVERHEAD + this.admit(key);
    } else if (entryBytes !== 0) {
      had = record.charged;
      let added = 0;
      for (const mapKey of batch.keys()) if (!record.map.has(mapKey)) added++;
      used = (record.map.size + added) * entryBytes;
    } else {
      had = used = record.charged;
      for (const [mapKey, value] of batch) {
        const old = record.map.get(mapKey);
        used += this.#entrySize(mapKey, value) - (old === undefined ? 0 : this.#entrySize(mapKey, old));
      }
    }
    const charged = entryBytes === 0 ? used : Math.max(used, had);
    this.charge(delta + charged - had);
    if (record === undefined) {
      this.byKey.set(key, this.#record(batch, charged));
      return;
    }
    const map = this.#writable(record);
    for (const [mapKey, value] of batch) map.set(mapKey, value);
    record.charged = charged;
    record.capacity = this.#capacityOf(charged);
  }

  remove(key: K, mapKey: UK, namespace?: undefined): void {
    this.#enter(namespace);
    this.#mapKey.check(mapKey);
    const record = this.byKey.get(key);
    if (record === undefined) {
      this.admit(key);
      return;
    }
    const old = record.map.get(mapKey);
    if (old === undefined) return;
    if (record.map.size === 1) {
      this.removeKey(key, record.charged);
      return;
    }
    // Fixed sizes: the charge falls by the entry, so the reserve stays as it was.
    const size = this.#entrySize(mapKey, old);
    this.charge(-size);
    this.#writable(record).delete(mapKey);
    record.charged -= size;
    record.capacity = this.#capacityOf(record.charged);
  }

  // One iterator creation site per method, as DirectHeapMapState: the record's Map, or
  // NO_ENTRIES when the key has none (no Map allocated per absent key).

  entries(key: K, namespace?: undefined): IterableIterator<[UK, UV]> {
    return this.#shared(key, namespace).entries();
  }

  mapKeys(key: K, namespace?: undefined): IterableIterator<UK> {
    return this.#shared(key, namespace).keys();
  }

  values(key: K, namespace?: undefined): IterableIterator<UV> {
    return this.#shared(key, namespace).values();
  }

  /** The Map of `key` to iterate, marked shared; {@link NO_ENTRIES} when absent. */
  #shared(key: K, namespace: unknown): ReadonlyMap<UK, UV> {
    this.#enter(namespace);
    const record = this.byKey.get(key);
    if (record === undefined) {
      this.admit(key);
      return NO_ENTRIES;
    }
    record.shared = true;
    record.capacity = 0;
    return record.map;
  }

  isEmpty(key: K, namespace?: undefined): boolean {
    this.#enter(namespace);
    const record = this.byKey.get(key);
    if (record === undefined) this.admit(key);
    return record === undefined;
  }

  clear(key: K, namespace?: undefined): void {
    this.#enter(namespace);
    const record = this.byKey.get(key);
    if (record === undefined) this.admit(key);
    else this.removeKey(key, record.charged);
  }

  // -- storage --------------------------------------------------------------------------------

  /** Throws unless the state is usable and `namespace` is absent (there is no namespace serializer). */
  #enter(namespace: unknown): void {
    if (this.gone === true || namespace !== undefined) this.#refuse();
  }

  /** Throws: the state is unusable, or else a namespace was given (there is no namespace serializer). */
  #refuse(): never {
    this.checkUsable();
    this.refuseNamespace();
  }

  /** Validates what a hit needs not, after a `get` or `contains` of `key` (whose record is `record`) missed. */
  #missed(key: K, record: MapRecord<UK, UV> | undefined, mapKey: UK): void {
    if (this.gone === true) this.checkUsable();
    // The map key first, as the general class checks it.
    this.#mapKey.check(mapKey);
    if (record === undefined) this.admit(key);
  }

  /**
   * Throws for a bad `key`, and `KeyGroupOutOfRangeError` for a key of a key group this instance
   * does not own (the key group memoized by KeyContext).
   */
  #checkOwned(key: K): void {
    this.ctx.keys.keyGroupOf(this.keySerializer, key);
  }

  /**
   * How much the entry of checked `mapKey` grows when a value making it `size` bytes replaces
   * `old` (none: a new entry).
   */
  #sizeChange(mapKey: UK, old: UV | undefined, size: number): number {
    return old === undefined ? size : size - this.#entrySize(mapKey, old);
  }

  /** Estimated bytes of one entry (validates both). */
  #entrySize(mapKey: UK, value: UV): number {
    return MAP_ENTRY_OVERHEAD + this.#mapKey.check(mapKey) + this.#value.check(value);
  }

  /**
   * An unshared record of `map`, charged `charged`. Every record is made here (or as this
   * literal, written out in `#putSlowly`), so that all have one shape.
   */
  #record(map: Map<UK, UV>, charged: number): MapRecord<UK, UV> {
    return { map, shared: false, charged, capacity: this.#capacityOf(charged) };
  }

  /**
   * `capacity` of an unshared record charged `charged` bytes: 0 for entries of varying size
   * (`charged / 0` is Infinity or NaN, and either `| 0` is 0).
   */
  #capacityOf(charged: number): number {
    return (charged / this.#entryBytes) | 0;
  }

  /** `record.map`, copied first if an iterator over it was handed out (see the module comment). */
  #writable(record: MapRecord<UK, UV>): Map<UK, UV> {
    if (record.shared) this.#unshare(record);
    return record.map;
  }

  /** Copies `record.map`, which an iterator was handed out over (see the module comment). */
  #unshare(record: MapRecord<UK, UV>): void {
    record.map = new Map(record.map);
    record.shared = false;
  }

  // -- checkpoints ------------------------------------------------------------------------------

  /** Writes every entry in the canonical layout: `stateKey(group, key) ‖ map key` → serialized value. */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void {
    this.checkUsable();
    const maxParallelism = this.ctx.keys.maxParallelism;
    for (const [key, record] of this.byKey) {
      const keyBytes = this.keySerializer.serialize(key);
      const keyGroup = keyGroupOf(keyBytes, maxParallelism);
      for (const [mapKey, value] of record.map) {
        put(stateKey(keyGroup, keyBytes, undefined, this.#mapKey.serialize(mapKey)), this.#value.serialize(value));
      }
    }
  }

  /**
   * Loads one entry of the canonical layout (as `writeCanonical` writes it), checking and
   * charging it as `putAll` does (exactly). Throws `CorruptionError` for bytes that do not
   * decode (or a namespace, which this state cannot hold), `KeyGroupOutOfRangeError` for a key
   * this instance does not own.
   */
  restoreCanonical(key: Uint8Array, value: Uint8Array): void {
    const d = decodeRestoredKey(this.name, key, this.keySerializer, this.ctx.keys.maxParallelism, false);
    const mapKey = this.#mapKey.deserialize(d.mapKey.slice());
    const v = this.#value.deserialize(value.slice());
    this.#enter(undefined);
    this.#entrySize(mapKey, v);
    this.#putBatch(d.key, new Map([[mapKey, v]]));
  }
}
