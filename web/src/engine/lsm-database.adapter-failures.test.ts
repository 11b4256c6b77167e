import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { DatabaseLockedError, QuotaExceededError, StorageUnavailableError } from '../errors.js';
import type { OpenedStorage, StorageAdapter } from '../storage/host-vfs.js';
import { MemoryVfs } from '../storage/memory.js';
import { openLsm } from './lsm-database.js';
import { loadEngine } from './wasm-module.js';

// What a storage adapter's asynchronous steps (open, flush, reserve) fail with reaches the
// caller of openLsm / flush as a typed error, whatever the adapter threw.

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

const quota = () => new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'QuotaExceededError');

/** A memory storage whose opened parts are replaced by `parts`; `log` records closes. */
function stubStorage(parts: Partial<OpenedStorage> & { openFails?: () => unknown }, log: string[] = []): StorageAdapter {
  const vfs = new MemoryVfs();
  return {
    kind: 'indexeddb',
    name: 'stub',
    open: () => {
      if (parts.openFails) return Promise.reject(parts.openFails());
      return Promise.resolve({ vfs, flush: () => Promise.resolve(), close: () => Promise.resolve(void log.push('closed')), ...parts });
    },
  };
}

it('flush() rejects with QuotaExceededError when the storage flush fails for quota, the DOMException kept as cause', async () => {
  const thrown = quota();
  const db = await openLsm({ storage: stubStorage({ flush: () => Promise.reject(thrown) }) });
  db.put('a', '1');
  const e = await db.flush().catch((x: unknown) => x);
  expect(e).toBeInstanceOf(QuotaExceededError);
  expect((e as QuotaExceededError).details).toEqual({ op: 'flush', storage: 'indexeddb', kind: 'QuotaExceededError' });
  expect((e as Error & { cause?: unknown }).cause).toBe(thrown);
  // Still open and readable: the write is in memory, only storing it failed.
  expect(db.getString('a')).toBe('1');
  await db.close().catch(() => undefined);
});

it('flushMemtables() rejects with QuotaExceededError when the storage flush fails for quota', async () => {
  const db = await openLsm({ storage: stubStorage({ flush: () => Promise.reject(quota()) }) });
  db.put('a', '1');
  await expect(db.flushMemtables()).rejects.toBeInstanceOf(QuotaExceededError);
  await db.close().catch(() => undefined);
});

it('openLsm rejects with DatabaseLockedError when the storage open fails with NoModificationAllowedError', async () => {
  const storage = stubStorage({ openFails: () => new DOMException('handle held', 'NoModificationAllowedError') });
  const e = await openLsm({ storage }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(DatabaseLockedError);
  expect((e as DatabaseLockedError).details).toMatchObject({ op: 'open', kind: 'NoModificationAllowedError' });
});

it('openLsm rejects typed when the storage open throws synchronously', async () => {
  const storage: StorageAdapter = {
    kind: 'opfs',
    name: 'sync-throw',
    open: () => {
      throw new DOMException('blocked', 'SecurityError');
    },
  };
  await expect(openLsm({ storage })).rejects.toBeInstanceOf(StorageUnavailableError);
});

it('openLsm rejects with QuotaExceededError when reserving files fails for quota, and releases the storage', async () => {
  const log: string[] = [];
  const storage = stubStorage({ reserve: () => Promise.reject(quota()) }, log);
  const e = await openLsm({ storage, columnFamilies: { a: {}, b: {} } }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(QuotaExceededError);
  expect((e as QuotaExceededError).details).toMatchObject({ op: 'reserve' });
  expect(log).toEqual(['closed']);
});
