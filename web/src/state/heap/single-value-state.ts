/**
 * Heap states that keep one value per (key, namespace): value, reducing and aggregating state.
 * The TTL rules of `ttl.ts` for one entry live here.
 */
import { decodeTtlValue, encodeTtlValue } from '../ttl.js';
import type { Serializer, StateDescriptorBase } from '../types.js';
import { CELL_OVERHEAD } from './memory-budget.js';
import { HeapState, type Cell, type HeapContext, type Location, type PurgeResult } from './heap-state.js';

/** One value and the time it was last written (0 without TTL). */
export interface ValueCell<N, V> extends Cell<N> {
  value: V;
  ts: number;
}

export abstract class SingleValueHeapState<K, N, V> extends HeapState<K, N, ValueCell<N, V>> {
  /**
   * Whether the last `readForUpdate` met an expired value (that the write after it replaces):
   * kept from the read, so the write neither looks the cell up again nor reads the clock at a
   * second instant. Read and write are one synchronous call (a reduce or an add).
   */
  #replacesExpired = false;
  /** The serializer of what is stored (the value, or the accumulator). */
  protected readonly stored: Serializer<V>;

  constructor(ctx: HeapContext, descriptor: StateDescriptorBase<K, N>, stored: Serializer<V>, onDrop: (name: string) => void) {
    super(ctx, descriptor, onDrop);
    this.stored = stored;
  }

  /**
   * The stored value at `loc`, applying TTL: an expired value is removed (and returned only
   * under `returnExpiredIfNotCleanedUp`); the read refreshes it under `onReadAndWrite`.
   */
  protected readCell(loc: Location<K, N>): V | undefined {
    const cell = this.lookup(loc);
    if (cell === undefined) return undefined;
    const ttl = this.ttl;
    if (ttl !== undefined) {
      const now = this.ctx.clock.now();
      if (ttl.isExpired(cell.ts, now)) {
        this.expire(loc, 1);
        return ttl.returnExpired ? cell.value : undefined;
      }
      if (ttl.refreshOnRead) cell.ts = now;
    }
    return cell.value;
  }

  /**
   * The stored value at `loc` for a read-modify-write (before a reduce or an add): an expired
   * value counts as absent, as in Flink, but stays where it is — the write that follows replaces
   * it (see `writeCell`), and a write refused (past the memory budget) leaves it as it was.
   */
  protected readForUpdate(loc: Location<K, N>): V | undefined {
    const cell = this.lookup(loc);
    this.#replacesExpired = false;
    if (cell === undefined) return undefined;
    const ttl = this.ttl;
    if (ttl !== undefined && ttl.isExpired(cell.ts, this.ctx.clock.now())) {
      this.#replacesExpired = true;
      return undefined;
    }
    return cell.value;
  }

  /**
   * `writeCell` after `readForUpdate`: an expired value it replaces counts as removed, as when a
   * read removes it (the LSM backend counts it so too).
   */
  protected writeAfterUpdate(loc: Location<K, N>, value: V, valueSize: number): void {
    this.writeCell(loc, value, valueSize);
    if (this.#replacesExpired) this.ctx.stats.expiredRemoved++;
  }

  /**
   * Stores `value` (of estimated `valueSize` bytes) at `loc`, charging memory first, written at
   * `ts` (default now; 0 without TTL).
   */
  protected writeCell(loc: Location<K, N>, value: V, valueSize: number, ts = this.ttl === undefined ? 0 : this.ctx.clock.now()): void {
    const size = CELL_OVERHEAD + loc.nsSize + valueSize;
    const cell = this.lookup(loc);
    if (cell === undefined) {
      this.insert(loc, { namespace: loc.namespace, size, value, ts });
    } else {
      this.resize(cell, size);
      cell.value = value;
      cell.ts = ts;
    }
  }

  protected encodeCell(cell: ValueCell<N, V>, prefix: Uint8Array, put: (key: Uint8Array, value: Uint8Array) => void): void {
    const bytes = this.stored.serialize(cell.value);
    put(prefix, this.ttl === undefined ? bytes : encodeTtlValue(cell.ts, bytes));
  }

  protected decodeEntry(loc: Location<K, N>, _rest: Uint8Array, stored: Uint8Array): void {
    let ts = 0;
    let bytes = stored;
    if (this.ttl !== undefined) ({ timestamp: ts, value: bytes } = decodeTtlValue(stored));
    const value = this.stored.deserialize(bytes.slice());
    this.writeCell(loc, value, this.stored.check(value), ts);
  }

  protected isLive(cell: ValueCell<N, V>, now: number): boolean {
    return !this.ttl!.isExpired(cell.ts, now);
  }

  protected purge(cell: ValueCell<N, V>, now: number): PurgeResult {
    const expired = this.ttl!.isExpired(cell.ts, now);
    return { removed: expired ? 1 : 0, empty: expired };
  }
}
