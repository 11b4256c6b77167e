/** Conformance cases for state TTL with a hand-moved clock. */
import { ManualClock } from '../clock.js';
import { serde } from '../serde/index.js';
import type { State } from '../types.js';
import { assertEqual, sorted } from './assert.js';
import { withBackend, type ConformanceCase } from './case.js';

export const ttlCases: readonly ConformanceCase[] = [
  {
    group: 'TTL',
    name: 'a value expires exactly ttl ms after its last write (onCreateAndWrite)',
    run: async (open) => {
      const clock = new ManualClock(1_000);
      await withBackend(open, { clock }, (b) => {
        const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 100 } });
        s.put('k', 1);
        clock.advance(60);
        assertEqual(s.get('k'), 1, 'read does not refresh');
        clock.advance(39);
        assertEqual(s.get('k'), 1, 'alive at ttl - 1');
        clock.advance(1);
        assertEqual(s.get('k'), undefined, 'expired at ttl');
        s.put('k', 2);
        clock.advance(99);
        s.put('k', 3);
        clock.advance(99);
        assertEqual(s.get('k'), 3, 'a write restarts the lifetime');
        assertEqual(sorted(s.keys()), ['k'], 'listed while alive');
        clock.advance(1);
        assertEqual(sorted(s.keys()), [], 'not listed once expired');
      });
    },
  },
  {
    group: 'TTL',
    name: 'onReadAndWrite: every read restarts the lifetime',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 100, update: 'onReadAndWrite' } });
        s.put('k', 1);
        for (let i = 0; i < 5; i++) {
          clock.advance(90);
          assertEqual(s.get('k'), 1, `read ${i}`);
        }
        clock.advance(100);
        assertEqual(s.get('k'), undefined, 'expired without reads');
      });
    },
  },
  {
    group: 'TTL',
    name: 'returnExpiredIfNotCleanedUp: the first read of an expired value returns it and removes it',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.valueState({
          name: 'v',
          key: serde.string,
          value: serde.i32,
          ttl: { ttl: 10, visibility: 'returnExpiredIfNotCleanedUp', incrementalCleanupSize: 0 },
        });
        s.put('k', 1);
        clock.advance(10);
        assertEqual(s.get('k'), 1, 'expired but not cleaned up');
        assertEqual(s.get('k'), undefined, 'the read cleaned it up');
      });
    },
  },
  {
    group: 'TTL',
    name: 'list elements expire one by one',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.listState({ name: 'l', key: serde.string, value: serde.i32, ttl: { ttl: 100 } });
        s.add('k', 1);
        clock.advance(50);
        s.addAll('k', [2, 3]);
        clock.advance(50);
        assertEqual(s.get('k'), [2, 3], 'first element expired');
        s.add('k', 4);
        clock.advance(50);
        assertEqual(s.get('k'), [4], 'next two expired');
        clock.advance(50);
        assertEqual(s.get('k'), [], 'all expired');
      });
    },
  },
  {
    group: 'TTL',
    name: 'map entries expire one by one; reads of an entry refresh only that entry',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32, ttl: { ttl: 100, update: 'onReadAndWrite' } });
        s.put('k', 'a', 1);
        s.put('k', 'b', 2);
        clock.advance(80);
        assertEqual(s.get('k', 'a'), 1, 'read a');
        clock.advance(20);
        assertEqual([s.contains('k', 'b'), s.get('k', 'a')], [false, 1], 'b expired, a refreshed');
        assertEqual(sorted(s.entries('k')), [['a', 1]], 'entries');
        clock.advance(100);
        assertEqual([s.isEmpty('k'), [...s.keys()]], [true, []], 'everything expired');
      });
    },
  },
  {
    group: 'TTL',
    name: 'onReadAndWrite: iterating a map with entries, mapKeys or values restarts the lifetime of every entry it returns; isEmpty restarts none',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32, ttl: { ttl: 100, update: 'onReadAndWrite' } });
        // One map per way of iterating it, each written at 0 and iterated to the end at 80.
        const iterations: ReadonlyArray<readonly [string, (key: string) => unknown[]]> = [
          ['entries', (k) => sorted(s.entries(k))],
          ['mapKeys', (k) => sorted(s.mapKeys(k))],
          ['values', (k) => sorted(s.values(k))],
        ];
        const expected: Record<string, unknown[]> = { entries: [['a', 1], ['b', 2], ['c', 3]], mapKeys: ['a', 'b', 'c'], values: [1, 2, 3] };
        for (const key of [...iterations.map(([k]) => k), 'isEmpty']) s.putAll(key, [['a', 1], ['b', 2], ['c', 3]]);
        clock.advance(80);
        for (const [key, iterate] of iterations) assertEqual(iterate(key), expected[key], `${key} at 80`);
        assertEqual(s.isEmpty('isEmpty'), false, 'isEmpty at 80');
        // At 110 the writes' lifetime (to 100) is over; an iteration's (to 180) is not.
        clock.advance(30);
        const readAll = (key: string): unknown[] => ['a', 'b', 'c'].map((mk) => s.get(key, mk));
        for (const [key] of iterations) assertEqual(readAll(key), [1, 2, 3], `read at 110 after ${key}`);
        assertEqual(readAll('isEmpty'), [undefined, undefined, undefined], 'read at 110 after isEmpty (a presence check, not a read of the entries)');
      });
    },
  },
  {
    group: 'TTL',
    name: 'onReadAndWrite: an iteration does not restart the lifetime of an expired entry it still returns (returnExpiredIfNotCleanedUp)',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.mapState({
          name: 'm',
          key: serde.string,
          mapKey: serde.string,
          value: serde.i32,
          ttl: { ttl: 100, update: 'onReadAndWrite', visibility: 'returnExpiredIfNotCleanedUp', incrementalCleanupSize: 0 },
        });
        s.put('k', 'old', 1);
        clock.advance(50);
        s.put('k', 'new', 2);
        clock.advance(50);
        assertEqual(sorted(s.entries('k')), [['new', 2], ['old', 1]], 'the expired entry is returned once');
        assertEqual(s.get('k', 'old'), undefined, 'and removed, not refreshed');
        clock.advance(99);
        assertEqual(s.get('k', 'new'), 2, 'the live one was refreshed at 100');
      });
    },
  },
  {
    group: 'TTL',
    name: 'onReadAndWrite: map entries written, removed or met expired during an iteration keep what was done to them (the refresh does not undo it)',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32, ttl: { ttl: 100, update: 'onReadAndWrite' } });
        s.put('k', 'x', 9);
        clock.advance(50);
        s.putAll('k', [['a', 1], ['b', 2], ['c', 3]]);
        clock.advance(50);
        // At 100 'x' is expired: the iteration meets it after the others (byte order) or purges it.
        let first = true;
        for (const _ of s.entries('k')) {
          if (!first) continue;
          first = false;
          clock.advance(10);
          s.put('k', 'a', 10);
          s.remove('k', 'b');
          s.put('k', 'x', 90);
        }
        assertEqual(['a', 'b', 'c', 'x'].map((mk) => s.get('k', mk)), [10, undefined, 3, 90], 'the writes stand');
      });
    },
  },
  {
    group: 'TTL',
    name: 'state written during an iteration to a key the iteration met expired keeps what was written',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const value = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 100 } });
        const list = b.listState({ name: 'l', key: serde.string, value: serde.i32, ttl: { ttl: 100 } });
        const map = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.i32, ttl: { ttl: 100 } });
        const old = Array.from({ length: 20 }, (_, i) => `old-${i}`);
        for (const k of old) {
          value.put(k, 1);
          list.add(k, 1);
          map.put(k, 1, 1);
        }
        clock.advance(150);
        // A live key for each iteration to visit; at the first, every expired key is written.
        value.put('live', 0);
        list.add('live', 0);
        map.put('live', 1, 0);
        const writeDuring: Array<[State<string, undefined>, () => void]> = [
          [value, () => old.forEach((k) => value.put(k, 2))],
          [list, () => old.forEach((k) => list.add(k, 2))],
          [map, () => old.forEach((k) => map.put(k, 1, 2))],
        ];
        for (const [state, write] of writeDuring) {
          let first = true;
          for (const _ of state.keys()) {
            if (first) write();
            first = false;
          }
        }
        assertEqual(old.map((k) => value.get(k)), old.map(() => 2), 'values');
        assertEqual(old.map((k) => list.get(k)), old.map(() => [2]), 'lists');
        assertEqual(old.map((k) => map.get(k, 1)), old.map(() => 2), 'map entries');
      });
    },
  },
  {
    group: 'TTL',
    name: 'adding to an expired reducing value starts from empty',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const s = b.reducingState({ name: 'r', key: serde.string, value: serde.f64, reduce: (x, y) => x + y, ttl: { ttl: 10 } });
        s.add('k', 5);
        s.add('k', 5);
        clock.advance(10);
        s.add('k', 1);
        assertEqual(s.get('k'), 1, 'expired sum dropped');
      });
    },
  },
];
