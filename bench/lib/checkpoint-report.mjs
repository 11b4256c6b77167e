/**
 * The checkpoint benchmark (issue 6) in print: the timings and sizes of one CheckpointRunResult
 * (bench/browser/checkpoint/checkpoint-protocol.ts), the delta target, and its section of
 * docs/benchmarks.md. Pure functions: no I/O.
 */
import { measuredLine } from './sections.mjs';

/** Section heading in docs/benchmarks.md. */
export const CHECKPOINT_SECTION_TITLE = '## Checkpoints: full, incremental, export and restore (Chromium)';

/** Issue 6's target: the incremental checkpoint stores at most this fraction of the full one's bytes. */
export const DELTA_GOAL = 0.05;

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function millis(ms) {
  return ms >= 100 ? `${Math.round(ms).toLocaleString('en-US')} ms` : `${ms.toFixed(1)} ms`;
}

/** Incremental delta bytes ÷ full checkpoint bytes, and whether it meets {@link DELTA_GOAL}. */
export function deltaRatio(result) {
  const value = result.full.totalBytes > 0 ? result.incremental.deltaBytes / result.full.totalBytes : undefined;
  return { value, goal: DELTA_GOAL, met: value !== undefined && value <= DELTA_GOAL };
}

/** What makes the run invalid: the restored state not reading back as written. */
export function checkpointProblems(result) {
  const { reads, matched } = result.restore;
  return matched === reads && reads > 0 ? [] : [`checkpoint: ${matched} of ${reads} reads of the restored state matched`];
}

/** The markdown table of steps: time and bytes. */
export function checkpointTable(result) {
  const n = (x) => x.toLocaleString('en-US');
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const { full, incremental } = result;
  const delta = deltaRatio(result);
  const rows = [
    `| load ${n(result.load.keys)} keys (ValueState put, one call each) | ${millis(result.load.ms)} | – |`,
    `| full checkpoint | ${millis(full.ms)} | ${megabytes(full.totalBytes)} in ${full.files} files, ${megabytes(full.deltaBytes)} stored |`,
    `| overwrite ${n(result.change.keys)} keys (${pct(result.change.keys / result.load.keys)}) | ${millis(result.change.ms)} | – |`,
    `| incremental checkpoint | ${millis(incremental.ms)} | ${megabytes(incremental.totalBytes)} in ${incremental.files} files, ${megabytes(incremental.deltaBytes)} stored (${delta.value === undefined ? 'n/a' : pct(delta.value)} of the full checkpoint; target ≤ ${pct(DELTA_GOAL)}: ${delta.met ? '**met**' : 'not met'}) |`,
    `| export as one blob | ${millis(result.exported.ms)} | ${megabytes(result.exported.bytes)} |`,
    `| restore from the blob into a fresh OPFS database | ${millis(result.restore.ms)} | ${n(result.restore.matched)} of ${n(result.restore.reads)} reads matched after |`,
  ];
  if (result.heap !== undefined) {
    rows.push(
      `| heap backend: load the same ${n(result.load.keys)} keys | ${millis(result.heap.loadMs)} | – |`,
      `| heap backend: full checkpoint (snapshot) | ${millis(result.heap.checkpoint.ms)} | ${megabytes(result.heap.checkpoint.totalBytes)} in ${result.heap.checkpoint.files} files |`,
    );
  }
  return ['| step | time | bytes |', '| --- | ---: | --- |', ...rows].join('\n');
}

/** The checkpoint section of docs/benchmarks.md, starting with {@link CHECKPOINT_SECTION_TITLE}. */
export function checkpointSection(run) {
  const result = run.checkpoint;
  if (result === undefined) throw new Error('no checkpoint result');
  const { spec, full, incremental } = result;
  const delta = deltaRatio(result);
  const n = (x) => x.toLocaleString('en-US');
  return [
    CHECKPOINT_SECTION_TITLE,
    '',
    measuredLine(run.meta),
    '',
    `Workload (seed ${spec.seed}): ${n(spec.keys)} random 16-byte keys with random 100-byte values (the engine benchmark's), in one ValueState ` +
      `(serde.bytes) of the LSM backend on OPFS, checkpointed into an OPFS checkpoint store; then ${(spec.changeFraction * 100).toFixed(0)}% of the keys, ` +
      'chosen at random, overwritten with new random values and checkpointed again; that checkpoint exported as one `.esckp` blob and restored from the ' +
      `blob into a fresh OPFS database (staged on OPFS); then every changed key and ${n(spec.verifyReads)} random keys read back from the restored state.`,
    '',
    checkpointTable(result),
    '',
    `- incremental delta: ${megabytes(incremental.deltaBytes)} stored against ${megabytes(full.totalBytes)} for the full checkpoint, ` +
      `${delta.value === undefined ? 'n/a' : `${(delta.value * 100).toFixed(2)}%`} (target ≤ ${DELTA_GOAL * 100}% when 1% of the keys changed: ${delta.met ? '**met**' : 'not met'}).`,
    `- checkpoint time as the backend records it (durationMs): full ${millis(full.durationMs)}, incremental ${millis(incremental.durationMs)}.`,
    ...(result.heap === undefined
      ? ['- the heap backend comparison was not run (`--no-heap-checkpoint`).']
      : [
          `- the heap backend's checkpoint is always a full snapshot: ${megabytes(result.heap.checkpoint.totalBytes)} and ${millis(result.heap.checkpoint.ms)} ` +
            `for the same data, every time (the LSM backend's incremental one stored ${megabytes(incremental.deltaBytes)} in ${millis(incremental.ms)}).`,
        ]),
    '',
    `What ran: ${result.detail}.`,
    '',
    'Notes:',
    '',
    ...result.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}
