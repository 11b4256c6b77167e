/**
 * The checkpoint benchmark: the LSM backend on OPFS holding `keys` entries (16-byte keys,
 * 100-byte values, in one ValueState with `serde.bytes`), checkpointed into an OPFS checkpoint
 * store; `changeFraction` of the keys overwritten and checkpointed again (incrementally); the
 * incremental checkpoint exported as one blob and restored from it into a fresh OPFS database,
 * staged on OPFS (so memory stays bounded); then, optionally, the heap backend with the same
 * data and its full checkpoint.
 *
 * Invariants: only the measured call is inside each clock; the restored state is read back
 * (every changed key and `verifyReads` random keys) and a mismatch fails the run.
 */
import { createStateBackend, opfsCheckpointStore, opfsStorage, serde, type KeyedStateBackend, type ValueState } from '../../../web/src/index.js';
import { yieldToEventLoop } from '../contenders/event-loop.js';
import { removeOpfsEntry } from '../contenders/opfs-files.js';
import type { Progress } from '../phases.js';
import { Prng, VALUE_SIZE, Workload } from '../workload.js';
import { changedCount, distinctIndexes } from './changes.js';
import type { CheckpointMeasure, CheckpointRunResult, CheckpointRunSpec } from './checkpoint-protocol.js';

/** OPFS directories: `edgestate/bench-checkpoint/*` (databases), `edgestate-checkpoints/bench-checkpoint*` (stores). */
const DB_DIR = 'bench-checkpoint';
const LSM_STORE = 'bench-checkpoint';
const HEAP_STORE = 'bench-checkpoint-heap';
const SPARE_SLOTS = 64;
/** Writes between yields to the event loop (as the engine contender; inside the load clock). */
const YIELD_EVERY = 1000;

async function removeAll(): Promise<void> {
  await removeOpfsEntry(['edgestate', DB_DIR]);
  await removeOpfsEntry(['edgestate-checkpoints', LSM_STORE]);
  await removeOpfsEntry(['edgestate-checkpoints', HEAP_STORE]);
}

function valueState(backend: KeyedStateBackend): ValueState<Uint8Array, Uint8Array> {
  return backend.valueState({ name: 'value', key: serde.bytes, value: serde.bytes });
}

/** Puts `value(i)` for key `i` of each index, yielding every {@link YIELD_EVERY}; returns the ms. */
async function putAll(state: ValueState<Uint8Array, Uint8Array>, count: number, key: (i: number) => Uint8Array, value: (i: number) => Uint8Array): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < count; from += YIELD_EVERY) {
    const to = Math.min(from + YIELD_EVERY, count);
    for (let i = from; i < to; i++) state.put(key(i), value(i));
    await yieldToEventLoop();
  }
  return performance.now() - start;
}

async function measureCheckpoint(backend: KeyedStateBackend): Promise<CheckpointMeasure> {
  const start = performance.now();
  const record = await backend.checkpoint();
  const ms = performance.now() - start;
  return { ms, durationMs: record.durationMs, incremental: record.incremental, totalBytes: record.totalBytes, deltaBytes: record.deltaBytes, files: record.files.length };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Runs the checkpoint benchmark of `spec`. */
export async function runCheckpointBench(spec: CheckpointRunSpec, progress: Progress): Promise<CheckpointRunResult> {
  const w = new Workload({ keys: spec.keys, seed: spec.seed, gets: 0, scans: 0, commits: 0 });
  const prng = new Prng(spec.seed ^ 0x5eed);
  const changed = distinctIndexes(prng, changedCount(spec.keys, spec.changeFraction), spec.keys);
  const newValues = new Uint8Array(changed.length * VALUE_SIZE);
  prng.fill(newValues);
  const newValue = (j: number): Uint8Array => newValues.subarray(j * VALUE_SIZE, (j + 1) * VALUE_SIZE);
  /** What key `i` holds after the changes. */
  const expected = new Map<number, Uint8Array>();
  changed.forEach((i, j) => expected.set(i, newValue(j)));
  const verify = distinctIndexes(prng, Math.min(spec.verifyReads, spec.keys), spec.keys);

  await removeAll();
  const say = (text: string): void => progress(`checkpoint ${spec.keys}: ${text}`);
  const lsm = await createStateBackend({
    kind: 'lsm',
    storage: opfsStorage(`${DB_DIR}/live`, { spareSlots: SPARE_SLOTS }),
    checkpoints: { store: opfsCheckpointStore(LSM_STORE), retain: 3 },
  });
  let result: Omit<CheckpointRunResult, 'heap' | 'notes' | 'detail' | 'spec'>;
  try {
    const state = valueState(lsm);
    const loadMs = await putAll(state, spec.keys, (i) => w.key(i), (i) => w.value(i));
    say(`loaded in ${loadMs.toFixed(0)} ms`);
    const full = await measureCheckpoint(lsm);
    say(`full checkpoint ${full.ms.toFixed(0)} ms, ${mb(full.totalBytes)} total, ${mb(full.deltaBytes)} stored`);
    const changeMs = await putAll(state, changed.length, (j) => w.key(changed[j] as number), newValue);
    const incremental = await measureCheckpoint(lsm);
    say(`incremental checkpoint ${incremental.ms.toFixed(0)} ms, ${mb(incremental.totalBytes)} total, ${mb(incremental.deltaBytes)} stored`);
    const records = await lsm.checkpoints();
    const last = records.at(-1);
    if (last === undefined) throw new Error('no retained checkpoint after two checkpoints');
    const exportStart = performance.now();
    const blob = await lsm.exportCheckpoint(last.id);
    const exportMs = performance.now() - exportStart;
    say(`exported ${mb(blob.size)} in ${exportMs.toFixed(0)} ms`);

    const restoreStart = performance.now();
    const restored = await createStateBackend({
      kind: 'lsm',
      storage: opfsStorage(`${DB_DIR}/restored`, { spareSlots: SPARE_SLOTS }),
      restoreFrom: blob,
      restoreStaging: opfsStorage(`${DB_DIR}/staging`, { spareSlots: SPARE_SLOTS }),
    });
    const restoredState = valueState(restored);
    const restoreMs = performance.now() - restoreStart;
    let reads = 0;
    let matched = 0;
    try {
      for (const indexes of [changed, verify]) {
        for (const i of indexes) {
          reads++;
          if (sameBytes(restoredState.get(w.key(i)), expected.get(i) ?? w.value(i))) matched++;
        }
      }
    } finally {
      await restored.close();
    }
    say(`restored in ${restoreMs.toFixed(0)} ms; ${matched} of ${reads} reads matched`);
    if (matched !== reads) throw new Error(`restored state differs: ${reads - matched} of ${reads} reads did not match`);
    result = {
      load: { keys: spec.keys, ms: loadMs },
      full,
      change: { keys: changed.length, ms: changeMs },
      incremental,
      exported: { ms: exportMs, bytes: blob.size },
      restore: { ms: restoreMs, reads, matched },
    };
  } finally {
    await lsm.close();
  }

  let heap: CheckpointRunResult['heap'];
  if (spec.heap) {
    const backend = await createStateBackend({ kind: 'heap', checkpoints: { store: opfsCheckpointStore(HEAP_STORE), retain: 1 } });
    try {
      const loadMs = await putAll(valueState(backend), spec.keys, (i) => w.key(i), (i) => w.value(i));
      const checkpoint = await measureCheckpoint(backend);
      say(`heap: loaded in ${loadMs.toFixed(0)} ms, full checkpoint ${checkpoint.ms.toFixed(0)} ms, ${mb(checkpoint.totalBytes)}`);
      heap = { loadMs, checkpoint };
    } finally {
      await backend.close();
    }
  }
  await removeAll();
  return {
    spec,
    detail:
      `createStateBackend({ kind: 'lsm', storage: opfsStorage(name, { spareSlots: ${SPARE_SLOTS} }), checkpoints: { store: opfsCheckpointStore(name), retain: 3 } }), default profile; ` +
      `one ValueState<Uint8Array, Uint8Array> (serde.bytes); restore: restoreFrom the exported blob into opfsStorage, restoreStaging opfsStorage`,
    ...result,
    ...(heap !== undefined && { heap }),
    notes: [
      `load and change phases: one ValueState put per key, yielding to the event loop every ${YIELD_EVERY} puts`,
      'checkpoint ms: wall time of await backend.checkpoint() (flush, upload of new tables into the OPFS checkpoint store, record, retention and garbage collection)',
      'restore ms: createStateBackend with restoreFrom (checks the blob: checksums, then opens and verifies the staged database, then moves it into place) until the state is registered',
    ],
  };
}
