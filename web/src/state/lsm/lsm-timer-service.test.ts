import { afterEach, describe, expect, it, vi } from 'vitest';
import { ColumnFamily } from '../../engine/column-family.js';
import { memoryStorage } from '../../storage/memory.js';
import { serde } from '../serde/index.js';
import type { TimerService } from '../types.js';
import { loadEngineBeforeAll, openLsmBackend } from './lsm-test-support.js';

loadEngineBeforeAll();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the engine scans (range reads, of any column family) made from now on. */
function countScans(): () => number {
  const spies = (['keys', 'entries', 'forEach', 'count'] as const).map((m) => vi.spyOn(ColumnFamily.prototype, m));
  return () => spies.reduce((n, s) => n + s.mock.calls.length, 0);
}

/** Advances the watermark to each of `watermarks`; returns the keys fired, in order. */
function advanceThrough(t: TimerService<string, undefined>, watermarks: Iterable<number>): string[] {
  const fired: string[] = [];
  for (const w of watermarks) t.advanceWatermark(w, (x) => fired.push(x.key));
  return fired;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** 200 timers at 1,000,000 + i, keyed `t<i>`. */
function registerLateTimers(t: TimerService<string, undefined>): void {
  for (let i = 0; i < 200; i++) t.registerEventTime(`t${i}`, 1_000_000 + i);
}

describe('LSM timers: the head cache spares the engine when nothing is due', () => {
  it('1000 advances below the earliest of 200 timers scan nothing and fire nothing', async () => {
    const backend = await openLsmBackend(memoryStorage());
    const t = backend.timers('w', { key: serde.string });
    registerLateTimers(t);
    const scans = countScans();
    expect(advanceThrough(t, upTo(1000))).toEqual([]);
    expect(scans()).toBe(0);
    expect([t.size('event'), t.nextTimestamp('event')]).toEqual([200, 1_000_000]);
    await backend.close();
  });

  it('after a reopen the head is read once, one key, then trusted', async () => {
    const storage = memoryStorage();
    let backend = await openLsmBackend(storage);
    registerLateTimers(backend.timers('w', { key: serde.string }));
    await backend.close();
    backend = await openLsmBackend(storage);
    const t = backend.timers('w', { key: serde.string });
    const scans = countScans();
    const keys = vi.mocked(ColumnFamily.prototype.keys);
    expect(advanceThrough(t, upTo(1000))).toEqual([]);
    expect(scans()).toBe(1);
    expect(keys.mock.calls[0]?.[0]).toMatchObject({ limit: 1 });
    await backend.close();
  });

  it('fires a timer registered below the cached head, in order, and nothing early', async () => {
    const backend = await openLsmBackend(memoryStorage());
    const t = backend.timers('w', { key: serde.string });
    registerLateTimers(t);
    t.registerEventTime('early', 500);
    const scans = countScans();
    expect(advanceThrough(t, upTo(500))).toEqual([]);
    expect(scans()).toBe(0);
    expect(advanceThrough(t, [500, 501, 999_999])).toEqual(['early']);
    expect(advanceThrough(t, [1_000_001])).toEqual(['t0', 't1']);
    expect([t.size('event'), t.nextTimestamp('event')]).toEqual([198, 1_000_002]);
    await backend.close();
  });

  it('after the head timer is deleted, reads the new head once (one key) and fires it at its time, not before', async () => {
    const backend = await openLsmBackend(memoryStorage());
    const t = backend.timers('w', { key: serde.string });
    registerLateTimers(t);
    t.registerEventTime('twin', 1_000_001);
    const scans = countScans();
    t.deleteEventTime('t0', 1_000_000);
    expect(advanceThrough(t, [1_000_000, 1_000_000])).toEqual([]);
    expect(scans()).toBe(1);
    // One of two timers at the head timestamp deleted: the other is still due then.
    t.deleteEventTime('t1', 1_000_001);
    expect(advanceThrough(t, [1_000_000, 1_000_000])).toEqual([]);
    expect(scans()).toBe(2);
    expect(vi.mocked(ColumnFamily.prototype.keys).mock.calls.map(([options]) => options?.limit)).toEqual([1, 1]);
    expect(advanceThrough(t, [1_000_001, 1_000_002])).toEqual(['twin', 't2']);
    expect(t.size('event')).toBe(197);
    await backend.close();
  });

  it('a domain emptied by deletes or by firing is known empty: later advances scan nothing', async () => {
    const backend = await openLsmBackend(memoryStorage());
    const t = backend.timers('w', { key: serde.string });
    t.registerEventTime('a', 5);
    t.registerEventTime('b', 10);
    t.deleteEventTime('a', 5);
    expect(advanceThrough(t, [10])).toEqual(['b']);
    t.registerProcessingTime('p', 1);
    t.deleteProcessingTime('p', 1);
    const scans = countScans();
    expect(advanceThrough(t, [20, 30])).toEqual([]);
    expect(t.advanceProcessingTime(() => undefined)).toBe(0);
    expect([t.nextTimestamp('event'), t.nextTimestamp('processing')]).toEqual([undefined, undefined]);
    expect(scans()).toBe(0);
    await backend.close();
  });

  it('fires more timers than a page holds, in order, the head exact between pages', async () => {
    const backend = await openLsmBackend(memoryStorage());
    const t = backend.timers('w', { key: serde.string });
    registerLateTimers(t);
    const fired = advanceThrough(t, [1_000_149]);
    expect(fired).toEqual(upTo(150).map((i) => `t${i}`));
    expect([t.size('event'), t.nextTimestamp('event')]).toEqual([50, 1_000_150]);
    const scans = countScans();
    expect(advanceThrough(t, [1_000_149])).toEqual([]);
    expect(scans()).toBe(0);
    await backend.close();
  });
});
