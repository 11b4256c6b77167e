import { describe, expect, it } from 'vitest';
import { mergeStateResults, spanOf } from './state-merge.js';
import type { StateRunResult, StateRunSpec } from './state-protocol.js';

const spec = { subject: 'heap', seed: 1, rounds: { 'value-small': 1, 'value-large': 1, list: 1, map: 1 } } as unknown as StateRunSpec;
const phase = (ms: number) => ({ ops: 10, ms, check: 10 });

function part(groups: NonNullable<StateRunSpec['groups']>, phases: StateRunResult['phases'], notes: string[], rounds: Record<string, number>, isolated = true): StateRunResult {
  return { spec: { ...spec, groups }, detail: 'heap detail', phases, notes, rounds, isolated };
}

describe('mergeStateResults', () => {
  it("puts the groups' phases and rounds together and keeps each note once", () => {
    const merged = mergeStateResults(spec, [
      part(['list'], { listAdd: phase(1), listGet: phase(2) } as StateRunResult['phases'], ['shared', 'list written back in 3 ms'], { list: 40 }),
      part(['map'], { mapPut: phase(3) } as StateRunResult['phases'], ['shared', 'map written back in 4 ms'], { map: 17 }),
    ]);
    expect(merged.spec).toBe(spec);
    expect(merged.phases).toEqual({ listAdd: phase(1), listGet: phase(2), mapPut: phase(3) });
    expect(merged.rounds).toEqual({ list: 40, map: 17 });
    expect(merged.notes).toEqual(['shared', 'list written back in 3 ms', 'map written back in 4 ms']);
    expect(merged.isolated).toBe(true);
  });

  it('is isolated only if every part was', () => {
    const merged = mergeStateResults(spec, [part(['list'], {} as StateRunResult['phases'], [], {}), part(['map'], {} as StateRunResult['phases'], [], {}, false)]);
    expect(merged.isolated).toBe(false);
  });

  it('refuses a phase measured twice or a part of another subject', () => {
    const p = part(['list'], { listAdd: phase(1) } as StateRunResult['phases'], [], {});
    expect(() => mergeStateResults(spec, [p, p])).toThrow('listAdd measured twice');
    expect(() => mergeStateResults(spec, [{ ...p, spec: { ...p.spec, subject: 'map' } }])).toThrow('a part measured map');
  });
});

describe('spanOf', () => {
  it('gives the range and median of several times in whole ms, or the one time', () => {
    expect(spanOf([33.4, 12.2, 15.6, 13.1, 19])).toBe('12–33 (median 16)');
    expect(spanOf([2.4])).toBe('2');
  });
});
