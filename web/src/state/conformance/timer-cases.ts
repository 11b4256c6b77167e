/** Conformance cases for timers. */
import { ManualClock } from '../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import { KeyGroupOutOfRangeError, keyGroupOf } from '../key-groups.js';
import { compareBytes, stateKey } from '../key-layout.js';
import { serde } from '../serde/index.js';
import type { TimeDomain, Timer } from '../types.js';
import { assertEqual, assertThrows, assertTrue } from './assert.js';
import { withBackend, type ConformanceCase } from './case.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export const timerCases: readonly ConformanceCase[] = [
  {
    group: 'timers',
    name: 'event-time timers fire in timestamp order up to the watermark, once',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('w', { key: serde.string, namespace: serde.i64 });
        t.registerEventTime('a', 30);
        t.registerEventTime('b', 10, 7n);
        t.registerEventTime('c', 20);
        t.registerEventTime('a', 30);
        assertEqual(t.size('event'), 3, 'identical timers kept once');
        const fired: Timer<string, bigint>[] = [];
        assertEqual(t.advanceWatermark(25, (x) => fired.push(x)), 2, 'fired up to 25');
        assertEqual(fired, [
          { key: 'b', namespace: 7n, timestamp: 10, domain: 'event' },
          { key: 'c', namespace: undefined, timestamp: 20, domain: 'event' },
        ], 'order and payload');
        assertEqual([t.currentWatermark(), t.nextTimestamp('event')], [25, 30], 'watermark and next');
        assertEqual(t.advanceWatermark(5, () => undefined), 0, 'a lower watermark fires nothing');
        assertEqual(t.currentWatermark(), 25, 'watermark never goes back');
        assertEqual(t.advanceWatermark(30, (x) => fired.push(x)), 1, 'the last one');
        assertEqual(t.size('event'), 0, 'none left');
      }),
  },
  {
    group: 'timers',
    name: 'ties fire in state-key byte order (key group, key, namespace), the same on every backend',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('ties', { key: serde.string, namespace: serde.i32 });
        const keys = ['k1', 'k2', 'k3', 'long-key-0001', 'x', 'y', 'z'];
        for (const k of keys) for (const ns of [undefined, 2, -1]) t.registerEventTime(k, 100, ns);
        const fired: [string, number | undefined][] = [];
        t.advanceWatermark(100, (x) => fired.push([x.key, x.namespace]));
        const layout = (k: string, ns: number | undefined): Uint8Array => {
          const kb = utf8(k);
          return stateKey(keyGroupOf(kb, b.maxParallelism), kb, ns === undefined ? undefined : serde.i32.serialize(ns));
        };
        const expected = keys
          .flatMap((k) => [undefined, 2, -1].map((ns): [string, number | undefined] => [k, ns]))
          .sort((x, y) => compareBytes(layout(...x), layout(...y)));
        assertEqual(fired, expected, 'tie order');
      }),
  },
  {
    group: 'timers',
    name: 'deleted timers do not fire; timers registered while firing fire in the same call',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('w', { key: serde.string });
        t.registerEventTime('a', 1);
        t.registerEventTime('b', 2);
        t.deleteEventTime('b', 2);
        t.deleteEventTime('never', 9);
        const fired: string[] = [];
        t.advanceWatermark(10, (x) => {
          fired.push(`${x.key}@${x.timestamp}`);
          if (x.key === 'a') {
            t.registerEventTime('c', 5);
            t.registerEventTime('d', 50);
          }
        });
        assertEqual(fired, ['a@1', 'c@5'], 'fired');
        assertEqual(t.nextTimestamp('event'), 50, 'later one pending');
      }),
  },
  {
    group: 'timers',
    name: 'an advance from inside a callback fires each timer once; the outer advance sees what it fired',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('w', { key: serde.string });
        for (const [k, ts] of [['a', 1], ['b', 2], ['c', 3]] as const) t.registerEventTime(k, ts);
        const fired: string[] = [];
        let nested = -1;
        const outer = t.advanceWatermark(5, (x) => {
          fired.push(x.key);
          if (x.key === 'a') nested = t.advanceWatermark(5, (y) => fired.push(`nested:${y.key}`));
        });
        assertEqual(fired, ['a', 'nested:b', 'nested:c'], 'fired once each, in order');
        assertEqual([outer, nested], [1, 2], 'counts');
        assertEqual([t.size('event'), t.nextTimestamp('event')], [0, undefined], 'none left');
      }),
  },
  {
    group: 'timers',
    name: 'an advance from inside a callback sees timers deleted and registered by its own callbacks, and so does the outer one',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('w', { key: serde.string });
        for (const [k, ts] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]] as const) t.registerEventTime(k, ts);
        const fired: string[] = [];
        let nested = -1;
        const outer = t.advanceWatermark(5, (x) => {
          fired.push(x.key);
          if (x.key !== 'a') return;
          // The watermark never goes back: the nested advance fires up to 5 as well.
          nested = t.advanceWatermark(5, (y) => {
            fired.push(`nested:${y.key}`);
            if (y.key !== 'b') return;
            t.deleteEventTime('d', 4);
            t.registerEventTime('f', 2);
          });
          t.registerEventTime('g', 4);
        });
        assertEqual(fired, ['a', 'nested:b', 'nested:f', 'nested:c', 'nested:e', 'g'], 'fired once each, in order');
        assertEqual([outer, nested], [2, 4], 'counts');
        assertEqual([t.size('event'), t.nextTimestamp('event')], [0, undefined], 'none left');
      }),
  },
  {
    group: 'timers',
    name: 'processing-time timers fire by the clock, apart from event time',
    run: async (open) => {
      const clock = new ManualClock(1_000);
      await withBackend(open, { clock }, (b) => {
        const t = b.timers('p', { key: serde.string });
        t.registerProcessingTime('a', 1_500);
        t.registerEventTime('a', 1_200);
        const fired: Timer<string, undefined>[] = [];
        assertEqual(t.advanceProcessingTime((x) => fired.push(x)), 0, 'not yet');
        clock.advance(500);
        assertEqual(t.advanceProcessingTime((x) => fired.push(x)), 1, 'due');
        assertEqual(fired, [{ key: 'a', namespace: undefined, timestamp: 1_500, domain: 'processing' }], 'payload');
        assertEqual([t.size('processing'), t.size('event')], [0, 1], 'event timer untouched');
      });
    },
  },
  {
    group: 'timers',
    name: 'an unknown time domain is refused, naming the accepted domains',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const t = b.timers('w', { key: serde.string });
        t.registerEventTime('a', 1);
        for (const bad of ['bogus', 'toString', undefined, 0]) {
          const domain = bad as TimeDomain;
          const e = assertThrows(() => t.nextTimestamp(domain), InvalidArgumentError, `nextTimestamp(${String(bad)})`);
          assertTrue(e.message.includes("'event'") && e.message.includes("'processing'"), `the error names the domains: ${e.message}`);
          assertThrows(() => t.size(domain), InvalidArgumentError, `size(${String(bad)})`);
        }
        assertEqual([t.nextTimestamp('event'), t.size('event')], [1, 1], 'the timer is still pending');
      }),
  },
  {
    group: 'timers',
    name: 'an advance with a missing callback or a bad watermark is refused and moves nothing, fires nothing',
    run: async (open) => {
      const clock = new ManualClock(0);
      await withBackend(open, { clock }, (b) => {
        const t = b.timers('w', { key: serde.string });
        t.registerEventTime('a', 50);
        t.registerProcessingTime('a', 50);
        assertEqual(t.advanceWatermark(10, () => undefined), 0, 'first advance');
        clock.advance(100);
        const before = b.metrics();
        for (const bad of [undefined, null, 'f', {}]) {
          const onTimer = bad as never;
          assertThrows(() => t.advanceWatermark(100, onTimer), InvalidArgumentError, `advanceWatermark(100, ${String(bad)})`);
          assertThrows(() => t.advanceProcessingTime(onTimer), InvalidArgumentError, `advanceProcessingTime(${String(bad)})`);
        }
        assertThrows(() => t.advanceWatermark(Number.NaN, () => undefined), InvalidArgumentError, 'NaN watermark');
        assertEqual(t.currentWatermark(), 10, 'watermark unchanged');
        assertEqual([t.size('event'), t.size('processing')], [1, 1], 'no timer fired');
        assertEqual(b.metrics(), before, 'metrics unchanged');
        const fired: string[] = [];
        assertEqual(t.advanceWatermark(100, (x) => fired.push(`${x.domain}@${x.timestamp}`)), 1, 'a good call still fires');
        assertEqual(t.advanceProcessingTime((x) => fired.push(`${x.domain}@${x.timestamp}`)), 1, 'processing time too');
        assertEqual(fired, ['event@50', 'processing@50'], 'each once');
      });
    },
  },
  {
    group: 'timers',
    name: 'bad timestamps, namespaces without a serializer and foreign keys are refused',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0), maxParallelism: 8, keyGroups: { from: 0, to: 3 } }, (b) => {
        const t = b.timers('w', { key: serde.string });
        assertThrows(() => t.registerEventTime('a', 1.5), InvalidArgumentError, 'fractional ts');
        assertThrows(() => t.registerEventTime('a', Number.NaN), InvalidArgumentError, 'NaN ts');
        assertThrows(() => (t as unknown as { registerEventTime(k: string, ts: number, ns: number): void }).registerEventTime('a', 1, 3), InvalidArgumentError, 'namespace');
        let foreign = 0;
        while (keyGroupOf(utf8(`key-${foreign}`), 8) <= 3) foreign++;
        assertThrows(() => t.registerEventTime(`key-${foreign}`, 1), KeyGroupOutOfRangeError, 'foreign key');
        assertEqual(t.size('event'), 0, 'nothing registered');
      }),
  },
];
