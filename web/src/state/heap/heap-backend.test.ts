import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { describeStateBackendConformance } from '../conformance/suite.js';
import { createStateBackend } from '../create.js';
import { serde } from '../serde/index.js';
import { StateMemoryExceededError } from '../state-errors.js';

describeStateBackendConformance('heap', ({ clock, maxParallelism, keyGroups }) =>
  createStateBackend({
    kind: 'heap',
    clock,
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
});
