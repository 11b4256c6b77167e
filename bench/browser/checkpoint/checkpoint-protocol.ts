/**
 * Wire types of the checkpoint benchmark (issue 6): what the runner asks the checkpoint worker to
 * do and what it measured. Wire types only.
 */

/** What one checkpoint run does. */
export interface CheckpointRunSpec {
  /** Keys in the state: 16 random bytes each, with a 100-byte random value (the engine workload's). */
  readonly keys: number;
  /** Seed of the keys, values, changed keys and new values. */
  readonly seed: number;
  /** Fraction of the keys overwritten (with new random values) between the full and the incremental checkpoint. */
  readonly changeFraction: number;
  /** Random keys read back after the restore, besides every changed key. */
  readonly verifyReads: number;
  /** Also load the same keys into the heap backend and take its (full) checkpoint. */
  readonly heap: boolean;
}

/** One checkpoint as measured and as its record describes it. */
export interface CheckpointMeasure {
  /** Wall time of `await backend.checkpoint()` in ms (includes retention and garbage collection). */
  readonly ms: number;
  /** The record's `durationMs` (taking it, as the backend counts). */
  readonly durationMs: number;
  readonly incremental: boolean;
  /** Bytes of every file it references. */
  readonly totalBytes: number;
  /** Bytes it stored anew. */
  readonly deltaBytes: number;
  /** Files it references. */
  readonly files: number;
}

/** Everything one checkpoint run measured. */
export interface CheckpointRunResult {
  readonly spec: CheckpointRunSpec;
  /** Backend options and stores. */
  readonly detail: string;
  /** Loading every key with ValueState `put` (one call per key). */
  readonly load: { readonly keys: number; readonly ms: number };
  readonly full: CheckpointMeasure;
  /** Overwriting the changed keys. */
  readonly change: { readonly keys: number; readonly ms: number };
  readonly incremental: CheckpointMeasure;
  /** `exportCheckpoint(id)` of the incremental checkpoint: time and the blob's size. */
  readonly exported: { readonly ms: number; readonly bytes: number };
  /** `createStateBackend({ kind: 'lsm', restoreFrom: blob, ... })` into a fresh OPFS database. */
  readonly restore: { readonly ms: number; readonly reads: number; readonly matched: number };
  /** The heap backend with the same keys and values, when `spec.heap`. */
  readonly heap?: { readonly loadMs: number; readonly checkpoint: CheckpointMeasure };
  readonly notes: readonly string[];
}
