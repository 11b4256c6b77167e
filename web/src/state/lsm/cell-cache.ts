/**
 * The LSM backend's write-back cache: deserialized state of recently used (key, namespace) pairs
 * of one state, in front of the engine. A hit is a Map lookup — no key serialization, no crossing
 * into wasm, no deserialization — and a write changes only the cached cell, marking it dirty.
 *
 * Used for states without TTL whose keys and namespaces (and map keys) have built-in primitive
 * serializers: for those, JavaScript's SameValueZero on the values is equality of the serialized
 * bytes, so the values themselves can key the cache.
 *
 * Invariants:
 * - Every write to a cached state goes through its one handle and so through this cache: a cell
 *   holds what the engine holds plus its own dirty changes (nothing else writes the family).
 * - `weight` is the sum of the cells' weights (a cell weighs 1 + the elements or map entries it
 *   holds), kept at or below `capacity` after every call — except while dirty cells cannot be
 *   written (a failing flush), see {@link CellCache.admit}.
 * - A dirty cell is never dropped: eviction writes out every dirty cell of the backend first
 *   (one atomic batch, see lsm-backend.ts `flushAll`), so the engine always holds a consistent
 *   cut of the backend's cached states: every write made before some point and none after it
 *   (uncached states and timers write through).
 * - What a dirty cell writes back fits the engine's limits: keys are checked when a write is
 *   made (lsm-state.ts `locate`), and so are values against `maxValueSize` (value-size.ts), so
 *   a write-back fails only when storage refuses it, never for one write's size.
 * - Eviction is in insertion order (FIFO): cheap (no reordering on hits) and good enough for
 *   keyed streams, whose hot keys come back soon after they leave.
 */
import { StorageExhaustedError } from '../../errors.js';
import { isPrimitiveSerializer } from '../serde/primitive.js';

/** Whether values of `serializer` (none: no namespace) may key the cache. */
export function isCacheableSerializer(serializer: { readonly id: string } | undefined): boolean {
  return serializer === undefined || isPrimitiveSerializer(serializer);
}

/** What every cached cell has. */
export interface CachedCell {
  readonly key: unknown;
  readonly namespace: unknown;
  /** 1 + elements or entries held. */
  weight: number;
  /** Whether the engine lags this cell. */
  dirty: boolean;
}

/** What a cache asks of its owner. */
export interface CellCacheOwner {
  /**
   * Writes every dirty cell of the backend to the engine in one batch and marks them clean;
   * throws (leaving them dirty) when the engine refuses the batch.
   */
  flushAll(): void;
}

export class CellCache<C extends CachedCell> {
  /** Cells of the void namespace: most states use no namespace, and this saves a lookup. */
  readonly #void = new Map<unknown, C>();
  readonly #byNamespace = new Map<unknown, Map<unknown, C>>();
  /**
   * Every cell in insertion order from `#head` on: the eviction queue. Cells leave only from its
   * front (eviction) or all at once (`clear`), so an array with a moving head is exact. (Taking
   * the first entry of a Map or Set that is deleted from the front costs a scan over the deleted
   * slots until the table is rehashed: quadratic under steady eviction.)
   */
  #queue: C[] = [];
  #head = 0;
  /**
   * The dirty cells (a subset of the cached ones), each once: a cell enters when its `dirty`
   * flag is set, and all leave together when they are marked clean. An array, not a Set: a
   * state's first writes to fresh keys each make a cell dirty, and growing a Set rehashes (a
   * quarter of the LSM ValueState first put at 10,000 keys in Chromium), an array only copies.
   */
  #dirty: C[] = [];
  readonly #owner: CellCacheOwner;
  #weight = 0;
  /** Why the last eviction could not write dirty cells out (cleared when a flush succeeds). */
  #stuck: unknown;
  readonly capacity: number;
  hits = 0;
  misses = 0;

  constructor(capacity: number, owner: CellCacheOwner) {
    this.capacity = capacity;
    this.#owner = owner;
  }

  /** Share of `get`s that found a cell, in [0, 1] (1 before any). */
  get hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 1 : this.hits / total;
  }

  get weight(): number {
    return this.#weight;
  }

  /** The cell of (key, namespace), counting a hit or a miss. */
  get(key: unknown, namespace: unknown): C | undefined {
    const cell = (namespace === undefined ? this.#void : this.#byNamespace.get(namespace))?.get(key);
    if (cell === undefined) this.misses++;
    else this.hits++;
    return cell;
  }

  /** The cell of (key, namespace), without counting a hit or miss (for a write after a read). */
  peek(key: unknown, namespace: unknown): C | undefined {
    return (namespace === undefined ? this.#void : this.#byNamespace.get(namespace))?.get(key);
  }

  /** Marks `cell` (cached) as ahead of the engine. */
  markDirty(cell: C): void {
    if (cell.dirty === true) return;
    cell.dirty = true;
    this.#dirty.push(cell);
  }

  /** The dirty cells. */
  dirtyCells(): readonly C[] {
    return this.#dirty;
  }

  /** Marks every dirty cell clean (their changes reached the engine). */
  markClean(): void {
    for (const cell of this.#dirty) cell.dirty = false;
    this.#dirty = [];
  }

  /**
   * Called before a write changes anything. Once dirty cells that could not be written hold
   * twice the capacity, tries the write-back again and throws its error if it still fails, so
   * memory stays bounded while storage refuses writes (and nothing is refused once it has room).
   */
  admit(): void {
    if (this.#stuck === undefined || this.#weight < 2 * this.capacity) return;
    try {
      this.#owner.flushAll();
    } catch (e) {
      this.#stuck = e;
      throw e instanceof Error ? e : new StorageExhaustedError('cached state cannot be written to storage', { cause: String(e) });
    }
    this.#stuck = undefined;
    this.#evictToCapacity();
  }

  /** Adds `cell`, which (key, namespace) must not have yet, then evicts to capacity. */
  add(cell: C): void {
    let m = cell.namespace === undefined ? this.#void : this.#byNamespace.get(cell.namespace);
    if (m === undefined) {
      m = new Map();
      this.#byNamespace.set(cell.namespace, m);
    }
    m.set(cell.key, cell);
    this.#queue.push(cell);
    this.#weight += cell.weight;
    this.#evictToCapacity();
  }

  /** Changes `cell`'s weight by `delta` (it must be cached), then evicts to capacity. */
  reweigh(cell: C, delta: number): void {
    cell.weight += delta;
    this.#weight += delta;
    if (delta > 0 && this.#weight > this.capacity) this.#evictToCapacity();
  }

  /** Forgets every cell, dirty or not (after the state's data was cleared or dropped). */
  clear(): void {
    this.#void.clear();
    this.#byNamespace.clear();
    this.#queue = [];
    this.#head = 0;
    for (const cell of this.#dirty) cell.dirty = false;
    this.#dirty = [];
    this.#weight = 0;
    this.#stuck = undefined;
  }

  #evictToCapacity(): void {
    while (this.#weight > this.capacity && this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head]!;
      if (oldest.dirty) {
        try {
          this.#owner.flushAll();
          this.#stuck = undefined;
        } catch (e) {
          // The engine refused (storage full, write stall): keep every cell and grow past
          // capacity; `admit` retries, and refuses new writes while it fails past twice that.
          this.#stuck = e;
          return;
        }
      }
      this.#remove(oldest);
      this.#queue[this.#head++] = undefined as unknown as C;
    }
    // Drop the evicted prefix once it is most of the array (amortized O(1) per eviction).
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #remove(cell: C): void {
    const m = cell.namespace === undefined ? this.#void : this.#byNamespace.get(cell.namespace);
    m?.delete(cell.key);
    if (m !== undefined && m !== this.#void && m.size === 0) this.#byNamespace.delete(cell.namespace);
    // Eviction removes only clean cells (a dirty one is written out first, or stays): kept for
    // the invariant should that change, at a scan of the dirty cells.
    if (cell.dirty) {
      const i = this.#dirty.indexOf(cell);
      if (i >= 0) this.#dirty.splice(i, 1);
      cell.dirty = false;
    }
    this.#weight -= cell.weight;
  }
}
