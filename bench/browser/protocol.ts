/**
 * What the Node runner, the bench page and the contender workers say to each other: the run
 * specification going in, the measured phases coming out. Wire types only. The keyed-state and
 * checkpoint suites have their own (state/state-protocol.ts, checkpoint/checkpoint-protocol.ts).
 */
import type { CheckpointRunResult, CheckpointRunSpec } from './checkpoint/checkpoint-protocol.js';
import type { StateRunResult, StateRunSpec, StateSubjectId } from './state/state-protocol.js';

/**
 * Every contender with its printed label, in the order the runner runs and prints them. The one
 * list of contenders: the page hands it to the runner (`window.edgestateBench.contenders`).
 */
export const CONTENDERS = {
  'engine-opfs': 'edgestate engine, OPFS',
  'engine-opfs-walbuf': 'edgestate engine, OPFS, WAL buffer',
  'engine-memory': 'edgestate engine, memory',
  idb: 'IndexedDB (idb)',
  'sqlite-sahpool': 'sqlite-wasm, opfs-sahpool',
  map: 'Map',
} as const;

/** One store under test (see `contenders/`). */
export type ContenderId = keyof typeof CONTENDERS;

/** The phases a run measures, in the order it runs them. */
export type PhaseId =
  /** One write per call: engine `put`, a Map `set`, one IndexedDB transaction per put, one sqlite autocommit INSERT. */
  | 'putOne'
  /** Writes grouped: engine `putMany`, one IndexedDB transaction or one sqlite transaction per batch. */
  | 'putBatch'
  /** Making the whole bulk load durable, once, right after it. */
  | 'loadDurable'
  /** One overwrite followed by a durable commit, repeated. */
  | 'commit'
  /** Point reads of existing keys in random order. */
  | 'get'
  /** Range scans: `scanLength` entries in key order from a random existing key. */
  | 'scan';

/** What one run does. Every contender of one `keys` value sees the same keys, values and order. */
export interface RunSpec {
  readonly contender: ContenderId;
  /** Keys loaded (each 16 random bytes, with a 100-byte value). */
  readonly keys: number;
  /** Seed of the workload's PRNG: the same seed gives the same keys, order, reads and scans. */
  readonly seed: number;
  /** Cap of the `putOne` phase for contenders that pay a transaction per write. */
  readonly perOpCap: number;
  /**
   * Cap of the `putBatch` load for those same contenders: past it their load would take many
   * minutes at a million keys. Their later phases then run on the keys loaded.
   */
  readonly loadCap: number;
  /** Writes per batch in `putBatch`. */
  readonly batchSize: number;
  /** Point reads in `get` (at most `keys`). */
  readonly gets: number;
  /** Scans in `scan`. */
  readonly scans: number;
  /** Entries per scan. */
  readonly scanLength: number;
  /** Durable commits in `commit`. */
  readonly commits: number;
}

/** One measured phase. */
export interface PhaseResult {
  /** Operations done (writes, reads, scans or commits). */
  readonly ops: number;
  /** Wall time of the phase in milliseconds (`performance.now()` in the worker). */
  readonly ms: number;
  /**
   * Whether the contender was capped: a write phase wrote fewer keys than the workload has, or a
   * later phase ran on a store holding fewer (see {@link RunResult.loaded}).
   */
  readonly capped: boolean;
  /**
   * A check of the work done, equal across contenders for the same spec: reads found, entries
   * scanned. The runner compares them, so a contender that skips work cannot look fast.
   */
  readonly check?: number;
}

/** Everything one run measured. A phase a contender cannot do (a Map has no order) is absent. */
export interface RunResult {
  readonly spec: RunSpec;
  /** Keys in the store the commit, get and scan phases ran on (below `spec.keys` when capped). */
  readonly loaded: number;
  /** The contender's own description (engine storage, sqlite version and VFS, ...). */
  readonly detail: string;
  readonly phases: Partial<Record<PhaseId, PhaseResult>>;
  /** Notes to print beside the numbers (caps, durability semantics). */
  readonly notes: readonly string[];
}

/** Messages from a contender worker to the page. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'result'; readonly result: RunResult }
  | { readonly type: 'failed'; readonly error: string };

/** What the bench page exposes to the runner as `window.edgestateBench`. */
export interface BenchPage {
  /** {@link CONTENDERS}: ids and labels, in run order. */
  readonly contenders: Readonly<Record<ContenderId, string>>;
  /** Runs `spec` in a fresh module worker and resolves with its measurements. */
  run(spec: RunSpec): Promise<RunResult>;
  /** The keyed-state subjects (state/state-protocol.ts STATE_SUBJECTS): ids and labels, in run order. */
  readonly stateSubjects: Readonly<Record<StateSubjectId, string>>;
  /** Runs the keyed-state benchmark of one subject in a fresh module worker. */
  runState(spec: StateRunSpec): Promise<StateRunResult>;
  /** Runs the checkpoint benchmark in a fresh module worker. */
  runCheckpoint(spec: CheckpointRunSpec): Promise<CheckpointRunResult>;
}

declare global {
  interface Window {
    edgestateBench: BenchPage;
  }
}
