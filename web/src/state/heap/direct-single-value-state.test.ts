import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../../engine/wasm-module.js';
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { KeyGroupOutOfRangeError } from '../key-groups.js';
import { serde } from '../serde/index.js';
import { StateDroppedError, StateMemoryExceededError } from '../state-errors.js';
import type { KeyedStateBackend, Serializer } from '../types.js';
import { DirectHeapAggregatingState, DirectHeapReducingState } from './direct-reducing-state.js';
import { DirectHeapValueState } from './direct-value-state.js';
import { expectHalvesRestore, expectKeyGroupsOnDemand, expectRoundTrips, heap, keyIn, wasm } from './direct-state-test-support.js';

beforeAll(async () => {
  await loadEngine(wasm);
});

const SUM = { name: 'sum', key: serde.string, value: serde.i32, reduce: (a: number, b: number) => a + b } as const;
const COUNT = {
  name: 'count',
  key: serde.string,
  accumulator: serde.i64,
  create: () => 0n,
  add: (acc: bigint, n: number) => acc + BigInt(n),
  result: (acc: bigint) => Number(acc),
} as const;

describe('heap state with values stored directly', () => {
  it('serves value, reducing and aggregating state of primitive serializers without namespace serializer or TTL', async () => {
    const b = await heap();
    expect(b.valueState({ name: 'v', key: serde.string, value: serde.f64 })).toBeInstanceOf(DirectHeapValueState);
    expect(b.valueState({ name: 's', key: serde.i32, value: serde.string })).toBeInstanceOf(DirectHeapValueState);
    expect(b.reducingState(SUM)).toBeInstanceOf(DirectHeapReducingState);
    expect(b.aggregatingState(COUNT)).toBeInstanceOf(DirectHeapAggregatingState);
    for (const other of [
      b.valueState({ name: 'json', key: serde.string, value: serde.json }),
      b.valueState({ name: 'bytes', key: serde.bytes, value: serde.f64 }),
      b.valueState({ name: 'ns', key: serde.string, value: serde.f64, namespace: serde.i32 }),
      b.valueState({ name: 'ttl', key: serde.string, value: serde.f64, ttl: { ttl: 10 } }),
      b.reducingState({ ...SUM, name: 'sum-ns', namespace: serde.string }),
      b.aggregatingState({ ...COUNT, name: 'json-acc', accumulator: serde.json as Serializer<bigint> }),
    ]) {
      expect(other).not.toBeInstanceOf(DirectHeapValueState);
      expect(other).not.toBeInstanceOf(DirectHeapReducingState);
      expect(other).not.toBeInstanceOf(DirectHeapAggregatingState);
    }
  });

  it('refuses a foreign key on every call when it owns part of the key groups, storing nothing', async () => {
    const b = await heap({ keyGroups: { from: 0, to: 63 } });
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    const s = b.valueState({ name: 's', key: serde.string, value: serde.string });
    const r = b.reducingState(SUM);
    const a = b.aggregatingState(COUNT);
    const foreign = keyIn(100);
    for (const call of [
      () => v.put(foreign, 1),
      () => v.get(foreign),
      () => v.delete(foreign),
      () => s.put(foreign, 'x'),
      () => r.add(foreign, 1),
      () => r.get(foreign),
      () => a.add(foreign, 1),
      () => a.get(foreign),
    ]) {
      expect(call).toThrow(KeyGroupOutOfRangeError);
    }
    expect(b.metrics().estimatedBytes).toBe(0);
    expect([...v.keys(), ...s.keys(), ...r.keys(), ...a.keys()]).toEqual([]);
    v.put(keyIn(10), 1);
    expect([...v.keysAndNamespaces(10)]).toEqual([[keyIn(10), undefined]]);
  });

  it('refuses bad keys, values, results and namespaces, changing nothing', async () => {
    const b = await heap();
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    const s = b.valueState({ name: 's', key: serde.string, value: serde.string });
    const r = b.reducingState({ ...SUM, reduce: (x: number, y: number) => x * y });
    const a = b.aggregatingState(COUNT);
    const ns = 1 as unknown as undefined;
    v.put('k', 1);
    s.put('k', 'one');
    r.add('k', 1 << 20);
    a.add('k', 5);
    const before = b.metrics();
    for (const call of [
      () => v.put(7 as unknown as string, 1),
      () => v.get(7 as unknown as string),
      () => v.put('new', Number.NaN),
      () => v.put('k', 'x' as unknown as number),
      () => v.put('k', 2, ns),
      () => v.get('k', ns),
      () => v.delete('k', ns),
      () => v.keys(ns),
      () => s.put('new', 7 as unknown as string),
      () => s.put('k', 7 as unknown as string),
      () => r.add('k', 1 << 20), // overflows i32
      () => r.add('k', 1.5),
      () => a.add('k', 2 ** 64), // past i64
    ]) {
      expect(call).toThrow(InvalidArgumentError);
    }
    expect(b.metrics()).toEqual(before);
    expect([v.get('k'), s.get('k'), r.get('k'), a.get('k')]).toEqual([1, 'one', 1 << 20, 5]);
    expect([...v.keys(), ...s.keys()]).toEqual(['k', 'k']);
    expect(v.get('absent')).toBeUndefined();
  });

  it('checks each fixed-size value serializer with its own check, whatever other states were made before', async () => {
    const b = await heap();
    // One class per check (direct-value-state.ts): states of different serializers must not share one.
    const f = b.valueState({ name: 'f64', key: serde.string, value: serde.f64 });
    const i = b.valueState({ name: 'i32', key: serde.string, value: serde.i32 });
    const l = b.valueState({ name: 'i64', key: serde.string, value: serde.i64 });
    const t = b.valueState({ name: 'boolean', key: serde.string, value: serde.boolean });
    const again = (await heap()).valueState({ name: 'f64', key: serde.string, value: serde.f64 });
    f.put('k', 1.5);
    again.put('k', 2.5);
    i.put('k', 2);
    l.put('k', 3n);
    t.put('k', true);
    const before = b.metrics();
    for (const call of [
      () => f.put('k', 1n as unknown as number),
      () => f.put('new', Number.NaN),
      () => i.put('k', 1.5),
      () => i.put('new', 2 ** 31),
      () => l.put('k', 1 as unknown as bigint),
      () => l.put('new', 2n ** 64n),
      () => t.put('k', 1 as unknown as boolean),
      () => t.put('new', 'true' as unknown as boolean),
    ]) {
      expect(call).toThrow(InvalidArgumentError);
    }
    expect(b.metrics()).toEqual(before);
    expect([f.get('k'), again.get('k'), i.get('k'), l.get('k'), t.get('k')]).toEqual([1.5, 2.5, 2, 3n, true]);
    expect([f, i, l, t].map((s) => [...s.keys()])).toEqual([['k'], ['k'], ['k'], ['k']]);
  });

  it('refuses an insert past the memory budget, keeping the others in order, after a pressure event', async () => {
    let pressure = 0;
    const b = await heap({ memoryBudget: 2000, onMemoryPressure: () => pressure++ });
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    const s = b.valueState({ name: 's', key: serde.string, value: serde.string });
    let written = 0;
    let error: unknown;
    try {
      for (;;) v.put(`k${written++}`, written);
    } catch (e) {
      error = e;
      written--;
    }
    expect(error).toBeInstanceOf(StateMemoryExceededError);
    expect(v.get(`k${written}`)).toBeUndefined();
    expect([...v.keys()]).toEqual(Array.from({ length: written }, (_, i) => `k${i}`));
    expect(b.metrics().states['v']!.entries).toBe(written);
    // An overwrite of a fixed-size value needs nothing, even at the budget.
    v.put('k0', 42);
    expect(v.get('k0')).toBe(42);
    v.delete(`k${written - 1}`);
    s.put('a', 'x');
    expect(() => s.put('a', 'x'.repeat(200))).toThrow(StateMemoryExceededError);
    expect(s.get('a')).toBe('x');
    await Promise.resolve();
    expect(pressure).toBe(1);
    v.clearAll();
    s.clear('a');
    expect(b.metrics().estimatedBytes).toBe(0);
  });

  it('throws DatabaseClosedError after close and StateDroppedError after drop, on every call', async () => {
    const b = await heap();
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    const r = b.reducingState(SUM);
    const a = b.aggregatingState(COUNT);
    v.put('k', 1);
    r.add('k', 1);
    a.add('k', 1);
    r.drop();
    expect(b.stateNames()).toEqual(['v', 'count']);
    expect(b.metrics().states['sum']).toBeUndefined();
    for (const call of [() => r.get('k'), () => r.add('k', 2), () => r.clear('k'), () => r.keys(), () => r.keysAndNamespaces(), () => r.clearAll()]) {
      expect(call).toThrow(StateDroppedError);
    }
    r.drop();
    expect(b.reducingState(SUM).get('k')).toBeUndefined();
    await b.close();
    for (const call of [
      () => v.get('k'),
      () => v.put('k', 2),
      () => v.put('new', 2),
      () => v.delete('k'),
      () => v.keys(),
      () => v.keysAndNamespaces(0),
      () => v.clearAll(),
      () => a.get('k'),
      () => a.add('k', 2),
    ]) {
      expect(call).toThrow(DatabaseClosedError);
    }
  });

  it('leaves nothing behind when a dropped or closed value state refuses a put (its Map is the shared empty one)', async () => {
    const b = await heap();
    const numbers = b.valueState({ name: 'numbers', key: serde.string, value: serde.f64 });
    const strings = b.valueState({ name: 'strings', key: serde.string, value: serde.string });
    const other = b.valueState({ name: 'other', key: serde.string, value: serde.f64 });
    numbers.put('k', 1);
    strings.put('k', 'a');
    numbers.drop();
    strings.drop();
    // The same key twice: had the first refused put stayed in the shared Map, the second would
    // find an existing key and overwrite it without a word.
    for (let i = 0; i < 2; i++) {
      expect(() => numbers.put('k', 2)).toThrow(StateDroppedError);
      expect(() => strings.put('k', 'b')).toThrow(StateDroppedError);
      expect(() => numbers.get('k')).toThrow(StateDroppedError);
      expect(() => strings.get('k')).toThrow(StateDroppedError);
    }
    // A bad value is refused too (its check runs first: either error leaves nothing).
    expect(() => numbers.put('k', Number.NaN)).toThrow(InvalidArgumentError);
    expect(b.metrics().states['numbers']).toBeUndefined();
    other.put('k', 3);
    await b.close();
    for (let i = 0; i < 2; i++) {
      expect(() => other.put('k', 4)).toThrow(DatabaseClosedError);
      expect(() => other.put('new', 4)).toThrow(DatabaseClosedError);
      expect(() => other.get('new')).toThrow(DatabaseClosedError);
      expect(() => numbers.put('new', 4)).toThrow(DatabaseClosedError);
    }
  });

  it('computes key groups on demand, the same whether it owns every key group or part', () =>
    expectKeyGroupsOnDemand((b) => {
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      return { state: v, write: (k) => v.put(k, k.length) };
    }));

  it('skips keys cleared during keys() iteration and sees values written during it', async () => {
    const b = await heap();
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    for (const k of ['a', 'b', 'c', 'd']) v.put(k, 1);
    const seen: string[] = [];
    for (const k of v.keys()) {
      seen.push(k);
      if (k === 'a') v.delete('c');
      v.put(k, 2);
    }
    expect(seen).toEqual(['a', 'b', 'd']);
    expect([...v.keys()].map((k) => v.get(k))).toEqual([2, 2, 2]);
  });

  describe('behaves and accounts exactly as the general heap state for the same calls', () => {
    type Op = readonly ['put' | 'add', number, number] | readonly ['get' | 'clear', number] | readonly ['clearAll'];
    /** Keys (the last one bad; a lone surrogate is a good one) and inputs by index; the inputs include bad ones per kind. */
    const KEYS = ['a', 'b', 'c', 'dd', 'eee', 'ffff', '\uD800', 7 as unknown as string];
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('put' as const, 'add' as const), fc.nat(KEYS.length - 1), fc.nat(9)) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom('get' as const, 'clear' as const), fc.nat(KEYS.length - 1)) },
      { weight: 1, arbitrary: fc.constant(['clearAll'] as const) },
    );

    interface Subject {
      readonly name: string;
      /** A state of the kind, with `extra` in its descriptor (a namespace serializer forces the general class). */
      open(b: KeyedStateBackend, extra: object): { get(k: string): unknown; write(k: string, i: number): void; clear(k: string): void; clearAll(): void; keys(): Iterable<string> };
    }
    const F64 = [1, 2.5, -0, 1e300, Number.NaN, 3, 4, 5, 6, 7];
    const STRINGS = ['', 'x', 'xx', 'a longer string', 'x'.repeat(40), '\uDC00', 'y', 7 as unknown as string, 'é', '\uD83D\uDE00'];
    const subjects: Subject[] = [
      {
        name: 'value f64',
        open: (b, extra) => {
          const s = b.valueState({ name: 's', key: serde.string, value: serde.f64, ...extra });
          return { get: (k) => s.get(k), write: (k, i) => s.put(k, F64[i]!), clear: (k) => s.clear(k), clearAll: () => s.clearAll(), keys: () => s.keys() };
        },
      },
      {
        name: 'value string',
        open: (b, extra) => {
          const s = b.valueState({ name: 's', key: serde.string, value: serde.string, ...extra });
          return { get: (k) => s.get(k), write: (k, i) => s.put(k, STRINGS[i]!), clear: (k) => s.clear(k), clearAll: () => s.clearAll(), keys: () => s.keys() };
        },
      },
      {
        name: 'reducing i32',
        open: (b, extra) => {
          const s = b.reducingState({ name: 's', key: serde.string, value: serde.i32, reduce: (x, y) => x * y, ...extra });
          return { get: (k) => s.get(k), write: (k, i) => s.add(k, [3, -7, 1 << 16, 0.5, 1, 2, 5, 11, -1, 1 << 30][i]!), clear: (k) => s.clear(k), clearAll: () => s.clearAll(), keys: () => s.keys() };
        },
      },
      {
        name: 'reducing string',
        open: (b, extra) => {
          const s = b.reducingState({ name: 's', key: serde.string, value: serde.string, reduce: (x, y) => (x + y).slice(-30), ...extra });
          return { get: (k) => s.get(k), write: (k, i) => s.add(k, STRINGS[i]!), clear: (k) => s.clear(k), clearAll: () => s.clearAll(), keys: () => s.keys() };
        },
      },
      {
        name: 'aggregating i64',
        open: (b, extra) => {
          const s = b.aggregatingState({ ...COUNT, name: 's', add: (acc: bigint, n: number) => acc * 3n + BigInt(n) * 2n ** 40n, ...extra });
          return { get: (k) => s.get(k), write: (k, i) => s.add(k, i - 3), clear: (k) => s.clear(k), clearAll: () => s.clearAll(), keys: () => s.keys() };
        },
      },
    ];

    /** What a call did: its result, or the class of what it threw. */
    const outcome = (call: () => unknown): unknown => {
      try {
        return { ok: call() };
      } catch (e) {
        return { threw: (e as Error).constructor.name };
      }
    };

    for (const subject of subjects) {
      it(subject.name, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.boolean(), async (ops, partial) => {
            const options = { memoryBudget: 900, ...(partial && { keyGroups: { from: 0, to: 63 } }) };
            const [direct, general] = [await heap(options), await heap(options)];
            const d = subject.open(direct, {});
            const g = subject.open(general, { namespace: serde.i32 });
            expect(direct.metrics().states['s']).toBeDefined();
            for (const o of ops) {
              const run = (s: typeof d): unknown => {
                const key = KEYS[o[1] ?? 0]!;
                switch (o[0]) {
                  case 'put':
                  case 'add':
                    return outcome(() => s.write(key, o[2]));
                  case 'get':
                    return outcome(() => s.get(key));
                  case 'clear':
                    return outcome(() => s.clear(key));
                  case 'clearAll':
                    return outcome(() => s.clearAll());
                }
              };
              expect(run(d)).toEqual(run(g));
              expect(direct.metrics().states['s']).toEqual(general.metrics().states['s']);
              expect(direct.metrics().estimatedBytes).toBe(general.metrics().estimatedBytes);
            }
            expect([...d.keys()]).toEqual([...g.keys()]);
            await Promise.all([direct.close(), general.close()]);
          }),
          { numRuns: 150 },
        );
      });
    }
  });

  describe('checkpoints', () => {
    const V = { name: 'v', key: serde.string, value: serde.f64 } as const;
    const S = { name: 's', key: serde.i32, value: serde.string } as const;
    const fill = (b: KeyedStateBackend): void => {
      const v = b.valueState(V);
      const s = b.valueState(S);
      const r = b.reducingState(SUM);
      const a = b.aggregatingState(COUNT);
      for (let i = 0; i < 500; i++) {
        v.put(`user-${i}`, i / 4);
        s.put(i - 250, `s${i}`);
        r.add(`r${i % 37}`, i);
        a.add(`a${i % 11}`, i);
      }
      v.delete('user-7');
    };
    const dump = (b: KeyedStateBackend): unknown[] => {
      const v = b.valueState(V);
      const s = b.valueState(S);
      const r = b.reducingState(SUM);
      const a = b.aggregatingState(COUNT);
      return [
        [...v.keys()].sort().map((k) => [k, v.get(k)]),
        [...s.keys()].sort((x, y) => x - y).map((k) => [k, s.get(k)]),
        [...r.keys()].sort().map((k) => [k, r.get(k)]),
        [...a.keys()].sort().map((k) => [k, a.get(k)]),
      ];
    };

    it('round-trips heap → heap and heap → LSM → heap with identical contents and memory', async () => {
      const source = await heap();
      fill(source);
      await expectRoundTrips(source, dump, source.metrics().estimatedBytes);
      await source.close();
    });

    it('restores only the key groups an instance owns', async () => {
      const source = await heap();
      fill(source);
      await expectHalvesRestore(source, (b) => b.valueState(V).keysAndNamespaces(), 499, (b, k) =>
        expect(b.valueState(V).get(k)).toBe(source.valueState(V).get(k)),
      );
      await source.close();
    });
  });
});
