/**
 * The LSM state backend on a storage that fills up: a close the storage refuses leaves the
 * database open with what it holds, and closing again once there is room persists it all.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { failingStorage } from '../../engine/failing-storage-test-support.js';
import { loadEngine } from '../../engine/wasm-module.js';
import { QuotaExceededError } from '../../errors.js';
import { ManualClock } from '../clock.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import { LsmStateBackend } from './lsm-backend.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

it('a close refused by a full storage can be retried once there is room, and nothing written is lost', async () => {
  const { storage, faults } = failingStorage();
  const open = () =>
    LsmStateBackend.open({
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(0),
      storage,
      lsm: resolveLsmOptions({ walBufferSize: 1 << 16 }),
    });
  const b = await open();
  const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
  for (let i = 0; i < 100; i++) v.put(`k${i}`, i);
  faults.full = true;
  await expect(b.close()).rejects.toBeInstanceOf(QuotaExceededError);
  expect(b.database.closed).toBe(false);
  await expect(b.close()).rejects.toBeInstanceOf(QuotaExceededError);
  faults.full = false;
  await b.close();
  expect(b.database.closed).toBe(true);
  const again = await open();
  const w = again.valueState({ name: 'v', key: serde.string, value: serde.i32 });
  expect(Array.from({ length: 100 }, (_, i) => w.get(`k${i}`))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  await again.close();
});
