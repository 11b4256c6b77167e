/**
 * Runs one contender through the phases of a {@link RunSpec} and times each. The order is fixed:
 * load one write per call into a fresh store, load in batches into another fresh store (the
 * store the later phases use), make the load durable, durable commits, point reads, scans.
 *
 * Store methods are closures over their store (never `this`), so they can be taken apart.
 *
 * Invariants: the clock covers only the contender's own loop (workload generation, store
 * opening and index remapping are outside it); reads and scans only ask for loaded keys; every
 * read phase returns a check value that the runner compares across contenders.
 */
import type { Contender, Store } from './contenders/contender.js';
import type { PhaseId, PhaseResult, RunResult, RunSpec } from './protocol.js';
import type { Workload } from './workload.js';

/** Reports progress to whoever watches (the page's console, forwarded by the runner). */
export type Progress = (text: string) => void;

async function timed(f: () => unknown): Promise<number> {
  const start = performance.now();
  await f();
  return performance.now() - start;
}

/** `indexes` folded into `[0, loaded)`: the same random draws, restricted to the keys a capped store holds. */
export function foldIndexes(indexes: Uint32Array, loaded: number): Uint32Array {
  return indexes.map((i) => i % loaded);
}

/** Runs every phase `contender` supports and returns the measurements. */
export async function runPhases(spec: RunSpec, w: Workload, contender: Contender, progress: Progress): Promise<RunResult> {
  const phases: Partial<Record<PhaseId, PhaseResult>> = {};
  const record = (id: PhaseId, result: PhaseResult): void => {
    phases[id] = result;
    const rate = result.ms > 0 ? Math.round((result.ops / result.ms) * 1000) : Infinity;
    progress(`${spec.contender} ${spec.keys}: ${id} ${result.ops} ops in ${result.ms.toFixed(0)} ms = ${rate} ops/s`);
  };

  const onePerCall = contender.perOpCapped ? Math.min(spec.perOpCap, w.count) : w.count;
  let store: Store = await contender.open('one', w);
  record('putOne', { ops: onePerCall, ms: await timed(() => store.putOne(w, onePerCall)), capped: onePerCall < w.count });

  let loaded = onePerCall;
  if (store.putBatch !== undefined) {
    await store.close();
    store = await contender.open('batch', w);
    const { putBatch } = store;
    if (putBatch === undefined) throw new Error(`${spec.contender}: its first store could batch, its second cannot`);
    loaded = contender.perOpCapped ? Math.min(spec.loadCap, w.count) : w.count;
    record('putBatch', { ops: loaded, ms: await timed(() => putBatch(w, loaded, spec.batchSize)), capped: loaded < w.count });
  }
  if (loaded < w.count && !contender.perOpCapped) throw new Error(`${spec.contender}: loaded ${loaded} of ${w.count} keys`);
  const capped = loaded < w.count;
  const [commitOrder, getOrder, scanStarts] = [w.commitOrder, w.getOrder, w.scanStarts].map((a) => (capped ? foldIndexes(a, loaded) : a)) as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];

  const { makeDurable, commitOne } = store;
  if (makeDurable !== undefined && commitOne !== undefined) {
    record('loadDurable', { ops: 1, ms: await timed(makeDurable), capped });
    const ms = await timed(async () => {
      for (const i of commitOrder) await commitOne(w, i);
    });
    record('commit', { ops: commitOrder.length, ms, capped });
  }

  let found = 0;
  const getMs = await timed(async () => {
    found = await store.get(w, getOrder);
  });
  record('get', { ops: getOrder.length, ms: getMs, capped, check: found });
  if (found !== getOrder.length) throw new Error(`${spec.contender}: get found ${found} of ${getOrder.length} existing keys`);

  const { scan } = store;
  if (scan !== undefined) {
    let entries = 0;
    const ms = await timed(async () => {
      entries = await scan(w, scanStarts, spec.scanLength);
    });
    record('scan', { ops: scanStarts.length, ms, capped, check: entries });
  }

  await store.close();
  await contender.dispose();
  return { spec, loaded, detail: contender.detail, phases, notes: contender.notes };
}
