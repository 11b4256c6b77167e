/**
 * The LSM state backend on a storage that fills up: a close the storage refuses leaves the
 * database open with what it holds, and closing again once there is room persists it all.
 */
import { expect, it } from 'vitest';
import { failingStorage } from '../../engine/failing-storage-test-support.js';
import { QuotaExceededError } from '../../errors.js';
import { ManualClock } from '../clock.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import { LsmStateBackend } from './lsm-backend.js';
import { loadEngineBeforeAll } from './lsm-test-support.js';

loadEngineBeforeAll();

/** An LSM backend on `storage` owning every key group of 128. */
function open(storage: ReturnType<typeof failingStorage>['storage'], options: Parameters<typeof resolveLsmOptions>[0] = {}, timers: 'lsm' | 'heap' = 'lsm'): Promise<LsmStateBackend> {
  return LsmStateBackend.open({ maxParallelism: 128, keyGroups: fullKeyGroupRange(128), clock: new ManualClock(0), storage, lsm: resolveLsmOptions(options), timers });
}

it('a close refused by a full storage can be retried once there is room, and nothing written is lost', async () => {
  const { storage, faults } = failingStorage();
  const b = await open(storage, { walBufferSize: 1 << 16 });
  const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
  for (let i = 0; i < 100; i++) v.put(`k${i}`, i);
  faults.full = true;
  await expect(b.close()).rejects.toBeInstanceOf(QuotaExceededError);
  expect(b.database.closed).toBe(false);
  await expect(b.close()).rejects.toBeInstanceOf(QuotaExceededError);
  faults.full = false;
  await b.close();
  expect(b.database.closed).toBe(true);
  const again = await open(storage);
  const w = again.valueState({ name: 'v', key: serde.string, value: serde.i32 });
  expect(Array.from({ length: 100 }, (_, i) => w.get(`k${i}`))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  await again.close();
});

it('a close whose write-back the full storage refuses keeps the backend open with its cached values, and closing again writes them all', async () => {
  // Values larger than the WAL buffer (default options) and small ones with no buffer at all:
  // either way the write-back batch meets the full storage at close.
  for (const [options, value] of [
    [{}, 'x'.repeat(40_000)],
    [{ walBufferSize: 0 }, 'y'],
  ] as const) {
    const { storage, faults } = failingStorage();
    const b = await open(storage, options);
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.string });
    for (let i = 0; i < 50; i++) v.put(`k${i}`, value);
    faults.full = true;
    await expect(b.close()).rejects.toBeInstanceOf(QuotaExceededError);
    expect(b.closed).toBe(false);
    expect(v.get('k7')).toBe(value);
    faults.full = false;
    await b.close();
    const again = await open(storage);
    const w = again.valueState({ name: 'v', key: serde.string, value: serde.string });
    expect(Array.from({ length: 50 }, (_, i) => w.get(`k${i}`) === value).every(Boolean)).toBe(true);
    await again.close();
  }
});

it('a checkpoint reserves a file for every column family it pins, the heap timers\' new ones included', async () => {
  const { storage, state } = failingStorage();
  const b = await open(storage, {}, 'heap');
  for (let i = 0; i < 10; i++) b.timers(`t${i}`, { key: serde.string }).registerEventTime('k', 100 + i);
  // What the storage had made ready when the tables were pinned, and how many families were pinned.
  const db = b.database;
  const pin = db.pinCheckpoint.bind(db);
  let atPin: { readonly ready: number; readonly families: number } | undefined;
  db.pinCheckpoint = () => {
    atPin = { ready: Math.max(0, ...state.reserves), families: db.columnFamilyNames().length };
    return pin();
  };
  await b.checkpoint();
  expect(atPin?.families).toBe(11);
  expect(atPin!.ready).toBeGreaterThanOrEqual(atPin!.families);
  await b.close();
});
