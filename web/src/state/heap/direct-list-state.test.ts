import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../../engine/wasm-module.js';
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { KeyGroupOutOfRangeError } from '../key-groups.js';
import { serde } from '../serde/index.js';
import { StateDroppedError, StateMemoryExceededError } from '../state-errors.js';
import type { KeyedStateBackend, ListState } from '../types.js';
import { DirectHeapListState } from './direct-list-state.js';
import { LIST_GROWTH_STEP, reserve } from './memory-budget.js';
import { HeapListState } from './list-state.js';
import { CELL_OVERHEAD, ELEMENT_OVERHEAD, KEY_OVERHEAD } from './memory-budget.js';
import { expectHalvesRestore, expectKeyGroupsOnDemand, expectRoundTrips, heap, keyIn, wasm } from './direct-state-test-support.js';

beforeAll(async () => {
  await loadEngine(wasm);
});

const L = { name: 'l', key: serde.string, value: serde.f64 } as const;
/** Estimated bytes of a new key `k`'s list besides its elements. */
const entryBytes = (k: string): number => KEY_OVERHEAD + CELL_OVERHEAD + k.length * 2;
/** Estimated bytes of one f64 element. */
const F64_ELEMENT = 8 + ELEMENT_OVERHEAD;

describe('heap list state stored directly', () => {
  it('serves list state with a primitive key, no namespace serializer and no TTL', async () => {
    const b = await heap();
    expect(b.listState(L)).toBeInstanceOf(DirectHeapListState);
    expect(b.listState({ name: 'json', key: serde.i32, value: serde.json })).toBeInstanceOf(DirectHeapListState);
    for (const other of [
      b.listState({ name: 'bytes', key: serde.bytes, value: serde.f64 }),
      b.listState({ name: 'ns', key: serde.string, value: serde.f64, namespace: serde.i32 }),
      b.listState({ name: 'ttl', key: serde.string, value: serde.f64, ttl: { ttl: 10 } }),
    ]) {
      expect(other).toBeInstanceOf(HeapListState);
    }
    await b.close();
  });

  it('hands out snapshots: a list got never changes, and the empty list cannot be filled', async () => {
    const b = await heap();
    const l = b.listState(L);
    const empty = l.get('k');
    expect(empty).toEqual([]);
    expect(Object.isFrozen(empty)).toBe(true);
    l.add('k', 1);
    const one = l.get('k');
    expect(l.get('k')).toBe(one);
    l.add('k', 2);
    l.addAll('k', [3, 4]);
    expect(one).toEqual([1]);
    const four = l.get('k');
    l.update('k', [9]);
    expect(four).toEqual([1, 2, 3, 4]);
    expect(l.get('k')).toEqual([9]);
    l.clear('k');
    expect(l.get('k')).toEqual([]);
    await b.close();
  });

  it('refuses a foreign key on every call when it owns part of the key groups, storing nothing', async () => {
    const b = await heap({ keyGroups: { from: 0, to: 63 } });
    const l = b.listState(L);
    const foreign = keyIn(100);
    for (const call of [
      () => l.add(foreign, 1),
      () => l.addAll(foreign, [1, 2]),
      () => l.addAll(foreign, []),
      () => l.update(foreign, [1]),
      () => l.update(foreign, []),
      () => l.get(foreign),
      () => l.clear(foreign),
    ]) {
      expect(call).toThrow(KeyGroupOutOfRangeError);
    }
    expect(b.metrics().estimatedBytes).toBe(0);
    expect([...l.keys()]).toEqual([]);
    l.add(keyIn(10), 1);
    expect([...l.keysAndNamespaces(10)]).toEqual([[keyIn(10), undefined]]);
    await b.close();
  });

  it('refuses bad keys, elements and namespaces, changing nothing', async () => {
    const b = await heap();
    const l = b.listState(L);
    const s = b.listState({ name: 's', key: serde.i32, value: serde.string });
    const ns = 1 as unknown as undefined;
    l.add('k', 1);
    s.add(1, 'one');
    const shared = l.get('k');
    const before = b.metrics();
    for (const call of [
      () => l.add(7 as unknown as string, 1),
      () => l.get(7 as unknown as string),
      () => l.add('k', 'x' as unknown as number),
      () => l.addAll('k', [2, 'x' as unknown as number]),
      () => l.update('k', [2, Number.NaN]),
      () => l.add('k', 2, ns),
      () => l.get('k', ns),
      () => l.clear('k', ns),
      () => l.keys(ns),
      () => s.add(1.5, 'x'),
      () => s.add(1, 7 as unknown as string),
      () => s.addAll(2, ['ok', 7 as unknown as string]),
    ]) {
      expect(call).toThrow(InvalidArgumentError);
    }
    expect(b.metrics()).toEqual(before);
    expect([l.get('k'), s.get(1)]).toEqual([[1], ['one']]);
    expect(l.get('k')).toBe(shared);
    expect([...l.keys(), ...s.keys()]).toEqual(['k', 1]);
    await b.close();
  });

  it('charges growth with a reserve of half as much again plus 16 elements (as V8 grows arrays), and update, clear and clearAll exactly', async () => {
    const b = await heap();
    const l = b.listState(L);
    const bytes = (): number => b.metrics().states['l']!.estimatedBytes;
    const STEP = LIST_GROWTH_STEP * F64_ELEMENT;
    l.add('k', 1);
    expect(bytes()).toBe(entryBytes('k') + F64_ELEMENT);
    l.add('k', 2);
    expect(bytes()).toBe(entryBytes('k') + reserve(2 * F64_ELEMENT, STEP));
    l.add('k', 3);
    expect(bytes()).toBe(entryBytes('k') + reserve(2 * F64_ELEMENT, STEP));
    for (let i = 0; i < 100; i++) l.add('k', i);
    const used = 103 * F64_ELEMENT;
    expect(bytes()).toBeGreaterThanOrEqual(entryBytes('k') + used);
    expect(bytes()).toBeLessThanOrEqual(entryBytes('k') + reserve(used, STEP));
    expect(b.metrics().estimatedBytes).toBe(bytes());
    l.update('k', [1, 2]);
    expect(bytes()).toBe(entryBytes('k') + 2 * F64_ELEMENT);
    l.addAll('other', [1, 2, 3]);
    expect(bytes()).toBe(entryBytes('k') + entryBytes('other') + 5 * F64_ELEMENT);
    l.clear('k');
    expect(bytes()).toBe(entryBytes('other') + 3 * F64_ELEMENT);
    l.clearAll();
    expect(b.metrics().estimatedBytes).toBe(0);
    await b.close();
  });

  it('reserves at most 64 KiB beyond a long list', async () => {
    const b = await heap();
    const l = b.listState({ name: 's', key: serde.string, value: serde.string });
    const big = 'x'.repeat(100_000);
    l.add('k', big);
    l.add('k', big);
    const used = 2 * (big.length * 2 + ELEMENT_OVERHEAD);
    expect(b.metrics().states['s']!.estimatedBytes).toBe(entryBytes('k') + used + 64 * 1024);
    await b.close();
  });

  it('refuses an add only when its exact estimate does not fit, changing nothing, after a pressure event', async () => {
    let pressure = 0;
    const budget = entryBytes('k') + 10 * F64_ELEMENT;
    const b = await heap({ memoryBudget: budget, onMemoryPressure: () => pressure++ });
    const l = b.listState(L);
    // Past a few elements the reserve no longer fits: the adds charge exactly up to the budget.
    for (let i = 0; i < 10; i++) l.add('k', i);
    expect(b.metrics().estimatedBytes).toBe(budget);
    const got = l.get('k');
    expect(() => l.add('k', 10)).toThrow(StateMemoryExceededError);
    expect(() => l.addAll('k', [10])).toThrow(StateMemoryExceededError);
    expect(() => l.add('new', 1)).toThrow(StateMemoryExceededError);
    expect(() => l.update('k', Array.from({ length: 11 }, (_, i) => i))).toThrow(StateMemoryExceededError);
    expect(l.get('k')).toBe(got);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect([...l.keys()]).toEqual(['k']);
    expect(b.metrics().estimatedBytes).toBe(budget);
    await Promise.resolve();
    expect(pressure).toBe(1);
    // Shrinking releases the reserve and the elements.
    l.update('k', [1]);
    expect(b.metrics().estimatedBytes).toBe(entryBytes('k') + F64_ELEMENT);
    l.add('k2', 1);
    l.clearAll();
    expect(b.metrics().estimatedBytes).toBe(0);
    await b.close();
  });

  it('throws DatabaseClosedError after close and StateDroppedError after drop, on every call', async () => {
    const b = await heap();
    const l = b.listState(L);
    const other = b.listState({ ...L, name: 'other' });
    l.add('k', 1);
    other.add('k', 1);
    l.drop();
    expect(b.stateNames()).toEqual(['other']);
    expect(b.metrics().estimatedBytes).toBe(entryBytes('k') + F64_ELEMENT);
    const calls = (s: ListState<string, number>): (() => unknown)[] => [
      () => s.get('k'),
      () => s.add('k', 2),
      () => s.add('new', 2),
      () => s.addAll('k', [2]),
      () => s.update('k', [2]),
      () => s.clear('k'),
      () => s.keys(),
      () => s.keysAndNamespaces(),
      () => s.clearAll(),
    ];
    for (const call of calls(l)) expect(call).toThrow(StateDroppedError);
    l.drop();
    expect(b.listState(L).get('k')).toEqual([]);
    await b.close();
    for (const call of calls(other)) expect(call).toThrow(DatabaseClosedError);
  });

  it('computes key groups on demand, the same whether it owns every key group or part', () =>
    expectKeyGroupsOnDemand((b) => {
      const l = b.listState(L);
      return { state: l, write: (k) => l.add(k, k.length) };
    }));

  describe('behaves as the general heap list state for the same calls, accounting its elements plus a reserve', () => {
    type Op =
      | readonly ['add', number, number]
      | readonly ['addAll' | 'update', number, readonly number[]]
      | readonly ['get' | 'clear', number]
      | readonly ['clearAll'];
    /** Keys and elements by index, the last of each bad (a lone surrogate is a good one). */
    const KEYS = ['a', 'b', 'c', 'dd', 'eee', '\uD800', 7 as unknown as string];
    const ELEMENTS = ['', 'x', 'xx', 'a longer string', 'x'.repeat(40), 'y', 'é', '\uD83D\uDE00', '\uDC00', 7 as unknown as string];
    const key = fc.nat(KEYS.length - 1);
    const element = fc.nat(ELEMENTS.length - 1);
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constant('add' as const), key, element) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom('addAll' as const, 'update' as const), key, fc.array(element, { maxLength: 4 })) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom('get' as const, 'clear' as const), key) },
      { weight: 1, arbitrary: fc.constant(['clearAll'] as const) },
    );

    /** What a call did: its result, or the class of what it threw. */
    const outcome = (call: () => unknown): unknown => {
      try {
        return { ok: call() };
      } catch (e) {
        return { threw: (e as Error).constructor.name };
      }
    };

    it('string elements, with and without every key group', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.boolean(), async (ops, partial) => {
          const options = partial ? { keyGroups: { from: 0, to: 63 } } : {};
          const [direct, general] = [await heap(options), await heap(options)];
          const d = direct.listState({ name: 's', key: serde.string, value: serde.string });
          // A namespace serializer makes it the general class; calls name no namespace.
          const g = general.listState({ name: 's', key: serde.string, value: serde.string, namespace: serde.i32 });
          expect(d).toBeInstanceOf(DirectHeapListState);
          expect(g).toBeInstanceOf(HeapListState);
          for (const o of ops) {
            const run = (s: ListState<string, string, unknown>): unknown => {
              switch (o[0]) {
                case 'add':
                  return outcome(() => s.add(KEYS[o[1]]!, ELEMENTS[o[2]]!));
                case 'addAll':
                  return outcome(() => s.addAll(KEYS[o[1]]!, o[2].map((i) => ELEMENTS[i]!)));
                case 'update':
                  return outcome(() => s.update(KEYS[o[1]]!, o[2].map((i) => ELEMENTS[i]!)));
                case 'get':
                  return outcome(() => s.get(KEYS[o[1]]!));
                case 'clear':
                  return outcome(() => s.clear(KEYS[o[1]]!));
                case 'clearAll':
                  return outcome(() => s.clearAll());
              }
            };
            expect(run(d)).toEqual(run(g));
            const [dm, gm] = [direct.metrics(), general.metrics()];
            expect(dm.states['s']!.entries).toBe(gm.states['s']!.entries);
            // The general class charges elements exactly; the direct one at most half as much
            // again plus a growth step per list.
            const exact = gm.states['s']!.estimatedBytes;
            const lists = [...g.keys()];
            const elements = exact - lists.reduce((n, k) => n + entryBytes(k), 0);
            const steps = lists.length * LIST_GROWTH_STEP * ELEMENT_OVERHEAD;
            expect(dm.states['s']!.estimatedBytes).toBeGreaterThanOrEqual(exact);
            expect(dm.states['s']!.estimatedBytes).toBeLessThanOrEqual(exact + Math.floor(elements / 2) + steps);
            expect(dm.estimatedBytes).toBe(dm.states['s']!.estimatedBytes);
          }
          expect([...d.keys()]).toEqual([...g.keys()]);
          for (const k of d.keys()) expect(d.get(k)).toEqual(g.get(k));
          await Promise.all([direct.close(), general.close()]);
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('checkpoints', () => {
    const S = { name: 's', key: serde.i32, value: serde.string } as const;
    const fill = (b: KeyedStateBackend): void => {
      const l = b.listState(L);
      const s = b.listState(S);
      for (let i = 0; i < 500; i++) {
        l.add(`user-${i % 97}`, i / 4);
        s.addAll(i % 31, [`s${i}`, '']);
      }
      l.clear('user-7');
      l.update('user-8', [8]);
    };
    const dump = (b: KeyedStateBackend): unknown[] => {
      const l = b.listState(L);
      const s = b.listState(S);
      return [[...l.keys()].sort().map((k) => [k, l.get(k)]), [...s.keys()].sort((x, y) => x - y).map((k) => [k, s.get(k)])];
    };

    it('round-trips heap → heap and heap → LSM → heap with identical contents, restored lists charged exactly', async () => {
      const source = await heap();
      fill(source);
      const exact = await heap();
      for (const [name, list] of [
        ['l', source.listState(L)],
        ['s', source.listState(S)],
      ] as const) {
        const copy = exact.listState({ ...(name === 'l' ? L : S), name } as typeof L);
        for (const k of list.keys()) copy.update(k as string, list.get(k as never) as number[]);
      }
      const bytes = exact.metrics().estimatedBytes;
      expect(source.metrics().estimatedBytes).toBeGreaterThan(bytes);
      await expectRoundTrips(source, dump, bytes);
      await Promise.all([source.close(), exact.close()]);
    });

    it('restores only the key groups an instance owns', async () => {
      const source = await heap();
      fill(source);
      await expectHalvesRestore(source, (b) => b.listState(L).keysAndNamespaces(), 96, (b, k) =>
        expect(b.listState(L).get(k)).toEqual(source.listState(L).get(k)),
      );
      await source.close();
    });
  });
});
