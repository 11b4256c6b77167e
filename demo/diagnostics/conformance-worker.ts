/**
 * A module worker that runs the HostVfs conformance checks (`host-vfs-conformance.ts`) over a
 * real storage adapter: OPFS sync access handles exist only in dedicated workers, so this is
 * where the OPFS slot pool can be checked. Every check gets a fresh database, deleted after it.
 */
import { expose } from 'comlink';
import { deleteDB } from 'idb';
import { runHostVfsConformance, hostVfsConformanceChecks, type ConformanceFactory, type ConformanceResult } from '../../web/src/storage/host-vfs-conformance.js';
import { indexedDbStorage } from '../../web/src/storage/indexeddb.js';
import { MemoryVfs } from '../../web/src/storage/memory.js';
import { opfsStorage } from '../../web/src/storage/opfs-pool.js';
import type { StorageAdapter } from '../../web/src/storage/host-vfs.js';

/** Storages the conformance worker can check. */
export type ConformanceStorage = 'opfs' | 'indexeddb' | 'memory';

/** What a run found. */
export interface ConformanceReport {
  readonly storage: ConformanceStorage;
  /** Checks run (every one of `hostVfsConformanceChecks`). */
  readonly checks: number;
  readonly failures: readonly ConformanceResult[];
}

/** The API this worker serves through comlink. */
export interface ConformanceWorkerApi {
  run(storage: ConformanceStorage): Promise<ConformanceReport>;
}

/** A fresh database of `storage` per check, deleted when the check is over. */
function factory(storage: ConformanceStorage, run: string): ConformanceFactory {
  let n = 0;
  return async () => {
    if (storage === 'memory') return { vfs: new MemoryVfs() };
    const name = `conformance-${run}-${n++}`;
    const adapter: StorageAdapter = storage === 'opfs' ? opfsStorage(`conformance/${name}`) : indexedDbStorage(name);
    const opened = await adapter.open();
    return {
      vfs: opened.vfs,
      async dispose() {
        await opened.close();
        if (storage === 'indexeddb') {
          await deleteDB(`edgestate:${name}`);
        } else {
          const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate');
          const dir = await root.getDirectoryHandle('conformance');
          await dir.removeEntry(name, { recursive: true });
        }
      },
    };
  };
}

const api: ConformanceWorkerApi = {
  async run(storage) {
    const failures = await runHostVfsConformance(factory(storage, `${Date.now()}-${Math.floor(Math.random() * 1e6)}`));
    return { storage, checks: hostVfsConformanceChecks.length, failures };
  },
};

expose(api);
