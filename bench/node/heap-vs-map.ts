/**
 * The keyed-state benchmark's heap and raw-Map subjects in Node: the loops of
 * bench/browser/state/state-targets.ts (`backendTarget`, `mapTarget`, imported: the same code
 * the browser bench times) over the workload of
 * bench/run-browser.mjs (`stateSpecFor`), timed per phase. Bundled and run by heap-vs-map.mjs;
 * Node's V8 is close to Chromium's, so the heap ÷ Map ratios it prints predict the browser
 * bench's (which stays the reference).
 *
 * Prints one JSON line: `{ map: {phase: bestMs}, heap: {phase: bestMs}, ops: {phase: n} }`,
 * the best (lowest) time of `rounds` rounds, map and heap alternating within a round.
 */
import { createStateBackend } from '../../web/src/state/index.js';
import { backendTarget, mapTarget, type StateTarget as Target } from '../browser/state/state-targets.js';
import { StateWorkload } from '../browser/state/state-workload.js';
import STATE_SIZES from '../browser/state/state-sizes.json';

/**
 * The workload of bench/run-browser.mjs (`stateSpecFor`): the same sizes file. The rounds this
 * entry runs come from its command line (the file's per-group rounds are the browser bench's).
 */
const SPEC = STATE_SIZES;

type Times = Record<string, number>;

/** `gc()` when Node runs with `--expose-gc`, else undefined. */
const collect = (globalThis as { gc?: () => void }).gc;

/** One pass of every phase on fresh targets (as bench/browser/state/state-phases.ts). */
async function runPhases(w: StateWorkload, open: () => Promise<Target>, times: Times, ops: Times, checks: Times): Promise<void> {
  const measure = (id: string, n: number, body: () => number | void): void => {
    // Under `--expose-gc` (heap-vs-map.mjs --gc), each phase starts from a collected heap.
    collect?.();
    const start = performance.now();
    const check = body() ?? 0;
    const ms = performance.now() - start;
    times[id] = Math.min(times[id] ?? Infinity, ms);
    ops[id] = n;
    checks[id] = check;
  };
  for (const [keys, gets, updates, ids] of [
    [w.valueSmallKeys, w.valueSmallGets, w.valueSmallUpdates, ['valueSmallPut', 'valueSmallGet', 'valueSmallUpdate']],
    [w.valueLargeKeys, w.valueLargeGets, w.valueLargeUpdates, ['valueLargePut', 'valueLargeGet', 'valueLargeUpdate']],
  ] as const) {
    const t = await open();
    measure(ids[0], keys.length, () => t.valuePut(keys, 0, keys.length));
    measure(ids[1], gets.length, () => t.valueGet(keys, gets, 0, gets.length));
    measure(ids[2], updates.length, () => t.valueUpdate(keys, updates, 0, updates.length));
    await t.close();
  }
  const list = await open();
  measure('listAdd', SPEC.listKeys * SPEC.listLength, () => list.listAdd(w.listKeys, 0, SPEC.listKeys * SPEC.listLength));
  measure('listGet', w.listGets.length, () => list.listGet(w.listKeys, w.listGets, 0, w.listGets.length));
  await list.close();
  const map = await open();
  measure('mapPut', SPEC.mapKeys * SPEC.mapEntries, () => map.mapPut(w.mapKeys, 0, SPEC.mapKeys * SPEC.mapEntries));
  measure('mapGet', w.mapGetKeys.length, () => map.mapGet(w.mapKeys, w.mapGetKeys, w.mapGetEntries, 0, w.mapGetKeys.length));
  measure('mapIterate', w.mapIterations.length, () => map.mapIterate(w.mapKeys, w.mapIterations, 0, w.mapIterations.length));
  await map.close();
}

/**
 * `rounds` rounds of every phase (of `only`'s subject, or both alternating), checked to agree:
 * `{ map: {phase: bestMs}, heap: {phase: bestMs}, ops: {phase: n} }`.
 */
async function measureAll(rounds: number, only: string | undefined): Promise<Record<string, Times>> {
  const w = new StateWorkload(SPEC);
  const subjects: Record<string, () => Promise<Target>> = {
    map: () => Promise.resolve(mapTarget()),
    heap: async () => backendTarget(await createStateBackend({ kind: 'heap' })),
  };
  const result: Record<string, Times> = { ops: {} };
  const checks: Record<string, Times> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [id, open] of Object.entries(subjects)) {
      if (only !== undefined && only !== id) continue;
      await runPhases(w, open, (result[id] ??= {}), result.ops!, (checks[id] ??= {}));
    }
  }
  // Both subjects must have done the same work.
  if (checks.map !== undefined && checks.heap !== undefined) {
    for (const [phase, check] of Object.entries(checks.map)) {
      if (checks.heap[phase] !== check) throw new Error(`${phase}: heap returned ${checks.heap[phase]}, map ${check}`);
    }
  }
  return result;
}

/** In a browser worker (heap-vs-map.mjs --browser): `[rounds, only]` in, the result or `{ error }` out. */
interface WorkerScope {
  onmessage: ((event: { data: [number, string | undefined] }) => void) | null;
  postMessage(message: unknown): void;
}

const worker = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === undefined ? undefined : (globalThis as unknown as WorkerScope);
if (worker !== undefined) {
  worker.onmessage = ({ data: [rounds, only] }) => {
    measureAll(rounds, only).then(
      (result) => worker.postMessage(result),
      (e: unknown) => worker.postMessage({ error: String(e instanceof Error ? e.stack : e) }),
    );
  };
} else {
  const argv = (globalThis as unknown as { process: { argv: string[] } }).process.argv;
  console.log(JSON.stringify(await measureAll(Number(argv[2] ?? 5), argv[3])));
}
