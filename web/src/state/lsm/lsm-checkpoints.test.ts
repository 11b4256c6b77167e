import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../checkpoint/checkpoint-errors.js';
import { exportDatabase } from '../../checkpoint/export-database.js';
import { memoryCheckpointStore } from '../../checkpoint/memory-store.js';
import { openLsm } from '../../engine/lsm-database.js';
import { loadEngine } from '../../engine/wasm-module.js';
import { EdgestateError, InvalidArgumentError } from '../../errors.js';
import { memoryStorage, type MemoryVfs } from '../../storage/memory.js';
import type { StorageAdapter } from '../../storage/host-vfs.js';
import { ManualClock } from '../clock.js';
import { createStateBackend } from '../create.js';
import { fullKeyGroupRange, keyGroupOf, keyGroupRangeForInstance, type KeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import type { CheckpointStore } from '../../checkpoint/store.js';
import { LsmStateBackend, type LsmBackendSettings } from './lsm-backend.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

const COUNT = { name: 'count', key: serde.string, value: serde.i32 } as const;
const EVENTS = { name: 'events', key: serde.string, value: serde.string } as const;

function open(storage: StorageAdapter, extra: Partial<LsmBackendSettings> = {}): Promise<LsmStateBackend> {
  return LsmStateBackend.open({
    maxParallelism: 128,
    keyGroups: fullKeyGroupRange(128),
    clock: new ManualClock(1000),
    storage,
    lsm: resolveLsmOptions({ writeBufferSize: 64 << 10 }),
    ...extra,
  });
}

/** Whether string key `key` falls in `range` of 128 key groups. */
function ownedBy(key: string, range: KeyGroupRange): boolean {
  const group = keyGroupOf(new TextEncoder().encode(key), 128);
  return group >= range.from && group <= range.to;
}

function dump(b: LsmStateBackend): Record<string, unknown> {
  const count = b.valueState(COUNT);
  const events = b.listState(EVENTS);
  const out: Record<string, unknown> = {};
  for (const k of [...count.keys()].sort()) out[`c:${k}`] = count.get(k);
  for (const k of [...events.keys()].sort()) out[`e:${k}`] = events.get(k);
  return out;
}

function files(storage: { readonly vfs: MemoryVfs }): Map<string, string> {
  const vfs = storage.vfs;
  return new Map(vfs.list().map((n) => {
    const fd = vfs.open(n, false);
    const bytes = new Uint8Array(vfs.size(fd));
    vfs.read(fd, 0, bytes);
    vfs.close(fd);
    return [n, Buffer.from(bytes).toString('base64')];
  }));
}

describe('LSM checkpoints', () => {
  it('restore gives exactly the checkpointed state, with timers and the attached metadata', async () => {
    const store = memoryCheckpointStore();
    const b = await open(memoryStorage(), { checkpoints: { store } });
    for (let i = 0; i < 3000; i++) b.valueState(COUNT).put(`k${i}`, i);
    b.listState(EVENTS).addAll('u', ['a', 'b']);
    const timers = b.timers('t', { key: serde.string });
    timers.registerEventTime('u', 50);
    timers.advanceWatermark(10, () => undefined);
    const cp = await b.checkpoint({ metadata: { offset: 42 } });
    const expected = dump(b);
    for (let i = 0; i < 3000; i += 3) b.valueState(COUNT).put(`k${i}`, -1);
    b.listState(EVENTS).add('u', 'c');
    b.valueState(COUNT).clearAll();

    const blob = await b.exportCheckpoint(cp.id);
    const restored = await open(memoryStorage(), { restoreFrom: blob });
    expect(dump(restored)).toEqual(expected);
    expect(restored.restoredMetadata).toEqual({ offset: 42 });
    const t = restored.timers('t', { key: serde.string });
    expect(t.currentWatermark()).toBe(10);
    expect(t.nextTimestamp('event')).toBe(50);
    // Restoring straight from the store works the same.
    const fromStore = await open(memoryStorage(), { restoreFrom: { store, id: cp.id } });
    expect(dump(fromStore)).toEqual(expected);
    await Promise.all([b.close(), restored.close(), fromStore.close()]);
  });

  it('timers kept on the heap (timers: heap) are in the checkpoint too', async () => {
    const b = await open(memoryStorage(), { timers: 'heap' });
    const t = b.timers('t', { key: serde.string, namespace: serde.i32 });
    t.registerEventTime('a', 30, 1);
    t.registerProcessingTime('b', 40);
    t.advanceWatermark(5, () => undefined);
    const blob = await b.exportCheckpoint((await b.checkpoint()).id);
    t.deleteEventTime('a', 30, 1);
    await b.close();
    for (const timers of ['heap', 'lsm'] as const) {
      const r = await open(memoryStorage(), { timers, restoreFrom: blob });
      const again = r.timers('t', { key: serde.string, namespace: serde.i32 });
      expect([again.size('event'), again.size('processing'), again.currentWatermark()]).toEqual([1, 1, 5]);
      const fired: unknown[] = [];
      again.advanceWatermark(100, (timer) => fired.push([timer.key, timer.namespace, timer.timestamp]));
      expect(fired).toEqual([['a', 1, 30]]);
      await r.close();
    }
  });

  it('a chain of 25 incremental checkpoints stores deltas, keeps the last 4 and leaves no orphaned files', async () => {
    const store = memoryCheckpointStore();
    const b = await open(memoryStorage(), { checkpoints: { store, retain: 4 } });
    const states: Array<Record<string, unknown>> = [];
    const ids: string[] = [];
    let totals = 0;
    let deltas = 0;
    let incremental = 0;
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 400; i++) b.valueState(COUNT).put(`k${(round * 137 + i * 7) % 5000}`, round);
      const cp = await b.checkpoint();
      ids.push(cp.id);
      states.push(dump(b));
      expect(cp.deltaBytes).toBeLessThanOrEqual(cp.totalBytes);
      totals += cp.totalBytes;
      deltas += cp.deltaBytes;
      if (cp.incremental) incremental++;
      const records = await store.listRecords();
      expect(records.length).toBe(Math.min(round + 1, 4));
      const referenced = new Set(records.flatMap((r) => r.files.map((f) => f.key)));
      const stored = (await store.listFiles()).map((f) => f.key);
      expect(new Set(stored)).toEqual(referenced);
    }
    // A compaction rewrites tables (so the checkpoint after it stores them anew); the others
    // store only the newly flushed table and the manifest.
    expect(incremental).toBeGreaterThanOrEqual(15);
    expect(deltas).toBeLessThan(totals * 0.6);
    for (const back of [1, 2, 3, 4]) {
      const r = await open(memoryStorage(), { restoreFrom: { store, id: ids[25 - back]! } });
      expect(dump(r)).toEqual(states[25 - back]);
      await r.close();
    }
    await expect(b.exportCheckpoint(ids[0]!)).rejects.toThrow(/no retained checkpoint/);
    await b.close();
  });

  it('a checkpoint that fails half-way leaves nothing behind once a later one succeeds', async () => {
    const inner = memoryCheckpointStore();
    let failNext = false;
    const flaky: CheckpointStore = {
      ...inner,
      putRecord: async (r) => {
        if (failNext) throw new Error('store went away');
        await inner.putRecord(r);
      },
    };
    const b = await open(memoryStorage(), { checkpoints: { store: flaky, retain: 2 } });
    for (let i = 0; i < 2000; i++) b.valueState(COUNT).put(`k${i}`, i);
    await b.checkpoint();
    for (let i = 0; i < 2000; i++) b.valueState(COUNT).put(`x${i}`, i);
    failNext = true;
    await expect(b.checkpoint()).rejects.toThrow(/went away/);
    failNext = false;
    await b.checkpoint();
    const referenced = new Set((await inner.listRecords()).flatMap((r) => r.files.map((f) => f.key)));
    expect(new Set((await inner.listFiles()).map((f) => f.key))).toEqual(referenced);
    await b.close();
  });

  it('rescales 2→3 and 3→2: every key lands in exactly one instance', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const instances = async (ranges: KeyGroupRange[]): Promise<LsmStateBackend[]> => {
      const out: LsmStateBackend[] = [];
      for (const range of ranges) out.push(await open(memoryStorage(), { keyGroups: range }));
      return out;
    };
    const ranges = (p: number): KeyGroupRange[] => Array.from({ length: p }, (_, i) => keyGroupRangeForInstance(128, p, i));
    // Two instances own half the key groups each.
    const two = await instances(ranges(2));
    for (const k of keys) {
      const owner = two.find((b) => {
        try {
          b.valueState(COUNT).put(k, k.length);
          return true;
        } catch (e) {
          if (e instanceof InvalidArgumentError) return false;
          throw e;
        }
      });
      expect(owner).toBeDefined();
    }
    const blobs2 = await Promise.all(two.map(async (b) => b.exportCheckpoint((await b.checkpoint()).id)));
    // 2→3 and back: each new instance restores from every old checkpoint (the first adopted as
    // files, the others' owned key groups copied in); key groups it does not own are dropped.
    const three: LsmStateBackend[] = [];
    for (const range of ranges(3)) three.push(await open(memoryStorage(), { keyGroups: range, restoreFrom: blobs2 }));
    const seen = new Map<string, number>();
    for (const b of three) for (const k of b.valueState(COUNT).keys()) seen.set(k, (seen.get(k) ?? 0) + 1);
    expect(seen.size).toBe(keys.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const b of three) for (const k of b.valueState(COUNT).keys()) expect(b.valueState(COUNT).get(k)).toBe(k.length);
    const blobs3 = await Promise.all(three.map(async (b) => b.exportCheckpoint((await b.checkpoint()).id)));
    const back: LsmStateBackend[] = [];
    for (const range of ranges(2)) back.push(await open(memoryStorage(), { keyGroups: range, restoreFrom: blobs3 }));
    const again = new Map<string, number>();
    for (const b of back) for (const k of b.valueState(COUNT).keys()) again.set(k, (again.get(k) ?? 0) + 1);
    expect(again.size).toBe(keys.length);
    expect([...again.values()].every((n) => n === 1)).toBe(true);
    for (const b of [...two, ...three, ...back]) await b.close();
  });

  it('a checkpoint that is not this backend\'s (other maxParallelism, an engine export, a malformed record) is refused before the target storage changes', async () => {
    const target = memoryStorage();
    const existing = await open(target);
    existing.valueState(COUNT).put('mine', 1);
    await existing.close();
    const before = files(target);
    const wide = await open(memoryStorage(), { maxParallelism: 256, keyGroups: fullKeyGroupRange(256) });
    wide.valueState(COUNT).put('theirs', 2);
    const foreign = await wide.exportCheckpoint((await wide.checkpoint()).id);
    await wide.close();
    const raw = await openLsm({ storage: memoryStorage() });
    raw.put('k', 'v');
    const engineExport = exportDatabase(raw);
    raw.defaultColumnFamily.put('edgestate.checkpoint', '{"maxParallelism": 128');
    const notJson = exportDatabase(raw);
    raw.defaultColumnFamily.put('edgestate.checkpoint', '{"maxParallelism": 128}');
    const noWatermarks = exportDatabase(raw);
    raw.defaultColumnFamily.put('edgestate.checkpoint', '{"maxParallelism": 128, "watermarks": {}, "endedWatermarks": "w"}');
    const badEnded = exportDatabase(raw);
    await raw.close();
    for (const [source, error] of [
      [foreign, InvalidArgumentError],
      [engineExport, CheckpointFormatError],
      [notJson, CheckpointFormatError],
      [noWatermarks, CheckpointFormatError],
      [badEnded, CheckpointFormatError],
    ] as const) {
      await expect(open(target, { restoreFrom: source })).rejects.toBeInstanceOf(error);
      // Also as one of several sources (rescaling): refused before anything is touched.
      await expect(open(target, { restoreFrom: [foreign === source ? engineExport : foreign, source] })).rejects.toBeInstanceOf(EdgestateError);
      expect(files(target)).toEqual(before);
    }
    const reopened = await open(target);
    expect(reopened.valueState(COUNT).get('mine')).toBe(1);
    await reopened.close();
  });

  it('LSM options the engine refuses fail a restore before the target storage changes', async () => {
    const TEXT = { name: 'text', key: serde.string, value: serde.string } as const;
    const target = memoryStorage();
    const existing = await open(target);
    existing.valueState(TEXT).put('k', 'original');
    await existing.close();
    const before = files(target);
    const other = await open(memoryStorage());
    other.valueState(TEXT).put('k', 'from checkpoint');
    const blob = await other.exportCheckpoint((await other.checkpoint()).id);
    await other.close();

    // Through createStateBackend: resolved with the engine's bounds, refused naming the field.
    for (const [options, field] of [
      [{ level0CompactionTrigger: 1 }, 'level0CompactionTrigger'],
      [{ targetFileSize: 2 ** 31 }, 'targetFileSize'],
    ] as const) {
      const error = await createStateBackend({ kind: 'lsm', storage: target, restoreFrom: blob, options }).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).details['field'], field).toBe(field);
      expect(files(target)).toEqual(before);
    }
    // Options that reach the backend unresolved: the engine refuses them on the staged copy.
    for (const [override, field] of [
      [{ level0CompactionTrigger: 1 }, 'level0_compaction_trigger'],
      [{ targetFileSize: 2 ** 31 }, 'target_file_size'],
      [{ cacheShare: 1 }, 'cache_share'],
    ] as const) {
      const lsm = { ...resolveLsmOptions({ writeBufferSize: 64 << 10 }), ...override };
      const error = await open(target, { restoreFrom: blob, lsm }).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message, field).toContain(field);
      expect(files(target)).toEqual(before);
    }
    // So is a timers option the backend refuses.
    await expect(open(target, { restoreFrom: blob, timers: 'disk' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(files(target)).toEqual(before);
    const reopened = await open(target);
    expect(reopened.valueState(TEXT).get('k')).toBe('original');
    await reopened.close();
  });

  it('refuses a restore source or checkpoint store of the wrong kind with InvalidArgumentError, opening nothing', async () => {
    const target = memoryStorage();
    for (const restoreFrom of ['backup.esckp', null, 42, {}, { store: {}, id: 'ckpt-0000000001' }, { store: memoryCheckpointStore(), id: 7 }]) {
      await expect(open(target, { restoreFrom: restoreFrom as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    for (const checkpoints of [{ store: {} }, { store: null }, { retain: 0 }, 'store']) {
      await expect(open(target, { checkpoints: checkpoints as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(target.vfs.list()).toEqual([]);
  });

  it('refuses checkpoint metadata that is not JSON, changing nothing: the next checkpoint takes the next id', async () => {
    const b = await open(memoryStorage());
    b.valueState(COUNT).put('a', 1);
    expect((await b.checkpoint()).id).toBe('ckpt-0000000001');
    for (const metadata of [{ n: 1n }, { f: () => 1 }, { when: new Date(0) }, [Number.NaN], { x: undefined }]) {
      await expect(b.checkpoint({ metadata })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect((await b.checkpoints()).map((r) => r.id)).toEqual(['ckpt-0000000001']);
    expect((await b.checkpoint({ metadata: { offset: 7 } })).id).toBe('ckpt-0000000002');
    await b.close();
  });

  it('a checkpoint is of one instant: what the job does right after calling checkpoint() is in it wholly, states and timers alike', async () => {
    for (const timers of ['lsm', 'heap'] as const) {
      const store = memoryCheckpointStore();
      const b = await open(memoryStorage(), { timers, checkpoints: { store } });
      const count = b.valueState(COUNT);
      const t = b.timers('w', { key: serde.string });
      t.registerEventTime('a', 10);
      const taking = b.checkpoint();
      // Before the checkpoint's first await completes: the timer leaves the engine at once, the
      // callback's write stays in the write-back cache.
      t.advanceWatermark(10, (timer) => count.put(timer.key, 1));
      const { id } = await taking;
      await b.close();
      const r = await open(memoryStorage(), { timers, restoreFrom: { store, id } });
      const again = r.timers('w', { key: serde.string });
      expect([r.valueState(COUNT).get('a'), again.size('event'), again.currentWatermark()]).toEqual([1, 0, 10]);
      await r.close();
    }
  });

  it('keeps a restored watermark in later checkpoints, also while its timer service is not asked for', async () => {
    const b1 = await open(memoryStorage());
    const t1 = b1.timers('w', { key: serde.string });
    t1.registerEventTime('a', 150);
    t1.advanceWatermark(100, () => undefined);
    const first = await b1.exportCheckpoint((await b1.checkpoint()).id);
    await b1.close();
    const b2 = await open(memoryStorage(), { restoreFrom: first });
    const second = await b2.exportCheckpoint((await b2.checkpoint()).id);
    await b2.close();
    const b3 = await open(memoryStorage(), { restoreFrom: second });
    const t3 = b3.timers('w', { key: serde.string });
    expect(t3.currentWatermark()).toBe(100);
    t3.registerEventTime('b', 95);
    const fired: string[] = [];
    t3.advanceWatermark(50, (timer) => fired.push(timer.key));
    expect(fired).toEqual(['b']);
    await b3.close();
  });

  it('a rescaling restore takes each timer service\'s lowest watermark, whatever the order of its sources', async () => {
    const halves = [keyGroupRangeForInstance(128, 2, 0), keyGroupRangeForInstance(128, 2, 1)];
    const blobs: Blob[] = [];
    for (const [i, keyGroups] of halves.entries()) {
      const b = await open(memoryStorage(), { keyGroups });
      const t = b.timers('w', { key: serde.string });
      const key = [...Array(200).keys()].map((n) => `k${n}`).find((k) => ownedBy(k, keyGroups))!;
      t.registerEventTime(key, 50);
      t.advanceWatermark(i === 0 ? 100 : 10, () => undefined);
      blobs.push(await b.exportCheckpoint((await b.checkpoint()).id));
      await b.close();
    }
    for (const order of [blobs, [...blobs].reverse()]) {
      const c = await open(memoryStorage(), { restoreFrom: order });
      const t = c.timers('w', { key: serde.string });
      expect(t.currentWatermark()).toBe(10);
      const fired: number[] = [];
      t.advanceWatermark(20, (timer) => fired.push(timer.timestamp));
      expect(fired).toEqual([]);
      t.advanceWatermark(50, (timer) => fired.push(timer.timestamp));
      expect(fired).toEqual([50]);
      await c.close();
    }
  });

  it('timers kept on the heap are lost on close: a reopen starts without the last checkpoint\'s', async () => {
    const storage = memoryStorage();
    const b = await open(storage, { timers: 'heap' });
    b.timers('w', { key: serde.string }).registerEventTime('a', 10);
    await b.checkpoint();
    const fired: string[] = [];
    b.timers('w', { key: serde.string }).advanceWatermark(20, (timer) => fired.push(timer.key));
    await b.close();
    const reopened = await open(storage, { timers: 'heap' });
    const t = reopened.timers('w', { key: serde.string });
    expect(t.size('event')).toBe(0);
    t.advanceWatermark(20, (timer) => fired.push(timer.key));
    expect(fired).toEqual(['a']);
    await reopened.close();
  });

  it('a damaged import fails with a typed error and leaves the target storage as it was', async () => {
    const b = await open(memoryStorage());
    for (let i = 0; i < 1500; i++) b.valueState(COUNT).put(`k${i}`, i);
    const good = new Uint8Array(await (await b.exportCheckpoint((await b.checkpoint()).id)).arrayBuffer());
    await b.close();
    const target = memoryStorage();
    const existing = await open(target);
    existing.valueState(COUNT).put('mine', 1);
    await existing.close();
    const before = files(target);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 0, max: good.length - 1 }).map((at) => good.slice(0, at)),
          fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
            const d = good.slice();
            d[at]! ^= 1 << bit;
            return d;
          }),
          fc.uint8Array({ maxLength: 200 }),
        ),
        async (damaged) => {
          const error = await open(target, { restoreFrom: damaged }).then(
            async (opened) => {
              await opened.close();
              return undefined;
            },
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(EdgestateError);
          expect(files(target)).toEqual(before);
        },
      ),
      { numRuns: 60 },
    );
    await expect(open(target, { restoreFrom: good.slice(0, 100) })).rejects.toBeInstanceOf(CheckpointFormatError);
    const reopened = await open(target);
    expect(reopened.valueState(COUNT).get('mine')).toBe(1);
    await reopened.close();
  });
});
