import { describe, expect, it } from 'vitest';
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { ManualClock } from '../clock.js';
import { describeStateBackendConformance } from '../conformance/suite.js';
import { createStateBackend } from '../create.js';
import { serde } from '../serde/index.js';
import { KeyGroupOutOfRangeError, keyGroupOf } from '../key-groups.js';
import { StateDroppedError, StateMemoryExceededError } from '../state-errors.js';

describeStateBackendConformance('heap', ({ clock, maxParallelism, keyGroups }) =>
  createStateBackend({
    kind: 'heap',
    clock,
    ...(maxParallelism !== undefined && { maxParallelism }),
    ...(keyGroups !== undefined && { keyGroups }),
  }),
);

// With statistics on, every state takes the general classes (which count), also the shapes the
// direct classes serve otherwise: the whole contract holds on them too.
describeStateBackendConformance('heap (statistics: general classes only)', ({ clock, maxParallelism, keyGroups }) =>
  createStateBackend({
    kind: 'heap',
    clock,
    statistics: true,
    ...(maxParallelism !== undefined && { maxParallelism }),
    ...(keyGroups !== undefined && { keyGroups }),
  }),
);

describe('heap backend', () => {
  it('iterates map entries in insertion order, a re-put key keeping its place', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32 });
    m.putAll('k', [['z', 1], ['a', 2], ['m', 3]]);
    m.put('k', 'z', 4);
    expect([...m.entries('k')]).toEqual([['z', 4], ['a', 2], ['m', 3]]);
  });

  it('counts reads and writes of every state kind in metrics with statistics on, keeping those of dropped states', async () => {
    const b = await createStateBackend({ kind: 'heap', statistics: true });
    // Shapes the direct classes would serve without statistics, and namespaced ones.
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    const vn = b.valueState({ name: 'vn', key: serde.string, namespace: serde.i32, value: serde.f64 });
    const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
    const r = b.reducingState({ name: 'r', key: serde.string, value: serde.f64, reduce: (x, y) => x + y });
    v.put('a', 1);
    v.put('b', 2);
    v.get('a');
    vn.put('a', 3, 1);
    vn.get('a', 1);
    vn.get('a', 2);
    l.add('a', 1);
    l.get('a');
    m.put('a', 1, 1);
    m.get('a', 1);
    r.add('a', 1);
    r.get('a');
    expect(b.metrics()).toMatchObject({ reads: 6, writes: 6 });
    b.dropState('v');
    // Dropping clears the state: one write more, and the counts stay after it is gone.
    expect(b.metrics()).toMatchObject({ reads: 6, writes: 7 });
    vn.get('a', 1);
    expect(b.metrics()).toMatchObject({ reads: 7, writes: 7 });
  });

  it('an iteration of keys under way when the state is cleared or dropped visits nothing more', async () => {
    for (const statistics of [false, true]) {
      // Without statistics the direct classes serve these descriptors, with them the general ones.
      const b = await createStateBackend({ kind: 'heap', statistics });
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
      const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
      for (const k of ['a', 'b', 'c']) {
        v.put(k, 1);
        l.add(k, 1);
        m.put(k, 1, 1);
      }
      for (const s of [v, l, m]) {
        const started = s.keys();
        started.next();
        const pending = s.keysAndNamespaces();
        s.clearAll();
        expect([...started, ...pending]).toEqual([]);
      }
      v.put('d', 1);
      const pending = v.keys();
      b.dropState('v');
      expect([...pending]).toEqual([]);
      await b.close();
    }
  });

  it('stores values as given, without copying', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.json });
    const value = { deep: [1, 2] };
    v.put('k', value);
    expect(v.get('k')).toBe(value);
  });

  it('removes expired entries incrementally, without reads, and counts them', async () => {
    const clock = new ManualClock(0);
    const b = await createStateBackend({ kind: 'heap', clock });
    const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 10 } });
    for (let i = 0; i < 50; i++) s.put(`old-${i}`, i);
    const before = b.metrics().states['v']!;
    clock.advance(10);
    for (let i = 0; i < 60; i++) s.put(`new-${i % 5}`, i);
    const after = b.metrics();
    expect(after.expiredRemoved).toBe(50);
    expect(after.states['v']!.entries).toBe(5);
    expect(after.states['v']!.estimatedBytes).toBeLessThan(before.estimatedBytes);
  });

  it('refuses a write past the memory budget with StateMemoryExceededError, writing nothing, after a pressure event', async () => {
    const events: number[] = [];
    const b = await createStateBackend({ kind: 'heap', memoryBudget: 20_000, onMemoryPressure: (e) => events.push(e.ratio) });
    const l = b.listState({ name: 'l', key: serde.string, value: serde.string });
    let written = 0;
    let error: unknown;
    try {
      for (;;) {
        l.add('k', 'x'.repeat(100));
        written++;
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateMemoryExceededError);
    expect((error as StateMemoryExceededError).details['budget']).toBe(20_000);
    expect(l.get('k')).toHaveLength(written);
    expect(b.metrics().estimatedBytes).toBeLessThanOrEqual(20_000);
    expect(events).toHaveLength(0);
    await Promise.resolve();
    expect(events).toHaveLength(1);
    expect(events[0]).toBeGreaterThanOrEqual(0.9);
    l.clear('k');
    expect(b.metrics().estimatedBytes).toBe(0);
    l.add('k', 'fits again');
    expect(l.get('k')).toEqual(['fits again']);
  });

  it('a reducing or aggregating add refused past the budget leaves an expired value as it was (readable once under returnExpiredIfNotCleanedUp)', async () => {
    const clock = new ManualClock(0);
    const b = await createStateBackend({ kind: 'heap', clock, memoryBudget: 400 });
    const ttl = { ttl: 10, visibility: 'returnExpiredIfNotCleanedUp', incrementalCleanupSize: 0 } as const;
    const r = b.reducingState({ name: 'r', key: serde.string, value: serde.string, reduce: (x: string, y: string) => x + y, ttl });
    const a = b.aggregatingState({ name: 'a', key: serde.string, accumulator: serde.string, create: () => '', add: (acc: string, v: string) => acc + v, result: (acc: string) => acc, ttl });
    r.add('k', 'x'.repeat(20));
    a.add('k', 'x'.repeat(20));
    clock.set(20);
    const before = b.metrics();
    expect(() => r.add('k', 'y'.repeat(200))).toThrow(StateMemoryExceededError);
    expect(() => a.add('k', 'y'.repeat(200))).toThrow(StateMemoryExceededError);
    expect(b.metrics()).toEqual(before);
    expect([r.get('k'), a.get('k')]).toEqual(['x'.repeat(20), 'x'.repeat(20)]);
    // An add that fits replaces the expired value (starting afresh, as in Flink) and counts it removed.
    r.add('k', 'z');
    expect(r.get('k')).toBe('z');
    expect(b.metrics().expiredRemoved).toBe(before.expiredRemoved + 2);
    await b.close();
  });

  it('releases every byte it accounted when state is cleared, dropped or fires', async () => {
    const clock = new ManualClock(0);
    const b = await createStateBackend({ kind: 'heap', clock });
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.json, namespace: serde.i32 });
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.json, ttl: { ttl: 5 } });
    const t = b.timers('t', { key: serde.string });
    for (let i = 0; i < 100; i++) {
      v.put(`k${i % 7}`, { i }, i % 3);
      m.put(`k${i % 7}`, `m${i % 11}`, [i]);
      t.registerEventTime(`k${i}`, i);
    }
    expect(b.metrics().estimatedBytes).toBeGreaterThan(0);
    v.clearAll();
    clock.advance(5);
    for (let i = 0; i < 7; i++) expect(m.isEmpty(`k${i}`)).toBe(true);
    t.advanceWatermark(1000, () => undefined);
    expect(b.metrics().estimatedBytes).toBe(0);
  });

  it('serializes the current key once for consecutive calls with the same key', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    let serialized = 0;
    const key = serde.custom<string>({
      id: 'counted',
      serialize: (s) => {
        serialized++;
        return new TextEncoder().encode(s);
      },
      deserialize: (bytes) => new TextDecoder().decode(bytes),
    });
    const v = b.valueState({ name: 'v', key, value: serde.i32 });
    const l = b.listState({ name: 'l', key, value: serde.i32 });
    v.put('user-1', 1);
    v.get('user-1');
    l.add('user-1', 2);
    expect(serialized).toBe(1);
    v.get('user-2');
    expect(serialized).toBe(2);
  });

  describe('the fast path (primitive key, no namespace, no TTL)', () => {
    /** A string key of key group `group` out of 128. */
    const keyIn = (group: number): string => {
      for (let i = 0; ; i++) if (keyGroupOf(new TextEncoder().encode(`k${i}`), 128) === group) return `k${i}`;
    };

    it('refuses a foreign key on every call, storing nothing', async () => {
      const b = await createStateBackend({ kind: 'heap', maxParallelism: 128, keyGroups: { from: 0, to: 63 } });
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
      const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
      const foreign = keyIn(100);
      expect(() => v.put(foreign, 1)).toThrow(KeyGroupOutOfRangeError);
      expect(() => v.get(foreign)).toThrow(KeyGroupOutOfRangeError);
      expect(() => l.add(foreign, 1)).toThrow(KeyGroupOutOfRangeError);
      expect(() => l.get(foreign)).toThrow(KeyGroupOutOfRangeError);
      expect(() => m.put(foreign, 1, 1)).toThrow(KeyGroupOutOfRangeError);
      expect(() => m.get(foreign, 1)).toThrow(KeyGroupOutOfRangeError);
      expect(b.metrics().estimatedBytes).toBe(0);
      v.put(keyIn(10), 1);
      expect([...v.keysAndNamespaces(10)]).toEqual([[keyIn(10), undefined]]);
    });

    it('refuses a bad key or value of a state that owns every key group, storing nothing', async () => {
      const b = await createStateBackend({ kind: 'heap' });
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      const l = b.listState({ name: 'l', key: serde.i32, value: serde.f64 });
      expect(() => v.put(7 as unknown as string, 1)).toThrow(InvalidArgumentError);
      expect(() => v.get(7 as unknown as string)).toThrow(InvalidArgumentError);
      expect(() => v.put('k', Number.NaN)).toThrow(InvalidArgumentError);
      expect(() => l.add(1.5, 1)).toThrow(InvalidArgumentError);
      expect(() => l.get(1.5)).toThrow(InvalidArgumentError);
      v.put('k', 1);
      expect(() => v.put('k', 'x' as unknown as number)).toThrow(InvalidArgumentError);
      expect(v.get('k')).toBe(1);
      expect(b.metrics().states['l']!.entries).toBe(0);
    });

    it('computes key groups it skipped on insert for keysAndNamespaces and checkpoints', async () => {
      const b = await createStateBackend({ kind: 'heap' });
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      for (const g of [3, 77, 3]) v.put(keyIn(g), g);
      expect([...v.keysAndNamespaces(3)]).toEqual([[keyIn(3), undefined]]);
      expect([...v.keysAndNamespaces(77)]).toEqual([[keyIn(77), undefined]]);
      expect([...v.keysAndNamespaces(5)]).toEqual([]);
    });

    it('throws DatabaseClosedError after close and StateDroppedError after drop', async () => {
      const b = await createStateBackend({ kind: 'heap' });
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
      const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
      v.put('k', 1);
      l.add('k', 1);
      m.put('k', 1, 1);
      l.drop();
      expect(() => l.get('k')).toThrow(StateDroppedError);
      expect(() => l.add('k', 2)).toThrow(StateDroppedError);
      await b.close();
      for (const call of [() => v.get('k'), () => v.put('k', 2), () => l.get('k'), () => m.get('k', 1), () => m.put('k', 1, 2), () => m.entries('k')]) {
        expect(call).toThrow(DatabaseClosedError);
      }
    });
  });

  it('hands out list snapshots: a returned list never changes, and is frozen when empty', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
    const ns = b.listState({ name: 'ns', key: serde.string, value: serde.f64, namespace: serde.i32 });
    const empty = l.get('k');
    expect(Object.isFrozen(empty)).toBe(true);
    l.add('k', 1);
    const first = l.get('k');
    expect(l.get('k')).toBe(first);
    l.add('k', 2);
    l.addAll('k', [3]);
    expect(first).toEqual([1]);
    const second = l.get('k');
    expect(second).toEqual([1, 2, 3]);
    l.update('k', [9]);
    expect(second).toEqual([1, 2, 3]);
    ns.add('k', 1, 5);
    const inNamespace = ns.get('k', 5);
    ns.add('k', 2, 5);
    expect(inNamespace).toEqual([1]);
    expect(ns.get('k', 5)).toEqual([1, 2]);
  });

  it('hands out map iterators over a snapshot: later writes do not show in them', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
    m.putAll('k', [[1, 1], [2, 2]]);
    const entries = m.entries('k');
    const keys = m.mapKeys('k');
    const values = m.values('k');
    expect(entries.next().value).toEqual([1, 1]);
    m.put('k', 2, 20);
    m.put('k', 3, 30);
    m.remove('k', 1);
    expect([...entries]).toEqual([[2, 2]]);
    expect([...keys]).toEqual([1, 2]);
    expect([...values]).toEqual([1, 2]);
    expect([...m.entries('k')]).toEqual([[2, 20], [3, 30]]);
    expect(b.metrics().states['m']!.estimatedBytes).toBeGreaterThan(0);
    m.remove('k', 2);
    m.remove('k', 3);
    expect(b.metrics().estimatedBytes).toBe(0);
  });

  it('accounts map memory the same with values stored directly as with entry records', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    const spec = { key: serde.string, mapKey: serde.string, value: serde.string, namespace: serde.i32 } as const;
    // Same serializers; the TTL (never reached) makes the second one keep entry records.
    const direct = b.mapState({ name: 'direct', ...spec });
    const records = b.mapState({ name: 'records', ...spec, ttl: { ttl: 1e9 } });
    const bytes = (name: string): number => b.metrics().states[name]!.estimatedBytes;
    for (const s of [direct, records]) {
      s.put('k', 'a', 'x');
      s.put('k', 'a', 'longer value');
      s.putAll('k', [['b', 'y'], ['a', 'z'], ['b', 'yy']]);
      s.put('k', 'c', 'c', 7);
      s.remove('k', 'a');
    }
    expect(bytes('direct')).toBe(bytes('records'));
    expect([...direct.entries('k')]).toEqual([...records.entries('k')]);
    for (const s of [direct, records]) {
      s.remove('k', 'b');
      s.remove('k', 'c', 7);
    }
    expect(bytes('direct')).toBe(0);
    expect(bytes('records')).toBe(0);
  });

  // With a namespace serializer (calls still without one), DirectHeapMapState serves the map;
  // without, DirectKeyedHeapMapState: both charge fixed-size entries by capacity.
  it.each([
    ['without', {}],
    ['with', { namespace: serde.i32 }],
  ] as const)('charges fixed-size map entries by capacity (%s a namespace serializer): at most half again as entry records, nothing left once removed', async (_, ns) => {
    const b = await createStateBackend({ kind: 'heap' });
    const spec = { key: serde.string, mapKey: serde.i32, value: serde.f64, ...ns } as const;
    const direct = b.mapState({ name: 'direct', ...spec });
    // The TTL (never reached) makes this one keep entry records, charged exactly.
    const records = b.mapState({ name: 'records', ...spec, ttl: { ttl: 1e9 } });
    const bytes = (name: string): number => b.metrics().states[name]!.estimatedBytes;
    const ENTRY = 64 + 4 + 8; // MAP_ENTRY_OVERHEAD + i32 + f64
    for (const s of [direct, records]) {
      s.put('k', 1, 1.5);
      s.put('k', 2, 2.5);
      s.put('k', 1, 10.5);
      s.putAll('k', [[3, 3.5], [1, 11.5]]);
      for (let i = 10; i < 110; i++) s.put('k', i, i);
      s.remove('k', 2);
    }
    expect([...direct.entries('k')]).toEqual([...records.entries('k')]);
    const exact = bytes('records');
    const reserved = bytes('direct') - exact;
    expect(reserved).toBeGreaterThan(0);
    // Grown by half again of 102 entries at most, then one removed (its bytes stay reserved).
    expect(reserved).toBeLessThanOrEqual(Math.floor((102 * ENTRY) / 2) + ENTRY);
    expect(reserved % ENTRY).toBe(0);
    for (const s of [direct, records]) for (const mapKey of [...s.mapKeys('k')]) s.remove('k', mapKey);
    expect(b.metrics().estimatedBytes).toBe(0);
  });

  it.each([
    ['without', {}],
    ['with', { namespace: serde.i32 }],
  ] as const)('refuses a new map key past the memory budget, changing nothing, also after an iterator shared the map (%s a namespace serializer)', async (_, ns) => {
    const b = await createStateBackend({ kind: 'heap', memoryBudget: 4_000 });
    const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64, ...ns });
    let n = 0;
    let error: unknown;
    try {
      for (;;) m.put('k', n++, n);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateMemoryExceededError);
    const stored = n - 1;
    const used = b.metrics().estimatedBytes;
    const iterator = m.entries('k');
    expect(() => m.put('k', stored, 0)).toThrow(StateMemoryExceededError);
    expect(m.get('k', stored)).toBeUndefined();
    expect(b.metrics().estimatedBytes).toBe(used);
    expect([...iterator]).toHaveLength(stored);
    // An overwrite needs no more memory and still succeeds, in place.
    m.put('k', 0, -1);
    expect([...m.entries('k')][0]).toEqual([0, -1]);
    expect([...m.mapKeys('k')]).toHaveLength(stored);
    expect(b.metrics().estimatedBytes).toBe(used);
  });
});
