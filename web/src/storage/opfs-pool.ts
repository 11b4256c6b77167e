/**
 * OPFS storage through a pool of pre-opened `FileSystemSyncAccessHandle`s.
 *
 * Why a pool: the engine creates files synchronously (a new log, a new table), but opening a
 * sync access handle is asynchronous. So the database directory holds *slot* files, each opened
 * once when the database opens; an engine file is a slot whose header names it (the approach of
 * SQLite's opfs-sahpool VFS). Creating, deleting and renaming engine files are then synchronous
 * header writes, and spare slots are added in the background before they run out.
 *
 * A slot file (`pool-NNNN.slot`) is a header (opfs-slot-header.ts) then the file's data; a slot
 * with no valid header is free. Rename writes the target name into the source slot with
 * a new generation, flushes, then frees the slot that held the target: a crash in between leaves
 * two slots with one name, and open keeps the higher generation. So every crash point leaves a
 * consistent directory, although OPFS has no atomic rename.
 *
 * Quota: the browser's own quota makes `write` throw a `QuotaExceededError` DOMException (or
 * write short, which is reported the same way). `maxBytes` sets a lower, per-database limit that
 * fails the same way, so an application can keep one database from filling the origin's quota
 * (and tests can exhaust a quota without filling the disk). The asynchronous steps (open,
 * adding slots) reject typed (storage-failure.ts): a full quota there is `QuotaExceededError`.
 *
 * Trade-offs: needs a dedicated worker (sync handles exist only there); durable (`flush`);
 * one writer per database, enforced by a Web Lock; handle count = files + spare slots, which
 * stays within Safari's limit of 252 open handles for databases of up to ~200 files.
 */
import { DatabaseClosedError, InvalidArgumentError, StorageExhaustedError, StorageUnavailableError } from '../errors.js';
import type { HostVfs, OpenedStorage, StorageAdapter } from './host-vfs.js';
import { decodeHeader, encodeHeader, HEADER_SIZE, MAX_NAME } from './opfs-slot-header.js';
import { storageFailure, typedStorageCall } from './storage-failure.js';
import { acquireExclusiveLock, type ReleaseLock } from './web-lock.js';

const SLOT_PATTERN = /^pool-(\d+)\.slot$/;

/** The subset of `FileSystemSyncAccessHandle` used here (absent from TypeScript's DOM lib). */
interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

interface FileHandleWithSync extends FileSystemFileHandle {
  createSyncAccessHandle(): Promise<SyncHandle>;
}

interface Slot {
  readonly fileName: string;
  readonly handle: SyncHandle;
  /** Engine file name, or undefined when the slot is free. */
  name: string | undefined;
  generation: bigint;
  /**
   * Bytes of file data (the handle's size minus the header). Only this VFS changes the file, so
   * the size is tracked here instead of asked for: `getSize()` is a call into the browser (about
   * 0.4 ms in headless Chromium on the test machines).
   */
  size: number;
}

/** Options of {@link opfsStorage}. */
export interface OpfsStorageOptions {
  /**
   * How long to wait for another tab or worker to release the database: 0 (the default) fails
   * at once with `DatabaseLockedError`. A page that just terminated its previous worker should
   * wait a little (e.g. 3000 ms): the browser releases a killed worker's lock asynchronously.
   */
  readonly lockTimeoutMs?: number;
  /**
   * Free slots kept ready for new files (default 16, at most 64). File creation is synchronous
   * inside the engine but opening an OPFS handle is not, so the pool grows ahead of need; a
   * compaction creates its output tables before deleting its inputs, so one synchronous
   * maintenance step can need a dozen new files. The engine raises this for databases with many
   * column families (`reserve`). Each spare slot is an open handle (Safari allows 252 in all).
   */
  readonly spareSlots?: number;
  /**
   * Largest total size of the database's files in bytes (slot headers not counted); a write or
   * truncate that would grow past it throws a `QuotaExceededError` DOMException, as a full
   * origin quota does, which the engine reports as `QuotaExceededError`. Default: no limit but
   * the browser's quota.
   */
  readonly maxBytes?: number;
}

/**
 * Most free slots kept (each is an open sync access handle; Safari allows 252 in all, so a pool
 * of live files plus this many stays well inside it).
 */
const MAX_SPARE = 64;

const encoder = new TextEncoder();

function notFound(name: string): DOMException {
  return new DOMException(`no such file: ${name}`, 'NotFoundError');
}

function quotaExceeded(message: string): DOMException {
  return new DOMException(message, 'QuotaExceededError');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens a sync access handle, retrying while a previous owner (a worker being torn down) still
 * holds it, for up to `waitMs`; then fails typed (a handle still held: `DatabaseLockedError`).
 */
async function openHandle(file: FileHandleWithSync, waitMs: number): Promise<SyncHandle> {
  const deadline = Date.now() + waitMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await file.createSyncAccessHandle();
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'NoModificationAllowedError') || Date.now() >= deadline) {
        throw storageFailure(e, { op: 'open', storage: 'opfs', file: file.name });
      }
      await sleep(delay);
    }
  }
}

class OpfsPoolVfs implements HostVfs {
  readonly #dir: FileSystemDirectoryHandle;
  readonly #slots: Slot[];
  readonly #byName = new Map<string, Slot>();
  readonly #fds = new Map<number, Slot>();
  /** Free slots kept ready; raised by {@link OpfsPoolVfs.ensureSpare} for databases with many files per flush. */
  #spare: number;
  /** Limit on {@link OpfsPoolVfs.#used}, or `Infinity`. */
  readonly #maxBytes: number;
  /** Bytes of file data in named slots. Kept exact only when there is a limit to enforce. */
  #used = 0;
  #nextFd = 1;
  #generation = 0n;
  #growing: Promise<void> | undefined;
  /**
   * Every running {@link OpfsPoolVfs.ensureSpare}. `closeAll` waits for them all, and after it
   * set {@link OpfsPoolVfs.#closed} none opens a handle that outlives it: each checks the flag
   * after every await. Else a handle opened after the lock was released would stay open, and
   * the next open of this database would find its slot held (`DatabaseLockedError`).
   */
  readonly #growth = new Set<Promise<void>>();
  #closed = false;
  #nextSlotNumber: number;

  constructor(dir: FileSystemDirectoryHandle, slots: Slot[], spare: number, maxBytes: number) {
    this.#dir = dir;
    this.#slots = slots;
    this.#spare = spare;
    this.#maxBytes = maxBytes;
    this.#nextSlotNumber = 0;
    for (const slot of slots) {
      const m = SLOT_PATTERN.exec(slot.fileName);
      if (m) this.#nextSlotNumber = Math.max(this.#nextSlotNumber, Number(m[1]) + 1);
      if (slot.generation > this.#generation) this.#generation = slot.generation;
      if (slot.name === undefined) continue;
      const other = this.#byName.get(slot.name);
      if (other === undefined || other.generation < slot.generation) {
        // A rename interrupted by a crash left two slots with this name: the newer one wins.
        if (other) this.#free(other);
        this.#byName.set(slot.name, slot);
      } else {
        this.#free(slot);
      }
    }
    // Counted after the duplicates above were freed (freeing adjusts the count).
    let used = 0;
    if (this.#limited) for (const slot of this.#byName.values()) used += slot.size;
    this.#used = used;
  }

  get #limited(): boolean {
    return this.#maxBytes !== Infinity;
  }

  /**
   * Accounts for `slot` growing to at least `end` bytes of data (a write) or to exactly `end`
   * (a truncate, `exact`); throws, changing nothing, if that would go past `maxBytes`. Called
   * before the operation: OPFS itself may have written part of it by the time it fails.
   */
  #reserve(slot: Slot, end: number, exact = false): void {
    if (!this.#limited) return;
    const grow = exact ? end - slot.size : Math.max(0, end - slot.size);
    if (grow > 0 && this.#used + grow > this.#maxBytes) {
      throw quotaExceeded(`OPFS database limited to ${this.#maxBytes} bytes (maxBytes): ${this.#used} used, ${grow} more needed`);
    }
    this.#used += grow;
  }

  /**
   * After a write or truncate that failed part-way: asks the file's real size and counts it
   * instead of `assumed`, the size the reservation counted.
   */
  #settle(slot: Slot, assumed: number): void {
    const size = slot.handle.getSize() - HEADER_SIZE;
    if (this.#limited) this.#used += size - assumed;
    slot.size = size;
  }

  /**
   * Adds free slots so that `open(create)` never finds none: at least `atLeast` (which also
   * becomes the number kept from now on, up to {@link MAX_SPARE}). Fails typed: a full quota is
   * `QuotaExceededError`; after `closeAll`, `DatabaseClosedError`.
   */
  ensureSpare(atLeast = this.#spare): Promise<void> {
    if (this.#closed) return Promise.reject(new DatabaseClosedError('the OPFS storage is closed'));
    const growth: Promise<void> = this.#grow(atLeast).finally(() => this.#growth.delete(growth));
    this.#growth.add(growth);
    return growth;
  }

  async #grow(atLeast: number): Promise<void> {
    this.#spare = Math.min(MAX_SPARE, Math.max(this.#spare, atLeast));
    while (this.#slots.filter((s) => s.name === undefined).length < this.#spare) {
      const fileName = `pool-${String(this.#nextSlotNumber++).padStart(4, '0')}.slot`;
      try {
        await this.#addSlot(fileName);
      } catch (e) {
        throw storageFailure(e, { op: 'reserve', storage: 'opfs', file: fileName });
      }
    }
  }

  /**
   * Creates slot file `fileName` and adds it, free, to the pool. After `closeAll` it stops at
   * its next step, and a handle it opened meanwhile is closed at once. A file created but not
   * added is empty: a later open reads it as a free slot.
   */
  async #addSlot(fileName: string): Promise<void> {
    const file = (await this.#dir.getFileHandle(fileName, { create: true })) as FileHandleWithSync;
    this.#throwIfClosed();
    const handle = await openHandle(file, 0);
    try {
      this.#throwIfClosed();
      handle.truncate(HEADER_SIZE);
      handle.write(encodeHeader(undefined, 0n), { at: 0 });
      handle.flush();
    } catch (e) {
      handle.close();
      throw e;
    }
    this.#slots.push({ fileName, handle, name: undefined, generation: 0n, size: 0 });
  }

  #throwIfClosed(): void {
    if (this.#closed) throw new DatabaseClosedError('the OPFS storage was closed while it was adding slots');
  }

  #growInBackground(): void {
    if (this.#growing) return;
    this.#growing = this.ensureSpare()
      .catch(() => undefined) // a failure shows up as STORAGE_EXHAUSTED when a slot is needed
      .finally(() => (this.#growing = undefined));
  }

  #writeHeader(slot: Slot, name: string | undefined): void {
    const generation = name === undefined ? 0n : ++this.#generation;
    slot.handle.write(encodeHeader(name, generation), { at: 0 });
    slot.handle.flush();
    slot.name = name;
    slot.generation = generation;
  }

  #free(slot: Slot): void {
    if (this.#limited && slot.name !== undefined) this.#used -= slot.size;
    this.#writeHeader(slot, undefined);
    slot.handle.truncate(HEADER_SIZE);
    slot.handle.flush();
    slot.size = 0;
  }

  #slot(fd: number): Slot {
    const slot = this.#fds.get(fd);
    if (slot === undefined) throw new InvalidArgumentError(`bad file descriptor ${fd}`, { fd });
    return slot;
  }

  open(name: string, create: boolean): number {
    let slot = this.#byName.get(name);
    if (slot === undefined) {
      if (!create) throw notFound(name);
      if (encoder.encode(name).length > MAX_NAME) throw new InvalidArgumentError(`file name too long: ${name}`, { name });
      slot = this.#slots.find((s) => s.name === undefined);
      if (slot === undefined) {
        this.#growInBackground();
        throw new StorageExhaustedError('no free OPFS slot: the pool is still growing; retry shortly', { file: name });
      }
      slot.handle.truncate(HEADER_SIZE);
      slot.size = 0;
      this.#writeHeader(slot, name);
      this.#byName.set(name, slot);
      this.#growInBackground();
    } else if (create) {
      this.#reserve(slot, 0, true);
      slot.handle.truncate(HEADER_SIZE);
      slot.size = 0;
    }
    const fd = this.#nextFd++;
    this.#fds.set(fd, slot);
    return fd;
  }

  read(fd: number, offset: number, into: Uint8Array): number {
    return this.#slot(fd).handle.read(into, { at: HEADER_SIZE + offset });
  }

  write(fd: number, offset: number, data: Uint8Array): void {
    const slot = this.#slot(fd);
    const end = offset + data.length;
    const after = Math.max(slot.size, end);
    this.#reserve(slot, end);
    let written: number;
    try {
      written = slot.handle.write(data, { at: HEADER_SIZE + offset });
    } catch (e) {
      this.#settle(slot, after);
      throw e;
    }
    if (written !== data.length) {
      this.#settle(slot, after);
      throw quotaExceeded(`short write: ${written} of ${data.length} bytes`);
    }
    slot.size = after;
  }

  size(fd: number): number {
    return this.#slot(fd).size;
  }

  truncate(fd: number, size: number): void {
    const slot = this.#slot(fd);
    this.#reserve(slot, size, true);
    try {
      slot.handle.truncate(HEADER_SIZE + size);
    } catch (e) {
      this.#settle(slot, size);
      throw e;
    }
    slot.size = size;
  }

  sync(fd: number): void {
    this.#slot(fd).handle.flush();
  }

  close(fd: number): void {
    this.#fds.delete(fd);
  }

  delete(name: string): void {
    const slot = this.#byName.get(name);
    if (slot === undefined) throw notFound(name);
    this.#byName.delete(name);
    this.#free(slot);
  }

  rename(from: string, to: string): void {
    const slot = this.#byName.get(from);
    if (slot === undefined) throw notFound(from);
    const replaced = this.#byName.get(to);
    this.#writeHeader(slot, to);
    this.#byName.delete(from);
    this.#byName.set(to, slot);
    if (replaced !== undefined && replaced !== slot) this.#free(replaced);
  }

  list(): string[] {
    return [...this.#byName.keys()];
  }

  /** Closes every handle, once no slot is being added any more; the directory stays as it is. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#growth]);
    for (const slot of this.#slots) slot.handle.close();
    this.#slots.length = 0;
    this.#byName.clear();
    this.#fds.clear();
  }
}

/** Whether OPFS sync access handles can be used here (only in dedicated workers). */
export function opfsSyncAvailable(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' &&
    'createSyncAccessHandle' in FileSystemFileHandle.prototype
  );
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * OPFS storage for the database `name` (slash-separated path segments, e.g. `jobs/clicks`),
 * kept under `edgestate/<name>/` in the origin's private file system. Usable only inside a
 * dedicated worker; elsewhere {@link OpfsStorageAdapter.open} rejects with
 * `StorageUnavailableError`.
 */
export function opfsStorage(name: string, options: OpfsStorageOptions = {}): StorageAdapter {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidArgumentError(`invalid OPFS database name ${JSON.stringify(name)}: use letters, digits, '.', '_', '-' and '/'`, {
      name: String(name),
    });
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? 0;
  const spare = options.spareSlots ?? 16;
  const maxBytes = options.maxBytes ?? Infinity;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 0) {
    throw new InvalidArgumentError(`lockTimeoutMs must be a non-negative integer, got ${lockTimeoutMs}`, { lockTimeoutMs });
  }
  if (!Number.isInteger(spare) || spare < 1 || spare > 64) {
    throw new InvalidArgumentError(`spareSlots must be an integer in 1..64, got ${spare}`, { spareSlots: spare });
  }
  if (maxBytes !== Infinity && (!Number.isInteger(maxBytes) || maxBytes < 0)) {
    throw new InvalidArgumentError(`maxBytes must be a non-negative integer, got ${maxBytes}`, { maxBytes });
  }
  return {
    kind: 'opfs',
    name,
    open: () => typedStorageCall({ op: 'open', storage: 'opfs', database: name }, () => openPool(name, { lockTimeoutMs, spare, maxBytes })),
  };
}

/** The database's directory, `edgestate/<name>/`, created if missing. */
async function databaseDirectory(name: string): Promise<FileSystemDirectoryHandle> {
  let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate', { create: true });
  for (const segment of name.split('/')) dir = await dir.getDirectoryHandle(segment, { create: true });
  return dir;
}

/** Opens every slot file of `dir` into `slots` (which the caller closes if this fails). */
async function openSlots(dir: FileSystemDirectoryHandle, waitMs: number, slots: Slot[]): Promise<void> {
  const header = new Uint8Array(HEADER_SIZE);
  for await (const [fileName, entry] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (entry.kind !== 'file' || !SLOT_PATTERN.test(fileName)) continue;
    const handle = await openHandle(entry as FileHandleWithSync, waitMs);
    header.fill(0);
    handle.read(header, { at: 0 });
    const decoded = decodeHeader(header);
    const size = Math.max(0, handle.getSize() - HEADER_SIZE);
    slots.push({ fileName, handle, name: decoded?.name, generation: decoded?.generation ?? 0n, size });
  }
}

async function openPool(name: string, settings: { lockTimeoutMs: number; spare: number; maxBytes: number }): Promise<OpenedStorage> {
  if (!opfsSyncAvailable()) {
    throw new StorageUnavailableError('OPFS sync access handles are not available here (they exist only in dedicated workers)', {
      storage: 'opfs',
    });
  }
  const release: ReleaseLock = await acquireExclusiveLock(`edgestate:opfs:${name}`, settings.lockTimeoutMs, name);
  const slots: Slot[] = [];
  try {
    const dir = await databaseDirectory(name);
    await openSlots(dir, Math.max(settings.lockTimeoutMs, 2000), slots);
    const vfs = new OpfsPoolVfs(dir, slots, settings.spare, settings.maxBytes);
    await vfs.ensureSpare();
    return {
      vfs,
      // Every engine `sync` is a `flush()` of the sync access handle: durable already.
      flush: () => Promise.resolve(),
      reserve: (files: number) => vfs.ensureSpare(files),
      async close() {
        await vfs.closeAll();
        release();
      },
    };
  } catch (e) {
    // The pool adds its new slots to `slots` too: every handle opened so far is closed.
    for (const slot of slots) slot.handle.close();
    release();
    throw e;
  }
}
