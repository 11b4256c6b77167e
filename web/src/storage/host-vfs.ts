/**
 * The contract between the engine (Rust, in wasm) and the storage a host provides.
 *
 * Every method is **synchronous**: the engine calls it in the middle of a write or a read and
 * cannot wait. A storage whose native API is asynchronous prepares ahead (OPFS: a pool of
 * pre-opened sync access handles; IndexedDB: files held in memory and written behind).
 *
 * Rules every implementation follows (the memory VFS in `memory.ts` is the reference):
 * - Names are flat ASCII file names (`000001.log`), no directories.
 * - `write` past the end extends the file; a gap reads as zeros.
 * - `read` returns fewer bytes than asked only at end of file.
 * - A descriptor names the file, not the name: it follows the file through a rename, and every
 *   descriptor of a file sees the others' writes.
 * - A write that returned survives the loss of the worker; it survives a crash of the machine
 *   only after `sync` returned for that file.
 * - Failures throw: a `DOMException` (`QuotaExceededError`, `NotFoundError`,
 *   `NoModificationAllowedError`) or an {@link EdgestateError} with a `code`; the engine maps
 *   either onto its error kinds.
 */
export interface HostVfs {
  /** Opens `name`; with `create`, creates it or truncates it to empty. Returns a descriptor. */
  open(name: string, create: boolean): number;
  /** Reads into `into` from `offset`; returns how many bytes were read (0 at end of file). */
  read(fd: number, offset: number, into: Uint8Array): number;
  /** Writes all of `data` at `offset`. `data` is a view of engine memory: copy it, don't keep it. */
  write(fd: number, offset: number, data: Uint8Array): void;
  /** The file's size in bytes. */
  size(fd: number): number;
  /** Shrinks or extends the file to `size` bytes. */
  truncate(fd: number, size: number): void;
  /** Makes the file's writes durable. */
  sync(fd: number): void;
  /** Releases the descriptor. */
  close(fd: number): void;
  /** Deletes `name`. */
  delete(name: string): void;
  /** Renames `from` to `to`, replacing `to` if it exists. */
  rename(from: string, to: string): void;
  /** Every file name. */
  list(): string[];
}

/** Where a database's files live. Create one with `opfsStorage()` or `memoryStorage()`. */
export interface StorageAdapter {
  /** Which storage this is. */
  readonly kind: StorageKind;
  /** The database's name within that storage. */
  readonly name: string;
  /**
   * Prepares the storage for synchronous use by the engine (opens handles, takes the
   * single-writer lock). Rejects with `DatabaseLockedError` if another tab or worker holds it.
   */
  open(): Promise<OpenedStorage>;
}

/** Storage kinds, one per adapter in this folder. */
export type StorageKind = 'opfs' | 'indexeddb' | 'memory';

/** A storage ready for the engine. */
export interface OpenedStorage {
  /** The synchronous file system handed to the engine. */
  readonly vfs: HostVfs;
  /**
   * Makes everything the engine synced durable. Storages whose `sync` is durable by itself
   * (OPFS, memory) resolve at once; write-behind storages (IndexedDB) persist here.
   */
  flush(): Promise<void>;
  /** Flushes, then releases handles and the lock. The engine must be closed first. */
  close(): Promise<void>;
  /**
   * Makes sure `files` new files can be created synchronously from now on (storages that must
   * prepare file handles ahead, like the OPFS pool; others need not implement it). The engine
   * creates one table per column family plus a log in one flush.
   */
  reserve?(files: number): Promise<void>;
}
