import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../checkpoint/checkpoint-errors.js';
import { memoryCheckpointStore } from '../../checkpoint/memory-store.js';
import type { CheckpointStore } from '../../checkpoint/store.js';
import { loadEngine } from '../../engine/wasm-module.js';
import { EdgestateError, InvalidArgumentError } from '../../errors.js';
import { StateMemoryExceededError } from '../state-errors.js';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import { createStateBackend } from '../create.js';
import { keyGroupRangeForInstance, type KeyGroupRange } from '../key-groups.js';
import type { RestoreSource } from '../lsm/lsm-checkpoints.js';
import { serde } from '../serde/index.js';
import type { KeyedStateBackend, MapStateDescriptor, Serializer, Timer } from '../types.js';

const wasm = readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));

beforeAll(async () => {
  await loadEngine(wasm);
});

interface Avg {
  readonly n: number;
  readonly s: number;
}

const VALUE = { name: 'value', key: serde.string, namespace: serde.i32, value: serde.json } as const;
const LIST = { name: 'list', key: serde.string, value: serde.string, ttl: { ttl: 100 } } as const;
const MAP = { name: 'map', key: serde.string, namespace: serde.string, mapKey: serde.string, value: serde.i32 } as const;
const SUM = { name: 'sum', key: serde.i32, value: serde.i64, reduce: (a: bigint, b: bigint) => a + b } as const;
const AVG = {
  name: 'avg',
  key: serde.string,
  accumulator: serde.json as Serializer<Avg>,
  create: (): Avg => ({ n: 0, s: 0 }),
  add: (acc: Avg, v: number): Avg => ({ n: acc.n + 1, s: acc.s + v }),
  result: (acc: Avg) => acc.s / acc.n,
};
const SESSION = { name: 'session', key: serde.string, value: serde.string, ttl: { ttl: 100 } } as const;
const TIMERS = { key: serde.string, namespace: serde.i32 } as const;

interface Opened {
  readonly backend: KeyedStateBackend;
  readonly clock: ManualClock;
}

async function heap(extra: { restoreFrom?: RestoreSource; keyGroups?: KeyGroupRange; store?: CheckpointStore; retain?: number; at?: number; maxParallelism?: number } = {}): Promise<Opened> {
  const clock = new ManualClock(extra.at ?? 1000);
  const backend = await createStateBackend({
    kind: 'heap',
    clock,
    wasm,
    checkpoints: { ...(extra.store !== undefined && { store: extra.store }), ...(extra.retain !== undefined && { retain: extra.retain }) },
    ...(extra.restoreFrom !== undefined && { restoreFrom: extra.restoreFrom }),
    ...(extra.keyGroups !== undefined && { keyGroups: extra.keyGroups }),
    ...(extra.maxParallelism !== undefined && { maxParallelism: extra.maxParallelism }),
  });
  return { backend, clock };
}

async function lsm(extra: { restoreFrom?: RestoreSource; at?: number } = {}): Promise<Opened> {
  const clock = new ManualClock(extra.at ?? 1000);
  const backend = await createStateBackend({
    kind: 'lsm',
    storage: memoryStorage(),
    clock,
    wasm,
    options: { writeBufferSize: 64 << 10 },
    ...(extra.restoreFrom !== undefined && { restoreFrom: extra.restoreFrom }),
  });
  return { backend, clock };
}

/** Writes some of everything: five kinds, namespaces, TTL'd values at two times, timers, a watermark. */
function fill({ backend, clock }: Opened, keys = 300): void {
  const value = backend.valueState(VALUE);
  const list = backend.listState(LIST);
  const map = backend.mapState(MAP);
  const sum = backend.reducingState(SUM);
  const avg = backend.aggregatingState(AVG);
  const session = backend.valueState(SESSION);
  for (let i = 0; i < keys; i++) {
    value.put(`k${i}`, { i, tags: ['a', String(i % 3)] });
    if (i % 4 === 0) value.put(`k${i}`, { ns: i }, i % 7);
    list.addAll(`k${i}`, [`x${i}`, `y${i}`]);
    map.putAll(`k${i % 50}`, [[`m${i}`, i], [`z${i}`, -i - 1]], `ns${i % 2}`);
    sum.add(i % 40, BigInt(i));
    avg.add(`k${i % 25}`, i);
    session.put(`s${i % 30}`, `early${i}`);
  }
  // Lone surrogates (stored as WTF-8) in keys, namespaces, map keys and string values.
  value.put('lone\uD800', { lone: true });
  list.addAll('\uDC00', ['\uDBFF', 'pair\uD83D\uDE00 then lone\uDE00']);
  map.putAll('\uD83D', [['\uDFFF', 1], ['\uD800\uD800', 2]], 'ns\uDC00');
  session.put('\uDBFFs', '\uD800');
  const timers = backend.timers('t', TIMERS);
  timers.registerEventTime('k1', 50);
  timers.registerEventTime('k2', 50, 3);
  timers.registerEventTime('k3', 70);
  timers.registerProcessingTime('k4', 1200, 9);
  timers.advanceWatermark(10, () => undefined);
  clock.advance(50);
  // Written 50 ms after the others: after a restore, these outlive the early ones by 50 ms.
  for (let i = 0; i < 10; i++) session.put(`late${i}`, `late${i}`);
  list.add('k0', 'late');
}

const byString = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/** Every state's contents (order-independent), read through the public API. */
function dump(backend: KeyedStateBackend): Record<string, unknown[]> {
  const value = backend.valueState(VALUE);
  const list = backend.listState(LIST);
  const map = backend.mapState(MAP);
  const sum = backend.reducingState(SUM);
  const avg = backend.aggregatingState(AVG);
  const session = backend.valueState(SESSION);
  const pairs = <K, N>(s: { keysAndNamespaces(): IterableIterator<readonly [K, N | undefined]> }) => [...s.keysAndNamespaces()];
  return {
    value: pairs(value).map(([k, n]) => [k, n, value.get(k, n)]).sort(byString),
    list: pairs(list).map(([k]) => [k, list.get(k)]).sort(byString),
    map: pairs(map).map(([k, n]) => [k, n, [...map.entries(k, n!)].sort(byString)]).sort(byString),
    sum: pairs(sum).map(([k]) => [k, String(sum.get(k))]).sort(byString),
    avg: pairs(avg).map(([k]) => [k, avg.get(k)]).sort(byString),
    session: pairs(session).map(([k]) => [k, session.get(k)]).sort(byString),
  };
}

/** Fires every timer of service 't' up to event time `until` and processing time now. */
function fireAll(backend: KeyedStateBackend, until: number): Array<Timer<string, number>> {
  const fired: Array<Timer<string, number>> = [];
  const timers = backend.timers('t', TIMERS);
  timers.advanceWatermark(until, (t) => fired.push(t));
  timers.advanceProcessingTime((t) => fired.push(t));
  return fired;
}

/** Checks what the TTL'd entries written by `fill` do as time passes after a restore at 1050. */
function expectTtlTimestampsKept({ backend, clock }: Opened): void {
  const session = backend.valueState(SESSION);
  const list = backend.listState(LIST);
  expect(session.get('s1')).toBe('early271'); // the last of the early writes to s1
  clock.set(1100); // early entries (written at 1000) are now 100 ms old: expired
  expect(session.get('s1')).toBeUndefined();
  expect(session.get('late3')).toBe('late3');
  expect(list.get('k0')).toEqual(['late']);
  clock.set(1150);
  expect(session.get('late3')).toBeUndefined();
  expect(list.get('k0')).toEqual([]);
}

describe('heap checkpoints', () => {
  it('restore gives exactly the checkpointed state: five kinds, namespaces, TTL timestamps, timers, watermark, metadata', async () => {
    const store = memoryCheckpointStore();
    const source = await heap({ store });
    fill(source);
    const expected = dump(source.backend);
    const cp = await source.backend.checkpoint({ metadata: { offset: 42 } });
    expect(cp.backend).toBe('heap');
    expect(cp.incremental).toBe(false);
    expect(cp.deltaBytes).toBe(cp.totalBytes);
    // More writes after the checkpoint: none of them may come back.
    source.backend.valueState(VALUE).put('k1', 'changed');
    source.backend.mapState(MAP).clearAll();
    source.backend.reducingState(SUM).add(1, 1000n);
    source.backend.timers('t', TIMERS).registerEventTime('k9', 60);

    const restored = await heap({ restoreFrom: await source.backend.exportCheckpoint(cp.id), at: 1050 });
    expect(dump(restored.backend)).toEqual(expected);
    expect(restored.backend.restoredMetadata).toEqual({ offset: 42 });
    const timers = restored.backend.timers('t', TIMERS);
    expect(timers.currentWatermark()).toBe(10);
    expect([timers.size('event'), timers.size('processing')]).toEqual([3, 1]);
    restored.clock.set(1200);
    expect(fireAll(restored.backend, 100).map((t) => [t.domain, t.timestamp, t.key, t.namespace])).toEqual([
      ['event', 50, 'k1', undefined],
      ['event', 50, 'k2', 3],
      ['event', 70, 'k3', undefined],
      ['processing', 1200, 'k4', 9],
    ]);
    const again = await heap({ restoreFrom: { store, id: cp.id }, at: 1050 });
    expectTtlTimestampsKept(again);
    await Promise.all([source.backend.close(), restored.backend.close(), again.backend.close()]);
  });

  it('a heap checkpoint restores into the LSM backend with identical contents', async () => {
    const source = await heap();
    fill(source);
    const expected = dump(source.backend);
    const blob = await source.backend.exportCheckpoint((await source.backend.checkpoint({ metadata: 'm' })).id);
    const target = await lsm({ restoreFrom: blob, at: 1050 });
    expect(dump(target.backend)).toEqual(expected);
    expect(target.backend.restoredMetadata).toBe('m');
    expect(target.backend.timers('t', TIMERS).currentWatermark()).toBe(10);
    target.clock.set(1200);
    expect(fireAll(target.backend, 100).map((t) => t.timestamp)).toEqual([50, 50, 70, 1200]);
    const ttl = await lsm({ restoreFrom: blob, at: 1050 });
    expectTtlTimestampsKept(ttl);
    await Promise.all([source.backend.close(), target.backend.close(), ttl.backend.close()]);
  });

  it('an LSM checkpoint restores into the heap backend with identical contents', async () => {
    const source = await lsm();
    fill(source);
    const expected = dump(source.backend);
    const blob = await source.backend.exportCheckpoint((await source.backend.checkpoint({ metadata: [1, 2] })).id);
    const target = await heap({ restoreFrom: blob, at: 1050 });
    expect(dump(target.backend)).toEqual(expected);
    expect(target.backend.restoredMetadata).toEqual([1, 2]);
    target.clock.set(1200);
    expect(fireAll(target.backend, 100).map((t) => [t.timestamp, t.key, t.namespace])).toEqual([
      [50, 'k1', undefined],
      [50, 'k2', 3],
      [70, 'k3', undefined],
      [1200, 'k4', 9],
    ]);
    // And back: heap → LSM again gives the same contents once more.
    const back = await lsm({ restoreFrom: await target.backend.exportCheckpoint((await target.backend.checkpoint()).id), at: 1050 });
    expect(dump(back.backend)).toEqual(expected);
    const ttl = await heap({ restoreFrom: blob, at: 1050 });
    expectTtlTimestampsKept(ttl);
    await Promise.all([source.backend.close(), target.backend.close(), back.backend.close(), ttl.backend.close()]);
  });

  it('rescales 2→3 and 3→2: every key lands in exactly one instance, with its value', async () => {
    const keys = Array.from({ length: 1500 }, (_, i) => `user-${i}`);
    const ranges = (p: number): KeyGroupRange[] => Array.from({ length: p }, (_, i) => keyGroupRangeForInstance(128, p, i));
    const MAPPED = { name: 'mapped', key: serde.string, mapKey: serde.i32, value: serde.string } as const;
    const two = await Promise.all(ranges(2).map((keyGroups) => heap({ keyGroups })));
    for (const k of keys) {
      const owners = two.filter(({ backend }) => {
        try {
          backend.valueState(SESSION).put(k, k.toUpperCase());
          backend.mapState(MAPPED).put(k, k.length, k);
          return true;
        } catch (e) {
          if (e instanceof InvalidArgumentError) return false;
          throw e;
        }
      });
      expect(owners.length).toBe(1);
    }
    /** New instances for `ranges`: each restores every old export and keeps its own key groups. */
    const rescale = async (from: Opened[], to: KeyGroupRange[]): Promise<Opened[]> => {
      const blobs = await Promise.all(from.map(async ({ backend }) => backend.exportCheckpoint((await backend.checkpoint()).id)));
      const out: Opened[] = [];
      for (const keyGroups of to) {
        const [first, ...rest] = await Promise.all(blobs.map((restoreFrom) => heap({ keyGroups, restoreFrom })));
        for (const other of rest) {
          for (const k of other!.backend.valueState(SESSION).keys()) {
            first!.backend.valueState(SESSION).put(k, other!.backend.valueState(SESSION).get(k)!);
            first!.backend.mapState(MAPPED).putAll(k, other!.backend.mapState(MAPPED).entries(k));
          }
          await other!.backend.close();
        }
        out.push(first!);
      }
      return out;
    };
    const check = (instances: Opened[]): void => {
      const seen = new Map<string, number>();
      for (const { backend } of instances) {
        for (const k of backend.valueState(SESSION).keys()) {
          seen.set(k, (seen.get(k) ?? 0) + 1);
          expect(backend.valueState(SESSION).get(k)).toBe(k.toUpperCase());
          expect([...backend.mapState(MAPPED).entries(k)]).toEqual([[k.length, k]]);
        }
      }
      expect(seen.size).toBe(keys.length);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    };
    const three = await rescale(two, ranges(3));
    check(three);
    const back = await rescale(three, ranges(2));
    check(back);
    for (const { backend } of [...two, ...three, ...back]) await backend.close();
  });

  it('keeps the newest checkpoints of a chain of 22, each restoring to its own point, with no orphaned files', async () => {
    const store = memoryCheckpointStore();
    const source = await heap({ store, retain: 4 });
    const counts = source.backend.valueState({ name: 'count', key: serde.string, value: serde.i32 });
    const ids: string[] = [];
    const states: Array<Record<string, number>> = [];
    for (let round = 0; round < 22; round++) {
      for (let i = 0; i < 100; i++) counts.put(`k${(round * 37 + i * 7) % 900}`, round);
      const cp = await source.backend.checkpoint({ metadata: round });
      ids.push(cp.id);
      states.push(Object.fromEntries([...counts.keys()].map((k) => [k, counts.get(k)!])));
      const records = await store.listRecords();
      expect(records.map((r) => r.id)).toEqual(ids.slice(-4));
      expect(await source.backend.checkpoints()).toEqual(records);
      const referenced = new Set(records.flatMap((r) => r.files.map((f) => f.key)));
      expect(new Set((await store.listFiles()).map((f) => f.key))).toEqual(referenced);
    }
    expect(new Set(ids).size).toBe(22);
    for (const back of [1, 2, 3, 4]) {
      const r = await heap({ restoreFrom: { store, id: ids[22 - back]! } });
      const c = r.backend.valueState({ name: 'count', key: serde.string, value: serde.i32 });
      expect(Object.fromEntries([...c.keys()].map((k) => [k, c.get(k)!]))).toEqual(states[22 - back]);
      expect(r.backend.restoredMetadata).toBe(22 - back);
      await r.backend.close();
    }
    await expect(source.backend.exportCheckpoint(ids[0]!)).rejects.toThrow(/no retained checkpoint/);
    await source.backend.close();
  });

  it('carries a restored state nobody registered into the next checkpoint, and leaves a dropped one out', async () => {
    const source = await heap();
    fill(source);
    const expected = dump(source.backend);
    const first = await heap({ restoreFrom: await source.backend.exportCheckpoint((await source.backend.checkpoint()).id), at: 1050 });
    first.backend.dropState(SUM.name);
    const second = await heap({ restoreFrom: await first.backend.exportCheckpoint((await first.backend.checkpoint()).id), at: 1050 });
    const { sum, ...rest } = dump(second.backend);
    expect(sum).toEqual([]);
    const { sum: _dropped, ...expectedRest } = expected;
    expect(rest).toEqual(expectedRest);
    expect(second.backend.timers('t', TIMERS).currentWatermark()).toBe(10);
    await Promise.all([source.backend.close(), first.backend.close(), second.backend.close()]);
  });

  it('continues checkpoint ids after a restore that shares the store', async () => {
    const store = memoryCheckpointStore();
    const source = await heap({ store });
    await source.backend.checkpoint();
    const cp = await source.backend.checkpoint();
    const restored = await heap({ store, restoreFrom: { store, id: cp.id } });
    const next = await restored.backend.checkpoint();
    expect(next.id > cp.id).toBe(true);
    expect((await store.listRecords()).map((r) => r.id)).toEqual(['ckpt-0000000001', 'ckpt-0000000002', 'ckpt-0000000003']);
    await Promise.all([source.backend.close(), restored.backend.close()]);
  });

  it('refuses a state registered with other serializers than the checkpoint stored, and another maxParallelism', async () => {
    const source = await heap();
    fill(source, 20);
    const blob = await source.backend.exportCheckpoint((await source.backend.checkpoint()).id);
    const restored = await heap({ restoreFrom: blob });
    expect(() => restored.backend.valueState({ ...VALUE, value: serde.msgpack })).toThrow(InvalidArgumentError);
    expect(() => restored.backend.listState({ ...LIST, ttl: { ttl: 5 } })).toThrow(InvalidArgumentError);
    // The refusal changed nothing: the right descriptor still gets the stored entries.
    expect(restored.backend.valueState(VALUE).get('k4', 4)).toEqual({ ns: 4 });
    await expect(heap({ restoreFrom: blob, maxParallelism: 256 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await Promise.all([source.backend.close(), restored.backend.close()]);
  });

  it('a restore of timers past the memory budget is refused with nothing charged, and can be retried', async () => {
    const { backend: source } = await heap();
    const t = source.timers('t', { key: serde.string });
    for (let i = 0; i < 100; i++) t.registerEventTime(`k${i}`, 1000 + i);
    const blob = await source.exportCheckpoint((await source.checkpoint()).id);
    await source.close();
    const b = await createStateBackend({ kind: 'heap', wasm, restoreFrom: blob, memoryBudget: 5000 });
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => b.timers('t', { key: serde.string })).toThrow(StateMemoryExceededError);
      expect(b.metrics().estimatedBytes).toBe(0);
    }
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
    v.put('a', 1);
    expect(v.get('a')).toBe(1);
    await b.close();
  });

  it('refuses checkpoint metadata that is not JSON and a checkpoint store of the wrong kind with InvalidArgumentError', async () => {
    const { backend } = await heap();
    backend.valueState({ name: 'v', key: serde.string, value: serde.f64 }).put('a', 1);
    for (const metadata of [{ n: 1n }, { f: () => 1 }, { when: new Date(0) }, [Number.NaN]]) {
      await expect(backend.checkpoint({ metadata })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await backend.checkpoints()).toEqual([]);
    expect((await backend.checkpoint({ metadata: { offset: 7 } })).id).toBe('ckpt-0000000001');
    await backend.close();
    for (const checkpoints of [{ store: {} }, { store: 'memory' }, { retain: 0 }]) {
      await expect(createStateBackend({ kind: 'heap', wasm, checkpoints: checkpoints as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    for (const restoreFrom of ['backup.esckp', null, { store: {}, id: 'x' }]) {
      await expect(createStateBackend({ kind: 'heap', wasm, restoreFrom: restoreFrom as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('keeps every watermark through checkpoints and restores across both backends: +Infinity (end of input) too, and services not asked for since', async () => {
    const open = (kind: 'heap' | 'lsm', restoreFrom?: Blob): Promise<KeyedStateBackend> =>
      kind === 'heap'
        ? createStateBackend({ kind, wasm, ...(restoreFrom !== undefined && { restoreFrom }) })
        : createStateBackend({ kind, wasm, storage: memoryStorage(), ...(restoreFrom !== undefined && { restoreFrom }) });
    const noop = (): void => undefined;
    for (const first of ['heap', 'lsm'] as const) {
      for (const second of ['heap', 'lsm'] as const) {
        const a = await open(first);
        a.timers('ended', { key: serde.string }).advanceWatermark(Infinity, noop);
        a.timers('mid', { key: serde.string }).advanceWatermark(100, noop);
        const one = await a.exportCheckpoint((await a.checkpoint()).id);
        await a.close();
        // Restored, checkpointed again without asking for either service, restored again.
        const b = await open(second, one);
        const two = await b.exportCheckpoint((await b.checkpoint()).id);
        await b.close();
        const c = await open(first, two);
        const ended = c.timers('ended', { key: serde.string });
        expect([ended.currentWatermark(), c.timers('mid', { key: serde.string }).currentWatermark()], `${first} → ${second} → ${first}`).toEqual([Infinity, 100]);
        ended.registerEventTime('late', 5);
        const fired: string[] = [];
        ended.advanceWatermark(0, (t) => fired.push(t.key));
        expect(fired).toEqual(['late']);
        await c.close();
      }
    }
  });

  it('a restore charges map entries exactly, with or without namespaces, as putAll does', async () => {
    for (const namespace of [undefined, serde.i32]) {
      const { backend: source } = await heap();
      const d = { name: 'm', key: serde.string, mapKey: serde.f64, value: serde.f64, ...(namespace !== undefined && { namespace }) };
      const m = source.mapState(d as MapStateDescriptor<string, number, number, number>);
      for (const key of ['a', 'b']) m.putAll(key, Array.from({ length: 100 }, (_, i) => [i, i / 2] as const), namespace === undefined ? undefined : 1);
      const exact = source.metrics().estimatedBytes;
      const blob = await source.exportCheckpoint((await source.checkpoint()).id);
      await source.close();
      const { backend: restored } = await heap({ restoreFrom: blob });
      restored.mapState(d as MapStateDescriptor<string, number, number, number>);
      expect(restored.metrics().estimatedBytes, namespace === undefined ? 'no namespace' : 'namespaced').toBe(exact);
      await restored.close();
    }
  });

  it('a damaged, truncated or foreign import fails with a typed error and creates no backend', async () => {
    const source = await heap();
    fill(source, 200);
    const good = new Uint8Array(await (await source.backend.exportCheckpoint((await source.backend.checkpoint()).id)).arrayBuffer());
    await source.backend.close();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 0, max: good.length - 1 }).map((at) => good.slice(0, at)),
          fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
            const d = good.slice();
            d[at]! ^= 1 << bit;
            return d;
          }),
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk) => {
            const d = new Uint8Array(good.length + junk.length);
            d.set(good);
            d.set(junk, good.length);
            return d;
          }),
        ),
        async (damaged) => {
          const error = await heap({ restoreFrom: damaged }).then(
            async ({ backend }) => {
              await backend.close();
              return undefined;
            },
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(EdgestateError);
        },
      ),
      { numRuns: 60 },
    );
    await expect(heap({ restoreFrom: good.slice(0, 100) })).rejects.toBeInstanceOf(CheckpointFormatError);
    const intact = await heap({ restoreFrom: good });
    expect(intact.backend.valueState(VALUE).get('k3')).toEqual({ i: 3, tags: ['a', '0'] });
    await intact.backend.close();
  });
});
