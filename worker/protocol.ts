/**
 * The API a worker running the engine exposes to the main thread (through comlink). Types only.
 *
 * The worker owns one database at a time. Every method resolves once the engine has done the
 * work in the worker; errors reject with edgestate's typed error classes (see `wire.ts`).
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
  /** IndexedDB only: see `IndexedDbStorageOptions.maxBytes`. */
  readonly maxBytes?: number;
  readonly maxKeySize?: number;
  readonly maxValueSize?: number;
  readonly walRecovery?: WalRecoveryMode;
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
  /** Writes many entries in one message, as one atomic batch (one log record). */
  putMany(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>, options?: WriteOptions): Promise<void>;
  get(key: BytesInput, encoding?: ValueEncoding): Promise<Uint8Array | string | undefined>;
  delete(key: BytesInput, options?: WriteOptions): Promise<void>;
  entries(options?: EntriesOptions): Promise<Array<[Uint8Array | string, Uint8Array | string]>>;
  sync(): Promise<void>;
  /** Resolves once every acknowledged write is durable in the storage (IndexedDB: written). */
  flush(): Promise<void>;
  stats(): Promise<LsmStats>;
  /** The origin's storage usage and quota, as the worker's `navigator.storage.estimate()` says. */
  storageEstimate(): Promise<StorageEstimate>;
  /** The exact number of live keys (a full scan in the worker). */
  count(): Promise<number>;
  /** Closes the database (syncing it) and releases its lock. */
  close(): Promise<void>;
}
