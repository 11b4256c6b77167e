/**
 * The backends under test behind one seam, {@link StateSubject}: the heap backend and the LSM
 * backend on OPFS (both through `createStateBackend`, the same code path for both), and a raw
 * `Map` doing the equivalent work by hand; the loops themselves are in state-targets.ts.
 */
import { createStateBackend, opfsStorage } from '../../../web/src/index.js';
import { removeOpfsEntry } from '../contenders/opfs-files.js';
import { spanOf } from './state-merge.js';
import type { StateGroup, StateSubjectId } from './state-protocol.js';
import { backendTarget, mapTarget, type StateTarget } from './state-targets.js';

/** A backend under test. */
export interface StateSubject {
  /** What exactly runs. */
  readonly detail: string;
  /** Facts a reader needs beside the numbers. */
  readonly notes: readonly string[];
  /**
   * Writes between two yields to the event loop in group `group`'s write phases; `undefined`:
   * never yields. The LSM backend on OPFS yields where its writes reach the engine, so the OPFS
   * pool can add file slots (see contenders/engine.ts).
   */
  yieldEvery(group: StateGroup): number | undefined;
  /** Fresh, empty states for the workload group `group` (untimed). */
  open(group: StateGroup): Promise<StateTarget>;
  /** Removes everything stored (targets must be closed first). */
  dispose(): Promise<void>;
}

/** Where the LSM subject's databases live: `opfsStorage('bench-state/<group>')`. */
const OPFS_DIR = 'bench-state';
/** `opfsStorage`'s `spareSlots` (as the engine contender's bulk loads). */
const SPARE_SLOTS = 64;
/** The LSM subject's cacheEntries for the list and map groups: their working sets (1,000 keys × 100) fit. */
const LIST_MAP_CACHE_ENTRIES = 250_000;
/**
 * The LSM subject's groups given {@link LIST_MAP_CACHE_ENTRIES}, which their working sets fit,
 * so their writes stay in the write-back cache during the phases: nothing reaches the engine until the
 * write-back before close, outside the clock, so no file slot can be needed and they do not
 * yield. A yield there timed only the event loop's round trip — 20–30% of the cached ListState
 * add and MapState put phases on a busy 2-core host (2026-11-30).
 */
const CACHED_GROUPS: ReadonlySet<StateGroup> = new Set(['list', 'map']);
/**
 * Writes between yields of the LSM subject, so that the OPFS pool can add file slots (created
 * asynchronously). 10,000 writes fill far less than one 4 MiB write buffer, so the 64 spare
 * slots cannot run out between yields. Every 1,000 (as the engine contender) cost ~10–15% of a
 * cached ListState add phase: a yield is a MessageChannel round trip of tens of µs, inside the
 * clock.
 */
const LSM_YIELD_EVERY = 10_000;

/** Creates the subject `id`. */
export function stateSubject(id: StateSubjectId): StateSubject {
  switch (id) {
    case 'map':
      return {
        detail: 'Map<string, number>, Map<string, number[]>, Map<string, Map<number, number>> in the worker',
        notes: ["raw Map: no serialization, key groups or validation; its list get returns the stored array, which later pushes change (ListState's get returns a snapshot that never changes: the backends copy on the next write)"],
        yieldEvery: () => undefined,
        open: () => Promise.resolve(mapTarget()),
        dispose: () => Promise.resolve(),
      };
    case 'heap':
      return {
        detail: "createStateBackend({ kind: 'heap' }) defaults (maxParallelism 128, no memory budget)",
        notes: [],
        yieldEvery: () => undefined,
        open: async () => backendTarget(await createStateBackend({ kind: 'heap' })),
        dispose: () => Promise.resolve(),
      };
    case 'lsm-opfs': {
      const writeBackMs = new Map<string, number[]>();
      const notes = [
        `LSM backend: its write-back cache holds deserialized state per state (cacheEntries; a list element or map entry counts as one): the small ValueState set fits the default 10,000, the large one does not; the list and map groups (${LIST_MAP_CACHE_ENTRIES.toLocaleString('en-US')} entries) fit the cache they are given — the issue's condition "a working set that fits the cache"`,
        'LSM backend: cached writes reach the engine when a dirty entry is evicted (all dirty entries in one batch), at iteration, metrics, checkpoint and close; what each group leaves is written back before its close and timed (notes below)',
        `LSM backend write phases of the ValueState groups yield to the event loop every ${LSM_YIELD_EVERY.toLocaleString('en-US')} writes (inside the clock), so the OPFS pool can add file slots; the list and map groups' writes stay in the cache, reach no file during the phases, and do not yield`,
      ];
      return {
        detail: `createStateBackend({ kind: 'lsm', storage: opfsStorage(name, { spareSlots: ${SPARE_SLOTS} }) }), default profile; write-back cache: default cacheEntries (10,000 per state) for the ValueState groups, ${LIST_MAP_CACHE_ENTRIES.toLocaleString('en-US')} for the list and map groups`,
        notes,
        yieldEvery: (group) => (CACHED_GROUPS.has(group) ? undefined : LSM_YIELD_EVERY),
        async open(group: StateGroup): Promise<StateTarget> {
          await removeOpfsEntry(['edgestate', OPFS_DIR, group]);
          const cacheEntries = CACHED_GROUPS.has(group) ? LIST_MAP_CACHE_ENTRIES : undefined;
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
            notes.push(`LSM backend: writing back what the "${group}" group's phases left in the caches took ${spanOf(times)} ms over its ${times.length} rounds (outside the phase clocks)`);
          }
          await removeOpfsEntry(['edgestate', OPFS_DIR]);
        },
      };
    }
  }
}
