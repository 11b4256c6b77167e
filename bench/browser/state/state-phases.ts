/**
 * Runs one state subject through the phases of a {@link StateRunSpec} and times each: the
 * ValueState sets (small, then large), ListState, MapState, each on fresh states, each group
 * `spec.rounds[group]` times; a phase reports its fastest round.
 *
 * Invariants: the clock covers only the subject's loops (workload generation, opening and
 * closing are outside it; the LSM subject's yields in write phases are inside, see
 * state-subjects.ts); every phase returns a check value the runner compares across subjects.
 */
import { yieldToEventLoop } from '../contenders/event-loop.js';
import type { Progress } from '../phases.js';
import type { StateGroup, StatePhaseId, StatePhaseResult, StateRunResult, StateRunSpec } from './state-protocol.js';
import type { StateSubject } from './state-subjects.js';
import type { StateTarget } from './state-targets.js';
import type { StateWorkload } from './state-workload.js';

/**
 * Runs `slice(from, to)` over `[0, total)`, in slices of `every` with a yield to the event loop
 * between them, or in one slice when `every` is undefined; returns the sum of the slices' results.
 */
export async function inSlices(total: number, every: number | undefined, slice: (from: number, to: number) => number | void): Promise<number> {
  if (every === undefined) return slice(0, total) ?? 0;
  let sum = 0;
  for (let from = 0; from < total; from += every) {
    sum += slice(from, Math.min(from + every, total)) ?? 0;
    if (from + every < total) await yieldToEventLoop();
  }
  return sum;
}

/** Runs every phase on `subject` and returns the measurements. */
export async function runStatePhases(spec: StateRunSpec, w: StateWorkload, subject: StateSubject, progress: Progress): Promise<StateRunResult> {
  const phases: Partial<Record<StatePhaseId, StatePhaseResult>> = {};
  const rounds: Record<string, number> = {};
  /** The subject's yield interval in the current group's write phases. */
  let yieldEvery: number | undefined;
  const measure = async (id: StatePhaseId, ops: number, writes: boolean, slice: (from: number, to: number) => number | void): Promise<void> => {
    const start = performance.now();
    const check = await inSlices(ops, writes ? yieldEvery : undefined, slice);
    const ms = performance.now() - start;
    const best = phases[id];
    if (best !== undefined && best.check !== check) throw new Error(`state ${spec.subject}: ${id} returned ${check}, an earlier round ${best.check}`);
    // The fastest round counts: every subject gets the same rounds, and the slower ones measure
    // the machine's noise (JIT warm-up, GC of the previous group, neighbours) more than the code.
    if (best === undefined || ms < best.ms) phases[id] = { ops, ms, check };
    progress(`state ${spec.subject}: ${id} ${ops} ops in ${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms = ${ms > 0 ? Math.round((ops / ms) * 1000) : Infinity} ops/s`);
  };
  const withTarget = async (group: StateGroup, body: (t: StateTarget) => Promise<void>): Promise<void> => {
    if (spec.groups !== undefined && !spec.groups.includes(group)) return;
    yieldEvery = subject.yieldEvery(group);
    let round = 0;
    for (; round < spec.rounds[group]; round++) {
      const target = await subject.open(group);
      try {
        await body(target);
      } finally {
        await target.close();
      }
    }
    rounds[group] = round;
  };

  for (const [group, keys, gets, updates, ids] of [
    ['value-small', w.valueSmallKeys, w.valueSmallGets, w.valueSmallUpdates, ['valueSmallPut', 'valueSmallGet', 'valueSmallUpdate']],
    ['value-large', w.valueLargeKeys, w.valueLargeGets, w.valueLargeUpdates, ['valueLargePut', 'valueLargeGet', 'valueLargeUpdate']],
  ] as const) {
    await withTarget(group, async (t) => {
      await measure(ids[0], keys.length, true, (from, to) => t.valuePut(keys, from, to));
      await measure(ids[1], gets.length, false, (from, to) => t.valueGet(keys, gets, from, to));
      await measure(ids[2], updates.length, true, (from, to) => t.valueUpdate(keys, updates, from, to));
    });
  }
  await withTarget('list', async (t) => {
    await measure('listAdd', spec.listKeys * spec.listLength, true, (from, to) => t.listAdd(w.listKeys, from, to));
    await measure('listGet', w.listGets.length, false, (from, to) => t.listGet(w.listKeys, w.listGets, from, to));
  });
  await withTarget('map', async (t) => {
    await measure('mapPut', spec.mapKeys * spec.mapEntries, true, (from, to) => t.mapPut(w.mapKeys, from, to));
    await measure('mapGet', w.mapGetKeys.length, false, (from, to) => t.mapGet(w.mapKeys, w.mapGetKeys, w.mapGetEntries, from, to));
    await measure('mapIterate', w.mapIterations.length, false, (from, to) => t.mapIterate(w.mapKeys, w.mapIterations, from, to));
  });
  await subject.dispose();
  return {
    spec,
    detail: subject.detail,
    phases: phases as Record<StatePhaseId, StatePhaseResult>,
    notes: subject.notes,
    rounds,
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}
