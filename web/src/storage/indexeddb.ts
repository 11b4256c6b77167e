/**
 * IndexedDB storage (through `idb`), for contexts without OPFS sync access handles: the main
 * thread, and browsers or private modes that block OPFS.
 *
 * Trade-offs: IndexedDB is asynchronous and the engine is not, so the files live **in memory**
 * (a {@link MemoryVfs}) and are written behind to IndexedDB: after writes (debounced) and on
 * `flush()`/`close()`. The durability point is `await db.flush()` (or close): each flush writes
 * every changed file in **one IndexedDB transaction**, so the stored files are always a state
 * the engine had at some flush — a consistent database. Writes after the last completed flush
 * are lost if the tab dies. The whole database must fit in memory: past `maxBytes` writes fail
 * with a quota error (`QuotaExceededError`), reads go on, and what is stored stays intact.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { InvalidArgumentError, StorageUnavailableError } from '../errors.js';
import type { HostVfs, OpenedStorage, StorageAdapter } from './host-vfs.js';
import { MemoryVfs } from './memory.js';
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

/**
 * IndexedDB storage for the database `name` (IndexedDB database `edgestate:<name>`). Works in
 * any context with IndexedDB; state must fit in memory (see the module documentation).
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
  return {
    kind: 'indexeddb',
    name,
    async open(): Promise<OpenedStorage> {
      if (typeof indexedDB === 'undefined') {
        throw new StorageUnavailableError('IndexedDB is not available here', { storage: 'indexeddb' });
      }
      const release = await acquireExclusiveLock(`edgestate:idb:${name}`, lockTimeoutMs, name);
      let idb: IDBPDatabase;
      const mem = new MemoryVfs();
      try {
        idb = await openDB(`edgestate:${name}`, 1, { upgrade: (db) => void db.createObjectStore(STORE) });
        const tx = idb.transaction(STORE, 'readonly');
        let key = await tx.store.openCursor();
        while (key) {
          mem.setContents(String(key.key), key.value as Uint8Array);
          key = await key.continue();
        }
      } catch (e) {
        release();
        throw e;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      let running: Promise<void> = Promise.resolve();
      const vfs = new WriteBehindVfs(mem, maxBytes, () => {
        if (timer === undefined && flushDelayMs > 0) timer = setTimeout(() => void flush().catch(() => undefined), flushDelayMs);
      });
      // One transaction per flush: the stored files always form one consistent state.
      const flushOnce = async () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (vfs.dirty.size === 0 && vfs.deleted.size === 0) return;
        const puts = [...vfs.dirty].map((n) => [n, vfs.contents(n)] as const);
        const deletes = [...vfs.deleted];
        vfs.dirty.clear();
        vfs.deleted.clear();
        const tx = idb.transaction(STORE, 'readwrite');
        for (const [n, bytes] of puts) if (bytes !== undefined) void tx.store.put(bytes, n);
        for (const n of deletes) void tx.store.delete(n);
        try {
          await tx.done;
        } catch (e) {
          for (const [n] of puts) vfs.dirty.add(n);
          for (const n of deletes) if (!vfs.dirty.has(n)) vfs.deleted.add(n);
          throw e;
        }
      };
      const flush = () => (running = running.then(flushOnce, flushOnce));
      return {
        vfs,
        flush,
        async close() {
          try {
            await flush();
          } finally {
            idb.close();
            release();
          }
        },
      };
    },
  };
}
