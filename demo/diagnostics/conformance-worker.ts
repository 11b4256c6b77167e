/**
 * A module worker that runs the conformance checks (`host-vfs-conformance.ts` for one open VFS,
 * `storage-adapter-conformance.ts` for reopening and locking) over a real storage adapter: OPFS
 * sync access handles exist only in dedicated workers, so this is where the OPFS slot pool can be
 * checked. Every check gets a fresh database, deleted after it.
 */
import { expose } from 'comlink';
import { deleteDB } from 'idb';
import { runHostVfsConformance, hostVfsConformanceChecks, type ConformanceFactory, type ConformanceResult } from '../../web/src/storage/host-vfs-conformance.js';
import { indexedDbStorage } from '../../web/src/storage/indexeddb.js';
import { memoryStorage, MemoryVfs } from '../../web/src/storage/memory.js';
import { opfsStorage } from '../../web/src/storage/opfs-pool.js';
import type { StorageAdapter } from '../../web/src/storage/host-vfs.js';
import { runStorageAdapterConformance, type AdapterSubject } from '../../web/src/storage/storage-adapter-conformance.js';

/** Storages the conformance worker can check. */
export type ConformanceStorage = 'opfs' | 'indexeddb' | 'memory';

/** What a run found. */
export interface ConformanceReport {
  readonly storage: ConformanceStorage;
  /** Checks run: every one of `hostVfsConformanceChecks`, and the adapter checks that apply. */
  readonly checks: number;
  readonly failures: readonly ConformanceResult[];
}

/** The API this worker serves through comlink. */
export interface ConformanceWorkerApi {
  run(storage: ConformanceStorage): Promise<ConformanceReport>;
}

/** A fresh database name per check. */
function names(): () => string {
  const run = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  let n = 0;
  return () => `conformance-${run}-${n++}`;
}

function adapterFor(storage: 'opfs' | 'indexeddb', name: string, maxBytes?: number): StorageAdapter {
  const limit = maxBytes === undefined ? {} : { maxBytes };
  return storage === 'opfs' ? opfsStorage(`conformance/${name}`, limit) : indexedDbStorage(name, limit);
}

/** Deletes the database `name` of `storage` (it must be closed). */
async function remove(storage: 'opfs' | 'indexeddb', name: string): Promise<void> {
  if (storage === 'indexeddb') {
    await deleteDB(`edgestate:${name}`);
    return;
  }
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate');
  const dir = await root.getDirectoryHandle('conformance');
  await dir.removeEntry(name, { recursive: true });
}

/** An open VFS on a fresh database of `storage` per check, deleted when the check is over. */
function vfsFactory(storage: ConformanceStorage): ConformanceFactory {
  const next = names();
  return async () => {
    if (storage === 'memory') return { vfs: new MemoryVfs() };
    const name = next();
    const opened = await adapterFor(storage, name).open();
    return {
      vfs: opened.vfs,
      async dispose() {
        await opened.close();
        await remove(storage, name);
      },
    };
  };
}

/** Adapters for a fresh database of `storage` per check. */
function adapterFactory(storage: ConformanceStorage): () => AdapterSubject {
  const next = names();
  return () => {
    if (storage === 'memory') {
      // Memory files live in the adapter object: reopening means opening the same object.
      const memory = memoryStorage();
      return { traits: { persistent: true, exclusive: false, limited: false }, adapter: () => memory };
    }
    const name = next();
    return {
      traits: { persistent: true, exclusive: true, limited: true },
      adapter: () => adapterFor(storage, name),
      limited: (maxBytes) => adapterFor(storage, name, maxBytes),
      dispose: () => remove(storage, name),
    };
  };
}

const api: ConformanceWorkerApi = {
  async run(storage) {
    const vfsFailures = await runHostVfsConformance(vfsFactory(storage));
    const adapter = await runStorageAdapterConformance(adapterFactory(storage));
    return { storage, checks: hostVfsConformanceChecks.length + adapter.checks, failures: [...vfsFailures, ...adapter.failures] };
  },
};

expose(api);
