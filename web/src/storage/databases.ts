/**
 * The databases this origin holds: list them and delete them, whichever storage holds them.
 *
 * OPFS databases are directories under `edgestate/` (one per database, possibly nested:
 * `jobs/clicks`) holding `pool-NNNN.slot` files, each slot's header naming the engine file it
 * carries (opfs-pool.ts); IndexedDB databases are IndexedDB databases named `edgestate:<name>`.
 * Deleting takes the database's Web Lock first, so a database open in any tab or worker is never
 * deleted under it (`DatabaseLockedError` instead).
 */
import { deleteDB } from 'idb';
import { StorageUnavailableError } from '../errors.js';
import type { StorageKind } from './host-vfs.js';
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
 * not an error.
 */
export async function deleteDatabase(name: string, storage: Exclude<StorageKind, 'memory'>, options: { readonly lockTimeoutMs?: number } = {}): Promise<void> {
  const lock = storage === 'opfs' ? `edgestate:opfs:${name}` : `edgestate:idb:${name}`;
  const release = await acquireExclusiveLock(lock, options.lockTimeoutMs ?? 0, name);
  try {
    if (storage === 'indexeddb') {
      await deleteDB(`edgestate:${name}`);
      return;
    }
    let dir = await opfsRoot();
    if (dir === undefined) throw new StorageUnavailableError('OPFS is not available here', { storage: 'opfs' });
    const segments = name.split('/');
    const last = segments.pop()!;
    try {
      for (const s of segments) dir = await dir.getDirectoryHandle(s);
      await dir.removeEntry(last, { recursive: true });
    } catch (e) {
      if ((e as { name?: string }).name !== 'NotFoundError') throw e;
    }
  } finally {
    release();
  }
}
