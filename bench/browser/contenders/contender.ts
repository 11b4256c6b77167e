/**
 * The seam every store under test implements. A contender opens fresh, empty stores; a store
 * runs whole phases (the loop is inside, so the harness adds nothing per operation).
 *
 * Methods may return a promise or a plain value: synchronous stores (the engine, sqlite, a Map)
 * run their loops without awaiting anything, asynchronous ones (IndexedDB) await inside.
 */
import type { Workload } from '../workload.js';

/** A store type under test. */
export interface Contender {
  /** What exactly runs: storage, version, settings. */
  readonly detail: string;
  /** Facts a reader needs beside the numbers (durability of each phase, what a batch is). */
  readonly notes: readonly string[];
  /**
   * Whether one write costs a whole transaction (IndexedDB, sqlite): the `putOne` phase then
   * writes at most `perOpCap` keys (or it would take hours at a million keys), and the batched
   * load at most `loadCap`.
   */
  readonly perOpCapped: boolean;
  /**
   * Opens a new, empty store called `name` (removing anything a previous run left there).
   * Untimed: a store may prepare what it needs from the workload `w` here.
   */
  open(name: string, w: Workload): Promise<Store>;
  /** Removes everything this contender stored (stores must be closed first). */
  dispose(): Promise<void>;
}

/**
 * An open store. Write phases write key `i` with value `i` of the workload. Methods are closures
 * over the store and never use `this` (the harness calls them detached).
 */
export interface Store {
  /** Writes keys `[0, count)` one call (and, for transactional stores, one transaction) each. */
  putOne(w: Workload, count: number): void | Promise<void>;
  /** Writes keys `[0, count)` in batches of `batchSize` (one call or transaction per batch). Absent: no batch API. */
  readonly putBatch?: (w: Workload, count: number, batchSize: number) => void | Promise<void>;
  /** Makes everything written so far durable. Absent: the store is not durable (memory). */
  readonly makeDurable?: () => Promise<void>;
  /** Overwrites key `i` with its value and commits durably. Present exactly when `makeDurable` is. */
  readonly commitOne?: (w: Workload, i: number) => Promise<void>;
  /** Reads every key of `order`; returns how many were found with a value of the right size. */
  get(w: Workload, order: Uint32Array): number | Promise<number>;
  /** Scans `length` entries from each key of `starts`; returns the entries returned in all. Absent: unordered. */
  readonly scan?: (w: Workload, starts: Uint32Array, length: number) => number | Promise<number>;
  /** Closes the store. */
  close(): Promise<void>;
}
