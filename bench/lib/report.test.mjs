import { describe, expect, it } from 'vitest';
import { parseDbBench } from './native.mjs';
import { inconsistencies, limits, markdownSection, ratios, ratiosTable, replaceSection, resultsTable, SECTION_TITLE } from './report.mjs';

const spec = (contender, keys = 1000) => ({ contender, keys, seed: 1, perOpCap: 100, loadCap: 1000, batchSize: 10, gets: 1000, scans: 10, scanLength: 100, commits: 5 });
const LABELS = { 'engine-opfs': 'edgestate engine, OPFS', 'engine-memory': 'edgestate engine, memory', idb: 'IndexedDB (idb)', 'sqlite-sahpool': 'sqlite-wasm, opfs-sahpool', map: 'Map' };
const phase = (ops, ms, extra = {}) => ({ ops, ms, capped: false, ...extra });

function sampleRun() {
  return {
    meta: { date: '2030-01-01', machine: '2 cores', chromium: '156', rocksdb: '7.8.3-2', seed: 1, perOpCap: 100, loadCap: 1000, batchSize: 10, load: [0.5, 1.25], labels: LABELS },
    native: { 1000: { fillrandom: 100_000, readrandom: 200_000 } },
    results: [
      {
        spec: spec('engine-opfs'),
        loaded: 1000,
        detail: 'engine',
        notes: ['engine note'],
        phases: { putOne: phase(1000, 2), putBatch: phase(1000, 1), get: phase(1000, 1, { check: 1000 }), scan: phase(10, 1, { check: 990 }) },
      },
      {
        spec: spec('idb'),
        loaded: 1000,
        detail: 'idb',
        notes: ['idb note'],
        phases: { putOne: { ops: 100, ms: 100, capped: true }, putBatch: phase(1000, 100), get: phase(1000, 10, { check: 1000 }), scan: phase(10, 10, { check: 990 }) },
      },
      { spec: spec('sqlite-sahpool'), loaded: 1000, detail: 'sqlite', notes: [], phases: { get: phase(1000, 50, { check: 1000 }) } },
    ],
  };
}

describe('ratios', () => {
  it('divides the engine on OPFS by each reference and states the issue-4 goals', () => {
    const byName = Object.fromEntries(ratios(sampleRun(), 1000).map((r) => [r.name, r]));
    // engine put 500k/s; IndexedDB batched 10k/s; fillrandom 100k/s; sqlite get 20k/s; readrandom 200k/s.
    expect(byName['engine OPFS put ÷ IndexedDB batched put']).toEqual({ name: 'engine OPFS put ÷ IndexedDB batched put', value: 50, goal: 20 });
    expect(byName['engine OPFS put ÷ native RocksDB fillrandom']?.value).toBeCloseTo(5);
    expect(byName['engine OPFS get ÷ sqlite-wasm sahpool get']?.value).toBeCloseTo(50);
    expect(byName['engine OPFS get ÷ native RocksDB readrandom']?.value).toBeCloseTo(5);
    expect(byName['engine memory put ÷ Map set']?.value).toBeUndefined();
  });

  it('prints met and not met against the goals, and n/a for what did not run', () => {
    const table = ratiosTable(sampleRun(), 1000);
    expect(table).toContain('| engine OPFS put ÷ IndexedDB batched put | 50.0× | ≥ 20× | **met** |');
    expect(table).toContain('| engine OPFS get ÷ sqlite-wasm sahpool get | 50.0× | ≥ 100× | not met |');
    expect(table).toContain('| engine memory get ÷ Map get | n/a |  |  |');
  });
});

describe('limits', () => {
  it('works out what the get target against sqlite would take, compared with a Map', () => {
    const run = sampleRun();
    run.results.push({ spec: spec('map'), loaded: 1000, detail: 'map', notes: [], phases: { putOne: phase(1000, 1), get: phase(1000, 1, { check: 1000 }) } });
    // sqlite 20,000 gets/s: 100× is 2,000,000/s, above the Map's 1,000,000/s.
    const line = limits(run, 1000).find((l) => l.startsWith('get ≥ 100× sqlite'));
    expect(line).toBe(
      'get ≥ 100× sqlite: sqlite-wasm reads 20,000/s (50.0 µs per get), so the target means 2,000,000/s, more than the 1,000,000/s of a plain Map in the same worker: no store behind a call into wasm gets there.',
    );
  });

  it('leaves out what was not measured', () => {
    const run = sampleRun();
    expect(limits(run, 1000).some((l) => l.startsWith('put:'))).toBe(false);
    expect(limits(run, 1000).some((l) => l.startsWith('native ratios'))).toBe(true);
  });
});

describe('resultsTable', () => {
  it('marks capped phases with their operation count and adds the native row', () => {
    const table = resultsTable(sampleRun(), 1000);
    expect(table).toContain('| IndexedDB (idb) | 1,000 (100 writes, capped) | 10,000 |');
    expect(table).toContain('| RocksDB 7.8.3-2 db_bench, native | 100,000 (fillrandom) |');
  });
});

describe('resultsTable with a capped load', () => {
  it('says how many keys the capped store held when reading it', () => {
    const run = sampleRun();
    run.results[1].loaded = 500;
    run.results[1].phases.putBatch = { ops: 500, ms: 50, capped: true };
    run.results[1].phases.get = phase(1000, 10, { check: 1000, capped: true });
    const table = resultsTable(run, 1000);
    expect(table).toContain('| IndexedDB (idb) | 1,000 (100 writes, capped) | 10,000 (500 keys, capped) | – | – | 100,000 (on 500 keys) |');
  });
});

describe('inconsistencies', () => {
  it('finds nothing when every contender read and scanned the same data', () => {
    expect(inconsistencies(sampleRun().results)).toEqual([]);
  });

  it('reports a contender whose scans returned different entries', () => {
    const run = sampleRun();
    run.results[1].phases.scan = phase(10, 10, { check: 900 });
    expect(inconsistencies(run.results)).toEqual(['1000 keys: idb scanned 900 entries, engine-opfs 990']);
  });

  it('compares scans only between contenders holding the same keys', () => {
    const run = sampleRun();
    run.results[1].loaded = 500;
    run.results[1].phases.scan = phase(10, 10, { check: 900, capped: true });
    expect(inconsistencies(run.results)).toEqual([]);
  });

  it('reports reads that missed existing keys', () => {
    const run = sampleRun();
    run.results[2].phases.get = phase(1000, 50, { check: 999 });
    expect(inconsistencies(run.results)).toEqual(['sqlite-sahpool 1000: get found 999 of 1000']);
  });
});

describe('replaceSection', () => {
  const native = '# Benchmarks\n\nintro\n\n## Engine vs RocksDB (native, single-threaded)\n\nnative table\n';

  it('appends the browser section after the native one the first time', () => {
    const text = replaceSection(native, `${SECTION_TITLE}\n\nfirst\n`);
    expect(text).toBe(`${native}\n${SECTION_TITLE}\n\nfirst\n`);
  });

  it('replaces only the browser section and keeps the sections around it', () => {
    const doc = `${native}\n${SECTION_TITLE}\n\nold\n\n### 100 keys\n\nold table\n\n## Later\n\nkept\n`;
    const text = replaceSection(doc, `${SECTION_TITLE}\n\nnew\n`);
    expect(text).toBe(`${native}\n${SECTION_TITLE}\n\nnew\n\n## Later\n\nkept\n`);
  });

  it('renders a section that starts with the title and holds a table per key count', () => {
    const section = markdownSection(sampleRun());
    expect(section.startsWith(`${SECTION_TITLE}\n`)).toBe(true);
    expect(section).toContain('### 1,000 keys');
    expect(section).toContain('- engine note');
    expect(section).toContain('Load average (1 min) 0.5 at the start, 1.3 at the end of the run');
  });
});

describe('parseDbBench', () => {
  it('reads ops/sec per benchmark, also after progress output joined by carriage returns', () => {
    const output =
      'DB path: [/tmp/x]\nfillrandom   :       4.331 micros/op 230883 ops/sec 4.331 seconds 1000000 operations;   25.5 MB/s\n' +
      '... finished 100 ops\r... finished 200 ops\rreadrandom   :       2.712 micros/op 368405 ops/sec 0.027 seconds 10000 operations; (6370 of 10000 found)\n';
    expect(parseDbBench(output)).toEqual({ fillrandom: 230883, readrandom: 368405 });
  });
});
