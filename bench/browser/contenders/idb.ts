/**
 * IndexedDB through `idb`, the way an app would use it: an object store of binary keys
 * (out-of-line) and `Uint8Array` values. Per-op: one readwrite transaction per put. Batched: one
 * transaction per batch. Reads: batches of gets in one readonly transaction. Scans: `getAllKeys`
 * and `getAll` with a count, from a lower bound, in one readonly transaction.
 *
 * Durability: Chromium's default for readwrite transactions is `relaxed` (since Chrome 121: the
 * commit does not wait for the disk), which the put phases use; the commit phase asks for `strict`.
 */
import { deleteDB, openDB, type IDBPDatabase } from 'idb';
import type { Workload } from '../workload.js';
import type { Contender, Store } from './contender.js';

const STORE = 'kv';
/** Gets issued per readonly transaction in the `get` phase. */
const GETS_PER_TRANSACTION = 1000;

function databaseName(name: string): string {
  return `edgestate-bench-${name}`;
}

/**
 * A value as IndexedDB must receive it: structured clone copies a view's *whole* buffer, so a
 * view into the workload's 100 MB would be cloned entire. `slice` gives each value its own buffer.
 */
function ownValue(w: Workload, i: number): Uint8Array {
  return w.value(i).slice();
}

function idbStore(db: IDBPDatabase): Store {
  return {
    async putOne(w: Workload, count: number): Promise<void> {
      for (let i = 0; i < count; i++) await db.put(STORE, ownValue(w, i), w.key(i));
    },
    async putBatch(w: Workload, count: number, batchSize: number): Promise<void> {
      for (let from = 0; from < count; from += batchSize) {
        const tx = db.transaction(STORE, 'readwrite');
        const to = Math.min(from + batchSize, count);
        // Requests are queued without awaiting each: the transaction commits once all are done.
        for (let i = from; i < to; i++) void tx.store.put(ownValue(w, i), w.key(i));
        await tx.done;
      }
    },
    async makeDurable(): Promise<void> {
      // Every load transaction has committed; a strict empty-handed transaction waits for the disk.
      await db.transaction(STORE, 'readwrite', { durability: 'strict' }).done;
    },
    async commitOne(w: Workload, i: number): Promise<void> {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      void tx.store.put(ownValue(w, i), w.key(i));
      await tx.done;
    },
    async get(w: Workload, order: Uint32Array): Promise<number> {
      let found = 0;
      for (let from = 0; from < order.length; from += GETS_PER_TRANSACTION) {
        const tx = db.transaction(STORE, 'readonly');
        const reads: Array<Promise<unknown>> = [];
        for (const i of order.subarray(from, from + GETS_PER_TRANSACTION)) reads.push(tx.store.get(w.key(i)));
        for (const [n, value] of (await Promise.all(reads)).entries()) {
          const i = order[from + n] as number;
          if (value instanceof Uint8Array && value.length === w.value(i).length) found++;
        }
        await tx.done;
      }
      return found;
    },
    async scan(w: Workload, starts: Uint32Array, length: number): Promise<number> {
      let entries = 0;
      for (const i of starts) {
        const tx = db.transaction(STORE, 'readonly');
        const range = IDBKeyRange.lowerBound(w.key(i));
        const [keys, values] = await Promise.all([tx.store.getAllKeys(range, length), tx.store.getAll(range, length)]);
        if (keys.length !== values.length) throw new Error(`IndexedDB scan: ${keys.length} keys but ${values.length} values`);
        entries += values.length;
        await tx.done;
      }
      return entries;
    },
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}

/** The IndexedDB contender. */
export function idbContender(): Contender {
  const opened: string[] = [];
  return {
    detail: 'IndexedDB via idb 8, one object store, binary keys, Uint8Array values',
    notes: [
      'IndexedDB per-op put = one readwrite transaction (default durability, relaxed in Chromium) per put',
      `IndexedDB batched put = one transaction per batch; get = ${GETS_PER_TRANSACTION} gets per readonly transaction; scan = getAllKeys + getAll with a count`,
      'IndexedDB commit = one put in a transaction with durability "strict"',
    ],
    perOpCapped: true,
    async open(name: string): Promise<Store> {
      const full = databaseName(name);
      await deleteDB(full);
      opened.push(full);
      const db = await openDB(full, 1, {
        upgrade(database) {
          database.createObjectStore(STORE);
        },
      });
      return idbStore(db);
    },
    async dispose(): Promise<void> {
      for (const full of opened.splice(0)) await deleteDB(full);
    },
  };
}
