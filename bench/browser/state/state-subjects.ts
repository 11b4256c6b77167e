/**
 * The backends under test behind one seam, {@link StateSubject}: the heap backend and the LSM
 * backend on OPFS (both through `createStateBackend`, the same code path for both), and a raw
 * `Map` doing the equivalent work by hand.
 *
 * Every method runs a whole slice `[from, to)` of a phase (the loop is inside, so the harness adds
 * nothing per call); methods are closures and never use `this`.
 *
 * Equivalent work, the raw `Map` baseline: ValueState is `Map<string, number>`; ListState is
 * `Map<string, number[]>` with `push` (its `get` returns the stored array, which later pushes
 * change — ListState's get returns a snapshot that never changes); MapState is
 * `Map<string, Map<number, number>>`. No
 * serialization, key groups or validation: what a user would write without a state backend.
 */
import { createStateBackend, opfsStorage, serde, type KeyedStateBackend } from '../../../web/src/index.js';
import { removeOpfsEntry } from '../contenders/opfs-files.js';
import { initialValue, listElement, mapValue } from './state-workload.js';
import type { StateSubjectId } from './state-protocol.js';

/** One group of states (a fresh backend, or fresh Maps) that the phases of one workload use. */
export interface StateTarget {
  /** ValueState `put(keys[i], initialValue(i))` for `i` in `[from, to)`. */
  valuePut(keys: readonly string[], from: number, to: number): void;
  /** ValueState `get(keys[order[j]])`; returns how many were found. */
  valueGet(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** ValueState `get` then `put(value + 1)` of `keys[order[j]]`; returns how many were found. */
  valueUpdate(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** ListState `add` number `j`: element `listElement(i, round)` to key `i = j mod keys`, `round = ⌊j / keys⌋`. */
  listAdd(keys: readonly string[], from: number, to: number): void;
  /** ListState `get(keys[order[j]])`; returns the elements returned in all. */
  listGet(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** MapState `put` number `j`: entry `e = ⌊j / keys⌋` of key `i = j mod keys`, value `mapValue(i, e)`. */
  mapPut(keys: readonly string[], from: number, to: number): void;
  /** MapState `get(keys[keyOrder[j]], entryOrder[j])`; returns how many were found. */
  mapGet(keys: readonly string[], keyOrder: Uint32Array, entryOrder: Uint32Array, from: number, to: number): number;
  /** MapState `entries(keys[order[j]])` iterated to the end; returns the entries seen in all. */
  mapIterate(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  close(): Promise<void>;
}

/** A backend under test. */
export interface StateSubject {
  /** What exactly runs. */
  readonly detail: string;
  /** Facts a reader needs beside the numbers. */
  readonly notes: readonly string[];
  /**
   * Writes between two yields to the event loop in write phases; `undefined`: never yields. The
   * LSM backend on OPFS yields so the OPFS pool can add file slots (see contenders/engine.ts).
   */
  readonly yieldEvery: number | undefined;
  /** Fresh, empty states for the workload group `group` (untimed). */
  open(group: string): Promise<StateTarget>;
  /** Removes everything stored (targets must be closed first). */
  dispose(): Promise<void>;
}

/**
 * The subject's states on `backend`. `beforeClose` runs first in `close()` (untimed by the
 * phases; the LSM subject times its write-back there).
 */
function backendTarget(backend: KeyedStateBackend, beforeClose?: () => void): StateTarget {
  const value = backend.valueState({ name: 'value', key: serde.string, value: serde.f64 });
  const list = backend.listState({ name: 'list', key: serde.string, value: serde.f64 });
  const map = backend.mapState({ name: 'map', key: serde.string, mapKey: serde.i32, value: serde.f64 });
  return {
    valuePut(keys, from, to) {
      for (let i = from; i < to; i++) value.put(keys[i] as string, initialValue(i));
    },
    valueGet(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (value.get(keys[order[j] as number] as string) !== undefined) found++;
      return found;
    },
    valueUpdate(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) {
        const key = keys[order[j] as number] as string;
        const v = value.get(key);
        if (v !== undefined) found++;
        value.put(key, (v ?? 0) + 1);
      }
      return found;
    },
    listAdd(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        list.add(keys[i] as string, listElement(i, Math.floor(j / n)));
      }
    },
    listGet(keys, order, from, to) {
      let elements = 0;
      for (let j = from; j < to; j++) elements += list.get(keys[order[j] as number] as string).length;
      return elements;
    },
    mapPut(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const e = Math.floor(j / n);
        map.put(keys[i] as string, e, mapValue(i, e));
      }
    },
    mapGet(keys, keyOrder, entryOrder, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (map.get(keys[keyOrder[j] as number] as string, entryOrder[j] as number) !== undefined) found++;
      return found;
    },
    mapIterate(keys, order, from, to) {
      let entries = 0;
      for (let j = from; j < to; j++) for (const _entry of map.entries(keys[order[j] as number] as string)) entries++;
      return entries;
    },
    close: () => {
      beforeClose?.();
      return backend.close();
    },
  };
}

function mapTarget(): StateTarget {
  const value = new Map<string, number>();
  const list = new Map<string, number[]>();
  const map = new Map<string, Map<number, number>>();
  return {
    valuePut(keys, from, to) {
      for (let i = from; i < to; i++) value.set(keys[i] as string, initialValue(i));
    },
    valueGet(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (value.get(keys[order[j] as number] as string) !== undefined) found++;
      return found;
    },
    valueUpdate(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) {
        const key = keys[order[j] as number] as string;
        const v = value.get(key);
        if (v !== undefined) found++;
        value.set(key, (v ?? 0) + 1);
      }
      return found;
    },
    listAdd(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const key = keys[i] as string;
        let elements = list.get(key);
        if (elements === undefined) list.set(key, (elements = []));
        elements.push(listElement(i, Math.floor(j / n)));
      }
    },
    listGet(keys, order, from, to) {
      let elements = 0;
      for (let j = from; j < to; j++) elements += list.get(keys[order[j] as number] as string)?.length ?? 0;
      return elements;
    },
    mapPut(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const e = Math.floor(j / n);
        const key = keys[i] as string;
        let entries = map.get(key);
        if (entries === undefined) map.set(key, (entries = new Map()));
        entries.set(e, mapValue(i, e));
      }
    },
    mapGet(keys, keyOrder, entryOrder, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (map.get(keys[keyOrder[j] as number] as string)?.get(entryOrder[j] as number) !== undefined) found++;
      return found;
    },
    mapIterate(keys, order, from, to) {
      let entries = 0;
      for (let j = from; j < to; j++) {
        const m = map.get(keys[order[j] as number] as string);
        if (m !== undefined) for (const _entry of m.entries()) entries++;
      }
      return entries;
    },
    close: () => Promise.resolve(),
  };
}

/** Where the LSM subject's databases live: `opfsStorage('bench-state/<group>')`. */
const OPFS_DIR = 'bench-state';
/** `opfsStorage`'s `spareSlots` (as the engine contender's bulk loads). */
const SPARE_SLOTS = 64;
/** The LSM subject's cacheEntries for the list and map groups: their working sets (1,000 keys × 100) fit. */
const LIST_MAP_CACHE_ENTRIES = 250_000;
/** Writes between yields of the LSM subject (as the engine contender). */
const LSM_YIELD_EVERY = 1000;

/** Creates the subject `id`. */
export function stateSubject(id: StateSubjectId): StateSubject {
  switch (id) {
    case 'map':
      return {
        detail: 'Map<string, number>, Map<string, number[]>, Map<string, Map<number, number>> in the worker',
        notes: ["raw Map: no serialization, key groups or validation; its list get returns the stored array, which later pushes change (ListState's get returns a snapshot that never changes: the backends copy on the next write)"],
        yieldEvery: undefined,
        open: () => Promise.resolve(mapTarget()),
        dispose: () => Promise.resolve(),
      };
    case 'heap':
      return {
        detail: "createStateBackend({ kind: 'heap' }) defaults (maxParallelism 128, no memory budget)",
        notes: [],
        yieldEvery: undefined,
        open: async () => backendTarget(await createStateBackend({ kind: 'heap' })),
        dispose: () => Promise.resolve(),
      };
    case 'lsm-opfs': {
      const writeBackMs = new Map<string, number[]>();
      const notes = [
        `LSM backend: its write-back cache holds deserialized state per state (cacheEntries; a list element or map entry counts as one): the small ValueState set fits the default 10,000, the large one does not; the list and map groups (${LIST_MAP_CACHE_ENTRIES.toLocaleString('en-US')} entries) fit the cache they are given — the issue's condition "a working set that fits the cache"`,
        'LSM backend: cached writes reach the engine when a dirty entry is evicted (all dirty entries in one batch), at iteration, metrics, checkpoint and close; what each group leaves is written back before its close and timed (notes below)',
        `LSM backend write phases yield to the event loop every ${LSM_YIELD_EVERY} writes (inside the clock), as the engine contender does, so the OPFS pool can add file slots`,
      ];
      return {
        detail: `createStateBackend({ kind: 'lsm', storage: opfsStorage(name, { spareSlots: ${SPARE_SLOTS} }) }), default profile; write-back cache: default cacheEntries (10,000 per state) for the ValueState groups, ${LIST_MAP_CACHE_ENTRIES.toLocaleString('en-US')} for the list and map groups`,
        notes,
        yieldEvery: LSM_YIELD_EVERY,
        async open(group: string): Promise<StateTarget> {
          await removeOpfsEntry(['edgestate', OPFS_DIR, group]);
          const cacheEntries = group === 'list' || group === 'map' ? LIST_MAP_CACHE_ENTRIES : undefined;
          const backend = await createStateBackend({
            kind: 'lsm',
            storage: opfsStorage(`${OPFS_DIR}/${group}`, { spareSlots: SPARE_SLOTS }),
            ...(cacheEntries === undefined ? {} : { cacheEntries }),
          });
          // What the phases left in the write-back caches, written to the engine in one batch:
          // the deferred cost of the cached writes, reported beside the phases (metrics() writes
          // back first, see lsm-backend.ts).
          return backendTarget(backend, () => {
            const start = performance.now();
            backend.metrics();
            writeBackMs.set(group, [...(writeBackMs.get(group) ?? []), performance.now() - start]);
          });
        },
        async dispose() {
          for (const [group, times] of writeBackMs) {
            notes.push(`LSM backend: writing back what the "${group}" group's phases left in the caches took ${times.map((ms) => ms.toFixed(0)).join(' / ')} ms in its rounds (outside the phase clocks)`);
          }
          await removeOpfsEntry(['edgestate', OPFS_DIR]);
        },
      };
    }
  }
}
