import { describe, expect, it } from 'vitest';
import { CHECKPOINT_SECTION_TITLE, checkpointProblems, checkpointSection, checkpointTable, deltaRatio } from './checkpoint-report.mjs';

const measure = (ms, totalBytes, deltaBytes, files, incremental) => ({ ms, durationMs: ms - 1, incremental, totalBytes, deltaBytes, files });

function sample(deltaBytes = 3_000_000) {
  return {
    spec: { keys: 1_000_000, seed: 1, changeFraction: 0.01, verifyReads: 10_000, heap: true },
    detail: 'lsm on opfs',
    load: { keys: 1_000_000, ms: 90_000 },
    full: measure(2000, 120_000_000, 120_000_000, 20, false),
    change: { keys: 10_000, ms: 900 },
    incremental: measure(300, 121_000_000, deltaBytes, 22, true),
    exported: { ms: 50, bytes: 121_000_500 },
    restore: { ms: 8000, reads: 20_000, matched: 20_000 },
    heap: { loadMs: 3000, checkpoint: measure(9000, 118_000_000, 118_000_000, 3, false) },
    notes: ['a note'],
  };
}

describe('deltaRatio', () => {
  it('divides the incremental delta by the full checkpoint and checks the 5% target', () => {
    expect(deltaRatio(sample())).toEqual({ value: 0.025, goal: 0.05, met: true });
    expect(deltaRatio(sample(7_000_000)).met).toBe(false);
  });
});

describe('checkpointTable', () => {
  it('prints each step with its time and bytes and the delta verdict', () => {
    const table = checkpointTable(sample());
    expect(table).toContain('| full checkpoint | 2,000 ms | 120.0 MB in 20 files, 120.0 MB stored |');
    expect(table).toContain('| overwrite 10,000 keys (1.0%) | 900 ms | – |');
    expect(table).toContain('3.0 MB stored (2.5% of the full checkpoint; target ≤ 5.0%: **met**)');
    expect(table).toContain('| restore from the blob into a fresh OPFS database | 8,000 ms | 20,000 of 20,000 reads matched after |');
    expect(table).toContain('| heap backend: full checkpoint (snapshot) | 9,000 ms | 118.0 MB in 3 files |');
  });
});

describe('checkpointProblems', () => {
  it('flags a restore that did not read back what was written', () => {
    expect(checkpointProblems(sample())).toEqual([]);
    const bad = { ...sample(), restore: { ms: 1, reads: 20_000, matched: 19_999 } };
    expect(checkpointProblems(bad)).toEqual(['checkpoint: 19999 of 20000 reads of the restored state matched']);
  });
});

describe('checkpointSection', () => {
  it('starts with its heading and states the target, the heap comparison and the machine', () => {
    const section = checkpointSection({ meta: { date: '2030-01-01', machine: '2 cores', chromium: '156', load: [1, 2] }, checkpoint: sample() });
    expect(section.startsWith(`${CHECKPOINT_SECTION_TITLE}\n`)).toBe(true);
    expect(section).toContain('2.50% (target ≤ 5% when 1% of the keys changed: **met**)');
    expect(section).toContain("the heap backend's checkpoint is always a full snapshot: 118.0 MB and 9,000 ms");
    expect(section).toContain('Measured 2030-01-01 on 2 cores');
  });
});
