/**
 * A checkpoint store in IndexedDB (through `idb`): works on the main thread and in any worker.
 *
 * Layout: the IndexedDB database `edgestate-checkpoints:<name>` with two object stores, `files`
 * (key → `Blob`) and `records` (checkpoint id → record). Blobs let the browser keep large tables
 * out of the JS heap (Chromium spills them to disk); a file put from an async iterable is gathered
 * into a `Blob` first, so its chunks need not fit in memory at once, only in the browser's blob
 * storage.
 *
 * Durability: each call is one transaction, opened with `durability: 'strict'` (Chromium's
 * default is relaxed: committed, not yet flushed). `putRecord` resolves when its transaction has
 * completed, and from then on the checkpoint exists across a crash of the tab or the browser.
 *
 * The connection is opened on first use and closed whenever another connection wants to
 * upgrade or delete the database (e.g. clearing site data), then reopened on the next call.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { InvalidArgumentError, QuotaExceededError, StorageError, StorageUnavailableError } from '../errors.js';
import { CheckpointNotFoundError } from './checkpoint-errors.js';
import type { CheckpointRecord, CheckpointStore } from './store.js';

interface CheckpointSchema extends DBSchema {
  files: { key: string; value: Blob };
  records: { key: string; value: CheckpointRecord };
}

/** The IndexedDB database name of the store `name`. */
export function indexedDbCheckpointDatabaseName(name: string): string {
  return `edgestate-checkpoints:${name}`;
}

/** An IndexedDB checkpoint store; `close()` releases its connection (the next call reopens it). */
export interface IndexedDbCheckpointStore extends CheckpointStore {
  close(): void;
}

function typedError(e: unknown, op: string, key: string): Error {
  if (e instanceof CheckpointNotFoundError) return e;
  const name = e instanceof DOMException ? e.name : 'unknown';
  const message = `IndexedDB ${op} of ${key} failed: ${e instanceof Error ? e.message : String(e)}`;
  if (name === 'QuotaExceededError') return new QuotaExceededError(message, { op, file: key });
  return new StorageError(message, { op, file: key, kind: name });
}

async function toBlob(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<Blob> {
  // Blob parts are copied when the Blob is made, so the caller may reuse its buffers after.
  if (data instanceof Uint8Array) return new Blob([data as Uint8Array<ArrayBuffer>]);
  const parts: Blob[] = [];
  for await (const chunk of data) parts.push(new Blob([chunk as Uint8Array<ArrayBuffer>]));
  return new Blob(parts);
}

function compareRecords(a: CheckpointRecord, b: CheckpointRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A checkpoint store in the IndexedDB database `edgestate-checkpoints:<name>` (created on first
 * use). Remove it with `deleteDB(indexedDbCheckpointDatabaseName(name))` from `idb`.
 */
export function indexedDbCheckpointStore(name: string): IndexedDbCheckpointStore {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new InvalidArgumentError(`invalid checkpoint store name ${JSON.stringify(name)}`, { name: String(name) });
  }
  const dbName = indexedDbCheckpointDatabaseName(name);
  let connection: Promise<IDBPDatabase<CheckpointSchema>> | undefined;
  const db = (): Promise<IDBPDatabase<CheckpointSchema>> => {
    if (connection !== undefined) return connection;
    if (typeof indexedDB === 'undefined') return Promise.reject(new StorageUnavailableError('IndexedDB is not available here', { storage: 'indexeddb' }));
    const opening = openDB<CheckpointSchema>(dbName, 1, {
      upgrade(d) {
        d.createObjectStore('files');
        d.createObjectStore('records');
      },
      blocking() {
        // Someone wants to delete or upgrade the database: let them; the next call reopens.
        void opening.then((d) => d.close());
        if (connection === opening) connection = undefined;
      },
      terminated() {
        if (connection === opening) connection = undefined;
      },
    });
    connection = opening;
    opening.catch(() => {
      if (connection === opening) connection = undefined;
    });
    return opening;
  };
  const run = async <T>(op: string, key: string, body: (d: IDBPDatabase<CheckpointSchema>) => Promise<T>): Promise<T> => {
    try {
      return await body(await db());
    } catch (e) {
      throw typedError(e, op, key);
    }
  };

  return {
    description: `indexeddb:${name}`,
    hasFile: (key) => run('count', key, async (d) => (await d.count('files', key)) > 0),
    putFile: async (key, data) => {
      const blob = await toBlob(data);
      await run('put', key, async (d) => {
        const tx = d.transaction('files', 'readwrite', { durability: 'strict' });
        void tx.store.put(blob, key);
        await tx.done;
      });
    },
    getFile: (key) =>
      run('get', key, async (d) => {
        const blob = await d.get('files', key);
        if (blob === undefined) throw new CheckpointNotFoundError(`checkpoint file ${key} is not in ${dbName}`, { key });
        return blob;
      }),
    deleteFile: (key) =>
      run('delete', key, async (d) => {
        const tx = d.transaction('files', 'readwrite', { durability: 'strict' });
        void tx.store.delete(key);
        await tx.done;
      }),
    listFiles: () =>
      run('list', 'files', async (d) => {
        const out: Array<{ key: string; size: number }> = [];
        // A cursor hands out Blob handles without reading their bytes: listing is cheap.
        for (let cursor = await d.transaction('files').store.openCursor(); cursor; cursor = await cursor.continue()) {
          out.push({ key: cursor.key, size: cursor.value.size });
        }
        return out;
      }),
    putRecord: (record) =>
      run('put', `record ${record.id}`, async (d) => {
        const tx = d.transaction('records', 'readwrite', { durability: 'strict' });
        void tx.store.put(record, record.id);
        // The durability point: the transaction completed, strictly.
        await tx.done;
      }),
    listRecords: () => run('list', 'records', async (d) => (await d.getAll('records')).sort(compareRecords)),
    deleteRecord: (id) =>
      run('delete', `record ${id}`, async (d) => {
        const tx = d.transaction('records', 'readwrite', { durability: 'strict' });
        void tx.store.delete(id);
        await tx.done;
      }),
    close() {
      const open = connection;
      connection = undefined;
      void open?.then((d) => d.close(), () => undefined);
    },
  };
}
