/**
 * One subject's results from several runs of some of its groups (the page runs each group in a
 * fresh worker, see StateRunSpec.groups), as one result of every group; and how the LSM
 * subject sums up its per-round write-back times.
 */
import type { StatePhaseId, StatePhaseResult, StateRunResult, StateRunSpec } from './state-protocol.js';

/**
 * The result of `spec` from `parts`, each the result of some of its groups: their phases and
 * rounds together, their notes once each (every part repeats the subject's own), isolated only
 * if every part was. Throws if two parts measured the same phase or saw different subjects.
 */
export function mergeStateResults(spec: StateRunSpec, parts: readonly StateRunResult[]): StateRunResult {
  const phases: Partial<Record<StatePhaseId, StatePhaseResult>> = {};
  const rounds: Record<string, number> = {};
  for (const part of parts) {
    if (part.spec.subject !== spec.subject) throw new Error(`state ${spec.subject}: a part measured ${part.spec.subject}`);
    for (const [id, phase] of Object.entries(part.phases) as Array<[StatePhaseId, StatePhaseResult]>) {
      if (phases[id] !== undefined) throw new Error(`state ${spec.subject}: ${id} measured twice`);
      phases[id] = phase;
    }
    Object.assign(rounds, part.rounds);
  }
  return {
    spec,
    detail: parts[0]?.detail ?? '',
    phases: phases as Record<StatePhaseId, StatePhaseResult>,
    notes: [...new Set(parts.flatMap((p) => p.notes))],
    rounds,
    isolated: parts.length > 0 && parts.every((p) => p.isolated === true),
  };
}

/** `min–max (median m)` of `times` in whole milliseconds, or the one time. */
export function spanOf(times: readonly number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const ms = (x: number | undefined): string => (x ?? 0).toFixed(0);
  if (sorted.length <= 1) return ms(sorted[0]);
  return `${ms(sorted[0])}–${ms(sorted[sorted.length - 1])} (median ${ms(sorted[sorted.length >> 1])})`;
}
