/**
 * The keyed-state workload: string keys like a job's user ids, and every random order the
 * phases follow, all from one seeded PRNG so every subject of a run sees the same calls.
 * Generated before any clock starts.
 */
import { Prng } from '../workload.js';
import type { StateRunSpec } from './state-protocol.js';

/** `count` distinct keys `user:<8 random hex digits><i in hex>`, in generation order. */
export function stateKeys(prng: Prng, count: number): string[] {
  // Distinct: keys of one length have hex(i) of one length, so the split is fixed and i differs.
  const keys = new Array<string>(count);
  for (let i = 0; i < count; i++) keys[i] = `user:${prng.nextU32().toString(16).padStart(8, '0')}${i.toString(16)}`;
  return keys;
}

/** `n` indexes drawn uniformly from `[0, bound)`, with repetition. */
export function randomIndexes(prng: Prng, n: number, bound: number): Uint32Array {
  if (!Number.isInteger(bound) || bound < 1) throw new RangeError(`bound must be a positive integer, got ${bound}`);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = prng.below(bound);
  return out;
}

/** The fields of a {@link StateRunSpec} that shape the workload (the rest say how it runs). */
const SIZE_FIELDS = ['seed', 'valueSmallKeys', 'valueLargeKeys', 'valueOps', 'listKeys', 'listLength', 'listGets', 'mapKeys', 'mapEntries', 'mapGets', 'mapIterations'] as const;

/** What {@link StateWorkload} is made from. */
export type StateWorkloadSizes = Pick<StateRunSpec, (typeof SIZE_FIELDS)[number]>;

/** The generated calls of one state run. */
export class StateWorkload {
  /** Keys of the small ValueState set. */
  readonly valueSmallKeys: string[];
  /** Random indexes into {@link valueSmallKeys} for the get phase, then the update phase. */
  readonly valueSmallGets: Uint32Array;
  readonly valueSmallUpdates: Uint32Array;
  /** Keys of the large ValueState set. */
  readonly valueLargeKeys: string[];
  readonly valueLargeGets: Uint32Array;
  readonly valueLargeUpdates: Uint32Array;
  /** Keys with a list, and the random keys whose lists the get phase reads. */
  readonly listKeys: string[];
  readonly listGets: Uint32Array;
  /** Keys with a map; map keys are `0 .. mapEntries - 1`. */
  readonly mapKeys: string[];
  /** Random (key, map key) pairs of the map get phase: `mapGetKeys[j]`, `mapGetEntries[j]`. */
  readonly mapGetKeys: Uint32Array;
  readonly mapGetEntries: Uint32Array;
  /** Random keys whose maps the iterate phase walks. */
  readonly mapIterations: Uint32Array;

  constructor(spec: StateWorkloadSizes) {
    for (const name of SIZE_FIELDS) {
      const value = spec[name];
      if (!Number.isSafeInteger(value) || value < (name === 'seed' ? 0 : 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
    const prng = new Prng(spec.seed);
    this.valueSmallKeys = stateKeys(prng, spec.valueSmallKeys);
    this.valueSmallGets = randomIndexes(prng, spec.valueOps, spec.valueSmallKeys);
    this.valueSmallUpdates = randomIndexes(prng, spec.valueOps, spec.valueSmallKeys);
    this.valueLargeKeys = stateKeys(prng, spec.valueLargeKeys);
    this.valueLargeGets = randomIndexes(prng, spec.valueOps, spec.valueLargeKeys);
    this.valueLargeUpdates = randomIndexes(prng, spec.valueOps, spec.valueLargeKeys);
    this.listKeys = stateKeys(prng, spec.listKeys);
    this.listGets = randomIndexes(prng, spec.listGets, spec.listKeys);
    this.mapKeys = stateKeys(prng, spec.mapKeys);
    this.mapGetKeys = randomIndexes(prng, spec.mapGets, spec.mapKeys);
    this.mapGetEntries = randomIndexes(prng, spec.mapGets, spec.mapEntries);
    this.mapIterations = randomIndexes(prng, spec.mapIterations, spec.mapKeys);
  }
}

/** The value stored for key `i` at first put (an f64 with a fraction, so it is not a small integer). */
export function initialValue(i: number): number {
  return i + 0.25;
}

/** The list element added in round `round` for key `i`. */
export function listElement(i: number, round: number): number {
  return i * 1000 + round + 0.5;
}

/** The map value of entry `entry` of key `i`. */
export function mapValue(i: number, entry: number): number {
  return i * 1000 + entry + 0.75;
}
