import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../checkpoint/checkpoint-errors.js';
import { InvalidArgumentError } from '../errors.js';
import { memoryStorage } from '../storage/memory.js';
import { ManualClock } from './clock.js';
import { createStateBackend, resolveCommonOptions, resolveLsmBackendOptions } from './create.js';
import { LsmStateBackend } from './lsm/lsm-backend.js';
import { serde } from './serde/index.js';
import type { KeyedStateBackend } from './types.js';

describe('createStateBackend', () => {
  it('opens a heap backend owning every key group by default', async () => {
    const b = await createStateBackend({ kind: 'heap' });
    expect([b.kind, b.maxParallelism, b.keyGroupRange]).toEqual(['heap', 128, { from: 0, to: 127 }]);
    await b.close();
  });

  it('refuses bad kinds, parallelism, ranges, clocks and budgets', async () => {
    await expect(createStateBackend({ kind: 'rocks' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStateBackend({ kind: 'heap', maxParallelism: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStateBackend({ kind: 'heap', maxParallelism: 8, keyGroups: { from: 0, to: 8 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(createStateBackend({ kind: 'heap', clock: {} as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStateBackend({ kind: 'heap', memoryBudget: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('reports state reads and writes only with statistics on, the same counts on both backends', async () => {
    await expect(createStateBackend({ kind: 'heap', statistics: 'yes' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    const wasm = readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));
    // LsmStateBackend.open is public too, and checks it before opening anything.
    const settings = { ...resolveLsmBackendOptions({ kind: 'lsm', storage: memoryStorage(), wasm }), statistics: 'yes' as never };
    await expect(LsmStateBackend.open(settings)).rejects.toBeInstanceOf(InvalidArgumentError);
    const exercise = (b: KeyedStateBackend): void => {
      const v = b.valueState({ name: 'v', key: serde.string, value: serde.f64 });
      const l = b.listState({ name: 'l', key: serde.string, value: serde.f64 });
      const m = b.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: serde.f64 });
      v.put('a', 1);
      v.get('a');
      v.get('b');
      l.add('a', 1);
      l.get('a');
      m.put('a', 1, 1);
      m.get('a', 1);
    };
    for (const open of [
      (statistics: boolean) => createStateBackend({ kind: 'heap', statistics }),
      (statistics: boolean) => createStateBackend({ kind: 'lsm', storage: memoryStorage(), wasm, statistics }),
    ]) {
      const counted = await open(true);
      exercise(counted);
      expect(counted.metrics()).toMatchObject({ reads: 4, writes: 3 });
      await counted.close();
      const plain = await open(false);
      exercise(plain);
      const metrics = plain.metrics();
      expect([metrics.reads, metrics.writes]).toEqual([undefined, undefined]);
      await plain.close();
    }
  });

  it("validates kind 'lsm' options, then opens the engine", async () => {
    await expect(createStateBackend({ kind: 'lsm' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(createStateBackend({ kind: 'lsm', storage: memoryStorage(), options: { blockSize: 1 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const wasm = readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));
    const lsm = await createStateBackend({ kind: 'lsm', storage: memoryStorage(), wasm });
    expect(lsm.kind).toBe('lsm');
    lsm.valueState({ name: 'v', key: serde.string, value: serde.i32 }).put('k', 1);
    expect(lsm.valueState({ name: 'v', key: serde.string, value: serde.i32 }).get('k')).toBe(1);
    await lsm.close();
  });

  it("refuses a heap backend's checkpoint retention below 1 and a restore source that is no checkpoint", async () => {
    await expect(createStateBackend({ kind: 'heap', checkpoints: { retain: 0 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    const wasm = readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));
    await expect(createStateBackend({ kind: 'heap', wasm, restoreFrom: new Uint8Array(64) })).rejects.toBeInstanceOf(CheckpointFormatError);
  });

  it('opens a heap backend from a checkpoint of another heap backend', async () => {
    const wasm = readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));
    const V = { name: 'v', key: serde.string, value: serde.i32 } as const;
    const a = await createStateBackend({ kind: 'heap', wasm });
    a.valueState(V).put('k', 7);
    const blob = await a.exportCheckpoint((await a.checkpoint({ metadata: { at: 1 } })).id);
    const b = await createStateBackend({ kind: 'heap', wasm, restoreFrom: blob });
    expect([b.valueState(V).get('k'), b.restoredMetadata]).toEqual([7, { at: 1 }]);
    await Promise.all([a.close(), b.close()]);
  });

  it('uses the given clock for TTL', async () => {
    const clock = new ManualClock(0);
    const b = await createStateBackend({ kind: 'heap', clock });
    const v = b.valueState({ name: 'v', key: serde.string, value: serde.i32, ttl: { ttl: 5 } });
    v.put('k', 1);
    clock.advance(5);
    expect(v.get('k')).toBeUndefined();
  });

  it('defaults the clock to a monotonic system clock', () => {
    const { clock } = resolveCommonOptions({});
    const a = clock.now();
    expect(clock.now()).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - Date.now())).toBeLessThan(1000);
  });
});

describe('ManualClock', () => {
  it('moves only forward, by hand', () => {
    const c = new ManualClock(10);
    c.advance(5);
    c.set(20);
    expect(c.now()).toBe(20);
    expect(() => c.set(19)).toThrow(InvalidArgumentError);
    expect(() => c.advance(-1)).toThrow(InvalidArgumentError);
  });
});
