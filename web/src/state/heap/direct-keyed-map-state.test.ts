import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../../engine/wasm-module.js';
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { createStateBackend } from '../create.js';
import { KeyGroupOutOfRangeError, type KeyGroupRange } from '../key-groups.js';
import { serde } from '../serde/index.js';
import { StateDroppedError, StateMemoryExceededError } from '../state-errors.js';
import type { KeyedStateBackend, MapState, Serializer } from '../types.js';
import { DirectKeyedHeapMapState } from './direct-keyed-map-state.js';
import { DirectHeapMapState } from './direct-map-state.js';
import { expectHalvesRestore, expectKeyGroupsOnDemand, expectRoundTrips, heap, keyIn, wasm } from './direct-state-test-support.js';
import { HeapMapState } from './map-state.js';
import { CELL_OVERHEAD, KEY_OVERHEAD, MAP_ENTRY_OVERHEAD, reserve } from './memory-budget.js';

beforeAll(async () => {
  await loadEngine(wasm);
});

const M = { name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 } as const;
/** Estimated bytes of a new key `k`'s map besides its entries. */
const keyBytes = (k: string): number => KEY_OVERHEAD + CELL_OVERHEAD + k.length * 2;
/** Estimated bytes of one i32 → f64 entry. */
const F = MAP_ENTRY_OVERHEAD + 4 + 8;

/** A heap backend with `statistics`, which serves every map state through the general class. */
function general(options: { keyGroups?: KeyGroupRange } = {}): Promise<KeyedStateBackend> {
  return createStateBackend({ kind: 'heap', maxParallelism: 128, wasm, statistics: true, ...options });
}

describe('heap map state stored directly by key', () => {
  it('serves map state with primitive key, map key and value, no namespace serializer and no TTL', async () => {
    const b = await heap();
    expect(b.mapState(M)).toBeInstanceOf(DirectKeyedHeapMapState);
    expect(b.mapState({ name: 's', key: serde.i64, mapKey: serde.string, value: serde.boolean })).toBeInstanceOf(DirectKeyedHeapMapState);
    expect(b.mapState({ ...M, name: 'ns', namespace: serde.i32 })).toBeInstanceOf(DirectHeapMapState);
    expect(b.mapState({ ...M, name: 'bytes', key: serde.bytes })).toBeInstanceOf(DirectHeapMapState);
    expect(b.mapState({ ...M, name: 'json', value: serde.json })).toBeInstanceOf(HeapMapState);
    expect(b.mapState({ ...M, name: 'ttl', ttl: { ttl: 10 } })).toBeInstanceOf(HeapMapState);
    await b.close();
    const counted = await general();
    expect(counted.mapState(M)).toBeInstanceOf(HeapMapState);
    await counted.close();
  });

  it('iterates snapshots: an iterator sees the map as it was at the call, whatever changes after', async () => {
    const b = await heap();
    const m = b.mapState(M);
    expect([...m.entries('k')]).toEqual([]);
    m.put('k', 1, 1);
    m.put('k', 2, 2);
    const entries = m.entries('k');
    const keys = m.mapKeys('k');
    const values = m.values('k');
    m.put('k', 3, 3);
    m.put('k', 1, 10);
    m.putAll('k', [[4, 4]]);
    m.remove('k', 2);
    expect([...entries]).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect([...keys]).toEqual([1, 2]);
    const afterPuts = m.entries('k');
    m.clear('k');
    expect([...afterPuts]).toEqual([
      [1, 10],
      [3, 3],
      [4, 4],
    ]);
    expect([...values]).toEqual([1, 2]);
    expect([...m.entries('k')]).toEqual([]);
    await b.close();
  });

  it('keeps insertion order, and removes a key with its last entry', async () => {
    const b = await heap();
    const m = b.mapState(M);
    m.put('k', 3, 3);
    m.put('k', 1, 1);
    m.put('k', 3, 30);
    m.putAll('k', [
      [2, 2],
      [1, 10],
      [2, 20],
    ]);
    expect([...m.entries('k')]).toEqual([
      [3, 30],
      [1, 10],
      [2, 20],
    ]);
    for (const mapKey of [3, 1, 2]) m.remove('k', mapKey);
    expect(m.isEmpty('k')).toBe(true);
    expect([...m.keys()]).toEqual([]);
    expect(b.metrics()).toMatchObject({ estimatedBytes: 0, states: { m: { entries: 0, estimatedBytes: 0 } } });
    await b.close();
  });

  it('refuses a foreign key on every call when it owns part of the key groups, storing nothing', async () => {
    const b = await heap({ keyGroups: { from: 0, to: 63 } });
    const m = b.mapState(M);
    const foreign = keyIn(100);
    for (const call of [
      () => m.put(foreign, 1, 1),
      () => m.putAll(foreign, [[1, 1]]),
      () => m.get(foreign, 1),
      () => m.contains(foreign, 1),
      () => m.remove(foreign, 1),
      () => m.entries(foreign),
      () => m.mapKeys(foreign),
      () => m.values(foreign),
      () => m.isEmpty(foreign),
      () => m.clear(foreign),
    ]) {
      expect(call).toThrow(KeyGroupOutOfRangeError);
    }
    expect(b.metrics().estimatedBytes).toBe(0);
    expect([...m.keys()]).toEqual([]);
    m.put(keyIn(10), 1, 1);
    expect([...m.keysAndNamespaces(10)]).toEqual([[keyIn(10), undefined]]);
    await b.close();
  });

  it('refuses bad keys, map keys, values and namespaces, changing nothing', async () => {
    const b = await heap();
    const m = b.mapState(M);
    const s = b.mapState({ name: 's', key: serde.i32, mapKey: serde.string, value: serde.string });
    const ns = 1 as unknown as undefined;
    m.put('k', 1, 1);
    s.put(1, 'a', 'one');
    const shared = m.entries('k');
    const before = b.metrics();
    for (const call of [
      () => m.put(7 as unknown as string, 1, 1),
      () => m.put('k', 1.5, 1),
      () => m.put('k', 2, Number.NaN),
      () => m.put('k', 2, 'x' as unknown as number),
      () => m.putAll('k', [
          [2, 2],
          [3, 'x' as unknown as number],
        ]),
      () => m.get(7 as unknown as string, 1),
      () => m.get('k', 'x' as unknown as number),
      () => m.contains('k', 1.5),
      () => m.remove('k', 1.5),
      () => m.entries(7 as unknown as string),
      () => m.put('k', 2, 2, ns),
      () => m.get('k', 1, ns),
      () => m.contains('k', 1, ns),
      () => m.remove('k', 1, ns),
      () => m.putAll('k', [], ns),
      () => m.entries('k', ns),
      () => m.isEmpty('k', ns),
      () => m.clear('k', ns),
      () => m.keys(ns),
      () => s.put(1.5, 'a', 'x'),
      () => s.put(1, 7 as unknown as string, 'x'),
      () => s.put(1, 'a', 7 as unknown as string),
      () => s.putAll(2, [['ok', 'ok'], ['bad', 7 as unknown as string]]),
    ]) {
      expect(call).toThrow(InvalidArgumentError);
    }
    expect(b.metrics()).toEqual(before);
    expect([[...m.entries('k')], [...s.entries(1)]]).toEqual([[[1, 1]], [['a', 'one']]]);
    expect([...shared]).toEqual([[1, 1]]);
    expect([...m.keys(), ...s.keys()]).toEqual(['k', 1]);
    await b.close();
  });

  it('charges fixed-size entries with a reserve past the charge, and putAll, remove, clear and clearAll exactly', async () => {
    const b = await heap();
    const m = b.mapState(M);
    const bytes = (): number => b.metrics().states['m']!.estimatedBytes;
    m.put('k', 0, 0);
    expect(bytes()).toBe(keyBytes('k') + F);
    m.put('k', 0, 1);
    expect(bytes()).toBe(keyBytes('k') + F);
    m.put('k', 1, 1);
    expect(bytes()).toBe(keyBytes('k') + reserve(2 * F, 0));
    m.put('k', 2, 2);
    expect(bytes()).toBe(keyBytes('k') + reserve(2 * F, 0));
    for (let i = 0; i < 100; i++) m.put('k', i, i);
    expect(bytes()).toBeGreaterThanOrEqual(keyBytes('k') + 100 * F);
    expect(bytes()).toBeLessThanOrEqual(keyBytes('k') + reserve(100 * F, 0));
    expect(b.metrics().estimatedBytes).toBe(bytes());
    // Removals release their entries and keep the reserve; putAll charges what is past the charge.
    const reserved = bytes() - keyBytes('k') - 100 * F;
    for (let i = 0; i < 90; i++) m.remove('k', i);
    expect(bytes()).toBe(keyBytes('k') + 10 * F + reserved);
    m.putAll(
      'other',
      [1, 2, 3, 2].map((i) => [i, i] as const),
    );
    expect(bytes()).toBe(keyBytes('k') + 10 * F + reserved + keyBytes('other') + 3 * F);
    m.putAll(
      'other',
      [3, 4, 5].map((i) => [i, i] as const),
    );
    expect(bytes()).toBe(keyBytes('k') + 10 * F + reserved + keyBytes('other') + 5 * F);
    m.clear('k');
    expect(bytes()).toBe(keyBytes('other') + 5 * F);
    m.clearAll();
    expect(b.metrics().estimatedBytes).toBe(0);
    await b.close();
  });

  it('charges entries of varying size exactly, overwrites by the difference', async () => {
    const b = await heap();
    const m = b.mapState({ name: 's', key: serde.string, mapKey: serde.string, value: serde.string });
    const bytes = (): number => b.metrics().states['s']!.estimatedBytes;
    const entry = (k: string, v: string): number => MAP_ENTRY_OVERHEAD + 2 * k.length + 2 * v.length;
    m.put('k', 'a', 'xx');
    expect(bytes()).toBe(keyBytes('k') + entry('a', 'xx'));
    m.put('k', 'a', 'x'.repeat(10));
    m.put('k', 'bb', '');
    expect(bytes()).toBe(keyBytes('k') + entry('a', 'x'.repeat(10)) + entry('bb', ''));
    m.putAll('k', [
      ['a', 'y'],
      ['c', 'z'],
      ['a', 'yy'],
    ]);
    expect(bytes()).toBe(keyBytes('k') + entry('a', 'yy') + entry('bb', '') + entry('c', 'z'));
    m.remove('k', 'bb');
    expect(bytes()).toBe(keyBytes('k') + entry('a', 'yy') + entry('c', 'z'));
    await b.close();
  });

  it('refuses a put only when its exact estimate does not fit, changing nothing, an iterator sharing the map or not', async () => {
    let pressure = 0;
    const budget = keyBytes('k') + 10 * F;
    const b = await heap({ memoryBudget: budget, onMemoryPressure: () => pressure++ });
    const m = b.mapState(M);
    // Past a few entries the reserve no longer fits: puts charge exactly up to the budget.
    for (let i = 0; i < 10; i++) m.put('k', i, i);
    expect(b.metrics().estimatedBytes).toBe(budget);
    const expected = Array.from({ length: 10 }, (_, i) => [i, i]);
    for (const shared of [false, true]) {
      const iterator = shared ? m.entries('k') : undefined;
      expect(() => m.put('k', 10, 10)).toThrow(StateMemoryExceededError);
      expect(() => m.putAll('k', [[10, 10]])).toThrow(StateMemoryExceededError);
      expect(() => m.put('new', 1, 1)).toThrow(StateMemoryExceededError);
      expect(() => m.putAll('new', [[1, 1]])).toThrow(StateMemoryExceededError);
      // Overwrites fit: they change no size.
      m.put('k', 9, 9);
      expect([...m.entries('k')]).toEqual(expected);
      if (iterator !== undefined) expect([...iterator]).toEqual(expected);
      expect([...m.keys()]).toEqual(['k']);
      expect(b.metrics().estimatedBytes).toBe(budget);
    }
    await Promise.resolve();
    expect(pressure).toBe(1);
    m.remove('k', 0);
    m.put('k', 10, 10);
    expect(b.metrics().estimatedBytes).toBe(budget);
    m.clearAll();
    expect(b.metrics().estimatedBytes).toBe(0);
    await b.close();
  });

  it('throws DatabaseClosedError after close and StateDroppedError after drop, on every call', async () => {
    const b = await heap();
    const m = b.mapState(M);
    const other = b.mapState({ ...M, name: 'other' });
    m.put('k', 1, 1);
    other.put('k', 1, 1);
    m.drop();
    expect(b.stateNames()).toEqual(['other']);
    expect(b.metrics().estimatedBytes).toBe(keyBytes('k') + F);
    const calls = (s: MapState<string, number, number>): (() => unknown)[] => [
      () => s.get('k', 1),
      () => s.get('k', 2),
      () => s.contains('k', 1),
      () => s.put('k', 1, 2),
      () => s.put('k', 2, 2),
      () => s.put('new', 2, 2),
      () => s.putAll('k', [[2, 2]]),
      () => s.remove('k', 1),
      () => s.entries('k'),
      () => s.mapKeys('k'),
      () => s.values('k'),
      () => s.isEmpty('k'),
      () => s.clear('k'),
      () => s.keys(),
      () => s.keysAndNamespaces(),
      () => s.clearAll(),
    ];
    for (const call of calls(m)) expect(call).toThrow(StateDroppedError);
    m.drop();
    expect([...b.mapState(M).entries('k')]).toEqual([]);
    await b.close();
    for (const call of calls(other)) expect(call).toThrow(DatabaseClosedError);
  });

  it('computes key groups on demand, the same whether it owns every key group or part', () =>
    expectKeyGroupsOnDemand((b) => {
      const m = b.mapState(M);
      return { state: m, write: (k) => m.put(k, k.length, 1) };
    }));

  describe('behaves as the general heap map state for the same calls', () => {
    type Op =
      | readonly ['put', number, number, number]
      | readonly ['putAll', number, readonly (readonly [number, number])[]]
      | readonly ['get' | 'contains' | 'remove', number, number]
      | readonly ['entries' | 'mapKeys' | 'values' | 'isEmpty' | 'clear' | 'open', number]
      | readonly ['keys' | 'clearAll' | 'drain'];

    /** What a call did: its result (iterators spread), or the class of what it threw. */
    const outcome = (call: () => unknown): unknown => {
      try {
        const result = call();
        return { ok: typeof result === 'object' && result !== null && Symbol.iterator in result ? [...(result as Iterable<unknown>)] : result };
      } catch (e) {
        return { threw: (e as Error).constructor.name };
      }
    };

    /**
     * Runs `ops` on a direct state and a general one of the same serializers (keys, map keys and
     * values by index into the lists, whose last items are bad), comparing every outcome, the
     * entries, and memory: `reserved(general, peaks)` bounds what the direct state may charge
     * beyond the general one's exact estimate (0: equal).
     */
    async function differential<UK, UV>(
      serializers: { readonly mapKey: Serializer<UK>; readonly value: Serializer<UV> },
      lists: { readonly keys: readonly string[]; readonly mapKeys: readonly UK[]; readonly values: readonly UV[] },
      ops: readonly Op[],
      partial: boolean,
      reserved: (peaks: ReadonlyMap<string, number>) => number,
    ): Promise<void> {
      const options = partial ? { keyGroups: { from: 0, to: 63 } } : {};
      const [direct, counted] = [await heap(options), await general(options)];
      const descriptor = { name: 's', key: serde.string, ...serializers };
      const d = direct.mapState(descriptor);
      const g = counted.mapState(descriptor);
      expect(d).toBeInstanceOf(DirectKeyedHeapMapState);
      expect(g).toBeInstanceOf(HeapMapState);
      const { keys, mapKeys, values } = lists;
      /** Iterators opened by 'open', drained by 'drain': direct's and general's. */
      let open: [IterableIterator<unknown>, IterableIterator<unknown>][] = [];
      /** The most entries each key has held since it last had none. */
      const peaks = new Map<string, number>();
      const run = (s: MapState<string, UK, UV>, o: Exclude<Op, readonly ['open', number] | readonly ['drain']>): unknown => {
        switch (o[0]) {
          case 'put':
            return outcome(() => s.put(keys[o[1]]!, mapKeys[o[2]]!, values[o[3]]!));
          case 'putAll':
            return outcome(() => s.putAll(keys[o[1]]!, o[2].map(([k, v]) => [mapKeys[k]!, values[v]!] as const)));
          case 'get':
            return outcome(() => s.get(keys[o[1]]!, mapKeys[o[2]]!));
          case 'contains':
            return outcome(() => s.contains(keys[o[1]]!, mapKeys[o[2]]!));
          case 'remove':
            return outcome(() => s.remove(keys[o[1]]!, mapKeys[o[2]]!));
          case 'entries':
            return outcome(() => s.entries(keys[o[1]]!));
          case 'mapKeys':
            return outcome(() => s.mapKeys(keys[o[1]]!));
          case 'values':
            return outcome(() => s.values(keys[o[1]]!));
          case 'isEmpty':
            return outcome(() => s.isEmpty(keys[o[1]]!));
          case 'clear':
            return outcome(() => s.clear(keys[o[1]]!));
          case 'keys':
            return outcome(() => s.keys());
          case 'clearAll':
            return outcome(() => s.clearAll());
        }
      };
      for (const o of ops) {
        if (o[0] === 'open') {
          // Iterators drained by a later 'drain': what they hold must not change in between.
          let di: IterableIterator<unknown> | undefined;
          let gi: IterableIterator<unknown> | undefined;
          expect(outcome(() => void (di = d.entries(keys[o[1]]!)))).toEqual(outcome(() => void (gi = g.entries(keys[o[1]]!))));
          if (di !== undefined && gi !== undefined) open.push([di, gi]);
        } else if (o[0] === 'drain') {
          for (const [di, gi] of open) expect([...di]).toEqual([...gi]);
          open = [];
        } else {
          expect(run(d, o)).toEqual(run(g, o));
        }
        for (const k of [...peaks.keys()]) if (g.isEmpty(k)) peaks.delete(k);
        for (const k of g.keys()) peaks.set(k, Math.max(peaks.get(k) ?? 0, [...g.mapKeys(k)].length));
        const [dm, gm] = [direct.metrics(), counted.metrics()];
        expect(dm.states['s']!.entries).toBe(gm.states['s']!.entries);
        const exact = gm.states['s']!.estimatedBytes;
        expect(dm.states['s']!.estimatedBytes).toBeGreaterThanOrEqual(exact);
        expect(dm.states['s']!.estimatedBytes).toBeLessThanOrEqual(exact + reserved(peaks));
        expect(dm.estimatedBytes).toBe(dm.states['s']!.estimatedBytes);
      }
      for (const [di, gi] of open) expect([...di]).toEqual([...gi]);
      expect([...d.keys()]).toEqual([...g.keys()]);
      for (const k of g.keys()) expect([...d.entries(k)]).toEqual([...g.entries(k)]);
      await Promise.all([direct.close(), counted.close()]);
    }

    /** Operations over `keys` keys, `mapKeys` map keys and `values` values (indices). */
    const ops = (keys: number, mapKeys: number, values: number): fc.Arbitrary<Op[]> => {
      const key = fc.nat(keys - 1);
      const mapKey = fc.nat(mapKeys - 1);
      const value = fc.nat(values - 1);
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 8, arbitrary: fc.tuple(fc.constant('put' as const), key, mapKey, value) },
        { weight: 2, arbitrary: fc.tuple(fc.constant('putAll' as const), key, fc.array(fc.tuple(mapKey, value), { maxLength: 5 })) },
        { weight: 4, arbitrary: fc.tuple(fc.constantFrom('get' as const, 'contains' as const, 'remove' as const), key, mapKey) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom('entries' as const, 'mapKeys' as const, 'values' as const, 'isEmpty' as const, 'clear' as const), key) },
        { weight: 2, arbitrary: fc.tuple(fc.constant('open' as const), key) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('keys' as const, 'clearAll' as const, 'drain' as const)) },
      );
      // Up to 80 calls, spread over the whole range (the default size keeps arrays to about 10).
      return fc.array(op, { maxLength: 80, size: 'max' });
    };

    // Keys by index, the last one bad (a lone surrogate is a good one).
    const KEYS = ['a', 'b', 'c', 'dd', '\uD800', 7 as unknown as string];

    it('entries of varying size (string map keys and values): memory equal', async () => {
      // Map keys and values by index, the last of each bad.
      const mapKeys = ['', 'x', 'xx', 'a longer key', '\uDC00', '\uD83D\uDE00', 7 as unknown as string];
      const values = ['', 'v', 'x'.repeat(40), 'é', '\uD83D\uDE00', 7 as unknown as string];
      await fc.assert(
        fc.asyncProperty(ops(KEYS.length, mapKeys.length, values.length), fc.boolean(), (o, partial) =>
          differential({ mapKey: serde.string, value: serde.string }, { keys: KEYS, mapKeys, values }, o, partial, () => 0),
        ),
        { numRuns: 150 },
      );
    });

    it('entries of fixed size (i32 map keys, f64 values): memory within the reserve', async () => {
      // Map keys and values by index, the last two of each bad. (No -0: a JavaScript Map keeps
      // it as 0, the general class as given; both serialize it as 0.)
      const mapKeys = [0, 1, 2, 3, 4, 5, -7, 2 ** 31 - 1, 1.5, 'x' as unknown as number];
      const values = [0, 1.5, -2, 1e300, -0, Number.NaN, 'x' as unknown as number];
      await fc.assert(
        fc.asyncProperty(ops(KEYS.length, mapKeys.length, values.length), fc.boolean(), (o, partial) =>
          differential({ mapKey: serde.i32, value: serde.f64 }, { keys: KEYS, mapKeys, values }, o, partial, (peaks) => {
            // At most half the entries a map held at its largest, since it last had none.
            let bound = 0;
            for (const n of peaks.values()) bound += Math.floor((n * F) / 2);
            return bound;
          }),
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('checkpoints', () => {
    const S = { name: 's', key: serde.i32, mapKey: serde.string, value: serde.string } as const;
    const fill = (b: KeyedStateBackend): void => {
      const m = b.mapState(M);
      const s = b.mapState(S);
      for (let i = 0; i < 500; i++) {
        m.put(`user-${i % 97}`, i % 13, i / 4);
        s.putAll(i % 31, [
          [`s${i % 7}`, `v${i}`],
          ['', ''],
        ]);
      }
      m.clear('user-7');
      m.remove('user-8', 8);
    };
    /** The entries of `key`, by map key (a restore loads them in byte order, not as they were put). */
    const sorted = (m: MapState<string, number, number>, key: string): [number, number][] => [...m.entries(key)].sort((x, y) => x[0] - y[0]);
    const dump = (b: KeyedStateBackend): unknown[] => {
      const m = b.mapState(M);
      const s = b.mapState(S);
      return [[...m.keys()].sort().map((k) => [k, sorted(m, k)]), [...s.keys()].sort((x, y) => x - y).map((k) => [k, [...s.entries(k)].sort()])];
    };

    it('round-trips heap → heap and heap → LSM → heap with identical contents, restored maps charged exactly', async () => {
      const source = await heap();
      fill(source);
      // What the same maps are charged when each is written at once (putAll charges exactly).
      const exact = await heap();
      const copy = <K, UK, UV>(from: MapState<K, UK, UV>, to: MapState<K, UK, UV>): void => {
        for (const k of from.keys()) to.putAll(k, from.entries(k));
      };
      copy(source.mapState(M), exact.mapState(M));
      copy(source.mapState(S), exact.mapState(S));
      const bytes = exact.metrics().estimatedBytes;
      expect(source.metrics().estimatedBytes).toBeGreaterThan(bytes);
      await expectRoundTrips(source, dump, bytes, (restored) => expect(restored.mapState(M)).toBeInstanceOf(DirectKeyedHeapMapState));
      await Promise.all([source.close(), exact.close()]);
    });

    it('restores only the key groups an instance owns', async () => {
      const source = await heap();
      fill(source);
      await expectHalvesRestore(source, (b) => b.mapState(M).keysAndNamespaces(), 96, (b, k) =>
        expect(sorted(b.mapState(M), k)).toEqual(sorted(source.mapState(M), k)),
      );
      await source.close();
    });
  });
});
