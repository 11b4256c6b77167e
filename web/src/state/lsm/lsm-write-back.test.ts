import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTooLargeError, QuotaExceededError, StorageExhaustedError } from '../../errors.js';
import { failingStorage } from '../../engine/failing-storage-test-support.js';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import { CellCache, type CachedCell } from './cell-cache.js';
import { LsmStateBackend } from './lsm-backend.js';
import { loadEngineBeforeAll, openLsmBackend as open } from './lsm-test-support.js';

loadEngineBeforeAll();

describe('write-back caches of the LSM backend', () => {
  it('a cached map iterates in the byte order of its serialized map keys, as the engine does', async () => {
    const storage = memoryStorage();
    let backend = await open(storage);
    // Code point order differs from JS string order for U+E000..U+FFFF vs astral characters; a
    // lone surrogate is its own code point, between U+D7FF and U+E000.
    const words = ['b', 'a', '\uffff', '😀', '\ue000', 'ab', '', 'z', '\udc00', '\ud83dz', '\ud800', '\ud7ff'];
    let s = backend.mapState({ name: 's', key: serde.string, mapKey: serde.string, value: serde.i32 });
    words.forEach((w, i) => s.put('k', w, i));
    const cached = [...s.mapKeys('k')];
    const nums = backend.mapState({ name: 'n', key: serde.string, mapKey: serde.f64, value: serde.i32 });
    for (const x of [3, -1.5, 0, 1e9, -1e9, 2]) nums.put('k', x, 1);
    const cachedNums = [...nums.mapKeys('k')];
    expect(cachedNums).toEqual([-1e9, -1.5, 0, 2, 3, 1e9]);
    await backend.close();
    backend = await open(storage);
    s = backend.mapState({ name: 's', key: serde.string, mapKey: serde.string, value: serde.i32 });
    expect([...s.mapKeys('k')]).toEqual(cached); // scanned from the engine this time
    expect(cached).toEqual(['', 'a', 'ab', 'b', 'z', '\ud7ff', '\ud800', '\ud83dz', '\udc00', '\ue000', '\uffff', '😀']);
    await backend.close();
  });

  it('an iteration of a cached map sees the map as it was when it started', async () => {
    const backend = await open(memoryStorage());
    const m = backend.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.i32 });
    for (let i = 0; i < 5; i++) m.put('k', i, i);
    const seen: number[] = [];
    for (const [mk] of m.entries('k')) {
      seen.push(mk);
      m.put('k', mk + 100, 0);
      m.remove('k', 4 - mk);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect([...m.mapKeys('k')]).toEqual([100, 101, 102, 103, 104]);
    await backend.close();
  });

  it('appends to a list the cache never read go to the engine as one merge per list', async () => {
    const storage = memoryStorage();
    let backend = await open(storage);
    let l = backend.listState({ name: 'l', key: serde.string, value: serde.i32 });
    l.addAll('k', [1, 2]);
    await backend.close();
    backend = await open(storage);
    l = backend.listState({ name: 'l', key: serde.string, value: serde.i32 });
    const before = backend.database.stats().lastSequence;
    for (let i = 3; i <= 100; i++) l.add('k', i);
    backend.metrics(); // writes back
    expect(backend.database.stats().lastSequence).toBe(before + 1);
    expect(l.get('k')).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    l.update('k', [7]);
    l.add('k', 8);
    await backend.close();
    backend = await open(storage);
    expect(backend.listState({ name: 'l', key: serde.string, value: serde.i32 }).get('k')).toEqual([7, 8]);
    await backend.close();
  });

  it('metrics report each cached state’s hit rate, and none for uncached states', async () => {
    const backend = await open(memoryStorage());
    const v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    const t = backend.valueState({ name: 't', key: serde.string, value: serde.i32, ttl: { ttl: 1000 } });
    v.put('a', 1); // writes are not counted
    v.get('a'); // a hit
    v.get('b'); // a miss
    v.get('c'); // a miss
    v.get('a'); // a hit
    t.put('a', 1);
    const m = backend.metrics();
    expect(m.states.v!.cacheHitRate).toBe(0.5);
    expect(m.states.t!.cacheHitRate).toBeUndefined();
    await backend.close();
  });

  it('a putAll larger than the cache writes its map back whole and reads it back, however far it overflows', async () => {
    const b = await open(memoryStorage(), 10);
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.i32 });
    const entries = Array.from({ length: 25 }, (_, i) => [i, i * 10] as const);
    m.putAll('a', entries);
    expect(m.get('a', 14)).toBe(140);
    expect(m.contains('a', 24)).toBe(true);
    expect([...m.entries('a')]).toEqual(entries);
    // Nothing is left behind in a cell the cache no longer holds: the cache keeps working.
    m.put('b', 1, 1);
    expect(m.get('b', 1)).toBe(1);
    await b.close();
  });

  it('a key too large for the engine is refused when written to a cache, not when written back', async () => {
    const backend = await open(memoryStorage());
    const v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    const l = backend.listState({ name: 'l', key: serde.string, value: serde.i32 });
    const m = backend.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32 });
    const huge = 'é'.repeat(40_000); // 80,000 UTF-8 bytes: past the engine's 64 KiB maxKeySize
    v.put('ok', 1);
    expect(() => v.put(huge, 2)).toThrow(KeyTooLargeError);
    expect(() => l.add(huge, 2)).toThrow(KeyTooLargeError);
    expect(() => m.put(huge, 'a', 2)).toThrow(KeyTooLargeError);
    expect(() => m.put('ok', huge, 2)).toThrow(KeyTooLargeError);
    expect(() => m.putAll('ok', [['a', 1], [huge, 2]])).toThrow(KeyTooLargeError);
    backend.metrics(); // write-back succeeds: nothing oversized entered a cache
    expect(v.get('ok')).toBe(1);
    expect([...m.entries('ok')]).toEqual([]);
    expect(backend.database.columnFamily('v').count()).toBe(1);
    await backend.close();
  });

  it('what the caches hold back is in a checkpoint taken at once, and restores', async () => {
    const backend = await open(memoryStorage());
    const v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    const l = backend.listState({ name: 'l', key: serde.string, value: serde.i32 });
    const m = backend.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.string });
    v.put('a', 1);
    l.add('a', 2);
    m.put('a', 3, 'x');
    m.clear('b');
    const record = await backend.checkpoint();
    const blob = await backend.exportCheckpoint(record.id);
    await backend.close();
    const restored = await LsmStateBackend.open({
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(0),
      storage: memoryStorage(),
      lsm: resolveLsmOptions(undefined),
      restoreFrom: blob,
    });
    expect(restored.valueState({ name: 'v', key: serde.string, value: serde.i32 }).get('a')).toBe(1);
    expect(restored.listState({ name: 'l', key: serde.string, value: serde.i32 }).get('a')).toEqual([2]);
    expect([...restored.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.string }).entries('a')]).toEqual([[3, 'x']]);
    await restored.close();
  });
});

describe('write-back caches against a model', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const small = fc.integer({ min: -5, max: 5 });
  const op = fc.oneof(
    fc.record({ t: fc.constant('vput' as const), k: key, v: small }),
    fc.record({ t: fc.constant('vget' as const), k: key }),
    fc.record({ t: fc.constant('vclear' as const), k: key }),
    fc.record({ t: fc.constant('ladd' as const), k: key, v: small }),
    fc.record({ t: fc.constant('laddAll' as const), k: key, vs: fc.array(small, { maxLength: 4 }) }),
    fc.record({ t: fc.constant('lupdate' as const), k: key, vs: fc.array(small, { maxLength: 4 }) }),
    fc.record({ t: fc.constant('lget' as const), k: key }),
    fc.record({ t: fc.constant('mput' as const), k: key, mk: small, v: small }),
    // Up to 15 entries: past the largest capacity, so one putAll may evict its own map.
    fc.record({ t: fc.constant('mputAll' as const), k: key, es: fc.array(fc.tuple(small, small), { maxLength: 15 }) }),
    fc.record({ t: fc.constant('mremove' as const), k: key, mk: small }),
    fc.record({ t: fc.constant('mget' as const), k: key, mk: small }),
    fc.record({ t: fc.constant('mclear' as const), k: key }),
    fc.record({ t: fc.constant('miter' as const), k: key }),
    fc.record({ t: fc.constant('keys' as const) }),
    fc.record({ t: fc.constant('flush' as const) }),
    fc.record({ t: fc.constant('reopen' as const) }),
  );

  it('reads, iteration and reopened databases agree with plain Maps for any capacity and any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 80 }), async (capacity, ops) => {
        const storage = memoryStorage();
        const values = new Map<string, number>();
        const lists = new Map<string, number[]>();
        const maps = new Map<string, Map<number, number>>();
        let backend = await open(storage, capacity);
        const handles = () => ({
          v: backend.valueState({ name: 'v', key: serde.string, value: serde.i32 }),
          l: backend.listState({ name: 'l', key: serde.string, value: serde.i32 }),
          m: backend.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.i32 }),
        });
        let { v, l, m } = handles();
        const sortedEntries = (k: string) => [...(maps.get(k) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
        for (const o of ops) {
          switch (o.t) {
            case 'vput':
              v.put(o.k, o.v);
              values.set(o.k, o.v);
              break;
            case 'vget':
              expect(v.get(o.k)).toBe(values.get(o.k));
              break;
            case 'vclear':
              v.clear(o.k);
              values.delete(o.k);
              break;
            case 'ladd':
              l.add(o.k, o.v);
              lists.set(o.k, [...(lists.get(o.k) ?? []), o.v]);
              break;
            case 'laddAll':
              l.addAll(o.k, o.vs);
              if (o.vs.length > 0) lists.set(o.k, [...(lists.get(o.k) ?? []), ...o.vs]);
              break;
            case 'lupdate':
              l.update(o.k, o.vs);
              if (o.vs.length > 0) lists.set(o.k, [...o.vs]);
              else lists.delete(o.k);
              break;
            case 'lget':
              expect(l.get(o.k)).toEqual(lists.get(o.k) ?? []);
              break;
            case 'mput': {
              m.put(o.k, o.mk, o.v);
              const mm = maps.get(o.k) ?? new Map<number, number>();
              maps.set(o.k, mm.set(o.mk, o.v));
              break;
            }
            case 'mputAll': {
              m.putAll(o.k, o.es);
              if (o.es.length > 0) {
                const mm = maps.get(o.k) ?? new Map<number, number>();
                for (const [mk, mv] of o.es) mm.set(mk, mv);
                maps.set(o.k, mm);
              }
              break;
            }
            case 'mremove':
              m.remove(o.k, o.mk);
              maps.get(o.k)?.delete(o.mk);
              if (maps.get(o.k)?.size === 0) maps.delete(o.k);
              break;
            case 'mget':
              expect(m.get(o.k, o.mk)).toBe(maps.get(o.k)?.get(o.mk));
              expect(m.contains(o.k, o.mk)).toBe(maps.get(o.k)?.has(o.mk) ?? false);
              break;
            case 'mclear':
              m.clear(o.k);
              maps.delete(o.k);
              break;
            case 'miter':
              expect([...m.entries(o.k)]).toEqual(sortedEntries(o.k));
              expect(m.isEmpty(o.k)).toBe(!maps.has(o.k));
              break;
            case 'keys':
              expect([...v.keys()].sort()).toEqual([...values.keys()].sort());
              expect([...l.keys()].sort()).toEqual([...lists.keys()].sort());
              expect([...m.keys()].sort()).toEqual([...maps.keys()].sort());
              break;
            case 'flush':
              backend.metrics();
              break;
            case 'reopen':
              await backend.close();
              backend = await open(storage, capacity);
              ({ v, l, m } = handles());
              break;
          }
        }
        // Everything reaches the engine: a reopened backend without caches reads the model.
        await backend.close();
        backend = await open(storage, 0);
        ({ v, l, m } = handles());
        for (const k of ['a', 'b', 'c', 'd', 'e']) {
          expect(v.get(k)).toBe(values.get(k));
          expect(l.get(k)).toEqual(lists.get(k) ?? []);
          expect([...m.entries(k)]).toEqual(sortedEntries(k));
        }
        await backend.close();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe('write-back when storage is full', () => {
  it('keeps writes in the cache, refuses new ones past twice its capacity with the storage error, and writes everything once there is room', async () => {
    const { storage, faults } = failingStorage();
    const settings = {
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(0),
      storage,
      // A storage write per engine write, so a write-back meets the full storage at once.
      lsm: resolveLsmOptions({ walBufferSize: 0 }),
      cacheEntries: 8,
    };
    let backend = await LsmStateBackend.open(settings);
    let v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    for (let i = 0; i < 8; i++) v.put(`k${i}`, i);
    faults.full = true;
    let accepted = 8;
    let refusal: unknown;
    for (let i = 8; i < 100 && refusal === undefined; i++) {
      try {
        v.put(`k${i}`, i);
        accepted++;
      } catch (e) {
        refusal = e;
      }
    }
    expect(refusal).toBeInstanceOf(QuotaExceededError);
    expect(accepted).toBe(16); // twice the capacity, all held in the cache
    for (let i = 0; i < accepted; i++) expect(v.get(`k${i}`)).toBe(i); // nothing lost, nothing half-written
    await expect(backend.checkpoint()).rejects.toBeInstanceOf(QuotaExceededError);
    faults.full = false;
    v.put('after', 1); // room again: the next eviction writes everything back
    await backend.close();
    backend = await LsmStateBackend.open(settings);
    v = backend.valueState({ name: 'v', key: serde.string, value: serde.i32 });
    for (let i = 0; i < accepted; i++) expect(v.get(`k${i}`)).toBe(i);
    expect(v.get('after')).toBe(1);
    expect(v.get(`k${accepted}`)).toBeUndefined(); // the refused write changed nothing
    await backend.close();
  });
});

describe('CellCache', () => {
  interface Cell extends CachedCell {
    value: number;
  }
  const cell = (key: string, weight = 1): Cell => ({ key, namespace: undefined, weight, dirty: false, value: 0 });

  it('evicts in insertion order, writing every dirty cell out first, and never drops a dirty cell', () => {
    let flushes = 0;
    let cache!: CellCache<Cell>;
    cache = new CellCache<Cell>(3, {
      flushAll: () => {
        flushes++;
        cache.markClean();
      },
    });
    const a = cell('a');
    cache.markDirty(a);
    cache.add(a);
    cache.add(cell('b'));
    cache.add(cell('c'));
    expect(flushes).toBe(0);
    cache.add(cell('d')); // evicts a, which is dirty
    expect(flushes).toBe(1);
    expect(cache.peek('a', undefined)).toBeUndefined();
    expect(cache.peek('d', undefined)).toBeDefined();
    cache.add(cell('e')); // evicts b, clean: no flush
    expect(flushes).toBe(1);
    expect(cache.weight).toBe(3);
  });

  it('keeps dirty cells when they cannot be written, and refuses writes past twice its capacity', () => {
    const full = new StorageExhaustedError('disk full');
    const cache = new CellCache<Cell>(2, {
      flushAll: () => {
        throw full;
      },
    });
    for (const key of ['a', 'b', 'c']) {
      const c = cell(key);
      cache.admit();
      cache.markDirty(c);
      cache.add(c);
    }
    expect(cache.weight).toBe(3); // nothing dropped
    cache.admit();
    const d = cell('d');
    cache.markDirty(d);
    cache.add(d);
    expect(() => cache.admit()).toThrow(StorageExhaustedError);
    expect([...cache.dirtyCells()].map((c) => c.key)).toEqual(['a', 'b', 'c', 'd']);
  });
});
