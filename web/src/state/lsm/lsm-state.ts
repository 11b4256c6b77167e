/**
 * What the five LSM state kinds share: a column family per state, keys laid out as in
 * docs/state-layout.md (key group ‖ key ‖ namespace [‖ map key]), key and namespace resolution
 * (the serialized key cached across calls by `KeyContext`), TTL framing, iteration, clear, drop.
 *
 * Invariant: a call that throws has changed nothing — keys, namespaces and values are serialized
 * and checked before the first engine write, and multi-entry writes go in one WriteBatch.
 *
 * Iteration (`keys`, `keysAndNamespaces`) keeps the State contract as the heap backend does: a
 * (key, namespace) whose state is removed before the iteration reaches it is not visited, one
 * added may or may not be, and `clearAll` or `drop` (or closing the backend) ends an iteration
 * under way. It reads the engine a page at a time at the latest state (see `#entries`), so only
 * the entries of a page read before a removal need a second look (`#present`); a state nobody
 * removes from while it is iterated costs no more than the scan.
 */
import { KeyTooLargeError } from '../../errors.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { WriteBatch } from '../../engine/write-batch.js';
import type { LsmDatabase } from '../../engine/lsm-database.js';
import type { KeyContext } from '../key-context.js';
import type { CachedCell, CellCache } from './cell-cache.js';
import { decodeStateKey, keyGroupBounds, stateKey, type NamespaceBytes } from '../key-layout.js';
import { noNamespaceSerializer, stateDropped } from '../state-errors.js';
import { decodeTtlValue, encodeTtlValue, TtlPolicy } from '../ttl.js';
import type { Clock, Serializer, State, StateDescriptorBase, StateKind, StateMetrics } from '../types.js';

/** Counters the backend reports in `metrics()`. */
export interface LsmStats {
  reads: number;
  writes: number;
  expiredRemoved: number;
}

/** What an LSM state needs from its backend. */
export interface LsmContext {
  readonly db: LsmDatabase;
  readonly keys: KeyContext;
  readonly clock: Clock;
  readonly stats: LsmStats;
  /** Capacity of each cached state's write-back cache, in entries (a value, list element or map entry is one, each key one more; 0: no cache); see LsmBackendSettings.cacheEntries. */
  readonly cacheEntries: number;
  /** Tells the engine the time (its TTL compaction filters and periodic compaction read it); called at every engine access. */
  tick(now: number): void;
  /** Throws `DatabaseClosedError` once the backend is closed. */
  checkOpen(): void;
  /**
   * Writes what every state holds back (write-back caches) to the engine as one batch; throws,
   * changing nothing, when the engine refuses it.
   */
  flushAll(): void;
}

/** Entries an iteration reads from the engine at a time (one page). */
const PAGE_ENTRIES = 512;

/** What an iteration met: an engine key (a copy) whose state was visible then. */
interface Met {
  readonly k: Uint8Array;
  /** Whether the state has had a removal since `k`'s page was read (then it may be gone). */
  readonly stale: boolean;
}

/** The smallest byte string after `key`. */
function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

/** The smallest byte string after every string starting with `prefix` (undefined: none). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i]!++;
      return end;
    }
  }
  return undefined;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export abstract class LsmState<K, N> implements State<K, N> {
  abstract readonly kind: StateKind;
  readonly name: string;
  protected readonly ctx: LsmContext;
  protected readonly cf: ColumnFamily;
  protected readonly ttl: TtlPolicy | undefined;
  readonly #keySerializer: Serializer<K>;
  readonly #nsSerializer: Serializer<N> | undefined;
  readonly #onDrop: (name: string) => void;
  readonly #maxKeySize: number;
  #dropped = false;
  /** Writes to this state's data (through the cache or not, cleanup of expired entries too). */
  #writes = 0;
  /** Those of `#writes` that may have left a (key, namespace) without state. */
  #removals = 0;
  /** `clearAll` calls: an iteration under way ends at one. */
  #clears = 0;
  #lastNamespace: unknown;
  #lastNsBytes: NamespaceBytes;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: StateDescriptorBase<K, N>, onDrop: (name: string) => void) {
    this.ctx = ctx;
    this.cf = cf;
    this.name = descriptor.name;
    this.ttl = descriptor.ttl === undefined ? undefined : new TtlPolicy(descriptor.ttl, ctx.clock);
    this.#keySerializer = descriptor.key;
    this.#nsSerializer = descriptor.namespace;
    this.#onDrop = onDrop;
    this.#maxKeySize = ctx.db.limits.maxKeySize;
  }

  /**
   * Counts a write for statistics and for iterations under way; `removes`: it may leave a (key,
   * namespace) without state (a clear, a delete, an empty update, a map removal).
   */
  /**
   * Writes to this state's data so far (`#writes`): a call that read entries and writes them back
   * later (map iteration's restamps) compares it to tell whether they may have changed meanwhile.
   */
  protected get writeCount(): number {
    return this.#writes;
  }

  /** Whether the state was dropped or released (its column family may be gone). */
  protected get gone(): boolean {
    return this.#dropped;
  }

  protected countWrite(removes: boolean): void {
    this.ctx.stats.writes++;
    this.#writes++;
    if (removes) this.#removals++;
  }

  /** Counts `n` expired entries removed (cleanup on read or iteration; 0: only refreshed). */
  protected countExpiredRemoved(n: number): void {
    this.ctx.stats.expiredRemoved += n;
    this.#writes++;
    if (n > 0) this.#removals++;
  }

  protected checkUsable(): void {
    // A closed backend says so first: its states are released, not dropped.
    this.ctx.checkOpen();
    if (this.#dropped) throw stateDropped(this.name);
  }

  #namespaceBytes(namespace: N | undefined): NamespaceBytes {
    if (namespace === undefined) return undefined;
    const ns = this.#nsSerializer;
    if (ns === undefined) {
      throw noNamespaceSerializer(this.name);
    }
    if (namespace !== this.#lastNamespace) {
      this.#lastNsBytes = ns.serialize(namespace);
      this.#lastNamespace = namespace;
    }
    return this.#lastNsBytes;
  }

  /**
   * Throws what `locate` would for bad input, without building the engine key when it can: a
   * backend owning every key group needs no key group, only the serializers' checks.
   */
  protected validate(key: K, namespace: N | undefined): void {
    const keys = this.ctx.keys;
    if (keys.range.from !== 0 || keys.range.to !== keys.maxParallelism - 1) {
      this.locate(key, namespace);
      return;
    }
    this.checkUsable();
    // `check` estimates 2 bytes per UTF-16 unit, UTF-8 may take 3: near the engine's key limit,
    // build the key to measure it exactly.
    const estimate = this.#keySerializer.check(key) * 1.5 + (this.#namespaceBytes(namespace)?.length ?? 0) + 16;
    if (this.nearKeyLimit(estimate)) this.locate(key, namespace);
  }

  /** Throws `KeyTooLargeError` if an engine key of `length` bytes is past the engine's limit. */
  protected checkKeyLength(length: number): void {
    if (length > this.#maxKeySize) {
      throw new KeyTooLargeError(`state "${this.name}": the state key of ${length} bytes (key group, key, namespace, map key) exceeds maxKeySize ${this.#maxKeySize}`, {
        state: this.name,
        len: length,
        limit: this.#maxKeySize,
      });
    }
  }

  /** Whether a key estimated at `estimate` bytes may be near the engine's limit (measure it then). */
  protected nearKeyLimit(estimate: number): boolean {
    return estimate > this.#maxKeySize;
  }

  /** The engine key of (key, namespace) [+ map key]; throws on bad input before any write. */
  protected locate(key: K, namespace: N | undefined, mapKey?: Uint8Array): Uint8Array {
    this.checkUsable();
    // Every engine access of a state goes through here (cached writes reach the engine through
    // LsmContext.flushAll, which ticks too): the engine's clock, which TTL filtering and periodic
    // compaction read, follows the backend's even while only states without TTL are used.
    this.ctx.tick(this.ctx.clock.now());
    const resolved = this.ctx.keys.resolve(this.#keySerializer, key);
    const k = stateKey(resolved.keyGroup, resolved.bytes, this.#namespaceBytes(namespace), mapKey);
    // Checked here, not only by the engine: a cached write reaches the engine later, in a batch
    // that one oversized key would make fail as a whole.
    this.checkKeyLength(k.length);
    return k;
  }

  /** `bytes` framed with the current time when the state has a TTL. */
  protected stamp(bytes: Uint8Array, now = this.ctx.clock.now()): Uint8Array {
    if (this.ttl === undefined) return bytes;
    this.ctx.tick(now);
    return encodeTtlValue(now, bytes);
  }

  /**
   * Unframes a stored value: `{ value, expired, timestamp }`. Without TTL nothing expires.
   */
  protected unstamp(stored: Uint8Array, now: number): { readonly value: Uint8Array; readonly expired: boolean; readonly timestamp: number } {
    if (this.ttl === undefined) return { value: stored, expired: false, timestamp: 0 };
    const { timestamp, value } = decodeTtlValue(stored);
    return { value, expired: this.ttl.isExpired(timestamp, now), timestamp };
  }

  /**
   * The live bytes at engine key `k`, TTL applied: an expired entry is deleted (cleanup on read,
   * counted) and returned only with `returnExpiredIfNotCleanedUp` to a plain read; with
   * `onReadAndWrite` a plain read restamps it. `forUpdate`: the read seeds a write (no refresh,
   * never an expired value).
   */
  protected readLive(k: Uint8Array, forUpdate: boolean): { readonly bytes: Uint8Array } | undefined {
    const raw = this.cf.get(k);
    if (raw === undefined) return undefined;
    const now = this.ctx.clock.now();
    const { value, expired } = this.unstamp(raw, now);
    const ttl = this.ttl;
    if (expired && ttl !== undefined) {
      this.cf.delete(k);
      this.countExpiredRemoved(1);
      return ttl.returnExpired && !forUpdate ? { bytes: value } : undefined;
    }
    if (ttl?.refreshOnRead && !forUpdate) {
      this.cf.put(k, this.stamp(value, now));
      this.#writes++;
    }
    return { bytes: value };
  }

  /** Whether the stored value is visible to iteration at `now`. */
  protected visible(stored: Uint8Array, now: number): boolean {
    if (this.ttl === undefined || this.ttl.returnExpired) return true;
    return !this.unstamp(stored, now).expired;
  }

  // -- State ----------------------------------------------------------------------------------

  clear(key: K, namespace?: N): void {
    const k = this.locate(key, namespace);
    this.countWrite(true);
    this.removeAll(k);
  }

  /** Removes the state at engine key `k` (map state: every entry under it). */
  protected removeAll(k: Uint8Array): void {
    this.cf.delete(k);
  }

  /** The state's write-back cache (cell-cache.ts), if it has one; none by default. */
  protected writeBackCache(): CellCache<CachedCell> | undefined {
    return undefined;
  }

  /**
   * Whether (key, namespace) has state by what the write-back cache holds, for an iteration's
   * second look (`#present`): undefined when the engine has the answer — no cell, or one whose
   * held-back changes do not decide it. None by default.
   */
  protected cachedPresence(_key: K, _namespace: N | undefined): boolean | undefined {
    return undefined;
  }

  keys(namespace?: N): IterableIterator<K> {
    // Iteration reads the engine: what caches hold back goes in first.
    if (this.writeBackCache() !== undefined) this.ctx.flushAll();
    this.checkUsable();
    const probe = this.#namespaceBytes(namespace);
    return this.#keys(probe, namespace);
  }

  *#keys(probe: NamespaceBytes, namespace: N | undefined): IterableIterator<K> {
    let last: Uint8Array | undefined;
    const now = this.ctx.clock.now();
    for (const { k, stale } of this.#entries(this.#rangeBounds(), now)) {
      const decoded = decodeStateKey(k);
      if (!sameBytes(decoded.namespace, probe)) continue;
      if (last !== undefined && sameBytes(last, decoded.key)) continue;
      last = decoded.key;
      // `k` is this iteration's own copy: the key may keep views of it.
      const key = this.#keySerializer.deserialize(decoded.key);
      if (stale && !this.#present(k, decoded.mapKey.length, key, namespace, now)) continue;
      yield key;
    }
  }

  keysAndNamespaces(keyGroup?: number): IterableIterator<readonly [K, N | undefined]> {
    if (this.writeBackCache() !== undefined) this.ctx.flushAll();
    this.checkUsable();
    if (keyGroup !== undefined) this.ctx.keys.checkKeyGroupArgument(keyGroup);
    return this.#pairs(keyGroup === undefined ? this.#rangeBounds() : this.#groupBounds(keyGroup, keyGroup));
  }

  *#pairs(bounds: { gte: Uint8Array; lt: Uint8Array }): IterableIterator<readonly [K, N | undefined]> {
    let lastKey: Uint8Array | undefined;
    let lastNs: NamespaceBytes;
    let first = true;
    const now = this.ctx.clock.now();
    const ns = this.#nsSerializer;
    for (const { k, stale } of this.#entries(bounds, now)) {
      const decoded = decodeStateKey(k);
      if (!first && sameBytes(lastKey, decoded.key) && sameBytes(lastNs, decoded.namespace)) continue;
      first = false;
      lastKey = decoded.key;
      lastNs = decoded.namespace;
      // `k` is this iteration's own copy: key and namespace may keep views of it.
      const namespace = decoded.namespace === undefined || ns === undefined ? undefined : ns.deserialize(decoded.namespace);
      const key = this.#keySerializer.deserialize(decoded.key);
      if (stale && !this.#present(k, decoded.mapKey.length, key, namespace, now)) continue;
      yield [key, namespace] as const;
    }
  }

  /**
   * The entries within `bounds` visible at `now`, in key order, for `keys` and
   * `keysAndNamespaces`, each with whether the state has had a removal since it was read.
   *
   * Pages are read at the latest state, not at a snapshot, so an entry removed before its page
   * is read is never met, and only those of a page read before a removal may be stale. Removals
   * this state's write-back cache holds back go to the engine before the next page is read
   * (they are part of the state). Ends, before the next step touches the engine, once the state
   * is dropped (its column family is gone) or released (backend closed), or cleared by
   * `clearAll` — as an iteration of the heap backend's emptied Map ends.
   *
   * Cleanup on iteration: entries met fully expired are deleted when the iteration ends (one
   * batch), so state nobody reads by key still shrinks when it is listed — unless written since
   * their page was read and no longer expired (a put during the iteration is kept). The engine's
   * compaction filter is the cleanup for state that is never touched at all.
   */
  *#entries(bounds: { gte: Uint8Array; lt: Uint8Array }, now: number): Generator<Met> {
    const clears = this.#clears;
    const expired: Array<{ readonly k: Uint8Array; readonly writes: number }> = [];
    let from = bounds.gte;
    /** `#removals` when this iteration last had the cache written back (-1: not yet). */
    let flushed = -1;
    try {
      for (;;) {
        if (this.#dropped || this.#clears !== clears) return;
        const cache = this.writeBackCache();
        // Removals the cache holds back would be read as entries: written back first. (What
        // else it holds back only adds state, which may or may not be visited.)
        if (cache !== undefined && flushed !== this.#removals && cache.dirtyCells().length > 0) this.ctx.flushAll();
        flushed = this.#removals;
        const writes = this.#writes;
        const removals = this.#removals;
        const keys: Uint8Array[] = [];
        const visible: boolean[] = [];
        this.cf.forEach({ gte: from, lt: bounds.lt, limit: PAGE_ENTRIES }, (k, v) => {
          keys.push(k.slice());
          visible.push(this.visible(v, now));
        });
        for (let i = 0; i < keys.length; i++) {
          // Again at every step: the caller's code runs between steps.
          if (this.#dropped || this.#clears !== clears) return;
          const k = keys[i]!;
          if (visible[i]) yield { k, stale: this.#removals !== removals };
          else expired.push({ k, writes });
        }
        if (keys.length < PAGE_ENTRIES) return;
        from = successor(keys[keys.length - 1]!);
      }
    } finally {
      this.#removeExpired(expired, now);
    }
  }

  /**
   * Whether (key, namespace), met at engine key `k` (ending in a map key of `mapKeyLength`
   * bytes) in a page read before a removal, still has state at `now`: by the write-back cache's
   * cell if that decides it, else by the engine.
   */
  #present(k: Uint8Array, mapKeyLength: number, key: K, namespace: N | undefined, now: number): boolean {
    const cached = this.cachedPresence(key, namespace);
    if (cached !== undefined) return cached;
    // One entry per (key, namespace) but in map states: a point lookup (Bloom filters apply).
    if (this.kind !== 'map') return this.cf.read(k, (v) => this.visible(v, now)) === true;
    // Every entry of (key, namespace) starts with this (docs/state-layout.md).
    const prefix = k.subarray(0, k.length - mapKeyLength);
    if (this.ttl === undefined) return this.cf.count({ prefix, limit: 1 }) > 0;
    let found = false;
    this.cf.forEach({ prefix }, (_k, v) => {
      found = this.visible(v, now);
      return !found;
    });
    return found;
  }

  /** Deletes the expired entries an iteration met (see `#entries`), in one batch. */
  #removeExpired(expired: ReadonlyArray<{ readonly k: Uint8Array; readonly writes: number }>, now: number): void {
    if (expired.length === 0 || this.#dropped || this.ctx.db.closed) return;
    const batch = new WriteBatch();
    for (const { k, writes } of expired) {
      if (writes !== this.#writes && this.cf.read(k, (v) => !this.visible(v, now)) !== true) continue;
      batch.delete(k, this.cf);
    }
    if (batch.count === 0) return;
    this.ctx.db.write(batch);
    this.countExpiredRemoved(batch.count);
  }

  #groupBounds(from: number, to: number): { gte: Uint8Array; lt: Uint8Array } {
    const b = keyGroupBounds(from, to);
    return { gte: b.from, lt: b.to };
  }

  #rangeBounds(): { gte: Uint8Array; lt: Uint8Array } {
    const range = this.ctx.keys.range;
    return this.#groupBounds(range.from, range.to);
  }

  clearAll(): void {
    this.checkUsable();
    // The range deletion below removes what the cache would write back.
    this.writeBackCache()?.clear();
    this.countWrite(true);
    this.#clears++;
    const { gte, lt } = this.#rangeBounds();
    this.cf.deleteRange(gte, lt);
  }

  drop(): void {
    if (this.#dropped) return;
    this.checkUsable();
    this.writeBackCache()?.clear();
    this.#dropped = true;
    this.#onDrop(this.name);
  }

  /**
   * Size for `metrics()`, estimated by the engine without a scan: entries in memtable and tables
   * (versions and tombstones included, so an upper bound; a map state counts map entries, a
   * timer-free state one entry per key and namespace) and their bytes.
   */
  metrics(): StateMetrics {
    const { entries, bytes } = this.cf.estimateSize();
    const rate = this.writeBackCache()?.hitRate;
    return { kind: this.kind, entries, estimatedBytes: bytes, ...(rate === undefined ? {} : { cacheHitRate: rate }) };
  }

  /**
   * Adds the changes this state holds back in memory (its write-back cache) to `batch`, changing
   * nothing else; none by default. See `LsmContext.flushAll`.
   */
  collectPending(_batch: WriteBatch): void {}

  /** Called once the batch `collectPending` added to reached the engine: the cache is clean. */
  pendingWritten(): void {
    this.writeBackCache()?.markClean();
  }

  /**
   * Marks the state unusable (backend closing or state dropped elsewhere). Invariant, with
   * `drop`: an unusable state's cache is empty, so a cached write that finds its cell may skip
   * the usability check (ListState add does).
   */
  release(): void {
    this.#dropped = true;
    this.writeBackCache()?.clear();
  }
}
