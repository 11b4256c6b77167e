/**
 * The engine host: owns one database in a worker and serves {@link EngineHostApi}. `worker.ts`
 * exposes it through comlink; tests can expose it on any `MessagePort`.
 *
 * Invariants:
 * - Calls run one at a time, in arrival order (a FIFO queue), even those that await storage
 *   (`open`, `flush`, `close`): so a `close()` runs after every call made before it.
 * - From the arrival of `close()` until the next `open()`, every other call rejects at once
 *   with `DatabaseClosedError`: calls queued behind a close never wait for it, never hang.
 * - Bytes returned to the caller are fresh copies (the engine's, or a packed batch); they are
 *   transferred, not cloned (the host keeps no reference to them).
 */
import { transfer } from 'comlink';
import {
  chooseStorage,
  storageEstimate,
  DatabaseClosedError,
  indexedDbStorage,
  InvalidArgumentError,
  memoryStorage,
  openLsm,
  opfsStorage,
  type EngineSource,
  type LsmDatabase,
  type StorageAdapter,
} from '../web/src/index.js';
import { decodeStoredUtf8 } from '../web/src/engine/column-family.js';
import { ownedBuffers, packEntries, unpackEntries } from './packing.js';
import type { EngineHostApi, ValueEncoding, WorkerOpenOptions } from './protocol.js';

/** Options of {@link createEngineHost}. */
export interface EngineHostOptions {
  /** The engine's `.wasm` (Node needs it; in a browser the bundler finds it). */
  readonly wasm?: EngineSource;
}

/**
 * A stored key or value (`what`) in the caller's `encoding`. Bytes that are not UTF-8 asked for as
 * 'utf8' throw `InvalidArgumentError`, as `LsmDatabase.getString` does (same decoder), rather than
 * come back with U+FFFD in their place.
 */
function encode(bytes: Uint8Array, encoding: ValueEncoding | undefined, what: 'key' | 'value'): Uint8Array | string {
  if (encoding === undefined || encoding === 'bytes') return bytes;
  if (encoding === 'utf8') return decodeStoredUtf8(bytes, `the stored ${what}`, "read it with encoding 'bytes'", 'encoding');
  throw new InvalidArgumentError(`encoding must be 'bytes' or 'utf8', got ${JSON.stringify(encoding)}`, { argument: 'encoding' });
}

/** `{ [key]: value }` when `value` is set, else `{}` (options are exact: no `undefined` members). */
function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Creates a host with no database open. */
export function createEngineHost(options: EngineHostOptions = {}): EngineHostApi {
  let db: LsmDatabase | undefined;
  /** Set when `close()` arrives, cleared when `open()` does: calls in between are refused. */
  let closeRequested = false;
  /** The end of the queue: settles when the last call accepted so far has finished. */
  let tail: Promise<unknown> = Promise.resolve();
  /** Memory storages live as long as the host, so close + reopen finds the data again. */
  const memoryStorages = new Map<string, StorageAdapter>();

  /** Runs `job` after every call that arrived before it. */
  function serial<T>(job: () => T | Promise<T>): Promise<T> {
    const result = tail.then(job);
    tail = result.catch(() => undefined);
    return result;
  }

  /** As {@link serial}, for calls that need an open database. */
  function withDb<T>(job: (db: LsmDatabase) => T | Promise<T>): Promise<T> {
    if (closeRequested) return Promise.reject(new DatabaseClosedError('the database was closed by close(); call open() again'));
    return serial(() => {
      if (db === undefined || db.closed) throw new DatabaseClosedError('no database is open in this worker: call open() first');
      return job(db);
    });
  }

  function storageFor(o: WorkerOpenOptions): StorageAdapter {
    const kind = o.storage ?? 'opfs';
    const lock = given('lockTimeoutMs', o.lockTimeoutMs);
    const quota = given('maxBytes', o.maxBytes);
    if (kind === 'auto') return chooseStorage(o.name, { ...lock, ...quota, ...given('flushDelayMs', o.flushDelayMs) }).storage;
    if (kind === 'opfs') return opfsStorage(o.name, { ...lock, ...quota });
    if (kind === 'indexeddb') return indexedDbStorage(o.name, { ...lock, ...quota, ...given('flushDelayMs', o.flushDelayMs) });
    if (kind === 'memory') {
      let storage = memoryStorages.get(o.name);
      if (storage === undefined) memoryStorages.set(o.name, (storage = memoryStorage(o.name)));
      return storage;
    }
    throw new InvalidArgumentError(`storage must be 'opfs', 'indexeddb', 'memory' or 'auto', got ${JSON.stringify(kind)}`, { argument: 'storage' });
  }

  return {
    open(o) {
      closeRequested = false;
      return serial(async () => {
        if (typeof o !== 'object' || o === null || typeof o.name !== 'string') {
          throw new InvalidArgumentError('open needs { name: string, storage?: "opfs" | "indexeddb" | "memory" | "auto" }');
        }
        if (db !== undefined && !db.closed) {
          throw new InvalidArgumentError('this worker already has a database open: close it first', { argument: 'name' });
        }
        const storage = storageFor(o);
        db = await openLsm({
          storage,
          ...given('maxKeySize', o.maxKeySize),
          ...given('maxValueSize', o.maxValueSize),
          ...given('walRecovery', o.walRecovery),
          ...given('walBufferSize', o.walBufferSize),
          ...given('wasm', options.wasm),
        });
        return { storage: storage.kind, recovery: db.recovery };
      });
    },
    put: (key, value, writeOptions) => withDb((d) => d.put(key, value, writeOptions)),
    putPacked: (packed, writeOptions) => withDb((d) => d.putMany(unpackEntries(packed), writeOptions)),
    get: (key, encoding) =>
      withDb((d) => {
        const value = d.get(key);
        if (value === undefined) return undefined;
        const out = encode(value, encoding, 'value');
        return typeof out === 'string' ? out : transfer(out, ownedBuffers([out]));
      }),
    delete: (key, writeOptions) => withDb((d) => d.delete(key, writeOptions)),
    entries: ({ encoding, ...scan } = {}) =>
      withDb((d) => {
        const rows = d.scan(scan).map(([k, v]): [Uint8Array | string, Uint8Array | string] => [encode(k, encoding, 'key'), encode(v, encoding, 'value')]);
        // UTF-8 strings are cloned; bytes should come through entriesPacked, but are fine here too.
        return transfer(rows, ownedBuffers(rows.flat()));
      }),
    entriesPacked: (scan = {}) =>
      withDb((d) => {
        const packed = packEntries(d.scan(scan));
        return transfer(packed, [packed]);
      }),
    sync: () => withDb((d) => d.sync()),
    flush: () => withDb((d) => d.flush()),
    // The origin's usage and quota come with the engine's counters (the browser answers async).
    stats: () =>
      withDb(async (d) => {
        const stats = d.stats();
        const estimate = await storageEstimate().catch(() => undefined);
        return estimate === undefined ? stats : { ...stats, estimate };
      }),
    storageEstimate: () => serial(() => storageEstimate()),
    count: () => withDb((d) => d.count()),
    close() {
      closeRequested = true;
      return serial(async () => {
        // A close the storage refused (full: QuotaExceededError) leaves the database, or its
        // storage, open with what it holds: the worker keeps it, so that a later close() retries
        // (LsmDatabase.close resolves at once when there is nothing left to do).
        await db?.close();
        db = undefined;
      });
    },
  };
}
