/**
 * `ColumnFamily`: one key space of a database (RocksDB's column family; edgestate keeps one per
 * keyed state). Every read and write of the key-value API lives here; the database's own methods
 * act on its default column family.
 */
import { InvalidArgumentError } from '../errors.js';
import { HEADER_SIZE, Tag, writeOp } from './batch-encoding.js';
import { toBytes, type BytesInput } from './bytes.js';
import { ScanFlag, readU32, type EngineCore } from './engine-core.js';
import type { Snapshot } from './snapshot.js';
import type { BatchTarget, MergeOperatorName } from './write-batch.js';

/** Options of one write. */
export interface WriteOptions {
  /**
   * Flush the log to durable storage before returning. Without it, a write that returned
   * survives a killed worker or closed tab, but not a crash of the machine or browser.
   */
  readonly sync?: boolean;
}

/** Options of one read. */
export interface ReadOptions {
  /** Read as of this snapshot (default: the latest state). */
  readonly snapshot?: Snapshot;
}

/** Which entries an iteration visits, in which order. */
export interface IterateOptions extends ReadOptions {
  /** Smallest key visited (inclusive). Alias: `from`. */
  readonly gte?: BytesInput;
  /** First key not visited (exclusive). Alias: `to`. */
  readonly lt?: BytesInput;
  /** Same as `gte`. */
  readonly from?: BytesInput;
  /** Same as `lt`. */
  readonly to?: BytesInput;
  /** Only keys starting with these bytes (combined with the bounds above). */
  readonly prefix?: BytesInput;
  /** Largest key first. */
  readonly reverse?: boolean;
  /** At most this many entries. */
  readonly limit?: number;
}

/** Fatal: a replacement character in place of bad bytes would pass for stored data. */
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `bytes` (a stored key or value) decoded as UTF-8. Bytes that are not UTF-8 throw
 * `InvalidArgumentError` (`what` is not valid UTF-8; `remedy`) rather than come back with U+FFFD
 * in their place. The one decoder behind every "read as string" of the engine and its worker.
 */
export function decodeStoredUtf8(bytes: Uint8Array, what: string, remedy: string, argument: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InvalidArgumentError(`${what} is not valid UTF-8; ${remedy}`, { argument });
  }
}

/** How a value that is not a column family handle reads in an error message. */
function describeNonHandle(cf: unknown): string {
  if (typeof cf === 'string') return `the name ${JSON.stringify(cf)} (pass the handle db.columnFamily(${JSON.stringify(cf)}) instead)`;
  if (typeof cf === 'number' || typeof cf === 'boolean' || typeof cf === 'bigint') return `the ${typeof cf} ${String(cf)}`;
  if (cf === null) return 'null';
  return typeof cf === 'object' ? 'an object that is not a ColumnFamily handle' : `a ${typeof cf}`;
}

/** Entries per page fetched from the engine, and the page's byte budget. */
const PAGE_ENTRIES = 512;
const PAGE_BYTES = 256 << 10;

function syncOption(options: WriteOptions | undefined): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`write options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  if (options.sync !== undefined && typeof options.sync !== 'boolean') {
    throw new InvalidArgumentError(`options.sync must be a boolean, got ${typeof options.sync}`, { argument: 'sync' });
  }
  return options.sync ?? false;
}

/** The smallest key after every key starting with `prefix` (`undefined`: none, all bytes 0xff). */
function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Resolved bounds of an iteration: `lower <= key < upper`. */
interface Range {
  readonly lower: BytesInput | undefined;
  readonly upper: BytesInput | undefined;
  readonly reverse: boolean;
  readonly limit: number;
}

function rangeOf(options: IterateOptions): Range {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('iteration options must be an object');
  let lower = options.gte ?? options.from;
  let upper = options.lt ?? options.to;
  if (lower !== undefined) lower = toBytes(lower, 'gte');
  if (upper !== undefined) upper = toBytes(upper, 'lt');
  if (options.prefix !== undefined) {
    const prefix = toBytes(options.prefix, 'prefix');
    if (lower === undefined || compare(prefix, lower) > 0) lower = prefix;
    const end = prefixEnd(prefix);
    if (end !== undefined && (upper === undefined || compare(end, upper) < 0)) upper = end;
  }
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError(`limit must be a non-negative integer, got ${String(options.limit)}`, { argument: 'limit' });
  }
  if (options.reverse !== undefined && typeof options.reverse !== 'boolean') {
    throw new InvalidArgumentError('reverse must be a boolean', { argument: 'reverse' });
  }
  return { lower, upper, reverse: options.reverse ?? false, limit };
}

/** A column family of an open database. Handles stay valid until the database closes or the family is dropped. */
export class ColumnFamily implements BatchTarget {
  readonly #core: EngineCore;
  /** The column family's id in its database (0: the default column family). */
  readonly id: number;
  /** Its name (`'default'` for id 0). */
  readonly name: string;
  /** Its merge operator, if it has one. */
  readonly mergeOperator: MergeOperatorName | undefined;

  /** @internal Use `LsmDatabase.columnFamily()` / `createColumnFamily()`. */
  constructor(core: EngineCore, id: number, name: string, merge: MergeOperatorName | undefined) {
    this.#core = core;
    this.id = id;
    this.name = name;
    this.mergeOperator = merge;
  }

  /**
   * @internal The engine id of the column family argument `cf`: the one check every method
   * taking a column family makes. `undefined` is the default family (id 0) for one comparison:
   * batch operations on it are a hot path (`db.put`/`get` run on the default handle, never here).
   * Anything else must be a handle of the database run by `core`, else `InvalidArgumentError`: a
   * name or number would reach the engine as id 0 (the default family) and another database's
   * handle as whatever family has its id there — reads, writes and TTL filters on the wrong data.
   * `core === undefined` takes any database's handle: a `WriteBatch` belongs to no database until
   * `LsmDatabase.write`, which checks its handles again with the database's core.
   *
   * Ownership is the handle's own `#core` (it needs one to run its methods anyway), so the check
   * is a reference comparison: no registry of handles in the database. A reopened database has
   * a new core, so handles from an earlier open are refused too. A dropped family's handle passes
   * here, but its id names nothing in the engine (ids are never reused: the MANIFEST records the
   * largest given), which refuses it with `InvalidArgumentError` before touching data.
   */
  static idIn(cf: unknown, core: EngineCore | undefined): number {
    if (cf === undefined) return 0;
    // `#core in cf` is the brand check: unlike `instanceof`, no object but a real handle passes.
    if (typeof cf !== 'object' || cf === null || !(#core in cf)) {
      throw new InvalidArgumentError(`cf must be a ColumnFamily handle (or undefined for the default column family), got ${describeNonHandle(cf)}`, { argument: 'cf' });
    }
    if (core !== undefined && cf.#core !== core) {
      throw new InvalidArgumentError(`column family ${JSON.stringify(cf.name)} belongs to another database (or an earlier open of this one)`, { argument: 'cf' });
    }
    return cf.id;
  }

  /** Sets `key` to `value`. Throws `KeyTooLargeError`/`ValueTooLargeError` and writes nothing if over the limits. */
  put(key: BytesInput, value: BytesInput, options?: WriteOptions): void {
    const core: EngineCore = this.#core;
    core.checkKey(key);
    core.checkValue(value);
    const sync = syncOption(options);
    core.call((db, staging) => {
      const klen = staging.write(key, 0);
      const vlen = staging.write(value, klen);
      db.put(this.id, klen, vlen, sync);
    });
    core.wrote();
  }

  /**
   * Adds a merge operand to `key`, combined with what is there by the family's merge operator
   * when read or compacted — no read-modify-write. For `listAppend`, `operand` is one element.
   *
   * An operand the operator can never use is refused here, with nothing written: for
   * `uint64Add`, one that is not 8 bytes (`InvalidArgumentError` naming the column family and
   * the operand's length; build operands with `uint64Operand()`); for `listAppend`, an element
   * that framed would be longer than `maxValueSize` (`ValueTooLargeError`). The same checks
   * refuse a whole `WriteBatch` in `write(batch)`.
   */
  merge(key: BytesInput, operand: BytesInput, options?: WriteOptions): void {
    const core: EngineCore = this.#core;
    core.checkKey(key);
    core.checkValue(operand, 'operand');
    if (this.mergeOperator === undefined) {
      throw new InvalidArgumentError(`column family ${JSON.stringify(this.name)} has no merge operator`, { argument: 'cf' });
    }
    const sync = syncOption(options);
    core.call((db, staging) => {
      const klen = staging.write(key, 0);
      let vlen: number;
      if (this.mergeOperator === 'listAppend') {
        // The operand is `varint32 length ‖ element`, written in place behind the key.
        const element = typeof operand === 'string' ? toBytes(operand, 'operand') : operand;
        const frame = staging.writeVarint32(element.length, klen);
        vlen = frame + staging.write(element, klen + frame);
      } else {
        vlen = staging.write(operand, klen);
      }
      db.merge(this.id, klen, vlen, sync);
    });
    core.wrote();
  }

  /** Removes `key` (no error if absent). */
  delete(key: BytesInput, options?: WriteOptions): void {
    const core: EngineCore = this.#core;
    core.checkKey(key);
    const sync = syncOption(options);
    core.call((db, staging) => db.delete(this.id, staging.write(key, 0), sync));
    core.wrote();
  }

  /** Removes every key `k` with `begin <= k < end` in one write (a range tombstone), whatever their number. */
  deleteRange(begin: BytesInput, end: BytesInput, options?: WriteOptions): void {
    const core: EngineCore = this.#core;
    core.checkKey(begin, 'begin');
    core.checkKey(end, 'end');
    const sync = syncOption(options);
    core.call((db, staging) => {
      const blen = staging.write(begin, 0);
      const elen = staging.write(end, blen);
      db.delete_range(this.id, blen, elen, sync);
    });
    core.wrote();
  }

  /**
   * Writes every `[key, value]` of `entries` as one atomic batch (one log record: after a crash
   * all of them or none are there). Validates everything before writing anything. The batch is
   * encoded straight into the engine's input buffer.
   */
  putMany(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>, options?: WriteOptions): void {
    const core: EngineCore = this.#core;
    if (!Array.isArray(entries)) throw new InvalidArgumentError('putMany needs an array of [key, value] pairs');
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new InvalidArgumentError('each entry must be a [key, value] pair');
      core.checkKey(entry[0]);
      core.checkValue(entry[1]);
    }
    const sync = syncOption(options);
    core.call((db, staging) => {
      let end = HEADER_SIZE;
      for (let i = 0; i < HEADER_SIZE; i++) staging.writeByte(0, i);
      for (const [k, v] of entries) end = writeOp(staging, end, Tag.Put, this.id, k, v);
      staging.writeU32(entries.length, 8);
      db.write(end, sync);
    });
    core.wrote();
  }

  /** The value of `key` (a fresh copy), or `undefined`. */
  get(key: BytesInput, options?: ReadOptions): Uint8Array | undefined {
    return this.read(key, (view) => view.slice(), options);
  }

  /** The value of `key` decoded as UTF-8, or `undefined`. Throws `InvalidArgumentError` if it is not UTF-8. */
  getString(key: BytesInput, options?: ReadOptions): string | undefined {
    return this.read(key, (view) => decodeStoredUtf8(view, 'the stored value', 'read it with get()', 'key'), options);
  }

  /** Whether `key` has a value. */
  has(key: BytesInput, options?: ReadOptions): boolean {
    return this.read(key, () => true, options) ?? false;
  }

  /**
   * Looks `key` up and hands `decode` a view of the value inside the engine's memory — no copy.
   * The view is valid only during `decode`, which must not use the database. Returns what
   * `decode` returns, or `undefined` if the key is absent.
   */
  read<T>(key: BytesInput, decode: (value: Uint8Array) => T, options?: ReadOptions): T | undefined {
    const core: EngineCore = this.#core;
    core.checkKey(key);
    const snapshot = options?.snapshot?.idFor(core) ?? 0;
    const found = core.getRaw(this.id, key, snapshot);
    if (found === undefined) return undefined;
    const [at, len] = found;
    const view = core.heap().subarray(at, at + len);
    return core.withoutReentry(() => decode(view));
  }

  /** Looks up many keys in one call into the engine; `undefined` where a key is absent. */
  multiGet(keys: readonly BytesInput[], options?: ReadOptions): Array<Uint8Array | undefined> {
    const core: EngineCore = this.#core;
    if (!Array.isArray(keys)) throw new InvalidArgumentError('multiGet needs an array of keys');
    for (const key of keys) core.checkKey(key);
    const snapshot = options?.snapshot?.idFor(core) ?? 0;
    return core.call((db, staging) => {
      let p = 0;
      for (const key of keys) {
        const len = staging.write(key, p + 4);
        staging.writeU32(len, p);
        p += 4 + len;
      }
      db.multi_get(this.id, keys.length, snapshot);
      const heap = staging.heap();
      let q = staging.output();
      const out: Array<Uint8Array | undefined> = [];
      for (let i = 0; i < keys.length; i++) {
        const len = readU32(heap, q) | 0;
        q += 4;
        if (len < 0) {
          out.push(undefined);
        } else {
          out.push(heap.slice(q, q + len));
          q += len;
        }
      }
      return out;
    });
  }

  /**
   * Calls `visit(key, value)` for the entries in range, in order, with *views* into the engine's
   * memory (no copies): valid only during the call, which must not use the database. Return
   * `false` to stop. Returns the number of entries visited.
   */
  forEach(options: IterateOptions, visit: (key: Uint8Array, value: Uint8Array) => boolean | void): number {
    const range = rangeOf(options);
    const core: EngineCore = this.#core;
    const snapshot = options.snapshot?.idFor(core) ?? 0;
    return this.#pages(range, snapshot, false, (heap, at, count) => {
      let p = at;
      let n = 0;
      let stop = false;
      core.withoutReentry(() => {
        for (; n < count; n++) {
          const klen = readU32(heap, p);
          const key = heap.subarray(p + 4, p + 4 + klen);
          p += 4 + klen;
          const vlen = readU32(heap, p);
          const value = heap.subarray(p + 4, p + 4 + vlen);
          p += 4 + vlen;
          if (visit(key, value) === false) {
            stop = true;
            n++;
            break;
          }
        }
      });
      return [n, stop];
    });
  }

  /**
   * The entries in range, as fresh copies, fetched from the engine a page at a time. Reads at a
   * snapshot taken when iteration starts (released when it ends), so writes made while iterating
   * are not seen.
   */
  *entries(options: IterateOptions = {}): Generator<[Uint8Array, Uint8Array], void, undefined> {
    yield* this.#iterate(options, false) as Generator<[Uint8Array, Uint8Array], void, undefined>;
  }

  /**
   * The keys in range (as `entries()`, without reading values). Merge operands are not merged:
   * a key whose merge would fail (a list past `maxValueSize`, a malformed stored operand) is
   * listed; reading its value reports the failure.
   */
  *keys(options: IterateOptions = {}): Generator<Uint8Array, void, undefined> {
    for (const [key] of this.#iterate(options, true)) yield key;
  }

  /**
   * Estimated size without a scan: entries in the memtable and tables (every version and
   * tombstone counts: an upper bound of live keys) and bytes (table files plus memtable memory).
   */
  estimateSize(): { readonly entries: number; readonly bytes: number } {
    const [entries, bytes] = this.#core.call((db) => db.column_family_size(this.id)) as [number, number];
    return { entries, bytes };
  }

  /** The number of live keys in range. Scans their keys as `keys()` does (merging nothing): O(keys). */
  count(options: IterateOptions = {}): number {
    const range = rangeOf(options);
    if (range.lower === undefined && range.upper === undefined && range.limit === Number.MAX_SAFE_INTEGER && options.snapshot === undefined) {
      return this.#core.call((db) => db.count(this.id));
    }
    const snapshot = options.snapshot?.idFor(this.#core) ?? 0;
    return this.#pages(range, snapshot, true, (_heap, _at, count) => [count, false]);
  }

  *#iterate(options: IterateOptions, keysOnly: boolean): Generator<[Uint8Array, Uint8Array | undefined], void, undefined> {
    const range = rangeOf(options);
    const core: EngineCore = this.#core;
    const own = options.snapshot === undefined ? core.snapshot() : 0;
    const snapshot = own !== 0 ? own : options.snapshot!.idFor(core);
    try {
      let start: Uint8Array | undefined;
      let left = range.limit;
      while (left > 0) {
        const flags = (range.reverse ? ScanFlag.Reverse : 0) | (keysOnly ? ScanFlag.KeysOnly : 0) | (start === undefined ? 0 : ScanFlag.StartExclusive);
        const page = core.scanPage(this.id, range.lower, range.upper, start, flags, Math.min(left, PAGE_ENTRIES), PAGE_BYTES, snapshot);
        const heap = core.heap();
        const batch: Array<[Uint8Array, Uint8Array | undefined]> = [];
        let p = page.at;
        for (let i = 0; i < page.count; i++) {
          const klen = readU32(heap, p);
          const key = heap.slice(p + 4, p + 4 + klen);
          p += 4 + klen;
          let value: Uint8Array | undefined;
          if (!keysOnly) {
            const vlen = readU32(heap, p);
            value = heap.slice(p + 4, p + 4 + vlen);
            p += 4 + vlen;
          }
          batch.push([key, value]);
          start = key;
        }
        left -= page.count;
        yield* batch;
        if (page.done) break;
      }
    } finally {
      if (own !== 0) core.releaseSnapshot(own);
    }
  }

  /** Runs `take` over pages until the range, the limit or `take` ends it; returns entries taken. */
  #pages(range: Range, snapshot: number, keysOnly: boolean, take: (heap: Uint8Array, at: number, count: number) => [number, boolean]): number {
    const core: EngineCore = this.#core;
    let start: Uint8Array | undefined;
    let left = range.limit;
    let total = 0;
    while (left > 0) {
      const flags = (range.reverse ? ScanFlag.Reverse : 0) | (keysOnly ? ScanFlag.KeysOnly : 0) | (start === undefined ? 0 : ScanFlag.StartExclusive);
      const page = core.scanPage(this.id, range.lower, range.upper, start, flags, Math.min(left, PAGE_ENTRIES), PAGE_BYTES, snapshot);
      if (page.count === 0) break;
      const heap = core.heap();
      // The last key of the page is where the next page starts (exclusive); copied because the
      // next call overwrites the output buffer it lives in.
      start = lastKey(heap, page.at, page.count, keysOnly);
      const [n, stop] = take(heap, page.at, page.count);
      total += n;
      left -= n;
      if (stop || page.done) break;
    }
    return total;
  }
}

/** A copy of the last key of a page of `count` entries at `at`. */
function lastKey(heap: Uint8Array, at: number, count: number, keysOnly: boolean): Uint8Array {
  let p = at;
  let key = 0;
  let klen = 0;
  for (let i = 0; i < count; i++) {
    klen = readU32(heap, p);
    key = p + 4;
    p += 4 + klen;
    if (!keysOnly) p += 4 + readU32(heap, p);
  }
  return heap.slice(key, key + klen);
}
