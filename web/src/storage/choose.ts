/**
 * Picks the best storage available where the code runs: OPFS (sync access handles, only in
 * dedicated workers) when it can, else IndexedDB (state must then fit in memory).
 */
import { StorageUnavailableError } from '../errors.js';
import type { StorageAdapter } from './host-vfs.js';
import { indexedDbStorage, type IndexedDbStorageOptions } from './indexeddb.js';
import { opfsStorage, opfsSyncAvailable, type OpfsStorageOptions } from './opfs-pool.js';

/** What {@link chooseStorage} picked, and why. */
export interface StorageChoice {
  readonly storage: StorageAdapter;
  /** A sentence for logs and UIs. */
  readonly reason: string;
}

/** OPFS when sync access handles exist here, else IndexedDB; throws if neither does. */
export function chooseStorage(name: string, options: OpfsStorageOptions & IndexedDbStorageOptions = {}): StorageChoice {
  if (opfsSyncAvailable()) {
    return { storage: opfsStorage(name, options), reason: 'OPFS sync access handles are available (dedicated worker)' };
  }
  if (typeof indexedDB !== 'undefined') {
    return {
      storage: indexedDbStorage(name, options),
      reason: 'no OPFS sync access handles here (not a dedicated worker, or blocked): IndexedDB, state held in memory',
    };
  }
  throw new StorageUnavailableError('neither OPFS sync access handles nor IndexedDB are available here');
}
