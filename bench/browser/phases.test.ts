import { describe, expect, it } from 'vitest';
import type { Contender, Store } from './contenders/contender.js';
import { mapContender } from './contenders/map.js';
import { foldIndexes, runPhases } from './phases.js';
import type { RunSpec } from './protocol.js';
import { Workload } from './workload.js';

const spec: RunSpec = {
  contender: 'map',
  keys: 3000,
  seed: 11,
  perOpCap: 100,
  loadCap: 1000,
  batchSize: 64,
  gets: 2000,
  scans: 20,
  scanLength: 10,
  commits: 5,
};

/**
 * A transactional store kept in a sorted array, standing in for IndexedDB or sqlite: it records
 * what the harness asked of it, and throws on reads of keys it was never given.
 */
function recordingContender(): Contender & { readonly written: number[]; readonly read: number[] } {
  const written: number[] = [];
  const read: number[] = [];
  return {
    detail: 'recording',
    notes: [],
    perOpCapped: true,
    written,
    read,
    open(): Promise<Store> {
      const held = new Set<number>();
      const put = (i: number): void => {
        held.add(i);
        written.push(i);
      };
      return Promise.resolve({
        putOne(_w, count) {
          for (let i = 0; i < count; i++) put(i);
        },
        putBatch(_w, count) {
          for (let i = 0; i < count; i++) put(i);
        },
        makeDurable: () => Promise.resolve(),
        commitOne: (_w, i) => {
          if (!held.has(i)) throw new Error(`commit of key ${i}, never loaded`);
          return Promise.resolve();
        },
        get(_w, order) {
          for (const i of order) {
            if (!held.has(i)) throw new Error(`read of key ${i}, never loaded`);
            read.push(i);
          }
          return order.length;
        },
        scan(_w, starts, length) {
          return starts.length * length;
        },
        close: () => Promise.resolve(),
      });
    },
    dispose: () => Promise.resolve(),
  };
}

describe('runPhases', () => {
  it('runs a Map through puts and reads only, finding every key', async () => {
    const w = new Workload(spec);
    const result = await runPhases(spec, w, mapContender(), () => undefined);
    expect(Object.keys(result.phases).sort()).toEqual(['get', 'putOne']);
    expect(result.loaded).toBe(3000);
    expect(result.phases.putOne).toMatchObject({ ops: 3000, capped: false });
    expect(result.phases.get).toMatchObject({ ops: 2000, check: 2000, capped: false });
  });

  it('caps a transactional store at perOpCap and loadCap, and reads only the keys it loaded', async () => {
    const w = new Workload(spec);
    const contender = recordingContender();
    const result = await runPhases({ ...spec, contender: 'idb' }, w, contender, () => undefined);
    expect(result.loaded).toBe(1000);
    expect(result.phases.putOne).toMatchObject({ ops: 100, capped: true });
    expect(result.phases.putBatch).toMatchObject({ ops: 1000, capped: true });
    expect(result.phases.commit).toMatchObject({ ops: 5, capped: true });
    expect(result.phases.get).toMatchObject({ ops: 2000, check: 2000, capped: true });
    expect(result.phases.scan).toMatchObject({ ops: 20, check: 200, capped: true });
    expect(contender.written.length).toBe(1100);
    expect(Math.max(...contender.read)).toBeLessThan(1000);
  });

  it('reports progress for every phase it ran', async () => {
    const lines: string[] = [];
    await runPhases(spec, new Workload(spec), mapContender(), (line) => lines.push(line));
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['putOne', 'get']);
  });
});

describe('foldIndexes', () => {
  it('keeps indexes below the loaded count unchanged and folds the rest into range', () => {
    expect([...foldIndexes(Uint32Array.from([0, 5, 9, 10, 23]), 10)]).toEqual([0, 5, 9, 0, 3]);
  });
});
