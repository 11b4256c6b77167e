/**
 * A checkpoint store in memory: for tests, and for short-lived jobs that export what they keep.
 */
import { CheckpointNotFoundError } from './checkpoint-errors.js';
import type { CheckpointRecord, CheckpointStore } from './store.js';

async function collect(data: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  if (data instanceof Uint8Array) return data.slice();
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of data) {
    parts.push(chunk.slice());
    size += chunk.length;
  }
  const out = new Uint8Array(size);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** A fresh, empty in-memory checkpoint store. */
export function memoryCheckpointStore(): CheckpointStore {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const records = new Map<string, CheckpointRecord>();
  return {
    description: 'memory',
    hasFile: async (key) => files.has(key),
    putFile: async (key, data) => {
      files.set(key, await collect(data));
    },
    getFile: async (key) => {
      const bytes = files.get(key);
      if (bytes === undefined) throw new CheckpointNotFoundError(`checkpoint file ${key} is not in the store`, { key });
      return new Blob([bytes]);
    },
    deleteFile: async (key) => {
      files.delete(key);
    },
    listFiles: async () => [...files].map(([key, bytes]) => ({ key, size: bytes.length })),
    putRecord: async (record) => {
      records.set(record.id, structuredClone(record));
    },
    listRecords: async () => [...records.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)),
    deleteRecord: async (id) => {
      records.delete(id);
    },
  };
}
