/** Conformance cases for the five state kinds, namespaces, iteration, clear and drop. */
import { ManualClock } from '../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import { serde } from '../serde/index.js';
import { StateDroppedError } from '../state-errors.js';
import type { KeyedStateBackend, State } from '../types.js';
import { assertEqual, assertThrows, assertTrue, sorted } from './assert.js';
import { withBackend, type ConformanceCase } from './case.js';

const fresh = () => ({ clock: new ManualClock(1_000) });

/** Keys for iteration cases: more than an LSM iteration reads from the engine at a time (512). */
const MANY_KEYS = Array.from({ length: 600 }, (_, i) => `key-${i}`);

/** A value, a list and a map state (string keys; i32 namespaces if `namespaced`), and how to give each state at a key. */
function stateOfEveryKind(b: KeyedStateBackend, namespaced: boolean): Array<{ readonly state: State<string, number>; readonly write: (key: string, ns?: number) => void }> {
  const namespace = namespaced ? { namespace: serde.i32 } : {};
  const value = b.valueState({ name: 'value', key: serde.string, value: serde.i32, ...namespace });
  const list = b.listState({ name: 'list', key: serde.string, value: serde.i32, ...namespace });
  const map = b.mapState({ name: 'map', key: serde.string, mapKey: serde.i32, value: serde.i32, ...namespace });
  return [
    { state: value, write: (k, ns) => value.put(k, 1, ns) },
    { state: list, write: (k, ns) => list.addAll(k, [1, 2], ns) },
    { state: map, write: (k, ns) => map.putAll(k, [[1, 1], [2, 2]], ns) },
  ];
}

/** The two ways to iterate `state`, named. */
function iterationsOf(state: State<string, number>): Array<{ readonly start: () => Iterator<unknown>; readonly what: string }> {
  return [
    { start: () => state.keys(), what: `${state.name}: keys()` },
    { start: () => state.keysAndNamespaces(), what: `${state.name}: keysAndNamespaces()` },
  ];
}

export const stateCases: readonly ConformanceCase[] = [
  {
    group: 'ValueState',
    name: 'put, get and delete a value per key; absent keys read undefined',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'count', key: serde.string, value: serde.f64 });
        assertEqual(s.get('a'), undefined, 'absent');
        s.put('a', 1);
        s.put('b', 2);
        s.put('a', 3);
        assertEqual([s.get('a'), s.get('b')], [3, 2], 'after puts');
        s.delete('a');
        assertEqual([s.get('a'), s.get('b')], [undefined, 2], 'after delete');
        s.clear('b');
        assertEqual(s.get('b'), undefined, 'after clear');
      }),
  },
  {
    group: 'ValueState',
    name: 'namespaces are independent of each other and of the void namespace',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'win', key: serde.string, value: serde.json, namespace: serde.i64 });
        s.put('k', 'void');
        s.put('k', 'ns1', 1n);
        s.put('k', 'ns2', 2n);
        assertEqual([s.get('k'), s.get('k', 1n), s.get('k', 2n), s.get('k', 3n)], ['void', 'ns1', 'ns2', undefined], 'reads');
        s.clear('k', 1n);
        assertEqual([s.get('k'), s.get('k', 1n), s.get('k', 2n)], ['void', undefined, 'ns2'], 'after clearing ns 1');
      }),
  },
  {
    group: 'ListState',
    name: 'add, addAll, update and get keep insertion order; empty update clears',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.listState({ name: 'events', key: serde.string, value: serde.msgpack });
        assertEqual(s.get('u'), [], 'absent list is empty');
        s.add('u', { t: 1 });
        s.addAll('u', [2, 'three']);
        s.addAll('u', []);
        assertEqual(s.get('u'), [{ t: 1 }, 2, 'three'], 'after adds');
        s.update('u', [9, 8]);
        assertEqual(s.get('u'), [9, 8], 'after update');
        const snapshot = s.get('u');
        s.add('u', 7);
        s.addAll('u', [6]);
        assertEqual(snapshot, [9, 8], 'a returned list is a snapshot: later adds do not change it');
        assertEqual(s.get('u'), [9, 8, 7, 6], 'after adds to a list that was read');
        s.update('u', [9, 8]);
        s.update('u', []);
        assertEqual(s.get('u'), [], 'empty update clears');
        assertEqual([...s.keys()], [], 'no keys left');
      }),
  },
  {
    group: 'MapState',
    name: 'put, putAll, get, contains, remove, isEmpty and iteration per key',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.mapState({ name: 'prefs', key: serde.string, mapKey: serde.string, value: serde.json });
        assertEqual(s.isEmpty('u'), true, 'absent map is empty');
        s.put('u', 'theme', 'dark');
        s.putAll('u', [
          ['lang', 'en'],
          ['tz', 'UTC'],
          ['lang', 'fr'],
        ]);
        assertEqual(s.get('u', 'lang'), 'fr', 'last value of a repeated map key wins');
        assertEqual([s.contains('u', 'tz'), s.contains('u', 'nope')], [true, false], 'contains');
        s.remove('u', 'tz');
        s.remove('u', 'absent');
        assertEqual(sorted(s.entries('u')), [['lang', 'fr'], ['theme', 'dark']], 'entries');
        assertEqual(sorted(s.mapKeys('u')), ['lang', 'theme'], 'mapKeys');
        assertEqual(sorted(s.values('u')), ['dark', 'fr'], 'values');
        assertEqual(s.isEmpty('u'), false, 'not empty');
        assertEqual(s.get('other', 'lang'), undefined, 'other key');
        s.remove('u', 'lang');
        s.remove('u', 'theme');
        assertEqual(s.isEmpty('u'), true, 'empty after removing every entry');
        assertEqual([...s.keys()], [], 'a map with no entries is no key');
      }),
  },
  {
    group: 'MapState',
    name: 'a map value may be falsy or null and still be contained',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.json });
        s.put('k', 0, null);
        s.put('k', 1, 0);
        assertEqual([s.contains('k', 0), s.get('k', 0), s.get('k', 1)], [true, null, 0], 'falsy values');
      }),
  },
  {
    group: 'ReducingState',
    name: 'add folds values with reduce; get returns the fold',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.reducingState({ name: 'sum', key: serde.string, value: serde.f64, reduce: (a, c) => a + c });
        assertEqual(s.get('k'), undefined, 'absent');
        s.add('k', 1);
        s.add('k', 2.5);
        s.add('j', 10);
        assertEqual([s.get('k'), s.get('j')], [3.5, 10], 'sums');
        s.clear('k');
        assertEqual(s.get('k'), undefined, 'cleared');
      }),
  },
  {
    group: 'AggregatingState',
    name: 'add folds inputs into the accumulator; get returns result(accumulator)',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.aggregatingState({
          name: 'avg',
          key: serde.string,
          accumulator: serde.json,
          create: () => ({ sum: 0, n: 0 }),
          add: (acc: unknown, v: number) => {
            const a = acc as { sum: number; n: number };
            return { sum: a.sum + v, n: a.n + 1 };
          },
          result: (acc: unknown) => {
            const a = acc as { sum: number; n: number };
            return a.sum / a.n;
          },
        });
        assertEqual(s.get('k'), undefined, 'absent');
        for (const v of [1, 2, 6]) s.add('k', v);
        assertEqual(s.get('k'), 3, 'average');
      }),
  },
  {
    group: 'iteration',
    name: 'keys(namespace) and keysAndNamespaces() list exactly the keys with state',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'v', key: serde.string, value: serde.i32, namespace: serde.string });
        s.put('a', 1);
        s.put('b', 2, 'w1');
        s.put('c', 3, 'w1');
        s.put('c', 4);
        assertEqual(sorted(s.keys()), ['a', 'c'], 'void namespace');
        assertEqual(sorted(s.keys('w1')), ['b', 'c'], 'namespace w1');
        assertEqual(sorted(s.keys('w2')), [], 'namespace w2');
        assertEqual(sorted(s.keysAndNamespaces()), sorted([['a', undefined], ['b', 'w1'], ['c', 'w1'], ['c', undefined]]), 'pairs');
        const perGroup = [];
        for (let kg = 0; kg < b.maxParallelism; kg++) perGroup.push(...s.keysAndNamespaces(kg));
        assertEqual(sorted(perGroup), sorted(s.keysAndNamespaces()), 'pairs by key group add up to all pairs');
      }),
  },
  {
    group: 'iteration',
    name: 'a key cleared during iteration before it is reached is not visited; the keys left are',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        for (const { state, write } of stateOfEveryKind(b, false)) {
          for (const k of MANY_KEYS) write(k);
          const visited: string[] = [];
          let cleared: string[] = [];
          for (const k of state.keys()) {
            if (visited.length === 0) {
              cleared = MANY_KEYS.filter((x, i) => i % 2 === 1 && x !== k);
              for (const x of cleared) state.clear(x);
            }
            visited.push(k);
          }
          const kept = MANY_KEYS.filter((x) => !cleared.includes(x));
          assertEqual(visited.filter((k) => cleared.includes(k)), [], `${state.name}: cleared keys visited`);
          assertEqual(sorted(visited), sorted(kept), `${state.name}: the keys left, each once`);
        }
      }),
  },
  {
    group: 'iteration',
    name: 'a (key, namespace) cleared during keysAndNamespaces() or keys(namespace) before it is reached is not visited',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        for (const { state, write } of stateOfEveryKind(b, true)) {
          for (const k of MANY_KEYS) {
            write(k);
            write(k, 7);
          }
          const pair = (k: string, ns: number | undefined): string => `${k}|${ns ?? 'void'}`;
          const all = MANY_KEYS.flatMap((k) => [pair(k, undefined), pair(k, 7)]);
          const visited: string[] = [];
          let cleared: string[] = [];
          for (const [k, ns] of state.keysAndNamespaces()) {
            if (visited.length === 0) {
              // Every other key in namespace 7 and the next ones in the void namespace.
              MANY_KEYS.forEach((x, i) => {
                if (i % 2 === 1 && pair(x, 7) !== pair(k, ns)) {
                  state.clear(x, 7);
                  cleared.push(pair(x, 7));
                }
                if (i % 4 === 2 && pair(x, undefined) !== pair(k, ns)) {
                  state.clear(x);
                  cleared.push(pair(x, undefined));
                }
              });
            }
            visited.push(pair(k, ns));
          }
          assertEqual(visited.filter((p) => cleared.includes(p)), [], `${state.name}: cleared pairs visited`);
          assertEqual(sorted(visited), sorted(all.filter((p) => !cleared.includes(p))), `${state.name}: the pairs left, each once`);
          const before = [...state.keys(7)];
          const inSeven: string[] = [];
          for (const k of state.keys(7)) {
            if (inSeven.length === 0) {
              cleared = before.filter((x, i) => i % 2 === 1 && x !== k);
              for (const x of cleared) state.clear(x, 7);
            }
            inSeven.push(k);
          }
          assertEqual(sorted(inSeven), sorted(before.filter((x) => !cleared.includes(x))), `${state.name}: keys(7) cleared during it`);
        }
      }),
  },
  {
    group: 'iteration',
    name: 'clearAll during an iteration ends it',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        for (const { state, write } of stateOfEveryKind(b, true)) {
          for (const { start, what } of iterationsOf(state)) {
            for (const k of MANY_KEYS) write(k);
            const iteration = start();
            assertTrue(iteration.next().done !== true, `${what}: a first key`);
            state.clearAll();
            assertEqual(iteration.next(), { value: undefined, done: true }, `${what}: the step after clearAll`);
          }
        }
      }),
  },
  {
    group: 'iteration',
    name: 'dropping a state during an iteration ends it; the dropped handle throws StateDroppedError',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        for (const namespaced of [false, true]) {
          for (const { state, write } of stateOfEveryKind(b, namespaced)) {
            for (const k of MANY_KEYS) write(k);
            const keys = state.keys();
            const pairs = state.keysAndNamespaces();
            assertTrue(keys.next().done !== true && pairs.next().done !== true, `${state.name}: a first key`);
            state.drop();
            assertEqual(keys.next(), { value: undefined, done: true }, `${state.name}: keys() after drop`);
            assertEqual(pairs.next(), { value: undefined, done: true }, `${state.name}: keysAndNamespaces() after drop`);
            assertThrows(() => state.clear('key-0'), StateDroppedError, `${state.name}: the handle after drop`);
            assertThrows(() => state.keys(), StateDroppedError, `${state.name}: keys() called after drop`);
          }
        }
      }),
  },
  {
    group: 'iteration',
    name: 'closing the backend during an iteration ends it',
    run: async (open) => {
      const b = await open(fresh());
      const iterations: Array<{ readonly what: string; readonly it: Iterator<unknown> }> = [];
      for (const { state, write } of stateOfEveryKind(b, false)) {
        for (const k of MANY_KEYS) write(k);
        for (const { start, what } of iterationsOf(state)) {
          const it = start();
          assertTrue(it.next().done !== true, `${what}: a first key`);
          iterations.push({ what, it });
        }
      }
      await b.close();
      for (const { what, it } of iterations) assertEqual(it.next(), { value: undefined, done: true }, `${what}: the step after close`);
    },
  },
  {
    group: 'lifecycle',
    name: 'clearAll empties a state and keeps it usable; other states are untouched',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'a', key: serde.string, value: serde.i32 });
        const t = b.listState({ name: 'b', key: serde.string, value: serde.i32 });
        s.put('x', 1);
        s.put('y', 2);
        t.add('x', 1);
        s.clearAll();
        assertEqual([s.get('x'), [...s.keys()]], [undefined, []], 'cleared');
        assertEqual(t.get('x'), [1], 'other state kept');
        s.put('x', 5);
        assertEqual(s.get('x'), 5, 'usable after clearAll');
        // Exact on the heap; on LSM an estimate from the engine (versions and tombstones count
        // until compaction drops them), so an upper bound.
        const entries = b.metrics().states['a']?.entries ?? -1;
        assertTrue(b.kind === 'lsm' ? entries >= 1 : entries === 1, `metrics count entries: got ${entries}`);
      }),
  },
  {
    group: 'lifecycle',
    name: 'a dropped state loses its data, its handles throw, and the name can be reused',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'gone', key: serde.string, value: serde.i32 });
        s.put('x', 1);
        s.drop();
        assertThrows(() => s.get('x'), StateDroppedError, 'get after drop');
        assertEqual(b.stateNames().includes('gone'), false, 'name unregistered');
        const again = b.listState({ name: 'gone', key: serde.string, value: serde.i32 });
        assertEqual(again.get('x'), [], 'new state under the same name is empty');
        // Appended twice: with a write-back cache (LSM) the list is then cached and not handed
        // out, so the next add takes the cached path, which must still see the drop.
        again.add('x', 1);
        again.add('x', 2);
        b.dropState('gone');
        b.dropState('never-existed');
        assertThrows(() => again.add('x', 1), StateDroppedError, 'handle of a state dropped by name');
      }),
  },
  {
    group: 'lifecycle',
    name: 'asking for a name again returns the same data; a different kind or serializer is refused',
    run: (open) =>
      withBackend(open, fresh(), (b) => {
        const s = b.valueState({ name: 'n', key: serde.string, value: serde.i32 });
        s.put('k', 7);
        assertEqual(b.valueState({ name: 'n', key: serde.string, value: serde.i32 }).get('k'), 7, 'same data');
        assertThrows(() => b.listState({ name: 'n', key: serde.string, value: serde.i32 }), InvalidArgumentError, 'other kind');
        assertThrows(() => b.valueState({ name: 'n', key: serde.string, value: serde.f64 }), InvalidArgumentError, 'other serializer');
        assertTrue(b.stateNames().includes('n'), 'registered');
      }),
  },
];
