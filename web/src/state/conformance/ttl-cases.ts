/** Conformance cases for state TTL with a hand-moved clock. */
import { ManualClock } from '../clock.js';
import { serde } from '../serde/index.js';
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
