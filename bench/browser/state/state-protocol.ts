/**
 * Wire types of the keyed-state benchmark (issue 5): what the runner asks a state worker to do
 * and the phases it measures. Wire types only.
 */

/**
 * The backends under test with their printed labels, in run order. The one list of state
 * subjects: the page hands it to the runner (`window.edgestateBench.stateSubjects`).
 */
export const STATE_SUBJECTS = {
  map: 'raw Map',
  heap: 'heap backend',
  'lsm-opfs': 'LSM backend, OPFS',
} as const;

/** One backend under test. */
export type StateSubjectId = keyof typeof STATE_SUBJECTS;

/**
 * The groups of phases, in run order; each runs on fresh state, and the page runs each in a
 * fresh worker (see {@link StateRunSpec.groups}).
 */
export const STATE_GROUPS = ['value-small', 'value-large', 'list', 'map'] as const;

/** One group of phases. */
export type StateGroup = (typeof STATE_GROUPS)[number];

/** The measured phases, in the order a run does them. */
export type StatePhaseId =
  /** ValueState on the small key set: first `put` of every key, in key order. */
  | 'valueSmallPut'
  /** ValueState on the small key set: `get` of random existing keys. */
  | 'valueSmallGet'
  /** ValueState on the small key set: `get` then `put(value + 1)` of random existing keys. */
  | 'valueSmallUpdate'
  /** The same three on the large key set. */
  | 'valueLargePut'
  | 'valueLargeGet'
  | 'valueLargeUpdate'
  /** ListState `add`, one element per call, round-robin over the keys until each list is full. */
  | 'listAdd'
  /** ListState `get` of random keys (each a whole list). */
  | 'listGet'
  /** MapState `put`, round-robin over the keys until each map is full. */
  | 'mapPut'
  /** MapState `get` of random (key, map key) pairs. */
  | 'mapGet'
  /** MapState `entries` of random keys, iterated to the end. */
  | 'mapIterate';

/** What one state run does. Every subject of a run sees the same keys and the same orders. */
export interface StateRunSpec {
  readonly subject: StateSubjectId;
  /**
   * The groups this run does (all when absent). The page runs each group in a fresh worker and
   * merges the results (`mergeStateResults`): in one worker a group's times depended on the
   * garbage the groups before it left (with the small ValueState set's rounds before it, the
   * heap's first put at 200k keys ran 0.68–0.94× a raw Map from run to run).
   */
  readonly groups?: readonly StateGroup[];
  /** Seed of the key strings and of every random order. */
  readonly seed: number;
  /**
   * Rounds each group runs, each on fresh state, the same for every subject; a phase reports
   * its fastest round. The same for every subject because the fastest of more tries is lower in
   * expectation: with rounds run until a group's phases had been timed 1 s, the faster subject
   * ran more of them (raw Map 12 against the heap's 9 in the large ValueState group), which
   * biased the ratio against the slower one. Enough rounds that hot loops run TurboFan's code:
   * V8 compiles on a background thread, and on a busy 2-core machine that took ~16 ms for the
   * heap backend's ListState add — longer than 5 rounds of its 100k adds (`--trace-opt`). A
   * stream job runs for hours; the bench should time the code it runs then.
   */
  readonly rounds: Readonly<Record<StateGroup, number>>;
  /** Keys of the ValueState working set that fits the LSM backend's value cache. */
  readonly valueSmallKeys: number;
  /** Keys of the ValueState working set that does not. */
  readonly valueLargeKeys: number;
  /** Random gets and random updates on each ValueState working set. */
  readonly valueOps: number;
  /** Keys with a list. */
  readonly listKeys: number;
  /** Elements of each list. */
  readonly listLength: number;
  /** Random whole-list gets. */
  readonly listGets: number;
  /** Keys with a map. */
  readonly mapKeys: number;
  /** Entries of each map. */
  readonly mapEntries: number;
  /** Random map gets. */
  readonly mapGets: number;
  /** Random whole-map iterations. */
  readonly mapIterations: number;
}

/** One measured phase. */
export interface StatePhaseResult {
  /** State calls made (a list `get` is one call, a map iteration is one call). */
  readonly ops: number;
  /** Wall time in milliseconds (`performance.now()` in the worker). */
  readonly ms: number;
  /**
   * A check of the work done, equal across subjects for the same spec: values found, elements
   * returned, entries iterated. The runner compares them, so a subject that skips work cannot
   * look fast.
   */
  readonly check: number;
}

/** Everything one state run measured. */
export interface StateRunResult {
  readonly spec: StateRunSpec;
  /** What exactly ran (backend options, storage). */
  readonly detail: string;
  readonly phases: Readonly<Record<StatePhaseId, StatePhaseResult>>;
  /** Notes to print beside the numbers. */
  readonly notes: readonly string[];
  /** Rounds each group ran (value-small, value-large, list, map): see {@link StateRunSpec.rounds}. */
  readonly rounds?: Readonly<Record<string, number>>;
  /** Whether the worker was cross-origin isolated (its clock then ticks in 5 µs, else 100 µs, steps). */
  readonly isolated?: boolean;
}
