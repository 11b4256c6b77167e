/**
 * The databases this origin holds: list them and delete them, whichever storage holds them.
 *
 * OPFS databases are directories under `edgestate/` (one per database, possibly nested:
 * `jobs/clicks`) holding `pool-NNNN.slot` files, each slot's header naming the engine file it
 * carries (opfs-pool.ts); IndexedDB databases are IndexedDB databases named `edgestate:<name>`.
 * Deleting takes the database's Web Lock first, so a database open in any tab or worker is never
 * deleted under it (`DatabaseLockedError` instead); it removes that database's own files only,
 * never a nested one's, whose lock it does not hold.
 */
import { deleteDB } from 'idb';
import { StorageUnavailableError } from '../errors.js';
import type { StorageKind } from './host-vfs.js';
import { errorName, typedStorageCall } from './storage-failure.js';
import { acquireExclusiveLock } from './web-lock.js';

/** A stored database. */
export interface StoredDatabase {
  readonly name: string;
  readonly storage: Exclude<StorageKind, 'memory'>;
  /** Slot files (OPFS) — an upper bound of its engine files, spare slots included. */
  readonly slots?: number;
  /** Bytes on disk (OPFS). */
  readonly bytes?: number;
}

const SLOT = /^pool-\d+\.slot$/;

/** Why removing a database's directory, once its slots are gone, may fail and leave it: harmlessly. */
const LEFT_IN_PLACE = new Set(['InvalidModificationError', 'NoModificationAllowedError', 'NotFoundError']);

async function opfsRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return undefined;
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle('edgestate');
  } catch {
    return undefined;
  }
}

async function walk(dir: FileSystemDirectoryHandle, path: string, out: StoredDatabase[]): Promise<void> {
  let slots = 0;
  let bytes = 0;
  for await (const [name, entry] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (entry.kind === 'directory') {
      await walk(entry as FileSystemDirectoryHandle, path === '' ? name : `${path}/${name}`, out);
    } else if (SLOT.test(name)) {
      slots++;
      bytes += (await (entry as FileSystemFileHandle).getFile()).size;
    }
  }
  if (slots > 0) out.push({ name: path, storage: 'opfs', slots, bytes });
}

/** Every edgestate database of this origin, on OPFS and in IndexedDB, sorted by name. */
export async function listDatabases(): Promise<StoredDatabase[]> {
  const out: StoredDatabase[] = [];
  const root = await opfsRoot();
  if (root !== undefined) await walk(root, '', out);
  if (typeof indexedDB !== 'undefined' && typeof indexedDB.databases === 'function') {
    for (const d of await indexedDB.databases()) {
      if (d.name?.startsWith('edgestate:')) out.push({ name: d.name.slice('edgestate:'.length), storage: 'indexeddb' });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.storage < b.storage ? -1 : 1));
}

/**
 * Deletes database `name` from `storage` with all its files. Fails with `DatabaseLockedError` if
 * it is open anywhere (the same lock its storage adapter takes). Deleting a missing database is
 * not an error. A nested database (`jobs/clicks` under `jobs`) is another database, with a lock
 * of its own: deleting `jobs` leaves it, as it does in IndexedDB. Other failures are typed
 * (storage-failure.ts).
 */
export async function deleteDatabase(name: string, storage: Exclude<StorageKind, 'memory'>, options: { readonly lockTimeoutMs?: number } = {}): Promise<void> {
  await typedStorageCall({ op: 'delete', storage, database: name }, async () => {
    const lock = storage === 'opfs' ? `edgestate:opfs:${name}` : `edgestate:idb:${name}`;
    const release = await acquireExclusiveLock(lock, options.lockTimeoutMs ?? 0, name);
    try {
      if (storage === 'indexeddb') await deleteDB(`edgestate:${name}`);
      else await deleteOpfsDatabase(name);
    } finally {
      release();
    }
  });
}

/** The name of what `e` is, if it is a DOMException or an error. */
/** The directory holding database `name` (and its parent), or undefined if there is none. */
async function opfsDirectory(name: string): Promise<{ parent: FileSystemDirectoryHandle; dir: FileSystemDirectoryHandle } | undefined> {
  let parent = await opfsRoot();
  if (parent === undefined) throw new StorageUnavailableError('OPFS is not available here', { storage: 'opfs' });
  const segments = name.split('/');
  const last = segments.pop()!;
  try {
    for (const s of segments) parent = await parent.getDirectoryHandle(s);
    return { parent, dir: await parent.getDirectoryHandle(last) };
  } catch (e) {
    if (errorName(e) === 'NotFoundError') return undefined;
    throw e;
  }
}

/**
 * Removes the slot files of OPFS database `name` — everything a database owns (opfs-pool.ts) —
 * then its directory if that is empty. Not `removeEntry(name, { recursive: true })`: that would
 * also delete the nested databases in it, whose locks are not held here, even one open in
 * another worker. Refusing instead while nested databases exist would make a parent deletable
 * only after its children, which IndexedDB does not ask either.
 */
async function deleteOpfsDatabase(name: string): Promise<void> {
  const found = await opfsDirectory(name);
  if (found === undefined) return;
  const slots: string[] = [];
  for await (const [fileName, entry] of found.dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (entry.kind === 'file' && SLOT.test(fileName)) slots.push(fileName);
  }
  for (const fileName of slots) await found.dir.removeEntry(fileName);
  try {
    // Not recursive: a directory that still holds anything (a nested database) stays.
    await found.parent.removeEntry(found.dir.name);
  } catch (e) {
    // Not empty: InvalidModificationError; a nested database open below it (Chromium checks its
    // handles' locks first): NoModificationAllowedError; already gone: NotFoundError.
    if (!LEFT_IN_PLACE.has(errorName(e))) throw e;
  }
}
