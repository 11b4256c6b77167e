import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../../engine/wasm-module.js';
import { InvalidArgumentError } from '../../errors.js';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import type { BackendRequest } from '../conformance/case.js';
import { describeStateBackendConformance } from '../conformance/suite.js';
import { timerCases } from '../conformance/timer-cases.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import { LsmStateBackend } from './lsm-backend.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

function openLsmBackend(request: BackendRequest, storage = memoryStorage(), timers: 'lsm' | 'heap' = 'lsm', cacheEntries?: number): Promise<LsmStateBackend> {
  const maxParallelism = request.maxParallelism ?? 128;
  return LsmStateBackend.open({
    maxParallelism,
    keyGroups: request.keyGroups ?? fullKeyGroupRange(maxParallelism),
    clock: request.clock,
    storage,
    lsm: resolveLsmOptions(undefined),
    timers,
    ...(cacheEntries === undefined ? {} : { cacheEntries }),
  });
}

// Every conformance case (state kinds, TTL, timers, bad input, fast-check properties vs the
// model), on the engine in memory storage.
describeStateBackendConformance('lsm (wasm in Node)', openLsmBackend, { numRuns: 40, timeout: 60_000 });

// Again with write-back caches of 4 entries (a list element or map entry counts as one), so
// nearly every call evicts, writes back and re-reads: the caches must be invisible.
describeStateBackendConformance('lsm with tiny write-back caches', (r) => openLsmBackend(r, memoryStorage(), 'lsm', 4), { numRuns: 40, timeout: 60_000 });

// And with no cache at all: every call goes to the engine.
describeStateBackendConformance('lsm without caches', (r) => openLsmBackend(r, memoryStorage(), 'lsm', 0), { numRuns: 20, timeout: 60_000 });

describe('the LSM backend with timers on the heap passes the timer cases', () => {
  for (const c of timerCases) {
    it(`${c.group}: ${c.name}`, () => c.run((r) => openLsmBackend(r, memoryStorage(), 'heap')), 30_000);
  }
});

describe('the LSM backend', () => {
  it('keeps pending timers across close and reopen (timers in the engine)', async () => {
    const storage = memoryStorage();
    const clock = new ManualClock(0);
    let backend = await openLsmBackend({ clock }, storage);
    const t = backend.timers('windows', { key: serde.string, namespace: serde.i32 });
    t.registerEventTime('a', 20, 1);
    t.registerEventTime('b', 10);
    t.registerProcessingTime('c', 5);
    await backend.close();
    backend = await openLsmBackend({ clock }, storage);
    const again = backend.timers('windows', { key: serde.string, namespace: serde.i32 });
    expect(again.size('event')).toBe(2);
    expect(again.nextTimestamp('event')).toBe(10);
    const fired: Array<[string, number | undefined, number]> = [];
    expect(again.advanceWatermark(100, (timer) => fired.push([timer.key, timer.namespace, timer.timestamp]))).toBe(2);
    expect(fired).toEqual([['b', undefined, 10], ['a', 1, 20]]);
    expect(again.size('event')).toBe(0);
    clock.advance(5);
    expect(again.advanceProcessingTime(() => undefined)).toBe(1);
    await backend.close();
  });

  it('keeps state across close and reopen, with list appends as merges', async () => {
    const storage = memoryStorage();
    const clock = new ManualClock(0);
    let backend = await openLsmBackend({ clock }, storage);
    backend.valueState({ name: 'count', key: serde.string, value: serde.f64 }).put('u1', 3);
    const events = backend.listState({ name: 'events', key: serde.string, value: serde.json });
    events.add('u1', { a: 1 });
    events.addAll('u1', [{ a: 2 }, { a: 3 }]);
    backend.mapState({ name: 'prefs', key: serde.string, mapKey: serde.string, value: serde.string }).put('u1', 'theme', 'dark');
    await backend.close();

    backend = await openLsmBackend({ clock }, storage);
    expect(backend.valueState({ name: 'count', key: serde.string, value: serde.f64 }).get('u1')).toBe(3);
    const reopened = backend.listState({ name: 'events', key: serde.string, value: serde.json });
    reopened.add('u1', { a: 4 });
    expect(reopened.get('u1')).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
    expect([...backend.mapState({ name: 'prefs', key: serde.string, mapKey: serde.string, value: serde.string }).entries('u1')]).toEqual([['theme', 'dark']]);
    await backend.close();
  });

  it('compaction drops expired state that is never read again (TTL compaction filter)', async () => {
    const clock = new ManualClock(0);
    const backend = await openLsmBackend({ clock });
    const values = backend.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 10 } });
    const lists = backend.listState({ name: 'l', key: serde.string, value: serde.i32, ttl: { ttl: 10 } });
    for (let i = 0; i < 100; i++) {
      values.put(`old-${i}`, i);
      lists.add(`old-${i}`, i);
    }
    clock.advance(5);
    lists.add('old-0', 1); // one list still has a live element at the end
    clock.advance(5);
    values.put('new', 1); // the engine learns the time with this write
    const db = backend.database;
    await db.flushMemtables();
    db.compact();
    expect(db.columnFamily('v').count()).toBe(1);
    expect(db.columnFamily('l').count()).toBe(1);
    expect(lists.get('old-0')).toEqual([1]);
    await backend.close();
  });

  it('write-back: updates of a cached key reach the engine once, at eviction, iteration, metrics, checkpoint or close', async () => {
    const storage = memoryStorage();
    const backend = await LsmStateBackend.open({
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(0),
      storage,
      lsm: resolveLsmOptions(undefined),
      cacheEntries: 10,
    });
    const v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    const raw = backend.database.columnFamily('v');
    const before = backend.database.stats().lastSequence;
    for (let i = 0; i < 1000; i++) v.put('hot', i);
    expect(v.get('hot')).toBe(999);
    await Promise.resolve();
    expect(backend.database.stats().lastSequence).toBe(before); // held back across tasks
    backend.metrics();
    expect(backend.database.stats().lastSequence).toBe(before + 1); // one write for 1000 updates
    expect(raw.count()).toBe(1);
    // Past the cache's 10 entries, evicted dirty values are written at once.
    for (let i = 0; i < 100; i++) v.put(`k${i}`, i);
    expect(raw.count()).toBeGreaterThanOrEqual(90);
    // keys() sees everything, held back or not.
    expect([...v.keys()].length).toBe(101);
    v.put('last', 1);
    await backend.close(); // no task end in between: close writes it
    const again = await LsmStateBackend.open({
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(0),
      storage,
      lsm: resolveLsmOptions(undefined),
    });
    expect(again.valueState({ name: 'v', key: serde.string, value: serde.i32 }).get('last')).toBe(1);
    expect(again.valueState({ name: 'v', key: serde.string, value: serde.i32 }).get('hot')).toBe(999);
    await again.close();
  });

  it('refuses to reopen a state under another kind or serializer', async () => {
    const storage = memoryStorage();
    const clock = new ManualClock(0);
    let backend = await openLsmBackend({ clock }, storage);
    backend.valueState({ name: 's', key: serde.string, value: serde.f64 }).put('k', 1);
    await backend.close();
    backend = await openLsmBackend({ clock }, storage);
    expect(() => backend.valueState({ name: 's', key: serde.string, value: serde.string })).toThrow(InvalidArgumentError);
    expect(() => backend.listState({ name: 's', key: serde.string, value: serde.f64 })).toThrow(InvalidArgumentError);
    await backend.close();
  });
});
