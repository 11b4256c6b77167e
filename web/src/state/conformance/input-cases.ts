/** Conformance cases for key-group bounds, serializers and bad input, and closing. */
import { ManualClock } from '../clock.js';
import { DatabaseClosedError, InvalidArgumentError, ValueTooLargeError } from '../../errors.js';
import { KeyGroupOutOfRangeError, keyGroupOf } from '../key-groups.js';
import { customSerializer, jsonSerializer, serde } from '../serde/index.js';
import type { KeyedStateBackend, ListState, MapState } from '../types.js';
import { assertEqual, assertThrows, sorted } from './assert.js';
import { withBackend, type ConformanceCase } from './case.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** `count` string keys whose key groups (of `maxParallelism`) are inside / outside [from, to]. */
function keysByRange(maxParallelism: number, from: number, to: number, count: number): { inside: string[]; outside: string[] } {
  const inside: string[] = [];
  const outside: string[] = [];
  for (let i = 0; inside.length < count || outside.length < count; i++) {
    const k = `key-${i}`;
    const kg = keyGroupOf(utf8(k), maxParallelism);
    (kg >= from && kg <= to ? inside : outside).push(k);
  }
  return { inside: inside.slice(0, count), outside: outside.slice(0, count) };
}

type Point = { x: number; y: number };
const point = customSerializer<Point>({
  id: 'point',
  serialize: (p) => {
    if (typeof p !== 'object' || p === null || !Number.isInteger(p.x) || !Number.isInteger(p.y)) throw new TypeError('not a point');
    return Uint8Array.of(p.x & 0xff, p.y & 0xff);
  },
  deserialize: (b) => ({ x: b[0]!, y: b[1]! }),
});

/**
 * One list state of every shape a backend may serve by a class of its own (heap: direct, general
 * with a namespace, general with TTL; LSM: cached and, with TTL, uncached), each with a
 * namespace to call it with (`undefined`: none).
 */
function listShapes(b: KeyedStateBackend): [ListState<string, number, unknown>, number | undefined][] {
  return [
    [b.listState({ name: 'list-plain', key: serde.string, value: serde.i32 }), undefined],
    [b.listState({ name: 'list-ns', key: serde.string, namespace: serde.i32, value: serde.i32 }), 7],
    [b.listState({ name: 'list-ttl', key: serde.string, value: serde.i32, ttl: { ttl: 1_000 } }), undefined],
  ];
}

/** As {@link listShapes}, for maps (heap: direct keyed, direct with a namespace, general, general with TTL). */
function mapShapes(b: KeyedStateBackend): [MapState<string, string, number, unknown>, number | undefined][] {
  return [
    [b.mapState({ name: 'map-keyed', key: serde.string, mapKey: serde.string, value: serde.i32 }), undefined],
    [b.mapState({ name: 'map-ns', key: serde.string, namespace: serde.i32, mapKey: serde.string, value: serde.i32 }), 7],
    [b.mapState({ name: 'map-json', key: serde.string, mapKey: serde.string, value: serde.json as never }), undefined],
    [b.mapState({ name: 'map-ttl', key: serde.string, mapKey: serde.string, value: serde.i32, ttl: { ttl: 1_000 } }), undefined],
  ];
}

/** Throws unless `fn` throws InvalidArgumentError whose details name `state` and `argument`. */
function assertRefused(fn: () => unknown, state: string, argument: string, what: string): void {
  const e = assertThrows(fn, InvalidArgumentError, `${state}: ${what}`);
  assertEqual([e.details['state'], e.details['argument']], [state, argument], `${state}: ${what}: the error names the state and argument`);
}

/** Arguments of a bulk call that are not iterable at all. */
const NOT_ITERABLE: readonly unknown[] = [5, null, undefined, {}, true];

/** Iterables of map entries with one entry that is not a [mapKey, value] pair. */
const NOT_PAIRS: readonly unknown[] = [[5], [['a', 1], null], [['a', 1], 'b2'], [['a', 1, 2]], [['a']], [{ 0: 'a', 1: 1 }]];

export const inputCases: readonly ConformanceCase[] = [
  {
    group: 'key groups',
    name: 'keys outside the owned key-group range are refused on every call, and nothing is written',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0), maxParallelism: 16, keyGroups: { from: 4, to: 9 } }, (b) => {
        assertEqual([b.maxParallelism, b.keyGroupRange], [16, { from: 4, to: 9 }], 'range reported');
        const { inside, outside } = keysByRange(16, 4, 9, 20);
        const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
        const l = b.listState({ name: 'l', key: serde.string, value: serde.i32 });
        const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32 });
        const mn = b.mapState({ name: 'mn', key: serde.string, namespace: serde.i32, mapKey: serde.i32, value: serde.i32 });
        for (const k of inside) v.put(k, 1);
        for (const k of outside) {
          const e = assertThrows(() => v.put(k, 1), KeyGroupOutOfRangeError, `put ${k}`);
          assertEqual([e.details['from'], e.details['to']], [4, 9], 'error names the range');
          assertThrows(() => v.get(k), KeyGroupOutOfRangeError, `get ${k}`);
          assertThrows(() => l.add(k, 1), KeyGroupOutOfRangeError, `add ${k}`);
          assertThrows(() => m.put(k, 'a', 1), KeyGroupOutOfRangeError, `map put ${k}`);
          // With nothing to write, the key is still checked.
          assertThrows(() => l.addAll(k, []), KeyGroupOutOfRangeError, `addAll ${k} of nothing`);
          assertThrows(() => m.putAll(k, []), KeyGroupOutOfRangeError, `putAll ${k} of nothing`);
          assertThrows(() => mn.putAll(k, [], 1), KeyGroupOutOfRangeError, `putAll ${k} of nothing in a namespace`);
        }
        assertEqual(sorted(v.keys()), sorted(inside), 'only owned keys stored');
        assertEqual([...l.keys(), ...m.keys()], [], 'nothing written by refused calls');
        assertThrows(() => v.keysAndNamespaces(3), InvalidArgumentError, 'iterating a foreign key group');
      }),
  },
  {
    group: 'serializers',
    name: 'values of the wrong type, NaN and oversized values are refused and change nothing',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
        v.put('k', 1);
        assertThrows(() => v.put('k', Number.NaN), InvalidArgumentError, 'NaN');
        assertThrows(() => v.put('k', '2' as unknown as number), InvalidArgumentError, 'string for f64');
        assertThrows(() => v.put(42 as unknown as string, 1), InvalidArgumentError, 'number key for string serializer');
        assertEqual(v.get('k'), 1, 'old value intact');
        const small = b.valueState({ name: 's', key: serde.string, value: jsonSerializer({ maxBytes: 16 }) });
        assertThrows(() => small.put('k', 'x'.repeat(100)), ValueTooLargeError, 'oversized');
        assertEqual(small.get('k'), undefined, 'nothing written');
      }),
  },
  {
    group: 'serializers',
    name: 'a bad element refuses the whole addAll/update/putAll',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const l = b.listState({ name: 'l', key: serde.string, value: serde.i32 });
        l.add('k', 1);
        assertThrows(() => l.addAll('k', [2, 3, 2 ** 40]), InvalidArgumentError, 'addAll');
        assertThrows(() => l.update('k', [5, 1.5]), InvalidArgumentError, 'update');
        assertEqual(l.get('k'), [1], 'list intact');
        const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.json });
        assertThrows(() => m.putAll('k', [['a', 1], ['b', undefined]]), InvalidArgumentError, 'putAll with undefined');
        assertThrows(() => m.put('k', 5 as unknown as string, 1), InvalidArgumentError, 'bad map key');
        assertEqual(m.isEmpty('k'), true, 'map intact');
        const r = b.reducingState({ name: 'r', key: serde.string, value: serde.i32, reduce: (x, y) => x * y });
        r.add('k', 2 ** 20);
        assertThrows(() => r.add('k', 2 ** 20), InvalidArgumentError, 'reduce result out of i32 range');
        assertEqual(r.get('k'), 2 ** 20, 'reducing value intact');
      }),
  },
  {
    group: 'serializers',
    name: 'custom key and namespace serializers: keys equal by bytes are the same key',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const s = b.valueState({ name: 'grid', key: point, value: serde.string, namespace: point });
        s.put({ x: 1, y: 2 }, 'a', { x: 0, y: 0 });
        assertEqual(s.get({ x: 1, y: 2 }, { x: 0, y: 0 }), 'a', 'a new but equal key object');
        assertEqual(s.get({ x: 2, y: 1 }, { x: 0, y: 0 }), undefined, 'another key');
        assertThrows(() => s.put({ x: 0.5, y: 0 }, 'b'), InvalidArgumentError, 'custom serializer refusal');
        assertEqual(sorted(s.keysAndNamespaces()), [[{ x: 1, y: 2 }, { x: 0, y: 0 }]], 'pairs');
      }),
  },
  {
    group: 'serializers',
    name: 'a namespace needs a namespace serializer; descriptors are validated',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
        assertThrows(() => (s as unknown as { put(k: string, v: number, ns: number): void }).put('k', 1, 3), InvalidArgumentError, 'namespace');
        assertThrows(() => b.valueState({ name: '', key: serde.string, value: serde.i32 }), InvalidArgumentError, 'empty name');
        assertThrows(() => b.valueState({ name: '_x', key: serde.string, value: serde.i32 }), InvalidArgumentError, 'reserved name');
        assertThrows(() => b.valueState({ name: 'x', key: {} as never, value: serde.i32 }), InvalidArgumentError, 'bad serializer');
        assertThrows(() => b.reducingState({ name: 'x', key: serde.string, value: serde.i32, reduce: 1 as never }), InvalidArgumentError, 'bad reduce');
        assertThrows(() => b.valueState({ name: 'x', key: serde.string, value: serde.i32, ttl: { ttl: 0 } }), InvalidArgumentError, 'bad ttl');
      }),
  },
  {
    group: 'serializers',
    name: 'a descriptor refused for its TTL or functions leaves the name free for a correct one',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        assertThrows(() => b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 0 } }), InvalidArgumentError, 'ttl 0');
        assertThrows(() => b.listState({ name: 'l', key: serde.string, value: serde.i32, ttl: { ttl: 10, update: 'never' as never } }), InvalidArgumentError, 'bad update');
        const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 1000 } });
        v.put('k', 1);
        assertEqual(v.get('k'), 1, 'value state with a valid TTL');
        const l = b.listState({ name: 'l', key: serde.string, value: serde.i32 });
        l.add('k', 2);
        assertEqual(l.get('k'), [2], 'list state without TTL');
      }),
  },
  {
    group: 'bulk arguments',
    name: 'addAll and update refuse values that are not iterable, on every list shape, and change nothing',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const shapes = listShapes(b);
        for (const [l, ns] of shapes) l.addAll('k', [1, 2], ns);
        const before = b.metrics();
        for (const [l, ns] of shapes) {
          for (const bad of NOT_ITERABLE) {
            for (const key of ['k', 'fresh']) {
              assertRefused(() => l.addAll(key, bad as number[], ns), l.name, 'values', `addAll(${key}, ${String(bad)})`);
              assertRefused(() => l.update(key, bad as number[], ns), l.name, 'values', `update(${key}, ${String(bad)})`);
            }
          }
        }
        assertEqual(b.metrics(), before, 'metrics unchanged');
        for (const [l, ns] of shapes) {
          assertEqual([l.get('k', ns), l.get('fresh', ns)], [[1, 2], []], `${l.name}: lists intact`);
          assertEqual([...l.keys(ns)], ['k'], `${l.name}: no key made`);
        }
      }),
  },
  {
    group: 'bulk arguments',
    name: 'putAll refuses entries that are not iterable or not [mapKey, value] pairs, on every map shape, and changes nothing',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const shapes = mapShapes(b);
        for (const [m, ns] of shapes) m.putAll('k', [['x', 1]], ns);
        const before = b.metrics();
        for (const [m, ns] of shapes) {
          for (const key of ['k', 'fresh']) {
            for (const bad of NOT_ITERABLE) assertRefused(() => m.putAll(key, bad as [string, number][], ns), m.name, 'entries', `putAll(${key}, ${String(bad)})`);
            for (const bad of NOT_PAIRS) assertRefused(() => m.putAll(key, bad as [string, number][], ns), m.name, 'entries', `putAll(${key}, ${JSON.stringify(bad)})`);
          }
        }
        assertEqual(b.metrics(), before, 'metrics unchanged');
        for (const [m, ns] of shapes) {
          assertEqual([[...m.entries('k', ns)], m.isEmpty('fresh', ns)], [[['x', 1]], true], `${m.name}: maps intact`);
          assertEqual([...m.keys(ns)], ['k'], `${m.name}: no key made`);
        }
      }),
  },
  {
    group: 'bulk arguments',
    name: 'bulk calls take any iterable: arrays, Sets, generators, Maps, and array-like pairs',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        function* numbers(): Generator<number> {
          yield 3;
        }
        function* pairs(): Generator<[string, number]> {
          yield ['g', 3];
        }
        for (const [l, ns] of listShapes(b)) {
          l.addAll('k', new Set([1, 2]), ns);
          l.addAll('k', numbers(), ns);
          assertEqual(l.get('k', ns), [1, 2, 3], `${l.name}: addAll of a Set and a generator`);
          l.update('k', new Set([4]), ns);
          assertEqual(l.get('k', ns), [4], `${l.name}: update from a Set`);
        }
        for (const [m, ns] of mapShapes(b)) {
          m.putAll('k', new Map([['m', 1]]), ns);
          m.putAll('k', pairs(), ns);
          m.putAll('k', [{ 0: 'a', 1: 2, length: 2 } as unknown as [string, number]], ns);
          assertEqual(sorted(m.entries('k', ns)), [['a', 2], ['g', 3], ['m', 1]], `${m.name}: putAll of a Map, a generator and an array-like pair`);
        }
      }),
  },
  {
    group: 'serializers',
    name: 'a descriptor with ttl: null is refused (TTL is off when ttl is left out), and no state is made',
    run: (open) =>
      withBackend(open, { clock: new ManualClock(0) }, (b) => {
        const ttl = null as never;
        assertThrows(() => b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl }), InvalidArgumentError, 'valueState');
        assertThrows(() => b.listState({ name: 'l', key: serde.string, value: serde.i32, ttl }), InvalidArgumentError, 'listState');
        assertThrows(() => b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.i32, ttl }), InvalidArgumentError, 'mapState');
        assertThrows(() => b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: 5 as never }), InvalidArgumentError, 'a number for ttl');
        assertEqual(Object.keys(b.metrics().states), [], 'no state registered');
        const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
        v.put('k', 1);
        assertEqual(v.get('k'), 1, 'the name is free for a state without TTL');
      }),
  },
  {
    group: 'lifecycle',
    name: 'after close every call throws DatabaseClosedError; close is idempotent',
    run: async (open) => {
      const b = await open({ clock: new ManualClock(0) });
      const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32 });
      const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
      s.put('k', 1);
      // Appended twice: with a write-back cache (LSM) the list is then cached and the next add
      // takes the cached path, which must still see the close.
      l.add('k', 1);
      l.add('k', 2);
      await b.close();
      await b.close();
      assertEqual(b.closed, true, 'closed');
      assertThrows(() => s.get('k'), DatabaseClosedError, 'get');
      assertThrows(() => s.put('k', 2), DatabaseClosedError, 'put');
      assertThrows(() => l.add('k', 3), DatabaseClosedError, 'add to a list appended to before the close');
      assertThrows(() => b.valueState({ name: 'w', key: serde.string, value: serde.i32 }), DatabaseClosedError, 'new state');
      assertThrows(() => b.metrics(), DatabaseClosedError, 'metrics');
    },
  },
];
