/**
 * Heap states that keep one value per (key, namespace): value, reducing and aggregating state.
 * The TTL rules of `ttl.ts` for one entry live here.
 */
import { CELL_OVERHEAD } from './memory-budget.js';
import { HeapState, type Cell, type Location, type PurgeResult } from './heap-state.js';

/** One value and the time it was last written (0 without TTL). */
export interface ValueCell<N, V> extends Cell<N> {
  value: V;
  ts: number;
}

export abstract class SingleValueHeapState<K, N, V> extends HeapState<K, N, ValueCell<N, V>> {
  /**
   * The stored value at `loc`, applying TTL: an expired value is removed (and returned only to a
   * plain read under `returnExpiredIfNotCleanedUp`); a plain read refreshes it under
   * `onReadAndWrite`. `forUpdate` reads (before a reduce/add) treat expired values as absent.
   */
  protected readCell(loc: Location<K, N>, forUpdate: boolean): V | undefined {
    const cell = this.lookup(loc);
    if (cell === undefined) return undefined;
    const ttl = this.ttl;
    if (ttl !== undefined) {
      const now = this.ctx.clock.now();
      if (ttl.isExpired(cell.ts, now)) {
        this.expire(loc, 1);
        return !forUpdate && ttl.returnExpired ? cell.value : undefined;
      }
      if (!forUpdate && ttl.refreshOnRead) cell.ts = now;
    }
    return cell.value;
  }

  /** Stores `value` (of estimated `valueSize` bytes) at `loc`, charging memory first. */
  protected writeCell(loc: Location<K, N>, value: V, valueSize: number): void {
    const size = CELL_OVERHEAD + loc.nsSize + valueSize;
    const ts = this.ttl === undefined ? 0 : this.ctx.clock.now();
    const cell = this.lookup(loc);
    if (cell === undefined) {
      this.insert(loc, { namespace: loc.namespace, size, value, ts });
    } else {
      this.resize(cell, size);
      cell.value = value;
      cell.ts = ts;
    }
  }

  protected isLive(cell: ValueCell<N, V>, now: number): boolean {
    return !this.ttl!.isExpired(cell.ts, now);
  }

  protected purge(cell: ValueCell<N, V>, now: number): PurgeResult {
    const expired = this.ttl!.isExpired(cell.ts, now);
    return { removed: expired ? 1 : 0, empty: expired };
  }
}
