/**
 * What the five heap state kinds share, except the states kept as one Map per key
 * (direct-single-value-state.ts, direct-list-state.ts, direct-keyed-map-state.ts; all implement
 * {@link RegisteredHeapState}): the table (one Map of keys, each entry holding its key group and
 * its cells by namespace), key and namespace resolution, memory accounting, TTL incremental
 * cleanup, iteration, clear and drop. DirectHeapMapState extends it too.
 *
 * Why one Map and not one per key group: an access to a key already in the state is then one
 * Map lookup, with no hashing of the key into its group (only misses and inserts compute the
 * key group, to refuse foreign keys). Measured in Node on 10k keys, a Map per key group plus a
 * key-group memo ran at about a third of the speed of one Map. Every entry records its key
 * group, so state stays enumerable by key group (one pass buckets a snapshot).
 *
 * Two paths. The general one (`locate`, a {@link Location} per call) serves namespaces,
 * non-primitive keys and TTL. The fast one (`fastCell`, `insertFast`, `checkFastKey`) serves
 * the common call — a key of a built-in primitive serializer, the void namespace, no TTL — with
 * one Map lookup and nothing allocated on a hit; kinds use it when `fast` is true and the call
 * has no namespace. Both keep every invariant below.
 *
 * Invariants:
 * - Every entry of `#table` has a key that was validated by the key serializer and is in the
 *   backend's key-group range (both checked when the entry was created); so a hit needs no
 *   check. `entry.keyGroup` is its key group, or {@link UNKNOWN_GROUP} when the backend owns
 *   every key group (no key can be foreign, so primitive keys are not hashed on insert) and the
 *   group has not been needed yet (`keysAndNamespaces(keyGroup)` and checkpoints compute it).
 * - A key entry exists only while it has at least one cell, so iterating never meets empty entries.
 * - `#bytes` is the sum of every key entry's and cell's `size`, and has been charged to the
 *   backend's MemoryBudget: every size change goes through `charge`, before the change is made.
 * - `#gone` is set once the state is dropped or its backend closed (`drop`, `release`), so
 *   checking it alone tells whether a call may proceed.
 * - A call that throws has changed nothing: inputs are resolved and checked, and memory charged,
 *   before any mutation.
 */
import type { KeyContext, ResolvedKey } from '../key-context.js';
import { decodeRestoredKey } from '../canonical/restored-key.js';
import { keyGroupOf } from '../key-groups.js';
import { stateKey } from '../key-layout.js';
import { noNamespaceSerializer, stateDropped } from '../state-errors.js';
import { TtlPolicy } from '../ttl.js';
import type { Clock, Serializer, State, StateDescriptorBase, StateKind, StateMetrics } from '../types.js';
import { bytesIdentity, isPrimitiveSerializer, VOID_NAMESPACE, type Identity } from './identity.js';
import { KEY_OVERHEAD, type MemoryBudget } from './memory-budget.js';

/** Counters the backend reports in `metrics()`. */
export interface HeapStats {
  /** Reads of states no longer registered (dropped); live states count their own. */
  reads: number;
  /** Writes of states no longer registered (dropped); live states count their own. */
  writes: number;
  expiredRemoved: number;
}

/** What a heap state needs from its backend. */
export interface HeapContext {
  readonly keys: KeyContext;
  readonly clock: Clock;
  readonly memory: MemoryBudget;
  readonly stats: HeapStats;
  /** Throws `DatabaseClosedError` once the backend is closed. */
  checkOpen(): void;
}

/** The state of one (key, namespace). */
export interface Cell<N> {
  readonly namespace: N | undefined;
  /** Estimated bytes, charged to the budget. */
  size: number;
}

/**
 * One key's state: the void namespace's cell in a field of its own (most states never use
 * namespaces, and this saves a Map lookup per access), the others in a Map created on demand.
 */
interface KeyEntry<K, C> {
  readonly key: K;
  /** The key's group; {@link UNKNOWN_GROUP} until needed when the backend owns every group. */
  keyGroup: number;
  readonly size: number;
  voidCell: C | undefined;
  cells: Map<Identity, C> | undefined;
}

function cellOf<K, C>(entry: KeyEntry<K, C>, nsId: Identity): C | undefined {
  return nsId === VOID_NAMESPACE ? entry.voidCell : entry.cells?.get(nsId);
}

function* cellsOf<K, C>(entry: KeyEntry<K, C>): Generator<readonly [Identity, C]> {
  if (entry.voidCell !== undefined) yield [VOID_NAMESPACE, entry.voidCell];
  if (entry.cells !== undefined) yield* entry.cells;
}

type Table<K, C> = Map<Identity, KeyEntry<K, C>>;

/** `KeyEntry.keyGroup` of a key whose group has not been computed (see the invariants). */
const UNKNOWN_GROUP = -1;

/** Where one (key, namespace) lives. */
export interface Location<K, N> {
  readonly key: K;
  readonly namespace: N | undefined;
  /**
   * Set once the key is known to be valid and owned: its group, or {@link UNKNOWN_GROUP} when
   * the backend owns every group. Known at once for non-primitive keys; else set on a miss.
   */
  keyGroup: number | undefined;
  readonly keyId: Identity;
  readonly nsId: Identity;
  /** Estimated bytes of the namespace. */
  readonly nsSize: number;
}

/** Result of purging a cell's expired parts. */
export interface PurgeResult {
  /** Elements or entries removed. */
  readonly removed: number;
  /** Whether nothing is left in the cell. */
  readonly empty: boolean;
}

/**
 * What the backend needs of every state it registers, whichever class stores it: {@link HeapState}
 * (entries and cells) or one kept as one Map per key (see the module comment).
 */
export interface RegisteredHeapState {
  /**
   * Reads and writes of this state since it was created, for the backend's `metrics()` with
   * `statistics` on (it adds them up, and keeps them when the state is dropped). Counted on the
   * state itself, not in the backend's HeapStats: a shared counter (`ctx.stats.reads++`, two
   * more dependent loads) cost 20% of a ValueState get at 200k keys in Chromium. The direct
   * classes serve only backends with statistics off: those kept as one Map per key report 0;
   * DirectHeapMapState counts only what it inherits (clear, clearAll).
   */
  readonly reads: number;
  readonly writes: number;
  /** Size for `metrics()`. */
  metrics(): StateMetrics;
  /** Writes every stored entry in the canonical layout (docs/state-layout.md) to `put`. */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void;
  /** Loads one entry of the canonical layout, charging memory as a write does. */
  restoreCanonical(key: Uint8Array, value: Uint8Array): void;
  clearAll(): void;
  drop(): void;
  /** Marks the state dropped without touching the (already released) budget; for `close()`. */
  release(): void;
}

export abstract class HeapState<K, N, C extends Cell<N>> implements State<K, N>, RegisteredHeapState {
  abstract readonly kind: StateKind;
  readonly name: string;
  protected readonly ctx: HeapContext;
  protected readonly ttl: TtlPolicy | undefined;
  /**
   * Whether calls without a namespace take the fast path: the key serializer is a built-in
   * primitive one (keys are their own identity) and there is no TTL.
   */
  protected readonly fast: boolean;
  readonly #keySerializer: Serializer<K>;
  readonly #keyPrimitive: boolean;
  readonly #nsSerializer: Serializer<N> | undefined;
  readonly #nsPrimitive: boolean;
  readonly #onDrop: (name: string) => void;
  /** Whether the backend owns every key group (then no key is foreign). */
  readonly #ownsAll: boolean;
  /** See {@link RegisteredHeapState.reads}; counted by the kinds. */
  reads = 0;
  writes = 0;
  #table: Table<K, C> = new Map();
  #entries = 0;
  #bytes = 0;
  /** Dropped, or the backend closed: every call goes to `#checkUsable`, which throws. */
  #gone = false;
  /** The entry `fastCell` found without a void cell (or undefined: no entry), for `insertFast`. */
  #missed: KeyEntry<K, C> | undefined;
  #cursor: Generator<readonly [Identity, KeyEntry<K, C>, Identity, C]> | undefined;
  #lastResolved: ResolvedKey | undefined;
  #lastKeyId: Identity = VOID_NAMESPACE;
  #lastKeyGroup = 0;
  #lastNamespace: unknown;
  #lastNsId: Identity = VOID_NAMESPACE;
  #lastNsSize = 0;

  constructor(ctx: HeapContext, descriptor: StateDescriptorBase<K, N>, onDrop: (name: string) => void) {
    this.ctx = ctx;
    this.name = descriptor.name;
    this.ttl = descriptor.ttl === undefined ? undefined : new TtlPolicy(descriptor.ttl, ctx.clock);
    this.#keySerializer = descriptor.key;
    this.#keyPrimitive = isPrimitiveSerializer(descriptor.key as Serializer<unknown>);
    this.#nsSerializer = descriptor.namespace;
    this.#nsPrimitive = descriptor.namespace !== undefined && isPrimitiveSerializer(descriptor.namespace as Serializer<unknown>);
    this.#onDrop = onDrop;
    this.fast = this.#keyPrimitive && this.ttl === undefined;
    this.#ownsAll = ctx.keys.ownsAll;
    // The fields that clearAll, drop and close replace, written a second time now. V8 treats a
    // field written only at construction as constant for every object of its class and compiles
    // the hot paths on that assumption; the first later write (the first backend closed, or a
    // cell first handed out, see the kinds' constructors) then throws all that code away, and
    // the next backend's states start cold again (seen with V8's --trace-deopt in Chromium's
    // state bench, 3 rounds on fresh backends; its ListState add, median of 9 runs, went from
    // 19 and 24 M/s in rounds 2 and 3 to 24 and 30 with these writes here and in list-state.ts).
    // Written now, before anything is compiled, each field is mutable from the start.
    this.#table = new Map();
    this.#gone = true;
    this.#gone = false;
  }

  // -- kind-specific hooks ------------------------------------------------------------------

  /** Whether the cell holds anything unexpired at `now` (only called with TTL). */
  protected abstract isLive(cell: C, now: number): boolean;
  /** Removes the expired parts of `cell`, resizing it through `resize` (only called with TTL). */
  protected abstract purge(cell: C, now: number): PurgeResult;
  /**
   * Writes `cell` in the canonical layout (docs/state-layout.md): its engine entries, each under
   * `prefix` (the state key of its key and namespace; map state appends the map key), with
   * values serialized and, with TTL, stamped with their write times.
   */
  protected abstract encodeCell(cell: C, prefix: Uint8Array, put: (key: Uint8Array, value: Uint8Array) => void): void;
  /**
   * Loads one canonical entry into the cell at `loc`: `rest` is what follows the namespace in
   * the state key (the map key for map state, else empty), `value` the stored value bytes.
   */
  protected abstract decodeEntry(loc: Location<K, N>, rest: Uint8Array, value: Uint8Array): void;

  // -- resolution -----------------------------------------------------------------------------

  /** Checks the state is usable and resolves `key` and `namespace`; throws on bad input. */
  protected locate(key: K, namespace: N | undefined): Location<K, N> {
    if (this.#gone) this.#checkUsable();
    // Primitive keys are their own identity (validated and grouped only on a miss, see
    // #entry); others are identified by their bytes, computed once per distinct consecutive key.
    let keyGroup: number | undefined;
    let keyId: Identity;
    if (this.#keyPrimitive) {
      keyId = key as Identity;
    } else {
      const resolved = this.ctx.keys.resolve(this.#keySerializer, key);
      if (resolved !== this.#lastResolved) {
        this.#lastKeyId = bytesIdentity(resolved.bytes);
        this.#lastKeyGroup = resolved.keyGroup;
        this.#lastResolved = resolved;
      }
      keyGroup = this.#lastKeyGroup;
      keyId = this.#lastKeyId;
    }
    if (namespace === undefined) {
      return { key, namespace, keyGroup, keyId, nsId: VOID_NAMESPACE, nsSize: 0 };
    }
    const ns = this.#nsSerializer;
    if (ns === undefined) {
      throw noNamespaceSerializer(this.name);
    }
    if (namespace !== this.#lastNamespace) {
      if (this.#nsPrimitive) {
        this.#lastNsSize = ns.check(namespace);
        this.#lastNsId = namespace as Identity;
      } else {
        const bytes = ns.serialize(namespace);
        this.#lastNsSize = bytes.length;
        this.#lastNsId = bytesIdentity(bytes);
      }
      this.#lastNamespace = namespace;
    }
    return { key, namespace, keyGroup, keyId, nsId: this.#lastNsId, nsSize: this.#lastNsSize };
  }

  // -- table access ---------------------------------------------------------------------------

  /**
   * The entry of `loc`'s key. On a miss, validates the key and checks its key group (throwing
   * for a bad or foreign key), and records the group in `loc` for an insert.
   */
  #entry(loc: Location<K, N>): KeyEntry<K, C> | undefined {
    const entry = this.#table.get(loc.keyId);
    if (entry === undefined && loc.keyGroup === undefined) loc.keyGroup = this.#admitPrimitive(loc.key);
    return entry;
  }

  /**
   * Validates primitive `key` and checks it is owned; returns its key group, or
   * {@link UNKNOWN_GROUP} when the backend owns every group (then no hashing is needed).
   */
  #admitPrimitive(key: K): number {
    if (!this.#ownsAll) return this.ctx.keys.keyGroupOf(this.#keySerializer, key);
    this.#keySerializer.check(key);
    return UNKNOWN_GROUP;
  }

  /** The group of `entry`'s key, computed and recorded if still unknown. */
  #groupOf(entry: KeyEntry<K, C>, keyBytes?: Uint8Array): number {
    if (entry.keyGroup === UNKNOWN_GROUP) {
      entry.keyGroup = keyGroupOf(keyBytes ?? this.#keySerializer.serialize(entry.key), this.ctx.keys.maxParallelism);
    }
    return entry.keyGroup;
  }

  // -- the fast path (`fast` and no namespace) --------------------------------------------------

  /** Throws `DatabaseClosedError` or `StateDroppedError` when the state is not usable. */
  protected checkFast(): void {
    if (this.#gone) this.#checkUsable();
  }

  /** The void-namespace cell of `key` (REQUIRES: `fast`, `checkFast()` passed); nothing checked. */
  protected fastCell(key: K): C | undefined {
    const entry = this.#table.get(key as Identity);
    if (entry !== undefined) {
      const cell = entry.voidCell;
      if (cell !== undefined) return cell;
    }
    this.#missed = entry;
    return undefined;
  }

  /**
   * Validates `key` after `fastCell` missed (throws for a bad or foreign key); a hit needs no
   * check, since every key in the table was checked on insert.
   */
  protected checkFastKey(key: K): void {
    this.#admitPrimitive(key);
  }

  /**
   * Stores `cell` in the void namespace of `key` (REQUIRES: `fast`, and the last table access
   * was `fastCell(key)`, which missed): validates the key, then charges the cell (and a new key
   * entry) before storing anything.
   */
  protected insertFast(key: K, cell: C): void {
    const entry = this.#missed;
    this.#missed = undefined;
    // The key checked once, and one charge site: the kinds' hot paths inline this, and V8
    // inlines a function into its caller only while its bytecode plus all it inlines stays
    // under TurboFan's cumulative budget (see DirectHeapMapState's `#set`).
    const keySize = entry === undefined ? KEY_OVERHEAD + this.#keySerializer.check(key) : 0;
    const keyGroup = entry !== undefined || this.#ownsAll ? UNKNOWN_GROUP : this.ctx.keys.keyGroupOf(this.#keySerializer, key);
    this.charge(keySize + cell.size);
    if (entry === undefined) this.#table.set(key as Identity, { key, keyGroup, size: keySize, voidCell: cell, cells: undefined });
    else entry.voidCell = cell;
    this.#entries++;
  }

  protected lookup(loc: Location<K, N>): C | undefined {
    const entry = this.#entry(loc);
    return entry === undefined ? undefined : cellOf(entry, loc.nsId);
  }

  /** Charges `delta` bytes to the budget (throws past it, changing nothing). */
  protected charge(delta: number): void {
    this.ctx.memory.charge(delta, this.name);
    this.#bytes += delta;
  }

  /** Sets `cell.size` to `size`, charging the difference first. */
  protected resize(cell: C, size: number): void {
    this.charge(size - cell.size);
    cell.size = size;
  }

  /** Stores a new cell at `loc` (which must have none), charging it (and a new key entry) first. */
  protected insert(loc: Location<K, N>, cell: C): void {
    let entry = this.#entry(loc);
    // A new key is sized by its serializer: `check` for primitive keys (already validated), the
    // bytes for others (the last key's, cached by KeyContext).
    const keySize =
      entry === undefined
        ? KEY_OVERHEAD +
          (this.#keyPrimitive ? this.#keySerializer.check(loc.key) : this.ctx.keys.resolve(this.#keySerializer, loc.key).bytes.length)
        : 0;
    this.charge(keySize + cell.size);
    if (entry === undefined) {
      entry = { key: loc.key, keyGroup: loc.keyGroup!, size: keySize, voidCell: undefined, cells: undefined };
      this.#table.set(loc.keyId, entry);
    }
    if (loc.nsId === VOID_NAMESPACE) {
      entry.voidCell = cell;
    } else {
      entry.cells ??= new Map();
      entry.cells.set(loc.nsId, cell);
    }
    this.#entries++;
  }

  /** Removes the cell at `loc`, if any. */
  protected removeAt(loc: Location<K, N>): void {
    const entry = this.#entry(loc);
    if (entry !== undefined) this.#removeCell(loc.keyId, entry, loc.nsId);
  }

  #removeCell(keyId: Identity, entry: KeyEntry<K, C>, nsId: Identity): void {
    const cell = cellOf(entry, nsId);
    if (cell === undefined) return;
    if (nsId === VOID_NAMESPACE) entry.voidCell = undefined;
    else entry.cells!.delete(nsId);
    this.#entries--;
    let freed = cell.size;
    if (entry.voidCell === undefined && (entry.cells === undefined || entry.cells.size === 0)) {
      this.#table.delete(keyId);
      freed += entry.size;
    }
    this.charge(-freed);
  }

  /** Counts an expired removal and removes the cell. */
  protected expire(loc: Location<K, N>, parts: number): void {
    this.ctx.stats.expiredRemoved += parts;
    this.removeAt(loc);
  }

  /**
   * Called after every access: with TTL, examines the next `incrementalCleanupSize` cells in
   * the table's order (keys as first inserted; wrapping around) and removes what expired.
   */
  protected afterAccess(): void {
    const ttl = this.ttl;
    if (ttl === undefined || ttl.incrementalCleanupSize === 0 || this.#entries === 0) return;
    const now = this.ctx.clock.now();
    for (let i = 0; i < ttl.incrementalCleanupSize; i++) {
      this.#cursor ??= this.#walk();
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        return;
      }
      const [keyId, entry, nsId, cell] = next.value;
      if (cellOf(entry, nsId) !== cell) continue;
      const { removed, empty } = this.purge(cell, now);
      this.ctx.stats.expiredRemoved += removed;
      if (empty) this.#removeCell(keyId, entry, nsId);
    }
  }

  *#walk(): Generator<readonly [Identity, KeyEntry<K, C>, Identity, C]> {
    for (const [keyId, entry] of this.#table) {
      for (const [nsId, cell] of cellsOf(entry)) yield [keyId, entry, nsId, cell];
    }
  }

  /** Whether `cell` is visible to iteration at `now`. */
  #visible(cell: C, now: number): boolean {
    return this.ttl === undefined || this.ttl.returnExpired || this.isLive(cell, now);
  }

  // -- State ----------------------------------------------------------------------------------

  clear(key: K, namespace?: N): void {
    const loc = this.locate(key, namespace);
    this.writes++;
    this.removeAt(loc);
  }

  keys(namespace?: N): IterableIterator<K> {
    return this.#keysIn(this.#probeNamespace(namespace));
  }

  *#keysIn(probe: Identity): IterableIterator<K> {
    const now = this.ctx.clock.now();
    for (const entry of this.#table.values()) {
      const cell = cellOf(entry, probe);
      if (cell !== undefined && this.#visible(cell, now)) yield entry.key;
    }
  }

  keysAndNamespaces(keyGroup?: number): IterableIterator<readonly [K, N | undefined]> {
    this.#checkUsable();
    if (keyGroup === undefined) return this.#pairsIn(undefined);
    this.ctx.keys.checkKeyGroupArgument(keyGroup);
    return this.#pairsIn(keyGroup);
  }

  /** Pairs of every key group, or of `keyGroup` only. */
  *#pairsIn(keyGroup: number | undefined): IterableIterator<readonly [K, N | undefined]> {
    const now = this.ctx.clock.now();
    for (const entry of this.#table.values()) {
      if (keyGroup !== undefined && this.#groupOf(entry) !== keyGroup) continue;
      for (const [, cell] of cellsOf(entry)) {
        if (this.#visible(cell, now)) yield [entry.key, cell.namespace] as const;
      }
    }
  }

  clearAll(): void {
    this.#checkUsable();
    this.writes++;
    this.charge(-this.#bytes);
    // Emptied, not replaced: an iteration of keys already under way ends (see State.keys).
    this.#table.clear();
    this.#entries = 0;
    this.#cursor = undefined;
  }

  drop(): void {
    if (this.#gone) return;
    this.clearAll();
    this.#gone = true;
    this.#onDrop(this.name);
  }

  // -- checkpoints ------------------------------------------------------------------------------

  /**
   * Writes every stored entry, expired or not (a checkpoint is the state as it is, and expiry is
   * decided again on restore from the same timestamps), in the canonical layout to `put`.
   */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void {
    this.#checkUsable();
    const ns = this.#nsSerializer;
    for (const entry of this.#table.values()) {
      const keyBytes = this.#keySerializer.serialize(entry.key);
      const keyGroup = this.#groupOf(entry, keyBytes);
      for (const [, cell] of cellsOf(entry)) {
        const nsBytes = cell.namespace === undefined ? undefined : ns!.serialize(cell.namespace);
        this.encodeCell(cell, stateKey(keyGroup, keyBytes, nsBytes), put);
      }
    }
  }

  /**
   * Loads one entry of the canonical layout (as `writeCanonical` writes it), deserializing with
   * this state's serializers and charging memory as a write does. Throws `CorruptionError` for
   * bytes that do not decode, `KeyGroupOutOfRangeError` for a key this instance does not own.
   */
  restoreCanonical(key: Uint8Array, value: Uint8Array): void {
    const ns = this.#nsSerializer;
    const d = decodeRestoredKey(this.name, key, this.#keySerializer, this.ctx.keys.maxParallelism, ns !== undefined);
    const namespace = d.namespace === undefined ? undefined : ns!.deserialize(d.namespace.slice());
    const loc = this.locate(d.key, namespace);
    loc.keyGroup ??= d.keyGroup;
    this.decodeEntry(loc, d.mapKey, value);
  }

  /** Size for `metrics()`. */
  metrics(): StateMetrics {
    return { kind: this.kind, entries: this.#entries, estimatedBytes: this.#bytes };
  }

  /** Marks the state dropped without touching the (already released) budget; for `close()`. */
  release(): void {
    // Emptied first: an iteration under way ends (as at clearAll and drop).
    this.#table.clear();
    this.#table = new Map();
    this.#gone = true;
  }

  #checkUsable(): void {
    this.ctx.checkOpen();
    // Gone with the backend open: dropped.
    if (this.#gone) throw stateDropped(this.name);
  }

  /** The identity of `namespace` for lookups during iteration (validated, not cached). */
  #probeNamespace(namespace: N | undefined): Identity {
    this.#checkUsable();
    if (namespace === undefined) return VOID_NAMESPACE;
    const ns = this.#nsSerializer;
    if (ns === undefined) {
      throw noNamespaceSerializer(this.name);
    }
    if (this.#nsPrimitive) {
      ns.check(namespace);
      return namespace as Identity;
    }
    return bytesIdentity(ns.serialize(namespace));
  }
}
