/**
 * Runs the checkpoint store conformance checks (web/src/checkpoint/store-conformance.ts) against
 * the browser stores, IndexedDB and an OPFS directory, each check on a fresh store that is
 * removed afterwards. Both stores use async APIs only, so this runs on the page and in workers.
 */
import { deleteDB } from 'idb';
import { indexedDbCheckpointDatabaseName, indexedDbCheckpointStore } from '../../web/src/checkpoint/idb-store.js';
import { OPFS_CHECKPOINT_ROOT, opfsCheckpointStore } from '../../web/src/checkpoint/opfs-store.js';
import { runCheckpointStoreConformance, type CheckpointStoreFailure, type CheckpointStoreSubject } from '../../web/src/checkpoint/store-conformance.js';

/** Browser checkpoint stores. */
export type BrowserCheckpointStore = 'indexeddb' | 'opfs';

/** The OPFS folder (under `edgestate-checkpoints/`) and IndexedDB name prefix of the checks' stores. */
export const STORE_CONFORMANCE_PREFIX = 'store-conformance';

/** What a run found. */
export interface CheckpointStoreReport {
  readonly store: BrowserCheckpointStore;
  /** Where it ran: `'page'` or `'worker'`. */
  readonly context: string;
  readonly checks: number;
  readonly failures: readonly CheckpointStoreFailure[];
}

async function removeOpfsStore(name: string): Promise<void> {
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_CHECKPOINT_ROOT);
  await (await root.getDirectoryHandle(STORE_CONFORMANCE_PREFIX)).removeEntry(name, { recursive: true });
}

/** Runs every check (the persistence one included) on fresh stores of kind `store`. */
export async function runBrowserCheckpointStoreConformance(store: BrowserCheckpointStore): Promise<CheckpointStoreReport> {
  const run = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  let n = 0;
  const open = async (): Promise<CheckpointStoreSubject> => {
    const name = `${run}-${n++}`;
    if (store === 'opfs') {
      const path = `${STORE_CONFORMANCE_PREFIX}/${name}`;
      return { store: opfsCheckpointStore(path), reopen: () => opfsCheckpointStore(path), dispose: () => removeOpfsStore(name) };
    }
    const idbName = `${STORE_CONFORMANCE_PREFIX}-${name}`;
    const stores = [indexedDbCheckpointStore(idbName)];
    return {
      store: stores[0]!,
      reopen: () => {
        const again = indexedDbCheckpointStore(idbName);
        stores.push(again);
        return again;
      },
      dispose: async () => {
        for (const s of stores) s.close();
        await deleteDB(indexedDbCheckpointDatabaseName(idbName));
      },
    };
  };
  const result = await runCheckpointStoreConformance(open, { persistent: true });
  return { store, context: typeof document === 'undefined' ? 'worker' : 'page', ...result };
}
