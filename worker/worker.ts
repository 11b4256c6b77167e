/**
 * The engine's worker: a module worker that owns one database and serves {@link EngineWorkerApi}
 * to the main thread through comlink. Start it with
 * `new Worker(new URL('edgestate/worker/worker.ts', import.meta.url), { type: 'module' })` and
 * talk to it with `connect()`.
 */
import { expose } from 'comlink';
import {
  chooseStorage,
  storageEstimate,
  DatabaseClosedError,
  indexedDbStorage,
  InvalidArgumentError,
  memoryStorage,
  openLsm,
  opfsStorage,
  type BytesInput,
  type LsmDatabase,
  type StorageAdapter,
  type WriteOptions,
} from '../web/src/index.js';
import type { EngineWorkerApi, EntriesOptions, OpenResult, ValueEncoding, WorkerOpenOptions } from './protocol.js';
import { installErrorTransfer } from './wire.js';

installErrorTransfer();

let db: LsmDatabase | undefined;
/** Memory storages live as long as the worker, so close + reopen finds the data again. */
const memoryStorages = new Map<string, StorageAdapter>();
const decoder = new TextDecoder();

function current(): LsmDatabase {
  if (db === undefined || db.closed) throw new DatabaseClosedError('no database is open in this worker: call open() first');
  return db;
}

function encode(bytes: Uint8Array, encoding: ValueEncoding | undefined): Uint8Array | string {
  if (encoding === undefined || encoding === 'bytes') return bytes;
  if (encoding === 'utf8') return decoder.decode(bytes);
  throw new InvalidArgumentError(`encoding must be 'bytes' or 'utf8', got ${JSON.stringify(encoding)}`, { argument: 'encoding' });
}

function storageFor(options: WorkerOpenOptions): StorageAdapter {
  const kind = options.storage ?? 'opfs';
  if (kind === 'auto') {
    return chooseStorage(options.name, {
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    }).storage;
  }
  if (kind === 'opfs') {
    return opfsStorage(options.name, options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs });
  }
  if (kind === 'indexeddb') {
    return indexedDbStorage(options.name, {
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    });
  }
  if (kind === 'memory') {
    let storage = memoryStorages.get(options.name);
    if (storage === undefined) memoryStorages.set(options.name, (storage = memoryStorage(options.name)));
    return storage;
  }
  throw new InvalidArgumentError(`storage must be 'opfs', 'indexeddb', 'memory' or 'auto', got ${JSON.stringify(kind)}`, { argument: 'storage' });
}

const api: EngineWorkerApi = {
  async open(options: WorkerOpenOptions): Promise<OpenResult> {
    if (typeof options !== 'object' || options === null || typeof options.name !== 'string') {
      throw new InvalidArgumentError('open needs { name: string, storage?: "opfs" | "memory" }');
    }
    if (db !== undefined && !db.closed) {
      throw new InvalidArgumentError('this worker already has a database open: close it first', { argument: 'name' });
    }
    const storage = storageFor(options);
    db = await openLsm({
      storage,
      ...(options.maxKeySize === undefined ? {} : { maxKeySize: options.maxKeySize }),
      ...(options.maxValueSize === undefined ? {} : { maxValueSize: options.maxValueSize }),
      ...(options.walRecovery === undefined ? {} : { walRecovery: options.walRecovery }),
    });
    return { storage: storage.kind, recovery: db.recovery };
  },
  async put(key: BytesInput, value: BytesInput, options?: WriteOptions) {
    current().put(key, value, options);
  },
  async putMany(entries, options?: WriteOptions) {
    current().putMany(entries, options);
  },
  async get(key: BytesInput, encoding?: ValueEncoding) {
    const value = current().get(key);
    return value === undefined ? undefined : encode(value, encoding);
  },
  async delete(key: BytesInput, options?: WriteOptions) {
    current().delete(key, options);
  },
  async entries(options: EntriesOptions = {}) {
    const { encoding, ...scan } = options;
    return current()
      .scan(scan)
      .map(([k, v]): [Uint8Array | string, Uint8Array | string] => [encode(k, encoding), encode(v, encoding)]);
  },
  async sync() {
    current().sync();
  },
  async flush() {
    await current().flush();
  },
  async stats() {
    return current().stats();
  },
  async storageEstimate() {
    return storageEstimate();
  },
  async count() {
    return current().count();
  },
  async close() {
    const open = db;
    db = undefined;
    await open?.close();
  },
};

expose(api);
