import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLsm } from '../engine/lsm-database.js';
import { loadEngine } from '../engine/wasm-module.js';
import { DatabaseClosedError, QuotaExceededError } from '../errors.js';
import { opfsStorage } from './opfs-pool.js';
import { installStubOpfs, type Gate } from './opfs-test-support.js';

// The slot pool's asynchronous steps over a stub OPFS in Node (opfs-test-support.ts); the
// browser tests (tests/browser) run the same code over the real one.

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Resolves once some step waits at `gate`. */
async function reached(gate: Gate): Promise<void> {
  while (gate.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('close() while a reserve is adding slots', () => {
  for (const step of ['creating', 'opening'] as const) {
    it(`a reserve paused at ${step} a slot when close() runs opens no handle after it, and the database reopens at once`, async () => {
      const opfs = installStubOpfs();
      const storage = opfsStorage('jobs', { spareSlots: 2 });
      const opened = await storage.open();
      const before = opfs.openHandles();
      opfs[step].close();
      const reserving = opened.reserve!(40).catch((e: unknown) => e);
      await reached(opfs[step]);
      const closing = opened.close();
      opfs[step].open();
      await closing;
      expect(await reserving).toBeInstanceOf(DatabaseClosedError);
      expect(opfs.openHandles()).toBe(0);
      // Every slot is free to open again, without waiting: no handle of the closed pool is left.
      const reopened = await storage.open();
      expect(opfs.openHandles()).toBeGreaterThanOrEqual(before);
      await reopened.close();
      expect(opfs.openHandles()).toBe(0);
    });
  }
});

describe('a full quota while adding slots', () => {
  it('a reserve that meets a full quota rejects with QuotaExceededError and leaves no handle of the failed slot open', async () => {
    const opfs = installStubOpfs();
    const opened = await opfsStorage('jobs', { spareSlots: 2 }).open();
    opfs.full = true;
    const e = await opened.reserve!(10).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect((e as QuotaExceededError).details).toMatchObject({ op: 'reserve', storage: 'opfs', kind: 'QuotaExceededError' });
    await opened.close();
    expect(opfs.openHandles()).toBe(0);
  });

  it('openLsm on a full quota rejects with QuotaExceededError, closes its handles and releases the lock', async () => {
    const opfs = installStubOpfs();
    opfs.full = true;
    await expect(openLsm({ storage: opfsStorage('full') })).rejects.toBeInstanceOf(QuotaExceededError);
    expect(opfs.openHandles()).toBe(0);
    opfs.full = false;
    const db = await openLsm({ storage: opfsStorage('full') });
    db.put('a', '1');
    expect(db.getString('a')).toBe('1');
    await db.close();
    expect(opfs.openHandles()).toBe(0);
  });
});
