import { describe, expect, it } from 'vitest';
import { roundsText, shortPhasesNote, STATE_ROWS, stateInconsistencies, stateRatios, stateRatiosText, stateSection, stateTable, STATE_SECTION_TITLE } from './state-report.mjs';

const spec = (subject) => ({ subject, seed: 1, rounds: 1, valueSmallKeys: 10, valueLargeKeys: 100, valueOps: 1000, listKeys: 10, listLength: 100, listGets: 1000, mapKeys: 10, mapEntries: 100, mapGets: 1000, mapIterations: 1000 });

/** A result where every phase did 1,000 ops in `ms(id)` ms with the checks the workload implies. */
function result(subject, ms) {
  const phases = {};
  for (const row of STATE_ROWS) phases[row.id] = { ops: 1000, ms: ms(row.id), check: row.expected(spec(subject), 1000) };
  return { spec: spec(subject), detail: `${subject} detail`, notes: [`${subject} note`], phases };
}

function sampleRun() {
  return {
    meta: { date: '2030-01-01', machine: '2 cores', chromium: '156', load: [1, 2], stateLabels: { map: 'raw Map', heap: 'heap backend', 'lsm-opfs': 'LSM backend, OPFS' } },
    // Map 1,000,000 ops/s everywhere; heap 900,000/s (10/9 ms); LSM 450,000/s on value gets, 10,000/s elsewhere.
    stateResults: [result('map', () => 1), result('heap', () => 10 / 9), result('lsm-opfs', (id) => (id.startsWith('value') && id.endsWith('Get') ? 20 / 9 : 100))],
  };
}

describe('stateRatios', () => {
  it('divides heap by the raw Map and LSM by heap, with the LSM target only where the set fits the cache', () => {
    const rows = Object.fromEntries(stateRatios(sampleRun().stateResults).map((r) => [r.id, r]));
    expect(rows.valueSmallGet.heapVsMap.value).toBeCloseTo(0.9);
    expect(rows.valueSmallGet.heapVsMap.goal).toBe(0.8);
    expect(rows.valueSmallGet.lsmVsHeap).toEqual({ value: expect.closeTo(0.5), goal: 0.3 });
    expect(rows.valueLargeGet.lsmVsHeap.goal).toBeUndefined();
    expect(rows.listAdd.lsmVsHeap.value).toBeCloseTo(1 / 90);
  });
});

describe('stateTable and stateRatiosText', () => {
  it('prints ops/s per subject and the verdicts', () => {
    const table = stateTable(sampleRun());
    expect(table).toContain('| ValueState get, 10 keys | 1,000,000 | 900,000 | 450,000 | 0.90× **met** | 0.50× **met** |');
    expect(table).toContain('| ValueState get, 100 keys | 1,000,000 | 900,000 | 450,000 | 0.90× **met** | 0.50× |');
    expect(table).toContain('| ListState add, 10 lists | 1,000,000 | 900,000 | 10,000 | 0.90× **met** | 0.01× not met |');
  });

  it('tallies the targets and compares ListState with Flink', () => {
    const text = stateRatiosText(sampleRun());
    expect(text).toContain('heap ÷ raw Map ≥ 0.8×: met on 11 of 11 operations; lowest 0.90×');
    // Fits the cache: 3 small-value rows, 2 list rows, 3 map rows; only the small get meets 0.3×.
    expect(text).toContain('LSM ÷ heap ≥ 0.3× on working sets that fit the cache: met on 1 of 8 operations; lowest 0.01×');
    expect(text).toContain('ListState (100-element lists), LSM ÷ heap: add 0.01× (the heap backend 90.0× faster), get 0.01× (90.0× faster)');
  });
});

describe('stateInconsistencies', () => {
  it('passes a run where every subject found everything', () => {
    expect(stateInconsistencies(sampleRun().stateResults)).toEqual([]);
  });

  it('names a subject whose lists came back short or whose phase is missing', () => {
    const run = sampleRun();
    const lsm = run.stateResults[2];
    lsm.phases.listGet = { ...lsm.phases.listGet, check: 99_999 };
    delete lsm.phases.mapIterate;
    expect(stateInconsistencies(run.stateResults)).toEqual(['state lsm-opfs: listGet returned 99999, expected 100000', 'state lsm-opfs: mapIterate did not run']);
  });
});

describe('stateSection', () => {
  it('starts with its heading and carries the machine, the load, what ran and the notes', () => {
    const section = stateSection(sampleRun());
    expect(section.startsWith(`${STATE_SECTION_TITLE}\n`)).toBe(true);
    expect(section).toContain('Measured 2030-01-01 on 2 cores, Chromium 156');
    expect(section).toContain('Load average (1 min) 1.0 at the start, 2.0 at the end');
    expect(section).toContain('- heap backend: heap detail');
    expect(section).toContain('- lsm-opfs note');
  });
});

describe('shortPhasesNote', () => {
  it('counts the phases short enough for the clock resolution to matter, per subject', () => {
    const run = sampleRun();
    // The sample's Map phases take 1 ms, the heap's 1.1 ms, the LSM's two value gets 2.2 ms.
    expect(shortPhasesNote(run.stateResults)).toMatch(/^24 phases took under 20 ms \(map 11, heap 11, lsm-opfs 2; the shortest 1\.00 ms\): the page is not cross-origin isolated/);
    expect(shortPhasesNote([result('lsm-opfs', () => 100)])).toBeUndefined();
  });

  it('holds isolated workers, whose clock ticks in 5 µs steps, to 1 ms', () => {
    const isolated = sampleRun().stateResults.map((r) => ({ ...r, isolated: true }));
    expect(shortPhasesNote(isolated)).toBeUndefined(); // the shortest phase took 1 ms
    const faster = isolated.map((r) => (r.spec.subject === 'map' ? { ...r, phases: Object.fromEntries(Object.entries(r.phases).map(([id, p]) => [id, { ...p, ms: 0.5 }])) } : r));
    expect(shortPhasesNote(faster)).toMatch(/^11 phases took under 1 ms \(map 11; the shortest 0\.50 ms\): the page is cross-origin isolated/);
  });
});

describe('roundsText', () => {
  it('lists the rounds each subject ran per group, and says nothing for results without them', () => {
    const run = sampleRun();
    expect(roundsText(run.stateResults)).toBe('');
    const withRounds = run.stateResults.map((r, i) => ({ ...r, rounds: { 'value-small': 40 - i, 'value-large': 5, list: 40, map: 17 + i } }));
    expect(roundsText(withRounds)).toBe(' Rounds run (value-small / value-large / list / map): map 40 / 5 / 40 / 17; heap 39 / 5 / 40 / 18; lsm-opfs 38 / 5 / 40 / 19.');
    expect(stateSection({ ...run, stateResults: withRounds })).toContain('the same number of rounds for every subject');
    expect(stateSection({ ...run, stateResults: withRounds })).toContain(' Rounds run (value-small / value-large / list / map): map 40 / 5 / 40 / 17;');
  });
});
