/**
 * Turns the measurements of one run into the printed tables, the target verdicts and the
 * browser section of docs/benchmarks.md. Pure functions: no I/O here.
 *
 * Shapes (see bench/browser/protocol.ts for RunResult):
 * - `run`: `{ results: RunResult[], native: { [keys]: { fillrandom, readrandom } }, meta }`
 * - `meta`: `{ date, machine, chromium, rocksdb, seed, perOpCap, loadCap, batchSize, load: [start, end],
 *   labels }`, `labels` being the page's contender list (`{ [id]: label }`, in print order)
 */

/** Section heading in docs/benchmarks.md; everything from it to the next `## ` is replaced. */
export const SECTION_TITLE = '## Browser: engine vs IndexedDB, sqlite-wasm and Map (Chromium)';

/** Operations per second of a phase, or undefined if the phase did not run. */
export function rate(phase) {
  return phase === undefined || phase.ms <= 0 ? undefined : (phase.ops / phase.ms) * 1000;
}

function find(results, keys, contender) {
  return results.find((r) => r.spec.keys === keys && r.spec.contender === contender);
}

function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/**
 * The targets of issue 4 and informative ratios, for the key count `keys`: each
 * `{ name, value, goal }` where `goal` is the minimum ratio (undefined: for information).
 */
export function ratios(run, keys) {
  const phase = (contender, id) => rate(find(run.results, keys, contender)?.phases[id]);
  const native = run.native[keys] ?? {};
  const enginePut = phase('engine-opfs', 'putOne');
  const enginePutMany = phase('engine-opfs', 'putBatch');
  const engineGet = phase('engine-opfs', 'get');
  return [
    { name: 'engine OPFS put ÷ IndexedDB batched put', value: ratio(enginePut, phase('idb', 'putBatch')), goal: 20 },
    { name: 'engine OPFS put ÷ native RocksDB fillrandom', value: ratio(enginePut, native.fillrandom), goal: 2 },
    { name: 'engine OPFS get ÷ sqlite-wasm sahpool get', value: ratio(engineGet, phase('sqlite-sahpool', 'get')), goal: 100 },
    { name: 'engine OPFS get ÷ native RocksDB readrandom', value: ratio(engineGet, native.readrandom), goal: 1 },
    { name: 'engine OPFS, WAL buffer, put ÷ IndexedDB batched put', value: ratio(phase('engine-opfs-walbuf', 'putOne'), phase('idb', 'putBatch')) },
    { name: 'engine OPFS, WAL buffer, put ÷ native RocksDB fillrandom', value: ratio(phase('engine-opfs-walbuf', 'putOne'), native.fillrandom) },
    { name: 'engine OPFS putMany ÷ IndexedDB batched put', value: ratio(enginePutMany, phase('idb', 'putBatch')) },
    { name: 'engine OPFS putMany ÷ native RocksDB fillrandom', value: ratio(enginePutMany, native.fillrandom) },
    { name: 'engine OPFS putMany ÷ sqlite-wasm batched put', value: ratio(enginePutMany, phase('sqlite-sahpool', 'putBatch')) },
    { name: 'engine OPFS get ÷ IndexedDB get', value: ratio(engineGet, phase('idb', 'get')) },
    { name: 'engine OPFS scan ÷ sqlite-wasm scan', value: ratio(phase('engine-opfs', 'scan'), phase('sqlite-sahpool', 'scan')) },
    { name: 'engine OPFS commit ÷ sqlite-wasm commit', value: ratio(phase('engine-opfs', 'commit'), phase('sqlite-sahpool', 'commit')) },
    { name: 'engine OPFS commit ÷ IndexedDB strict commit', value: ratio(phase('engine-opfs', 'commit'), phase('idb', 'commit')) },
    { name: 'engine memory put ÷ Map set', value: ratio(phase('engine-memory', 'putOne'), phase('map', 'putOne')) },
    { name: 'engine memory get ÷ Map get', value: ratio(phase('engine-memory', 'get'), phase('map', 'get')) },
  ];
}

/**
 * Checks that every contender of a key count did the same work: all reads found, and every
 * scanning contender with the same keys loaded returned the same number of entries (same keys,
 * same starts). Returns the problems found (empty when consistent).
 */
export function inconsistencies(results) {
  const problems = [];
  const scans = new Map();
  for (const r of results) {
    const get = r.phases.get;
    if (get !== undefined && get.check !== get.ops) problems.push(`${r.spec.contender} ${r.spec.keys}: get found ${get.check} of ${get.ops}`);
    const scan = r.phases.scan;
    if (scan === undefined) continue;
    const group = `${r.spec.keys}/${r.loaded}`;
    const seen = scans.get(group);
    if (seen === undefined) scans.set(group, { contender: r.spec.contender, entries: scan.check });
    else if (seen.entries !== scan.check) {
      problems.push(`${r.spec.keys} keys: ${r.spec.contender} scanned ${scan.check} entries, ${seen.contender} ${seen.entries}`);
    }
  }
  return problems;
}

function formatRate(value) {
  if (value === undefined) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

function formatRatio(value) {
  if (value === undefined) return 'n/a';
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

/** One cell of ops/s; a capped phase says how far it went (writes done, or keys in the store read). */
function cell(r, id) {
  const phase = r.phases[id];
  if (phase === undefined) return '–';
  const text = formatRate(rate(phase));
  if (!phase.capped) return text;
  const count = (id === 'putOne' || id === 'putBatch' ? phase.ops : r.loaded).toLocaleString('en-US');
  if (id === 'putOne') return `${text} (${count} writes, capped)`;
  if (id === 'putBatch') return `${text} (${count} keys, capped)`;
  return `${text} (on ${count} keys)`;
}

/** Columns of the main table: heading and how to fill it from a RunResult. */
const COLUMNS = [
  ['put, 1 per call', (r) => cell(r, 'putOne')],
  ['put, batched', (r) => cell(r, 'putBatch')],
  ['load durable, ms', (r) => (r.phases.loadDurable === undefined ? '–' : r.phases.loadDurable.ms.toFixed(1))],
  ['durable commits/s', (r) => cell(r, 'commit')],
  ['random get/s', (r) => cell(r, 'get')],
  ['scans of 100/s', (r) => cell(r, 'scan')],
];

/** The markdown table of ops/s for the key count `keys` (native RocksDB as the last row). */
export function resultsTable(run, keys) {
  const header = `| contender | ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const rule = `| --- | ${COLUMNS.map(() => '---:').join(' | ')} |`;
  const rows = [];
  for (const [id, label] of Object.entries(run.meta.labels)) {
    const r = find(run.results, keys, id);
    if (r !== undefined) rows.push(`| ${label} | ${COLUMNS.map(([, f]) => f(r)).join(' | ')} |`);
  }
  const native = run.native[keys];
  if (native !== undefined) {
    rows.push(`| RocksDB ${run.meta.rocksdb ?? ''} db_bench, native | ${formatRate(native.fillrandom)} (fillrandom) | – | – | – | ${formatRate(native.readrandom)} (readrandom) | – |`);
  }
  return [header, rule, ...rows].join('\n');
}

/** The markdown table of ratios and targets for the key count `keys`. */
export function ratiosTable(run, keys) {
  const rows = ratios(run, keys).map(({ name, value, goal }) => {
    const target = goal === undefined ? '' : `≥ ${goal}×`;
    const met = goal === undefined ? '' : value === undefined ? 'not measured' : value >= goal ? '**met**' : 'not met';
    return `| ${name} | ${formatRatio(value)} | ${target} | ${met} |`;
  });
  return ['| ratio | measured | target | |', '| --- | ---: | ---: | --- |', ...rows].join('\n');
}

function micros(opsPerSecond) {
  return (1e6 / opsPerSecond).toFixed(1);
}

/**
 * What limits the targets, worked out from the run at the key count `keys` (statements are
 * left out when the numbers they rest on were not measured).
 */
export function limits(run, keys) {
  const phase = (contender, id) => rate(find(run.results, keys, contender)?.phases[id]);
  const out = [];
  const [opfsPut, memoryPut, putMany] = [phase('engine-opfs', 'putOne'), phase('engine-memory', 'putOne'), phase('engine-opfs', 'putBatch')];
  if (opfsPut !== undefined && memoryPut !== undefined && putMany !== undefined) {
    out.push(
      `put: one engine put costs ${micros(opfsPut)} µs on OPFS against ${micros(memoryPut)} µs on memory: each put appends its WAL record with its own ` +
        `OPFS write (FileSystemSyncAccessHandle.write); putMany, one WAL record per ${run.meta.batchSize} writes, reaches ${formatRate(putMany)}/s.`,
    );
  }
  const [engineGet, sqliteGet, mapGet] = [phase('engine-opfs', 'get'), phase('sqlite-sahpool', 'get'), phase('map', 'get')];
  if (engineGet !== undefined && sqliteGet !== undefined && mapGet !== undefined) {
    const goal = sqliteGet * 100;
    const reach =
      goal > mapGet
        ? `more than the ${formatRate(mapGet)}/s of a plain Map in the same worker: no store behind a call into wasm gets there`
        : `below the ${formatRate(mapGet)}/s of a plain Map in the same worker`;
    out.push(`get ≥ 100× sqlite: sqlite-wasm reads ${formatRate(sqliteGet)}/s (${micros(sqliteGet)} µs per get), so the target means ${formatRate(goal)}/s, ${reach}.`);
  }
  if (engineGet !== undefined) {
    const megabytes = Math.round((keys * 116) / 1e6);
    out.push(
      `get: at ${keys.toLocaleString('en-US')} keys the data is about ${megabytes} MB of keys and values against the engine's 32 MiB block cache (half of ` +
        `openLsm's default 64 MiB budget); a get that misses reads its block from OPFS (${micros(engineGet)} µs per get on average).`,
    );
  }
  if (run.native[keys] !== undefined) {
    out.push(
      `native ratios: db_bench ran in the same run on the same machine, at a 1-minute load average of ${run.meta.load[0]?.toFixed(1) ?? '?'} ` +
        'when the run started; with other work on the 2 cores, absolute numbers of both sides are lower than on an idle machine.',
    );
  }
  return out;
}

/** Distinct key counts of the run, ascending. */
export function keyCounts(run) {
  return [...new Set(run.results.map((r) => r.spec.keys))].sort((a, b) => a - b);
}

/** The whole browser section of docs/benchmarks.md, starting with {@link SECTION_TITLE}. */
export function markdownSection(run) {
  const { meta } = run;
  const spec = run.results[0]?.spec;
  const details = [...new Map(run.results.map((r) => [r.spec.contender, r.detail])).entries()];
  const notes = [...new Set(run.results.flatMap((r) => r.notes))];
  const parts = [
    SECTION_TITLE,
    '',
    `Measured ${meta.date} on ${meta.machine}, Chromium ${meta.chromium} (headless, on-disk profile), one browser session;`,
    '`bench/run-browser.mjs` (`npm run bench`, or `bash scripts/bench-browser.sh` alone). Every contender runs in its',
    'own module worker, called synchronously there (no message per operation). Native RocksDB numbers are from',
    "Debian's `db_bench`, run by the same command before the contenders while the page idles (same flags as",
    '`scripts/bench-engine.sh`: WAL on, no sync, no compression, one thread).',
    `Load average (1 min) ${meta.load.map((l) => l.toFixed(1)).join(' at the start, ')} at the end of the run (other work shared the machine).`,
    '',
    `Workload: random 16-byte keys with random 100-byte values (seed ${meta.seed}), written in random order; then`,
    `${spec ? spec.commits : '?'} single-key overwrites each followed by a durable commit; ${spec ? spec.gets.toLocaleString('en-US') : '?'} (at most the key count)`,
    `point reads of existing keys, uniformly at random; ${spec ? spec.scans : '?'} scans of ${spec ? spec.scanLength : '?'} entries from random existing keys.`,
    `Batches hold ${meta.batchSize} writes. Figures are operations per second; "load durable" is the time to make the`,
    'whole load durable after it. Reads and scans run on the store loaded in batches.',
    '',
  ];
  for (const keys of keyCounts(run)) {
    parts.push(`### ${keys.toLocaleString('en-US')} keys`, '', resultsTable(run, keys), '', ratiosTable(run, keys), '');
  }
  const largest = keyCounts(run).at(-1);
  if (largest !== undefined) {
    parts.push(`What limits the targets (at ${largest.toLocaleString('en-US')} keys):`, '', ...limits(run, largest).map((l) => `- ${l}`), '');
  }
  parts.push('What ran:', '', ...details.map(([id, detail]) => `- ${meta.labels[id] ?? id}: ${detail}`), '');
  parts.push('Semantics and limits:', '', ...notes.map((n) => `- ${n}`));
  parts.push(
    `- one-per-call puts of IndexedDB and sqlite pay a transaction each, so they write at most ${meta.perOpCap.toLocaleString('en-US')} keys (marked "capped"); their reads and scans use the batched load`,
    `- the batched loads of IndexedDB and sqlite stop at ${meta.loadCap.toLocaleString('en-US')} keys (marked "capped": a million would take many minutes each); their commits, reads and scans then run on those keys, the same random draws folded into the loaded range ("on N keys"), a smaller store than the engine's`,
    '- the engine put/putMany are acknowledged (in the WAL, in OPFS) but not synced per write, like db_bench fillrandom (WAL on, no sync); sqlite batched and IndexedDB batched puts commit a transaction per batch',
    '- a Map has no order and no durability, so it has no scan or commit numbers; engine on memory is not durable, so it has no commit numbers',
    '- one run on a shared 2-core machine: ratios between contenders of the same run are meaningful, absolute numbers vary with load',
    '',
  );
  return parts.join('\n');
}

/** Replaces (or appends) the browser section in the text of docs/benchmarks.md. */
export function replaceSection(docText, section) {
  const start = docText.indexOf(SECTION_TITLE);
  if (start < 0) return `${docText.trimEnd()}\n\n${section.trimEnd()}\n`;
  const next = docText.indexOf('\n## ', start + SECTION_TITLE.length);
  const rest = next < 0 ? '' : docText.slice(next + 1);
  return `${docText.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`;
}
