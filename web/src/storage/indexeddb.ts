/**
 * IndexedDB storage (through `idb`), for contexts without OPFS sync access handles: the main
 * thread, and browsers or private modes that block OPFS.
 *
 * Trade-offs: IndexedDB is asynchronous and the engine is not, so the files live **in memory**
 * (a {@link MemoryVfs}) and are written behind to IndexedDB: after writes (debounced) and on
 * `flush()`/`close()`. The durability point is `await db.flush()` (or close): each flush writes
 * every changed file in **one IndexedDB transaction**, so the stored files are always a state
 * the engine had at some flush — a consistent database — and with `durability: 'strict'`, so a
 * flush that resolved is on disk (docs/storage.md measures the cost). Writes after the last completed flush
 * are lost if the tab dies. The whole database must fit in memory: past `maxBytes` writes fail
 * with a quota error (`QuotaExceededError`), reads go on, and what is stored stays intact.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { InvalidArgumentError, StorageUnavailableError } from '../errors.js';
import type { HostVfs, OpenedStorage, StorageAdapter } from './host-vfs.js';
import { MemoryVfs } from './memory.js';
import { isRetryableStorageFailure, storageFailure, typedStorageCall } from './storage-failure.js';
import { acquireExclusiveLock } from './web-lock.js';

const STORE = 'files';

/** Options of {@link indexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** As `OpfsStorageOptions.lockTimeoutMs`: 0 (default) fails at once if another tab has it. */
  readonly lockTimeoutMs?: number;
  /** Largest total size of the database's files, in bytes (default 256 MiB). */
  readonly maxBytes?: number;
  /** Delay before written-behind data is flushed on its own, in ms (default 200). */
  readonly flushDelayMs?: number;
}

/** A {@link MemoryVfs} that records which files changed and refuses to grow past a limit. */
class WriteBehindVfs implements HostVfs {
  readonly dirty = new Set<string>();
  readonly deleted = new Set<string>();
  readonly #mem: MemoryVfs;
  readonly #names = new Map<number, string>();
  readonly #maxBytes: number;
  readonly #onChange: () => void;

  constructor(mem: MemoryVfs, maxBytes: number, onChange: () => void) {
    this.#mem = mem;
    this.#maxBytes = maxBytes;
    this.#onChange = onChange;
  }

  #changed(name: string): void {
    this.dirty.add(name);
    this.deleted.delete(name);
    this.#onChange();
  }

  #checkRoom(fd: number, end: number): void {
    const grow = end - this.#mem.size(fd);
    if (grow > 0 && this.#mem.totalBytes() + grow > this.#maxBytes) {
      throw new DOMException(`IndexedDB storage is limited to ${this.#maxBytes} bytes held in memory`, 'QuotaExceededError');
    }
  }

  open(name: string, create: boolean): number {
    const fd = this.#mem.open(name, create);
    this.#names.set(fd, name);
    if (create) this.#changed(name);
    return fd;
  }
  read(fd: number, offset: number, into: Uint8Array): number {
    return this.#mem.read(fd, offset, into);
  }
  write(fd: number, offset: number, data: Uint8Array): void {
    this.#checkRoom(fd, offset + data.length);
    this.#mem.write(fd, offset, data);
    this.#changed(this.#names.get(fd) ?? '');
  }
  size(fd: number): number {
    return this.#mem.size(fd);
  }
  truncate(fd: number, size: number): void {
    this.#checkRoom(fd, size);
    this.#mem.truncate(fd, size);
    this.#changed(this.#names.get(fd) ?? '');
  }
  sync(fd: number): void {
    this.#mem.sync(fd);
  }
  close(fd: number): void {
    this.#names.delete(fd);
    this.#mem.close(fd);
  }
  delete(name: string): void {
    this.#mem.delete(name);
    this.dirty.delete(name);
    this.deleted.add(name);
    this.#onChange();
  }
  rename(from: string, to: string): void {
    this.#mem.rename(from, to);
    for (const [fd, n] of this.#names) if (n === from) this.#names.set(fd, to);
    this.dirty.delete(from);
    this.deleted.add(from);
    this.#changed(to);
  }
  list(): string[] {
    return this.#mem.list();
  }
  contents(name: string): Uint8Array | undefined {
    return this.#mem.contents(name);
  }
}

/** Reads every stored file of `idb` into `mem`. */
async function loadFiles(idb: IDBPDatabase, mem: MemoryVfs): Promise<void> {
  const tx = idb.transaction(STORE, 'readonly');
  let cursor = await tx.store.openCursor();
  while (cursor) {
    mem.setContents(String(cursor.key), cursor.value as Uint8Array);
    cursor = await cursor.continue();
  }
}

/**
 * Writes `puts` and `deletes` in one transaction, so the stored files move from one flushed state
 * to the next with nothing in between. Durability `strict`: `complete` fires only once the data
 * is on disk. Browsers default to `relaxed` (Chrome since 121), where it fires once the OS has
 * the data, and a power loss can lose a flush that resolved. Rejects with the transaction's
 * error (a full quota aborts it with `QuotaExceededError`).
 */
async function writeFiles(idb: IDBPDatabase, puts: ReadonlyArray<readonly [string, Uint8Array | undefined]>, deletes: readonly string[]): Promise<void> {
  const tx = idb.transaction(STORE, 'readwrite', { durability: 'strict' });
  // A failed request aborts the transaction, and `tx.done` reports it: the requests' own
  // rejections would only be unhandled duplicates.
  for (const [n, bytes] of puts) if (bytes !== undefined) tx.store.put(bytes, n).catch(() => undefined);
  for (const n of deletes) tx.store.delete(n).catch(() => undefined);
  try {
    await tx.done;
  } catch (e) {
    throw tx.error ?? e;
  }
}

/**
 * IndexedDB storage for the database `name` (IndexedDB database `edgestate:<name>`). Works in
 * any context with IndexedDB; state must fit in memory (see the module documentation). Every
 * failure of `open`, `flush` and `close` is typed (storage-failure.ts): a full origin quota is
 * met at a flush, as `QuotaExceededError`.
 */
export function indexedDbStorage(name: string, options: IndexedDbStorageOptions = {}): StorageAdapter {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new InvalidArgumentError(`invalid IndexedDB database name ${JSON.stringify(name)}`, { name: String(name) });
  }
  const maxBytes = options.maxBytes ?? 256 << 20;
  const flushDelayMs = options.flushDelayMs ?? 200;
  const lockTimeoutMs = options.lockTimeoutMs ?? 0;
  for (const [key, v] of [['maxBytes', maxBytes], ['flushDelayMs', flushDelayMs], ['lockTimeoutMs', lockTimeoutMs]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`${key} must be a non-negative integer, got ${v}`, { [key]: v });
  }
  const settings = { maxBytes, flushDelayMs, lockTimeoutMs };
  return {
    kind: 'indexeddb',
    name,
    open: () => typedStorageCall({ op: 'open', storage: 'indexeddb', database: name }, () => openIndexedDb(name, settings)),
  };
}

async function openIndexedDb(name: string, settings: Required<IndexedDbStorageOptions>): Promise<OpenedStorage> {
  if (typeof indexedDB === 'undefined') {
    throw new StorageUnavailableError('IndexedDB is not available here', { storage: 'indexeddb' });
  }
  const release = await acquireExclusiveLock(`edgestate:idb:${name}`, settings.lockTimeoutMs, name);
  let idb: IDBPDatabase | undefined;
  const mem = new MemoryVfs();
  try {
    idb = await openDB(`edgestate:${name}`, 1, { upgrade: (db) => void db.createObjectStore(STORE) });
    await loadFiles(idb, mem);
  } catch (e) {
    idb?.close();
    release();
    throw e;
  }
  return writeBehind(name, idb, mem, settings, release);
}

/** The opened storage: `mem` handed to the engine, its changes written behind to `idb`. */
function writeBehind(name: string, idb: IDBPDatabase, mem: MemoryVfs, settings: Required<IndexedDbStorageOptions>, release: () => void): OpenedStorage {
  const facts = { op: 'flush', storage: 'indexeddb', database: name } as const;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const vfs = new WriteBehindVfs(mem, settings.maxBytes, () => {
    if (timer === undefined && settings.flushDelayMs > 0) timer = setTimeout(() => void flush().catch(() => undefined), settings.flushDelayMs);
  });
  const flushOnce = async () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (vfs.dirty.size === 0 && vfs.deleted.size === 0) return;
    const puts = [...vfs.dirty].map((n) => [n, vfs.contents(n)] as const);
    const deletes = [...vfs.deleted];
    vfs.dirty.clear();
    vfs.deleted.clear();
    try {
      await writeFiles(idb, puts, deletes);
    } catch (e) {
      // Nothing of this flush is stored: the next one writes it all again.
      for (const [n] of puts) vfs.dirty.add(n);
      for (const n of deletes) if (!vfs.dirty.has(n)) vfs.deleted.add(n);
      throw storageFailure(e, facts);
    }
  };
  const flush = () => (running = running.then(flushOnce, flushOnce));
  return {
    vfs,
    flush,
    async close() {
      try {
        await flush();
      } catch (e) {
        // Full (the quota): nothing is lost and the storage stays open, its lock held and its
        // files still dirty, so that a later close() — after the app frees space — writes them.
        if (isRetryableStorageFailure(e)) throw e;
        idb.close();
        release();
        throw e;
      }
      idb.close();
      release();
    },
  };
}
