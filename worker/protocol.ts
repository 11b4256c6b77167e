/**
 * The API of the engine worker, as the main thread sees it through `connect()`, and the
 * message-level API behind it (`EngineHostApi`). Types only.
 *
 * The worker owns one database at a time and runs calls one at a time, in the order they were
 * made. Every method resolves once the engine has done the work in the worker; errors reject with
 * edgestate's typed error classes (see `wire.ts`).
 */
import type { BytesInput, LsmStats, RecoveryInfo, StorageEstimate, WalRecoveryMode, WriteOptions } from '../web/src/index.js';

/** Storages a worker can open by name. */
export type WorkerStorageKind = 'opfs' | 'indexeddb' | 'memory';

/** A storage kind, or `'auto'`: OPFS when available, else IndexedDB (see `chooseStorage`). */
export type WorkerStorageRequest = WorkerStorageKind | 'auto';

/** What {@link EngineWorkerApi.open} opens. */
export interface WorkerOpenOptions {
  /** Database name (OPFS: slash-separated path segments). */
  readonly name: string;
  /** Default `'opfs'`. */
  readonly storage?: WorkerStorageRequest;
  /** See `OpfsStorageOptions.lockTimeoutMs`. */
  readonly lockTimeoutMs?: number;
  /** Largest total size of the files: see `OpfsStorageOptions.maxBytes`, `IndexedDbStorageOptions.maxBytes`. */
  readonly maxBytes?: number;
  /** IndexedDB only: see `IndexedDbStorageOptions.flushDelayMs`. */
  readonly flushDelayMs?: number;
  readonly maxKeySize?: number;
  readonly maxValueSize?: number;
  readonly walRecovery?: WalRecoveryMode;
  /** See `EngineTuning.walBufferSize` (default 0: every write hands its log record to storage). */
  readonly walBufferSize?: number;
}

/** Result of {@link EngineWorkerApi.open}. */
export interface OpenResult {
  readonly storage: WorkerStorageKind;
  readonly recovery: RecoveryInfo;
}

/** How values come back: raw bytes (default) or decoded UTF-8. */
export type ValueEncoding = 'bytes' | 'utf8';

/** Options of {@link EngineWorkerApi.entries}. */
export interface EntriesOptions {
  readonly from?: BytesInput;
  readonly to?: BytesInput;
  readonly limit?: number;
  /** Decode keys and values as UTF-8 (default `'bytes'`). */
  readonly encoding?: ValueEncoding;
}

/** The worker's API. */
export interface EngineWorkerApi {
  /** Opens a database; rejects with `DatabaseLockedError` if another context has it open. */
  open(options: WorkerOpenOptions): Promise<OpenResult>;
  put(key: BytesInput, value: BytesInput, options?: WriteOptions): Promise<void>;
  /**
   * Writes many entries as one atomic batch (one log record). The client packs them into one
   * buffer that is transferred, not cloned; the caller's arrays are copied and stay usable.
   */
  putMany(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>, options?: WriteOptions): Promise<void>;
  /** The value of `key`; bytes come back transferred (the worker keeps no copy). */
  get(key: BytesInput, encoding?: ValueEncoding): Promise<Uint8Array | string | undefined>;
  delete(key: BytesInput, options?: WriteOptions): Promise<void>;
  /**
   * Entries with `from <= key < to` in key order. As bytes (the default), they come back packed
   * in one transferred buffer: every key and value is a view of that one buffer (so keeping any
   * of them keeps the whole result alive; `slice()` one to keep it alone).
   */
  entries(options?: EntriesOptions): Promise<Array<[Uint8Array | string, Uint8Array | string]>>;
  /** Makes every acknowledged write durable as far as the engine can (syncs the log). */
  sync(): Promise<void>;
  /** Resolves once every acknowledged write is durable in the storage (IndexedDB: written). */
  flush(): Promise<void>;
  /** The engine's counters, plus the origin's storage usage and quota (`estimate`) where the browser reports them. */
  stats(): Promise<LsmStats & { readonly estimate?: StorageEstimate }>;
  /** The origin's storage usage and quota, as the worker's `navigator.storage.estimate()` says. */
  storageEstimate(): Promise<StorageEstimate>;
  /** The exact number of live keys (a full scan in the worker). */
  count(): Promise<number>;
  /**
   * Closes the database (syncing it) and releases its lock. Calls made before `close()` still
   * run (a long `putMany` completes, then the close); calls made after it, until the next
   * `open()`, reject at once with `DatabaseClosedError` instead of waiting.
   */
  close(): Promise<void>;
}

/**
 * What the worker really serves (see `host.ts`): {@link EngineWorkerApi}, except that batches of
 * entries travel packed in one transferred buffer (`packing.ts`) instead of as arrays of pairs:
 * transferring or cloning one object per key and value costs far more than one copy of the
 * bytes. `connect()` translates; use {@link EngineWorkerApi}.
 */
export interface EngineHostApi extends Omit<EngineWorkerApi, 'putMany'> {
  /** `putMany` of the entries packed in `packed` (by `packEntries`). */
  putPacked(packed: ArrayBuffer, options?: WriteOptions): Promise<void>;
  /** `entries` as bytes, packed (by `packEntries`) into one buffer that is transferred. */
  entriesPacked(options?: Omit<EntriesOptions, 'encoding'>): Promise<ArrayBuffer>;
}
