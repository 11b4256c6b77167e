/**
 * The LSM engine as a JavaScript object: `openLsm()` and {@link LsmDatabase}.
 *
 * Reads and writes are synchronous calls into wasm: use the database in the worker that owns
 * it (see `worker/`), not across `postMessage` per access. Opening and closing are async
 * because preparing storage is.
 */
import { Database } from '../../../wasm/pkg/edgestate_lsm.js';
import { InvalidArgumentError } from '../errors.js';
import type { OpenedStorage, StorageAdapter, StorageKind } from '../storage/host-vfs.js';
import { isRetryableStorageFailure, typedStorageCall } from '../storage/storage-failure.js';
import type { BytesInput } from './bytes.js';
import { ColumnFamily, type IterateOptions, type ReadOptions, type WriteOptions } from './column-family.js';
import { EngineCore } from './engine-core.js';
import { fromEngineError } from './engine-error.js';
import { Snapshot } from './snapshot.js';
import { engineMemory, loadEngine, type EngineSource } from './wasm-module.js';
import { WriteBatch, type MergeOperatorName } from './write-batch.js';

export type { BytesInput } from './bytes.js';

/** What recovery does with a damaged write-ahead log; see docs/formats/log.md. */
export type WalRecoveryMode =
  /** Any damage, even a torn last record, fails the open with `CorruptionError`. */
  | 'absoluteConsistency'
  /** Default: drop a torn last record (a crash mid-append); damage before valid records fails. */
  | 'tolerateCorruptedTail'
  /** Keep everything before the first damage, drop the rest, and report it. */
  | 'pointInTime';

const RECOVERY_MODES: Readonly<Record<WalRecoveryMode, number>> = {
  absoluteConsistency: 0,
  tolerateCorruptedTail: 1,
  pointInTime: 2,
};

/** Compression of new tables' data blocks. */
export type Compression = 'none' | 'snappy' | 'lz4';

/** Options of a column family. Not stored: give the same ones on every open. */
export interface ColumnFamilyOptions {
  /** How `merge` operands combine (default: none, and `merge` is refused). */
  readonly merge?: MergeOperatorName;
  /**
   * A table written this many seconds ago or earlier, by the time given to
   * {@link LsmDatabase.setTime}, is rewritten when no other compaction is due, so that a
   * compaction filter ({@link LsmDatabase.setTtlFilter}) sees data that no write brings to
   * compaction again (RocksDB's `periodic_compaction_seconds`). `0`: never. Default: 30 days
   * while the family has a compaction filter, else never.
   */
  readonly periodicCompactionSeconds?: number;
}

/**
 * How the engine uses memory and storage. Every field is optional (the engine's defaults are in
 * brackets); out-of-range values fail the open with `InvalidArgumentError`.
 */
export interface EngineTuning {
  /** A column family's memtable is written to a table at this size [4 MiB]. */
  readonly writeBufferSize?: number;
  /**
   * One budget for memtables and the block cache, in bytes [64 MiB], split by `cacheShare`. Not
   * included: the index and filter blocks of open tables (about 1–2% of table bytes).
   */
  readonly memoryBudget?: number;
  /**
   * Fraction of `memoryBudget` given to the block cache, in [0, 1) [0.5]: the cache gets
   * `Math.floor(memoryBudget × cacheShare)` bytes (`stats().blockCache.capacity`), memtables the
   * rest (all are flushed when together they reach it). Larger for reads of more data than the
   * memtables hold, smaller for write bursts.
   */
  readonly cacheShare?: number;
  /** Data block size of new tables, before compression [4096]. */
  readonly blockSize?: number;
  /** Bloom filter bits per key (0: no filter) [10, ~1% false positives]. */
  readonly bloomBitsPerKey?: number;
  /** ['none'] */
  readonly compression?: Compression;
  /** Level 0 is compacted when it holds this many tables [4]. */
  readonly level0CompactionTrigger?: number;
  /** Target size of level 1 [64 MiB]. */
  readonly maxBytesForLevelBase?: number;
  /** Growth factor between levels [10]. */
  readonly levelMultiplier?: number;
  /** Size at which compaction starts a new table [8 MiB]. */
  readonly targetFileSize?: number;
  /**
   * Bytes of log records kept in memory and handed to storage in one write [0: each write hands
   * its record over before returning]. With a buffer (RocksDB's `manual_wal_flush`), records go
   * to storage when the buffer fills and at the end of the task that wrote them (and on `sync`,
   * `flush`, `close`), so a write loop costs one storage call per buffer instead of one per
   * write — what makes single puts fast on OPFS. The price: a worker killed *during* a task
   * loses that task's unsynced writes (always a prefix of the log; synced writes are never lost).
   */
  readonly walBufferSize?: number;
}

const TUNING_KEYS = [
  'walBufferSize',
  'writeBufferSize',
  'memoryBudget',
  'blockSize',
  'bloomBitsPerKey',
  'level0CompactionTrigger',
  'maxBytesForLevelBase',
  'levelMultiplier',
  'targetFileSize',
] as const;

/** Options of {@link openLsm}. */
export interface OpenLsmOptions extends EngineTuning {
  /** Where the files live: `opfsStorage(name)`, `indexedDbStorage(name)`, `memoryStorage()`. */
  readonly storage: StorageAdapter;
  /** Longest key accepted, in bytes. Default 65536; at most 2^30. */
  readonly maxKeySize?: number;
  /**
   * Longest value or merge operand accepted, in bytes, and longest merged value read. Default
   * 64 MiB; at most 2^30. Merge operands are checked one by one when written, so a `listAppend`
   * list can grow past it: reads of that key (and only those) then throw `ValueTooLargeError`
   * with the merged length, until the key is put or deleted; flushes, compactions and reopening
   * go on (docs/engine-api.md).
   */
  readonly maxValueSize?: number;
  /** Default `'tolerateCorruptedTail'`. */
  readonly walRecovery?: WalRecoveryMode;
  /**
   * Column families by name, with their options; those that do not exist yet are created.
   * Existing families not listed open without a merge operator. `default` may be listed too.
   */
  readonly columnFamilies?: Readonly<Record<string, ColumnFamilyOptions>>;
  /** Options of existing column families not listed in `columnFamilies` (default: none). */
  readonly columnFamilyDefaults?: ColumnFamilyOptions;
  /** The engine's `.wasm` (needed in Node; browsers find it through the bundler). */
  readonly wasm?: EngineSource;
}

/** Bounds of a scan: `from <= key < to`. */
export interface ScanOptions {
  readonly from?: BytesInput;
  readonly to?: BytesInput;
  /** At most this many entries (default: all). */
  readonly limit?: number;
}

/** A damaged log tail that recovery dropped. */
export interface DroppedTail {
  readonly file: string;
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

/** What opening found in the write-ahead logs. */
export interface RecoveryInfo {
  readonly logsReplayed: number;
  readonly batchesReplayed: number;
  readonly opsReplayed: number;
  readonly dropped: readonly DroppedTail[];
  /** Logs not replayed because `pointInTime` recovery stopped before them. */
  readonly logsSkipped: readonly string[];
  /** Live tables (SST files) found. */
  readonly tables: number;
  /** The storage was full, so replayed logs stay live (data in memory) until a later flush. */
  readonly flushSkippedForQuota: boolean;
}

/** The block cache's counters. */
export interface BlockCacheStats {
  readonly capacity: number;
  readonly usage: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** What {@link LsmDatabase.pinCheckpoint} pinned. */
export interface PinnedCheckpoint {
  /** Id to release it with. */
  readonly id: number;
  /** The checkpoint holds every write up to this sequence number. */
  readonly lastSequence: number;
  /** Its tables, readable with `readPinned` while pinned. */
  readonly tables: ReadonlyArray<{ readonly name: string; readonly size: number }>;
  /** The name `CURRENT` must give the MANIFEST image. */
  readonly manifestName: string;
  /** A MANIFEST naming exactly these tables. */
  readonly manifest: Uint8Array;
}

/** Counters of an open database. */
export interface LsmStats {
  readonly storage: StorageKind;
  /** Entries in memtables and tables: an upper bound of live keys (use `count()` for the exact number). */
  readonly keysEstimate: number;
  readonly memtableBytes: number;
  readonly logBytes: number;
  readonly logNumber: number;
  readonly lastSequence: number;
  /** Live tables (SST files). */
  readonly tables: number;
  /** `[files, bytes]` per level, 0 to 6. */
  readonly levels: ReadonlyArray<readonly [number, number]>;
  readonly flushes: number;
  readonly compactions: number;
  /** Bytes written to tables by flushes and compactions since open. */
  readonly tableBytesWritten: number;
  /** Open snapshots (including those iterators hold). */
  readonly snapshots: number;
  readonly blockCache: BlockCacheStats;
  /**
   * Set while flushing or compacting is on hold because the storage is full or not ready:
   * writes still succeed (into memory and the log) until memtables hold twice their budget,
   * then fail with that error; the next write after room appears catches up.
   */
  readonly maintenanceError?: string;
}

function limitOption(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 30) {
    throw new InvalidArgumentError(`${what} must be an integer in 1..2^30, got ${String(value)}`, { argument: what });
  }
  return value;
}

const MERGE_OPERATORS: readonly MergeOperatorName[] = ['listAppend', 'uint64Add'];

function checkPeriodic(seconds: unknown, where: string): number | undefined {
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0) {
    throw new InvalidArgumentError(`${where}: periodicCompactionSeconds must be a non-negative integer, got ${String(seconds)}`, { argument: 'periodicCompactionSeconds' });
  }
  return seconds;
}

/** A column family's options as `Database.open` reads them; throws on bad values. */
function engineColumnFamily(options: ColumnFamilyOptions | undefined, where: string): { merge?: MergeOperatorName; periodicCompactionSeconds?: number } {
  const merge = checkMerge(options?.merge, where);
  const periodicCompactionSeconds = checkPeriodic(options?.periodicCompactionSeconds, where);
  return { ...(merge === undefined ? {} : { merge }), ...(periodicCompactionSeconds === undefined ? {} : { periodicCompactionSeconds }) };
}

function checkMerge(merge: unknown, where: string): MergeOperatorName | undefined {
  if (merge === undefined) return undefined;
  if (!MERGE_OPERATORS.includes(merge as MergeOperatorName)) {
    throw new InvalidArgumentError(`${where}: unknown merge operator ${JSON.stringify(merge)} (known: ${MERGE_OPERATORS.join(', ')})`, { argument: 'merge' });
  }
  return merge as MergeOperatorName;
}

/** The options object `Database.open` reads (wasm/src/bindings/open_options.rs). */
function engineOptions(options: OpenLsmOptions, maxKeySize: number, maxValueSize: number): Record<string, unknown> {
  const mode = options.walRecovery ?? 'tolerateCorruptedTail';
  if (!Object.hasOwn(RECOVERY_MODES, mode)) {
    throw new InvalidArgumentError(`unknown walRecovery ${JSON.stringify(mode)}`, { argument: 'walRecovery' });
  }
  const out: Record<string, unknown> = { maxKeySize, maxValueSize, recoveryMode: RECOVERY_MODES[mode] };
  for (const key of TUNING_KEYS) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${key} must be a non-negative integer, got ${String(v)}`, { argument: key });
    out[key] = v;
  }
  if (options.cacheShare !== undefined) {
    if (typeof options.cacheShare !== 'number' || !Number.isFinite(options.cacheShare)) {
      throw new InvalidArgumentError(`cacheShare must be a number in [0, 1), got ${String(options.cacheShare)}`, { argument: 'cacheShare' });
    }
    out.cacheShare = options.cacheShare;
  }
  if (options.compression !== undefined) {
    if (!['none', 'snappy', 'lz4'].includes(options.compression)) {
      throw new InvalidArgumentError(`compression must be 'none', 'snappy' or 'lz4', got ${JSON.stringify(options.compression)}`, { argument: 'compression' });
    }
    out.compression = options.compression;
  }
  const cfs = options.columnFamilies ?? {};
  if (typeof cfs !== 'object' || cfs === null) throw new InvalidArgumentError('columnFamilies must be an object of name → options', { argument: 'columnFamilies' });
  const defaults = engineColumnFamily(options.columnFamilyDefaults, 'columnFamilyDefaults');
  if (Object.keys(defaults).length > 0) out.columnFamilyDefaults = defaults;
  out.columnFamilies = Object.entries(cfs).map(([name, o]) => ({ name, ...engineColumnFamily(o, `column family ${JSON.stringify(name)}`) }));
  return out;
}

/**
 * Opens (creating if needed) the database in `options.storage` and replays its write-ahead log,
 * so that every write acknowledged before a crash or reload is back.
 */
export async function openLsm(options: OpenLsmOptions): Promise<LsmDatabase> {
  if (typeof options !== 'object' || options === null || typeof options.storage?.open !== 'function') {
    throw new InvalidArgumentError('openLsm needs { storage }, e.g. { storage: opfsStorage("my-db") }');
  }
  const maxKeySize = limitOption(options.maxKeySize, 64 << 10, 'maxKeySize');
  const maxValueSize = limitOption(options.maxValueSize, 64 << 20, 'maxValueSize');
  const engine = engineOptions(options, maxKeySize, maxValueSize);
  await loadEngine(options.wasm);
  // Any adapter, ours or an application's: what its open() fails with reaches the caller typed.
  const storage = await typedStorageCall({ op: 'open', storage: options.storage.kind }, () => options.storage.open());
  let db: LsmDatabase | undefined;
  try {
    const handle = Database.open(storage.vfs, engine);
    const core = new EngineCore(handle, engineMemory(), maxKeySize, maxValueSize, (options.walBufferSize ?? 0) > 0);
    db = new LsmDatabase(core, storage, options.storage.kind, options.columnFamilyDefaults?.merge);
    for (const [name, o] of Object.entries(options.columnFamilies ?? {})) {
      db.registerColumnFamily(name, o ?? {});
    }
    await db.reserveFiles();
    return db;
  } catch (e) {
    if (db !== undefined) await db.close().catch(() => undefined);
    // The open's failure is what the caller must see, not a failure to release after it.
    else await storage.close().catch(() => undefined);
    throw fromEngineError(e);
  }
}

/**
 * An open LSM database. Not shareable across workers: it lives where it was opened.
 *
 * Its key-value methods act on the default column family; `columnFamily(name)` gives the others.
 */
export class LsmDatabase {
  readonly #core: EngineCore;
  readonly #storage: OpenedStorage;
  readonly #kind: StorageKind;
  #default: ColumnFamily;
  /** Merge operators of the column families this handle knows, by name. */
  readonly #merges = new Map<string, MergeOperatorName | undefined>();
  /** Merge operator of existing families not given by name at open. */
  readonly #unlistedMerge: MergeOperatorName | undefined;
  /** What opening recovered from the logs. */
  readonly recovery: RecoveryInfo;
  /** The close in progress, which overlapping `close()` calls share. */
  #closing: Promise<void> | undefined;
  /** Set once `close()` released the storage. */
  #released = false;

  /** @internal Use {@link openLsm}. */
  constructor(core: EngineCore, storage: OpenedStorage, kind: StorageKind, unlistedMerge?: MergeOperatorName) {
    this.#core = core;
    this.#unlistedMerge = unlistedMerge;
    this.#storage = storage;
    this.#kind = kind;
    this.recovery = core.call((db) => db.recovery()) as RecoveryInfo;
    this.#default = new ColumnFamily(core, 0, 'default', undefined);
  }

  /** The largest key and value (in bytes) this database accepts (`maxKeySize`, `maxValueSize`). */
  get limits(): { readonly maxKeySize: number; readonly maxValueSize: number } {
    return { maxKeySize: this.#core.maxKeySize, maxValueSize: this.#core.maxValueSize };
  }

  /** @internal Records (creating if missing) a column family given at open. */
  registerColumnFamily(name: string, options: ColumnFamilyOptions): void {
    const merge = options.merge;
    this.#merges.set(name, merge);
    if (name === 'default') {
      this.#default = new ColumnFamily(this.#core, 0, 'default', merge);
      return;
    }
    if (this.#idOf(name) === undefined) this.createColumnFamily(name, options);
  }

  /**
   * Asks the storage to be ready to create `files` files synchronously (default: what a flush
   * of every column family needs, with room to spare). Resolves at once on storages that need
   * no preparation.
   */
  async reserveFiles(files = this.columnFamilyNames().length + 4): Promise<void> {
    await typedStorageCall({ op: 'reserve', storage: this.#kind }, () => this.#storage.reserve?.(files));
  }

  /**
   * Whether {@link LsmDatabase.close} closed the database (true as soon as the engine is closed,
   * while the storage may still be being released; a close refused for want of space leaves it
   * false).
   */
  get closed(): boolean {
    return this.#core.closed;
  }

  /** The default column family (id 0). */
  get defaultColumnFamily(): ColumnFamily {
    return this.#default;
  }

  /** Names of every column family, `'default'` first. */
  columnFamilyNames(): string[] {
    return (this.#core.call((db) => db.column_families()) as Array<[number, string]>).map(([, name]) => name);
  }

  /** The column family called `name`; throws `InvalidArgumentError` if there is none. */
  columnFamily(name: string): ColumnFamily {
    if (name === 'default') return this.defaultColumnFamily;
    const id = this.#idOf(name);
    if (id === undefined) throw new InvalidArgumentError(`no column family named ${JSON.stringify(name)}`, { argument: 'name' });
    return new ColumnFamily(this.#core, id, name, this.#merges.has(name) ? this.#merges.get(name) : this.#unlistedMerge);
  }

  /** Creates a column family (durably, in the MANIFEST); throws if `name` is taken. */
  createColumnFamily(name: string, options: ColumnFamilyOptions = {}): ColumnFamily {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('a column family name must be a non-empty string', { argument: 'name' });
    const { merge, periodicCompactionSeconds } = engineColumnFamily(options, `column family ${JSON.stringify(name)}`);
    const id = this.#core.call((db) => {
      const created = db.create_column_family(name, merge);
      if (periodicCompactionSeconds !== undefined) db.set_periodic_compaction(created, periodicCompactionSeconds);
      return created;
    });
    this.#merges.set(name, merge);
    // A flush now writes one more table at once: have the storage prepare for it meanwhile.
    this.reserveFiles().catch(() => undefined);
    return new ColumnFamily(this.#core, id, name, merge);
  }

  /**
   * Drops a column family, given by handle or by name, and deletes its data (the default one
   * cannot be dropped). A handle of another database is refused (`InvalidArgumentError`).
   */
  dropColumnFamily(cf: ColumnFamily | string): void {
    const family = typeof cf === 'string' ? this.columnFamily(cf) : cf;
    const id = ColumnFamily.idIn(family, this.#core);
    this.#core.call((db) => db.drop_column_family(id));
    this.#merges.delete(family.name);
  }

  #idOf(name: string): number | undefined {
    const all = this.#core.call((db) => db.column_families()) as Array<[number, string]>;
    return all.find(([, n]) => n === name)?.[0];
  }

  /** Sets `key` to `value`. Throws `KeyTooLargeError`/`ValueTooLargeError` and writes nothing if over the limits. */
  put(key: BytesInput, value: BytesInput, options?: WriteOptions): void {
    this.#default.put(key, value, options);
  }

  /** See {@link ColumnFamily.putMany}. */
  putMany(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>, options?: WriteOptions): void {
    this.#default.putMany(entries, options);
  }

  /** The value of `key` (a fresh copy), or `undefined`. */
  get(key: BytesInput, options?: ReadOptions): Uint8Array | undefined {
    return this.#default.get(key, options);
  }

  /** The value of `key` decoded as UTF-8, or `undefined`. */
  getString(key: BytesInput, options?: ReadOptions): string | undefined {
    return this.#default.getString(key, options);
  }

  /** See {@link ColumnFamily.multiGet}. */
  multiGet(keys: readonly BytesInput[], options?: ReadOptions): Array<Uint8Array | undefined> {
    return this.#default.multiGet(keys, options);
  }

  /** See {@link ColumnFamily.merge} (needs `columnFamilies: { default: { merge } }`). */
  merge(key: BytesInput, operand: BytesInput, options?: WriteOptions): void {
    this.#default.merge(key, operand, options);
  }

  /** Removes `key` (no error if absent). */
  delete(key: BytesInput, options?: WriteOptions): void {
    this.#default.delete(key, options);
  }

  /** See {@link ColumnFamily.deleteRange}. */
  deleteRange(begin: BytesInput, end: BytesInput, options?: WriteOptions): void {
    this.#default.deleteRange(begin, end, options);
  }

  /** See {@link ColumnFamily.entries}. */
  entries(options: IterateOptions = {}): Generator<[Uint8Array, Uint8Array], void, undefined> {
    return this.#default.entries(options);
  }

  /** Entries with `from <= key < to`, in bytewise key order, as an array. */
  scan(options: ScanOptions = {}): Array<[Uint8Array, Uint8Array]> {
    return [...this.#default.entries(options)];
  }

  /** The exact number of live keys in the default column family. Scans it: O(keys). */
  count(): number {
    return this.#default.count();
  }

  /**
   * Applies `batch` atomically (one log record): after a crash all of it or none of it is there.
   * Every operation is checked first, and one invalid operation refuses the whole batch with
   * nothing applied: a column family of another database or unknown to this one, a key or value
   * past the limits (`KeyTooLargeError`, `ValueTooLargeError`), a merge into a family without a
   * merge operator, or a merge operand its operator can never use (`InvalidArgumentError`; see
   * {@link ColumnFamily.merge}). Anything but a `WriteBatch` is refused (`InvalidArgumentError`).
   */
  write(batch: WriteBatch, options?: WriteOptions): void {
    const encoded = WriteBatch.encodedFor(batch, this.#core);
    const sync = options?.sync ?? false;
    if (typeof sync !== 'boolean') throw new InvalidArgumentError('options.sync must be a boolean', { argument: 'sync' });
    this.#core.call((db, staging) => {
      staging.write(encoded, 0);
      db.write(encoded.length, sync);
    });
    this.#core.wrote();
  }

  /** Takes a snapshot: reads given `{ snapshot }` see the database as it is now. Release it when done. */
  snapshot(): Snapshot {
    const core = this.#core;
    const id = core.snapshot();
    return new Snapshot(core, id, core.call((db) => db.snapshot_sequence(id)));
  }

  /** Makes every acknowledged write durable as far as the engine can (syncs the log). */
  sync(): void {
    this.#core.call((db) => db.sync());
  }

  /**
   * Syncs, then waits until the storage has made it durable. For OPFS that is the same as
   * `sync()`; for IndexedDB (written behind) this is the durability point, and where its quota
   * is met: a storage failure rejects typed (`QuotaExceededError`, `StorageError`, …).
   */
  async flush(): Promise<void> {
    this.sync();
    await this.#flushStorage();
  }

  /** Writes every memtable into a table (so the log holds nothing live), then {@link flush}es. */
  async flushMemtables(): Promise<void> {
    this.#core.call((db) => db.flush());
    await this.#flushStorage();
  }

  /** The storage's flush, its failure typed (IndexedDB's quota is met here, not at a write). */
  #flushStorage(): Promise<void> {
    return typedStorageCall({ op: 'flush', storage: this.#kind }, () => this.#storage.flush());
  }

  /**
   * Makes compaction drop expired keyed state in `cf`: every value (`layout: 'value'`) or every
   * list element (`'list'`, a `listAppend` family) starts with its write time as an i64
   * big-endian ms timestamp, and expires `ttlMs` after it, judged by the time last given to
   * {@link LsmDatabase.setTime}. A list goes when all its elements have expired. `ttlMs: 0`
   * removes the filter. Not stored: set it again after every open. While a filter is set,
   * {@link LsmDatabase.compact} rewrites the family's last level too, and tables are rewritten
   * periodically ({@link ColumnFamilyOptions.periodicCompactionSeconds}, 30 days unless set), so
   * expired entries in tables that nothing else compacts go as well (docs/engine-api.md).
   * `cf` must be a handle of this database (`undefined`: the default family), else
   * `InvalidArgumentError`.
   */
  setTtlFilter(cf: ColumnFamily, options: { readonly layout: 'value' | 'list'; readonly ttlMs: number }): void {
    const id = ColumnFamily.idIn(cf, this.#core);
    const { layout, ttlMs } = options;
    if (layout !== 'value' && layout !== 'list') throw new InvalidArgumentError("layout must be 'value' or 'list'", { argument: 'layout' });
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw new InvalidArgumentError('ttlMs must be a non-negative integer', { argument: 'ttlMs' });
    this.#core.call((db) => db.set_ttl_filter(id, layout === 'list', ttlMs));
  }

  /**
   * Sets column family `cf`'s `periodicCompactionSeconds` from now on (see
   * {@link ColumnFamilyOptions.periodicCompactionSeconds}; `undefined` restores the default).
   * Not stored: set it again after every open. `cf` as in {@link LsmDatabase.setTtlFilter}.
   */
  setPeriodicCompaction(cf: ColumnFamily, seconds: number | undefined): void {
    const id = ColumnFamily.idIn(cf, this.#core);
    const checked = checkPeriodic(seconds, `column family ${JSON.stringify(cf?.name ?? 'default')}`);
    this.#core.call((db) => db.set_periodic_compaction(id, checked));
  }

  /**
   * Sets the time, in ms since the epoch: the engine has no clock of its own. TTL compaction
   * filters judge expiry by it, new tables record it (in whole seconds) as their creation time,
   * and periodic compaction measures a table's age by it. It starts at 0 on every open; a
   * table written while it was 0 counts as written at the epoch.
   */
  setTime(nowMs: number): void {
    // NaN or Infinity would reach the engine as 0 or the end of time: every TTL entry live, or
    // every one expired.
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs) || nowMs < 0) {
      throw new InvalidArgumentError(`setTime needs a finite, non-negative time in ms, got ${String(nowMs)}`, { argument: 'nowMs' });
    }
    this.#core.call((db) => db.set_time(nowMs));
  }

  /**
   * Flushes every memtable and pins the live tables: they stay on storage, unchanged, until
   * {@link LsmDatabase.releaseCheckpoint} — even if compaction retires them meanwhile. With the
   * returned MANIFEST image (and a `CURRENT` naming it) the tables form a database of their own.
   */
  pinCheckpoint(): PinnedCheckpoint {
    const raw = this.#core.call((db) => db.pin_checkpoint()) as {
      id: number;
      lastSequence: number;
      tables: Array<[string, number]>;
      manifestName: string;
      manifest: Uint8Array;
    };
    return { ...raw, tables: raw.tables.map(([name, size]) => ({ name, size })) };
  }

  /** Lets the tables only a pinned checkpoint kept go. Idempotent. */
  releaseCheckpoint(id: number): void {
    if (!this.#core.closed) this.#core.call((db) => db.release_checkpoint(id));
  }

  /** Reads up to `max` bytes at `offset` of a table a pinned checkpoint references (a copy). */
  readPinned(name: string, offset: number, max: number): Uint8Array {
    return this.#core.call((db, staging) => {
      const n = db.read_pinned(name, offset, max);
      const at = staging.output();
      return staging.heap().slice(at, at + n);
    });
  }

  /**
   * Compacts every column family down to one sorted run (RocksDB's `CompactRange` over all
   * keys). A family with a compaction filter has every table rewritten, its last level too, so
   * the filter sees every entry once; the others have tables moved down where nothing lies
   * below them.
   */
  compact(): void {
    this.#core.call((db) => db.compact());
  }

  /** Reads every table and checks its checksums; returns the number of entries read. */
  verify(): number {
    return this.#core.call((db) => db.verify());
  }

  /** Counters describing the database. */
  stats(): LsmStats {
    return { storage: this.#kind, ...(this.#core.call((db) => db.stats()) as Omit<LsmStats, 'storage'>) };
  }

  /**
   * Hands buffered writes to storage, syncs, closes the engine and releases the storage (and
   * its lock). Every call resolves only once all that is done: overlapping calls share one
   * close, and closing a closed database does nothing.
   *
   * When the storage is full or not ready, buffered writes (`walBufferSize`) cannot be handed
   * over: close rejects with `QuotaExceededError` (or `StorageExhaustedError`) and the database
   * stays open and usable, the writes still buffered — free space and close again. A storage
   * that is full when it writes out its own buffers (IndexedDB's last flush) likewise rejects
   * and stays unreleased, the engine closed (`closed` is true) and its files kept: calling
   * close again once there is room writes them. Any other
   * failure rejects after the database closed and the storage was released; if acknowledged
   * writes were lost with it, a `StorageError` (`details.op` `'close'`) saying how many bytes.
   */
  close(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#closing ??= this.#close().finally(() => {
      this.#closing = undefined;
    });
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      this.#core.close();
    } catch (e) {
      if (!this.#core.closed) throw e;
      // The engine's failure is the one to report, not a failure to release after it.
      await this.#release().catch(() => undefined);
      throw e;
    }
    await this.#release();
  }

  /**
   * Releases the storage. A storage that is full when it writes out what it holds (IndexedDB
   * flushes at close) stays open and unreleased: a later `close()` tries again.
   */
  async #release(): Promise<void> {
    try {
      await typedStorageCall({ op: 'close', storage: this.#kind }, () => this.#storage.close());
    } catch (e) {
      if (!isRetryableStorageFailure(e)) this.#released = true;
      throw e;
    }
    this.#released = true;
  }
}
