/**
 * A priority queue of timers with O(log n) insert, delete-by-id and pop: a binary min-heap
 * whose entries know their index, plus a Map from id to entry for dedupe and deletion.
 *
 * Order: timestamp, then the bytes of the timer's state key (key group, length-prefixed key,
 * namespace; see key-layout.ts). That is the LSM backend's timer column family order, so both
 * backends fire ties identically.
 */
import { compareBytes } from '../key-layout.js';

/** One queued timer. `id` is unique per (timestamp, state key). */
export interface QueuedTimer<T> {
  readonly id: string;
  readonly timestamp: number;
  readonly sortKey: Uint8Array;
  readonly payload: T;
  index: number;
}

function before<T>(a: QueuedTimer<T>, b: QueuedTimer<T>): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  return compareBytes(a.sortKey, b.sortKey) < 0;
}

export class TimerQueue<T> {
  readonly #heap: QueuedTimer<T>[] = [];
  readonly #byId = new Map<string, QueuedTimer<T>>();

  get size(): number {
    return this.#heap.length;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Adds `timer`; returns false (and changes nothing) when its id is already queued. */
  add(timer: QueuedTimer<T>): boolean {
    if (this.#byId.has(timer.id)) return false;
    timer.index = this.#heap.length;
    this.#heap.push(timer);
    this.#byId.set(timer.id, timer);
    this.#up(timer.index);
    return true;
  }

  /** Removes the timer with `id`; returns it, or undefined when absent. */
  delete(id: string): QueuedTimer<T> | undefined {
    const timer = this.#byId.get(id);
    if (timer === undefined) return undefined;
    this.#byId.delete(id);
    const last = this.#heap.pop()!;
    if (last !== timer) {
      this.#heap[timer.index] = last;
      last.index = timer.index;
      this.#down(last.index);
      this.#up(last.index);
    }
    return timer;
  }

  peek(): QueuedTimer<T> | undefined {
    return this.#heap[0];
  }

  /** Removes and returns the first timer. */
  pop(): QueuedTimer<T> | undefined {
    const first = this.#heap[0];
    if (first !== undefined) this.delete(first.id);
    return first;
  }

  /** Every queued timer, in no particular order. */
  values(): IterableIterator<QueuedTimer<T>> {
    return this.#byId.values();
  }

  #up(i: number): void {
    const heap = this.#heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(item, p)) break;
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = item;
    item.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const c = heap[child]!;
      if (!before(c, item)) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = item;
    item.index = i;
  }
}
