/**
 * The keyed-state benchmark (issue 5) in print: ops/s of each subject per operation, the ratios
 * the issue sets targets for, the consistency checks, and its section of docs/benchmarks.md.
 * Pure functions: no I/O.
 *
 * Shapes (see bench/browser/state/state-protocol.ts): `run.stateResults` is a StateRunResult[]
 * (one per subject: `map`, `heap`, `lsm-opfs`); `run.meta` as in report.mjs plus `stateLabels`.
 */
import { formatRate, formatRatio, measuredLine, ratio } from './sections.mjs';

/** Section heading in docs/benchmarks.md. */
export const STATE_SECTION_TITLE = '## Keyed state: heap and LSM backends vs a raw Map (Chromium)';

/** Issue 5's targets. */
export const HEAP_VS_MAP_GOAL = 0.8;
export const LSM_VS_HEAP_GOAL = 0.3;
/** Flink's RocksDB backend against its heap backend on ListState (issue 5). */
export const FLINK_LIST_SLOWDOWN = '10–17×';

/**
 * The rows of the table, in order. `fits`: the working set fits the LSM backend's caches (the
 * small ValueState set fits its value cache; lists and maps, a few MB, fit its block cache), so
 * the LSM ÷ heap target applies. `expected(spec, ops)`: the check every subject must return.
 */
export const STATE_ROWS = [
  { id: 'valueSmallPut', label: (s) => `ValueState first put, ${s.valueSmallKeys.toLocaleString('en-US')} keys`, fits: true, expected: () => 0 },
  { id: 'valueSmallGet', label: (s) => `ValueState get, ${s.valueSmallKeys.toLocaleString('en-US')} keys`, fits: true, expected: (_s, ops) => ops },
  { id: 'valueSmallUpdate', label: (s) => `ValueState update (get + put), ${s.valueSmallKeys.toLocaleString('en-US')} keys`, fits: true, expected: (_s, ops) => ops },
  { id: 'valueLargePut', label: (s) => `ValueState first put, ${s.valueLargeKeys.toLocaleString('en-US')} keys`, fits: false, expected: () => 0 },
  { id: 'valueLargeGet', label: (s) => `ValueState get, ${s.valueLargeKeys.toLocaleString('en-US')} keys`, fits: false, expected: (_s, ops) => ops },
  { id: 'valueLargeUpdate', label: (s) => `ValueState update (get + put), ${s.valueLargeKeys.toLocaleString('en-US')} keys`, fits: false, expected: (_s, ops) => ops },
  { id: 'listAdd', label: (s) => `ListState add, ${s.listKeys.toLocaleString('en-US')} lists`, fits: true, expected: () => 0 },
  { id: 'listGet', label: (s) => `ListState get (${s.listLength} elements)`, fits: true, expected: (s, ops) => ops * s.listLength },
  { id: 'mapPut', label: (s) => `MapState put, ${s.mapKeys.toLocaleString('en-US')} × ${s.mapEntries}`, fits: true, expected: () => 0 },
  { id: 'mapGet', label: () => 'MapState get', fits: true, expected: (_s, ops) => ops },
  { id: 'mapIterate', label: (s) => `MapState iterate (${s.mapEntries} entries)`, fits: true, expected: (s, ops) => ops * s.mapEntries },
];

function find(stateResults, subject) {
  return stateResults.find((r) => r.spec.subject === subject);
}

/** Ops/s of `subject` on phase `id`, or undefined when not measured. */
export function stateRate(stateResults, subject, id) {
  const phase = find(stateResults, subject)?.phases[id];
  return phase === undefined || phase.ms <= 0 ? undefined : (phase.ops / phase.ms) * 1000;
}

/**
 * Per row: ops/s of each subject and the two ratios, each `{ value, goal }` (`goal` undefined
 * where no target applies: LSM ÷ heap on a set that does not fit the cache).
 */
export function stateRatios(stateResults) {
  return STATE_ROWS.map((row) => {
    const [map, heap, lsm] = ['map', 'heap', 'lsm-opfs'].map((s) => stateRate(stateResults, s, row.id));
    return {
      id: row.id,
      map,
      heap,
      lsm,
      heapVsMap: { value: ratio(heap, map), goal: HEAP_VS_MAP_GOAL },
      lsmVsHeap: { value: ratio(lsm, heap), goal: row.fits ? LSM_VS_HEAP_GOAL : undefined },
    };
  });
}

/**
 * Checks that every subject did the work: each phase's check equals what the workload implies
 * (every get found, every list and map whole). Returns the problems (empty when consistent).
 */
export function stateInconsistencies(stateResults) {
  const problems = [];
  for (const r of stateResults) {
    for (const row of STATE_ROWS) {
      const phase = r.phases[row.id];
      if (phase === undefined) {
        problems.push(`state ${r.spec.subject}: ${row.id} did not run`);
        continue;
      }
      const want = row.expected(r.spec, phase.ops);
      if (phase.check !== want) problems.push(`state ${r.spec.subject}: ${row.id} returned ${phase.check}, expected ${want}`);
    }
  }
  return problems;
}

function verdict({ value, goal }) {
  if (value === undefined) return 'n/a';
  if (goal === undefined) return formatRatio(value);
  return `${formatRatio(value)} ${value >= goal ? '**met**' : 'not met'}`;
}

/** The markdown table: one row per operation, ops/s per subject, the ratios with their verdicts. */
export function stateTable(run) {
  const spec = run.stateResults[0]?.spec;
  if (spec === undefined) return '';
  const labels = run.meta.stateLabels ?? {};
  const header =
    `| operation | ${labels.map ?? 'raw Map'} ops/s | ${labels.heap ?? 'heap'} ops/s | ${labels['lsm-opfs'] ?? 'LSM'} ops/s | ` +
    `heap ÷ Map (≥ ${HEAP_VS_MAP_GOAL}×) | LSM ÷ heap (≥ ${LSM_VS_HEAP_GOAL}× where it fits the cache) |`;
  const rows = stateRatios(run.stateResults).map((r, i) => {
    const row = STATE_ROWS[i];
    return `| ${row.label(spec)} | ${formatRate(r.map)} | ${formatRate(r.heap)} | ${formatRate(r.lsm)} | ${verdict(r.heapVsMap)} | ${verdict(r.lsmVsHeap)} |`;
  });
  return [header, '| --- | ---: | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}

/** How many rows with a goal met it, and the lowest ratio among them. */
function tally(rows, pick) {
  const targeted = rows.map((r) => ({ id: r.id, ...pick(r) })).filter((r) => r.goal !== undefined && r.value !== undefined);
  const met = targeted.filter((r) => r.value >= r.goal).length;
  const lowest = targeted.reduce((low, r) => (low === undefined || r.value < low.value ? r : low), undefined);
  return { met, of: targeted.length, lowest };
}

/** The ratios the issue asks for, as sentences (printed and written under the table). */
export function stateRatiosText(run) {
  const spec = run.stateResults[0]?.spec;
  if (spec === undefined) return '';
  const rows = stateRatios(run.stateResults);
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  const label = (id) => STATE_ROWS.find((r) => r.id === id)?.label(spec) ?? id;
  const lines = [];
  const heap = tally(rows, (r) => r.heapVsMap);
  if (heap.of > 0) {
    lines.push(
      `heap ÷ raw Map ≥ ${HEAP_VS_MAP_GOAL}×: met on ${heap.met} of ${heap.of} operations; lowest ${formatRatio(heap.lowest.value)} (${label(heap.lowest.id)}).`,
    );
  }
  const lsm = tally(rows, (r) => r.lsmVsHeap);
  if (lsm.of > 0) {
    lines.push(
      `LSM ÷ heap ≥ ${LSM_VS_HEAP_GOAL}× on working sets that fit the cache: met on ${lsm.met} of ${lsm.of} operations; lowest ${formatRatio(lsm.lowest.value)} (${label(lsm.lowest.id)}).`,
    );
  }
  const small = byId.valueSmallGet?.lsmVsHeap.value;
  const large = byId.valueLargeGet?.lsmVsHeap.value;
  if (small !== undefined && large !== undefined) {
    lines.push(
      `ValueState get, LSM ÷ heap: ${formatRatio(small)} on ${spec.valueSmallKeys.toLocaleString('en-US')} keys (within the value cache) against ${formatRatio(large)} on ` +
        `${spec.valueLargeKeys.toLocaleString('en-US')} keys (past it: every miss deserializes from the engine).`,
    );
  }
  const add = byId.listAdd?.lsmVsHeap.value;
  const get = byId.listGet?.lsmVsHeap.value;
  if (add !== undefined && get !== undefined) {
    lines.push(
      `ListState (${spec.listLength}-element lists), LSM ÷ heap: add ${formatRatio(add)} (the heap backend ${formatRatio(1 / add)} faster), get ${formatRatio(get)} ` +
        `(${formatRatio(1 / get)} faster); Flink's RocksDB backend is about ${FLINK_LIST_SLOWDOWN} slower than its heap backend on ListState.`,
    );
  }
  return lines.join('\n');
}

/** Phases shorter than this are read with the worker clock's coarse resolution in mind (not isolated). */
export const SHORT_PHASE_MS = 20;
/** The same for cross-origin isolated workers, whose clock ticks in 5 µs steps. */
export const SHORT_PHASE_MS_ISOLATED = 1;

/**
 * A caution about short phases: `performance.now()` in a worker ticks in 100 µs steps, or 5 µs
 * when the page is cross-origin isolated, so a 1 ms phase is good to about 10% or 0.5%.
 * Undefined when no phase was that short.
 */
export function shortPhasesNote(stateResults) {
  const isolated = stateResults.length > 0 && stateResults.every((r) => r.isolated === true);
  const limit = isolated ? SHORT_PHASE_MS_ISOLATED : SHORT_PHASE_MS;
  const short = stateResults.flatMap((r) => STATE_ROWS.filter((row) => (r.phases[row.id]?.ms ?? Infinity) < limit).map((row) => ({ subject: r.spec.subject, row })));
  if (short.length === 0) return undefined;
  const bySubject = [...new Set(short.map((s) => s.subject))].map((subject) => `${subject} ${short.filter((s) => s.subject === subject).length}`);
  const shortest = Math.min(...stateResults.flatMap((r) => Object.values(r.phases).map((p) => p.ms)));
  const clock = isolated
    ? "the page is cross-origin isolated, so the worker's performance.now() ticks in 5 µs steps and those rates are good to about ±1% at 0.5 ms"
    : "the page is not cross-origin isolated, so the worker's performance.now() ticks in 100 µs steps and those rates (and the heap ÷ Map ratios built on them) are good to about ±10% at 1 ms";
  return `${short.length} phases took under ${limit} ms (${bySubject.join(', ')}; the shortest ${shortest.toFixed(2)} ms): ${clock}`;
}

/** The keyed-state section of docs/benchmarks.md, starting with {@link STATE_SECTION_TITLE}. */
/** ` Rounds run (value-small / value-large / list / map): …`, or '' when the results do not say. */
export function roundsText(stateResults) {
  const known = stateResults.filter((r) => r.rounds !== undefined);
  if (known.length === 0) return '';
  // The groups in run order, as the results list them (the page merges them in that order).
  const groups = Object.keys(known[0].rounds);
  return ` Rounds run (${groups.join(' / ')}): ${known.map((r) => `${r.spec.subject} ${groups.map((g) => r.rounds[g] ?? '?').join(' / ')}`).join('; ')}.`;
}

export function stateSection(run) {
  const spec = run.stateResults[0]?.spec;
  if (spec === undefined) throw new Error('no keyed-state results');
  const labels = run.meta.stateLabels ?? {};
  const notes = [...new Set(run.stateResults.flatMap((r) => r.notes))];
  const n = (x) => x.toLocaleString('en-US');
  return [
    STATE_SECTION_TITLE,
    '',
    measuredLine(run.meta),
    `Each group of phases (small ValueState set, large ValueState set, lists, maps) of each subject runs in a fresh module worker, calling the state synchronously there, ` +
      `the same number of rounds for every subject, each on fresh state (the fastest of more tries is lower in expectation; enough rounds that V8's background TurboFan compiles land); ` +
      `the table shows each phase's fastest round.` +
      roundsText(run.stateResults),
    '',
    `Workload (seed ${spec.seed}): string keys \`user:<8 hex digits><n>\` (serde.string), f64 values (serde.f64). ValueState: ${n(spec.valueSmallKeys)} keys ` +
      `(fits the LSM backend's value cache) and ${n(spec.valueLargeKeys)} keys (does not), each put once in key order, then ${n(spec.valueOps)} gets and ` +
      `${n(spec.valueOps)} updates (get, then put of value + 1) of keys drawn uniformly at random. ListState: ${n(spec.listKeys)} lists of ${spec.listLength} ` +
      `f64 elements, added one per call round-robin over the keys, then ${n(spec.listGets)} whole-list gets of random keys. MapState: ${n(spec.mapKeys)} keys ` +
      `× ${spec.mapEntries} entries (i32 map keys, f64 values) put round-robin, then ${n(spec.mapGets)} gets of random entries and ${n(spec.mapIterations)} ` +
      'iterations of random whole maps. Figures are state calls per second.',
    '',
    stateTable(run),
    '',
    ...stateRatiosText(run)
      .split('\n')
      .map((l) => `- ${l}`),
    '',
    'What ran:',
    '',
    ...run.stateResults.map((r) => `- ${labels[r.spec.subject] ?? r.spec.subject}: ${r.detail}`),
    '',
    'Notes:',
    '',
    ...notes.map((note) => `- ${note}`),
    ...[shortPhasesNote(run.stateResults)].filter((n) => n !== undefined).map((n) => `- ${n}`),
    '- every subject returned the same checks (values found, list elements and map entries returned), which the runner compares',
    '',
  ].join('\n');
}
