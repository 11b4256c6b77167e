/**
 * What a failing storage does to writes and to `close()` (docs/storage.md, "When storage is
 * full"): a failure that was undone refuses only the write that met it; close never drops
 * acknowledged writes silently, and every close resolves only once the storage is released.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { QuotaExceededError, StorageError } from '../errors.js';
import { failingStorage } from './failing-storage-test-support.js';
import { openLsm } from './lsm-database.js';
import { loadEngine } from './wasm-module.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

/** Lets the hand-over of buffered log records scheduled at the end of a task run. */
const endOfTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

it('a sync:true write refused by a full storage fails alone: the database stays writable and keeps what it acknowledged', async () => {
  const { storage, faults } = failingStorage();
  const db = await openLsm({ storage, walBufferSize: 1 << 16 });
  db.put('x', 'acknowledged');
  faults.full = true;
  expect(() => db.put('y', '1', { sync: true })).toThrow(QuotaExceededError);
  expect(db.get('y')).toBeUndefined();
  faults.full = false;
  db.put('z', '1');
  await db.close();
  const reopened = await openLsm({ storage });
  expect([reopened.getString('x'), reopened.getString('y'), reopened.getString('z')]).toEqual(['acknowledged', undefined, '1']);
  await reopened.close();
});

it('close on a full storage rejects with QuotaExceededError and leaves the database open until there is room', async () => {
  const { storage, faults, state } = failingStorage();
  const db = await openLsm({ storage, walBufferSize: 1 << 16 });
  db.put('x', 'acknowledged');
  faults.full = true;
  await endOfTask(); // the hand-over fails: the records stay buffered
  await expect(db.close()).rejects.toBeInstanceOf(QuotaExceededError);
  expect(db.closed).toBe(false);
  expect(state.releases).toBe(0);
  expect(db.getString('x')).toBe('acknowledged');
  db.put('w', '1');
  await expect(db.close()).rejects.toBeInstanceOf(QuotaExceededError);
  faults.full = false;
  await db.close();
  expect(db.closed).toBe(true);
  expect(state.releases).toBe(1);
  const reopened = await openLsm({ storage });
  expect([reopened.getString('x'), reopened.getString('w')]).toEqual(['acknowledged', '1']);
  await reopened.close();
});

it('a failed write that cannot be cut back makes the database read-only, and close says which acknowledged writes it lost', async () => {
  const { storage, faults, state } = failingStorage();
  const db = await openLsm({ storage, walBufferSize: 1 << 16 });
  db.put('x', 'acknowledged');
  faults.tornWrites = true;
  faults.failingTruncates = true;
  expect(() => db.put('y', '1', { sync: true })).toThrow(StorageError);
  faults.tornWrites = false;
  faults.failingTruncates = false;
  expect(() => db.put('z', '1')).toThrow(/read-only after an earlier failure/);
  expect(db.getString('x')).toBe('acknowledged');
  const failure: unknown = await db.close().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(StorageError);
  expect(failure).not.toBeInstanceOf(QuotaExceededError);
  expect((failure as StorageError).details).toMatchObject({ op: 'close', kind: 'Other' });
  expect((failure as StorageError).message).toMatch(/bytes of acknowledged writes .* could not be persisted/);
  expect(db.closed).toBe(true);
  expect(state.releases).toBe(1);
  await db.close(); // closed: nothing more to do
  const reopened = await openLsm({ storage });
  expect(reopened.getString('x')).toBeUndefined(); // as close reported
  await reopened.close();
});

it('every close call resolves only once the storage is released', async () => {
  const { storage, state } = failingStorage();
  const db = await openLsm({ storage, walBufferSize: 1 << 16 });
  db.put('x', '1');
  state.holdRelease = true;
  const settled: string[] = [];
  const first = db.close().then(() => settled.push('first'));
  const second = db.close().then(() => settled.push('second'));
  await endOfTask();
  expect(db.closed).toBe(true);
  expect(settled).toEqual([]);
  state.finishRelease();
  await Promise.all([first, second]);
  expect(settled).toEqual(['first', 'second']);
  expect(state.releases).toBe(1);
  await db.close();
  expect(state.releases).toBe(1);
});

it('a storage that is full when it releases (IndexedDB writing out its last flush) is kept: close rejects, and closing again once there is room releases it', async () => {
  const { storage, faults, state } = failingStorage();
  const db = await openLsm({ storage });
  db.put('x', 'kept');
  faults.fullAtRelease = true;
  await expect(db.close()).rejects.toBeInstanceOf(QuotaExceededError);
  // The engine closed; the storage, with what it holds, did not.
  expect([db.closed, state.releases]).toEqual([true, 0]);
  await expect(db.close()).rejects.toBeInstanceOf(QuotaExceededError);
  faults.fullAtRelease = false;
  await db.close();
  expect(state.releases).toBe(1);
  await db.close();
  expect(state.releases).toBe(1);
  const again = await openLsm({ storage });
  expect(again.getString('x')).toBe('kept');
  await again.close();
});
