/**
 * The LSM engine as a JavaScript object: `openLsm()` and {@link LsmDatabase}.
 *
 * Reads and writes are synchronous calls into wasm: use the database in the worker that owns
 * it (see `worker/`), not across `postMessage` per access. Opening and closing are async
 * because preparing storage is.
 */
import { Database } from '../../../wasm/pkg/edgestate_lsm.js';
import { DatabaseClosedError, EngineCrashedError, InvalidArgumentError } from '../errors.js';
import type { OpenedStorage, StorageAdapter, StorageKind } from '../storage/host-vfs.js';
import { fromEngineError } from './engine-error.js';
import { loadEngine, type EngineSource } from './wasm-module.js';

/** Keys and values: bytes, or strings (stored as UTF-8). */
export type BytesInput = Uint8Array | string;

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

/** Options of {@link openLsm}. */
export interface OpenLsmOptions {
  /** Where the files live: `opfsStorage(name)`, `memoryStorage()`. */
  readonly storage: StorageAdapter;
  /** Longest key accepted, in bytes. Default 65536; at most 2^30. */
  readonly maxKeySize?: number;
  /** Longest value accepted, in bytes. Default 64 MiB; at most 2^30. */
  readonly maxValueSize?: number;
  /** Default `'tolerateCorruptedTail'`. */
  readonly walRecovery?: WalRecoveryMode;
  /** The engine's `.wasm` (needed in Node; browsers find it through the bundler). */
  readonly wasm?: EngineSource;
}

/** Options of one write. */
export interface WriteOptions {
  /**
   * Flush the log to durable storage before returning. Without it, a write that returned
   * survives a killed worker or closed tab, but not a crash of the machine or browser.
   */
  readonly sync?: boolean;
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
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${got}`, { argument: what, type: got });
}

function limitOption(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 30) {
    throw new InvalidArgumentError(`${what} must be an integer in 1..2^30, got ${String(value)}`, { argument: what });
  }
  return value;
}

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
  const mode = options.walRecovery ?? 'tolerateCorruptedTail';
  if (!Object.hasOwn(RECOVERY_MODES, mode)) {
    throw new InvalidArgumentError(`unknown walRecovery ${JSON.stringify(mode)}`, { argument: 'walRecovery' });
  }
  await loadEngine(options.wasm);
  const storage = await options.storage.open();
  try {
    const db = Database.open(storage.vfs, maxKeySize, maxValueSize, RECOVERY_MODES[mode]);
    return new LsmDatabase(db, storage, options.storage.kind);
  } catch (e) {
    await storage.close();
    throw fromEngineError(e);
  }
}

/** An open LSM database. Not shareable across workers: it lives where it was opened. */
export class LsmDatabase {
  #db: Database | undefined;
  #crashed: EngineCrashedError | undefined;
  readonly #storage: OpenedStorage;
  readonly #kind: StorageKind;
  /** What opening recovered from the logs. */
  readonly recovery: RecoveryInfo;

  /** @internal Use {@link openLsm}. */
  constructor(db: Database, storage: OpenedStorage, kind: StorageKind) {
    this.#db = db;
    this.#storage = storage;
    this.#kind = kind;
    this.recovery = db.recovery() as RecoveryInfo;
  }

  /** Whether {@link LsmDatabase.close} has been called. */
  get closed(): boolean {
    return this.#db === undefined;
  }

  /** Sets `key` to `value`. Throws `KeyTooLargeError`/`ValueTooLargeError` and writes nothing if over the limits. */
  put(key: BytesInput, value: BytesInput, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const v = toBytes(value, 'value');
    const sync = syncOption(options);
    this.#call((db) => db.put(k, v, sync));
  }

  /**
   * Writes every `[key, value]` of `entries` as one atomic batch (one log record: after a crash
   * all of them or none are there). Validates everything before writing anything.
   */
  putMany(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>, options?: WriteOptions): void {
    if (!Array.isArray(entries)) throw new InvalidArgumentError('putMany needs an array of [key, value] pairs');
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new InvalidArgumentError('each entry must be a [key, value] pair');
      keys.push(toBytes(entry[0], 'key'));
      values.push(toBytes(entry[1], 'value'));
    }
    const sync = syncOption(options);
    this.#call((db) => db.put_many(keys, values, sync));
  }

  /** The value of `key` (a fresh copy), or `undefined`. */
  get(key: BytesInput): Uint8Array | undefined {
    const k = toBytes(key, 'key');
    return this.#call((db) => db.get(k));
  }

  /** The value of `key` decoded as UTF-8, or `undefined`. Throws `InvalidArgumentError` if it is not UTF-8. */
  getString(key: BytesInput): string | undefined {
    const bytes = this.get(key);
    if (bytes === undefined) return undefined;
    try {
      return decoder.decode(bytes);
    } catch {
      throw new InvalidArgumentError('the stored value is not valid UTF-8; read it with get()', { argument: 'key' });
    }
  }

  /** Removes `key` (no error if absent). */
  delete(key: BytesInput, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const sync = syncOption(options);
    this.#call((db) => db.delete(k, sync));
  }

  /** Entries with `from <= key < to`, in bytewise key order. */
  scan(options: ScanOptions = {}): Array<[Uint8Array, Uint8Array]> {
    const from = options.from === undefined ? undefined : toBytes(options.from, 'from');
    const to = options.to === undefined ? undefined : toBytes(options.to, 'to');
    const limit = options.limit ?? 0xffffffff;
    if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
      throw new InvalidArgumentError(`limit must be a non-negative integer, got ${String(options.limit)}`, { argument: 'limit' });
    }
    return this.#call((db) => db.scan(from, to, limit) as Array<[Uint8Array, Uint8Array]>);
  }

  /** The exact number of live keys. Scans the whole database: O(keys). */
  count(): number {
    return this.#call((db) => db.count());
  }

  /** Makes every acknowledged write durable as far as the engine can (syncs the log). */
  sync(): void {
    this.#call((db) => db.sync());
  }

  /**
   * Syncs, then waits until the storage has made it durable. For OPFS that is the same as
   * `sync()`; for IndexedDB (written behind) this is the durability point.
   */
  async flush(): Promise<void> {
    this.sync();
    await this.#storage.flush();
  }

  /** Counters describing the database. */
  stats(): LsmStats {
    return { storage: this.#kind, ...(this.#call((db) => db.stats()) as Omit<LsmStats, 'storage'>) };
  }

  /** Syncs, closes the engine and releases the storage (and its lock). Idempotent. */
  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    try {
      if (this.#crashed === undefined) db.close();
    } catch (e) {
      throw fromEngineError(e);
    } finally {
      db.free();
      await this.#storage.close();
    }
  }

  #call<T>(f: (db: Database) => T): T {
    if (this.#crashed) throw this.#crashed;
    const db = this.#db;
    if (db === undefined) throw new DatabaseClosedError();
    try {
      return f(db);
    } catch (e) {
      const mapped = fromEngineError(e);
      if (mapped instanceof EngineCrashedError) this.#crashed = mapped;
      throw mapped;
    }
  }
}
