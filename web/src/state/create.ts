/**
 * `createStateBackend()`: the one entry point for both backends. The list of backends is the
 * `switch` below; the LSM backend plugs in as one import and one branch.
 */
import { InvalidArgumentError } from '../errors.js';
import type { EngineSource } from '../engine/wasm-module.js';
import type { StorageAdapter } from '../storage/host-vfs.js';
import { systemClock } from './clock.js';
import { checkStatistics } from './check-statistics.js';
import { HeapStateBackend } from './heap/heap-backend.js';
import type { MemoryPressureEvent } from './heap/memory-budget.js';
import { checkKeyGroupRange, checkMaxParallelism, DEFAULT_MAX_PARALLELISM, fullKeyGroupRange, type KeyGroupRange } from './key-groups.js';
import { resolveLsmOptions, type LsmOptions, type LsmOptionsInput } from './lsm-options.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { LsmStateBackend } from './lsm/lsm-backend.js';
import type { RestoreSource } from './lsm/lsm-checkpoints.js';
import type { Clock, KeyedStateBackend } from './types.js';

/** Options both backends take. */
export interface CommonStateBackendOptions {
  /** Number of key groups; fixed for the life of the state. Integer in [1, 32768]; default 128. */
  readonly maxParallelism?: number;
  /** Key groups this instance owns (inclusive); default all of them. */
  readonly keyGroups?: KeyGroupRange;
  /** Processing time for TTL and processing-time timers; default the system clock (monotonic). */
  readonly clock?: Clock;
  /**
   * Count state reads and writes, reported by `metrics()` as `reads` and `writes` (default
   * false). Off by default because a count on every call is a cost on the fastest paths (an
   * increment took 5–10% of a heap ListState add, ~20 ns): with it on, the heap backend serves
   * every state through its general classes, which count (ValueState get ~0.6× a raw Map
   * rather than ~0.9×). RocksDB's `statistics` and Flink's state latency tracking are off by
   * default for the same reason.
   */
  readonly statistics?: boolean;
}

/** Options of the heap backend. */
export interface HeapStateBackendOptions extends CommonStateBackendOptions {
  readonly kind: 'heap';
  /** Estimated bytes the state may use; past it, writes throw `StateMemoryExceededError`. Default none. */
  readonly memoryBudget?: number;
  /** Fraction of `memoryBudget` at which `onMemoryPressure` fires. Default 0.9. */
  readonly memoryPressureThreshold?: number;
  /**
   * Called (on a microtask) once each time the estimate crosses the threshold: evict, clear or
   * checkpoint there.
   */
  readonly onMemoryPressure?: (event: MemoryPressureEvent) => void;
  /** Checkpoint storage (default: memory) and how many checkpoints to keep (default 3). */
  readonly checkpoints?: { readonly store?: CheckpointStore; readonly retain?: number };
  /**
   * A checkpoint of either backend to restore (an export blob/file/bytes/stream, or
   * `{ store, id }`). It is validated before the backend is created; each of its states loads
   * (this instance's key groups only) when a state of that name is registered, and must be
   * registered with the same kind and serializers.
   */
  readonly restoreFrom?: RestoreSource;
  /** The engine's `.wasm`, which checkpoints and restores use (needed in Node; browsers find it through the bundler). */
  readonly wasm?: EngineSource;
}

/** Options of the LSM backend. */
export interface LsmStateBackendOptions extends CommonStateBackendOptions {
  readonly kind: 'lsm';
  /** Where the engine's files live: `opfsStorage(name)`, `indexedDbStorage(name)`, `memoryStorage()`. */
  readonly storage: StorageAdapter;
  /** Engine tuning: a profile and/or fields; see lsm-options.ts. `memoryBudget` is enforced by the engine. */
  readonly options?: LsmOptionsInput;
  /** The engine's `.wasm` (needed in Node; browsers find it through the bundler). */
  readonly wasm?: EngineSource;
  /** Timers in the engine (default: persistent, checkpointed) or on the heap. */
  readonly timers?: 'lsm' | 'heap';
  /** Entries of each state's write-back cache (default 10,000; 0: off); see LsmBackendSettings. */
  readonly cacheEntries?: number;
  /** Checkpoint storage (default: memory) and how many checkpoints to keep (default 3). */
  readonly checkpoints?: { readonly store?: CheckpointStore; readonly retain?: number };
  /**
   * A checkpoint to restore into `storage` first (an export blob/file/bytes/stream, or `{ store,
   * id }`); several when rescaling (every old instance's checkpoint overlapping this one's key
   * groups).
   */
  readonly restoreFrom?: RestoreSource | readonly RestoreSource[];
  /** Where a restore is checked before `storage` is touched (default: memory). */
  readonly restoreStaging?: StorageAdapter;
}

/** Options of {@link createStateBackend}. */
export type StateBackendOptions = HeapStateBackendOptions | LsmStateBackendOptions;

/** Common options, validated and defaulted. */
export interface ResolvedCommonOptions {
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly clock: Clock;
  readonly statistics: boolean;
}

/** Validates and defaults the options every backend shares. */
export function resolveCommonOptions(options: CommonStateBackendOptions): ResolvedCommonOptions {
  const maxParallelism = checkMaxParallelism(options.maxParallelism ?? DEFAULT_MAX_PARALLELISM);
  const keyGroups =
    options.keyGroups === undefined ? fullKeyGroupRange(maxParallelism) : checkKeyGroupRange(options.keyGroups, maxParallelism);
  const clock = options.clock ?? systemClock();
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new InvalidArgumentError('clock must have a now() method');
  }
  return { maxParallelism, keyGroups, clock, statistics: checkStatistics(options.statistics) };
}

/** Everything the LSM backend needs to open, validated and defaulted. */
export interface ResolvedLsmBackendOptions extends ResolvedCommonOptions {
  readonly storage: StorageAdapter;
  readonly lsm: LsmOptions;
  readonly wasm?: EngineSource;
}

/** The LSM backend's options, validated; exported so the LSM backend and tests share the checks. */
export function resolveLsmBackendOptions(options: LsmStateBackendOptions): ResolvedLsmBackendOptions {
  if (typeof options.storage !== 'object' || options.storage === null) {
    throw new InvalidArgumentError("kind 'lsm' needs a storage adapter (opfsStorage, indexedDbStorage, memoryStorage)");
  }
  return {
    ...resolveCommonOptions(options),
    storage: options.storage,
    lsm: resolveLsmOptions(options.options),
    ...(options.wasm !== undefined && { wasm: options.wasm }),
  };
}

/**
 * Opens a keyed state backend. Validation errors are `InvalidArgumentError`s naming the field;
 * `kind: 'lsm'` opens (and with `restoreFrom`, first restores) the engine's database; `kind:
 * 'heap'` with `restoreFrom` first validates and opens the checkpoint.
 */
export async function createStateBackend(options: StateBackendOptions): Promise<KeyedStateBackend> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError("createStateBackend needs options { kind: 'heap' | 'lsm', ... }");
  }
  const kind = (options as { kind?: unknown }).kind;
  switch (kind) {
    case 'heap': {
      const heap = options as HeapStateBackendOptions;
      return HeapStateBackend.open({
        ...resolveCommonOptions(heap),
        ...(heap.memoryBudget !== undefined && { memoryBudget: heap.memoryBudget }),
        ...(heap.memoryPressureThreshold !== undefined && { memoryPressureThreshold: heap.memoryPressureThreshold }),
        ...(heap.onMemoryPressure !== undefined && { onMemoryPressure: heap.onMemoryPressure }),
        ...(heap.checkpoints !== undefined && { checkpoints: heap.checkpoints }),
        ...(heap.restoreFrom !== undefined && { restoreFrom: heap.restoreFrom }),
        ...(heap.wasm !== undefined && { wasm: heap.wasm }),
      });
    }
    case 'lsm': {
      const lsm = options as LsmStateBackendOptions;
      return LsmStateBackend.open({
        ...resolveLsmBackendOptions(lsm),
        ...(lsm.timers !== undefined && { timers: lsm.timers }),
        ...(lsm.cacheEntries !== undefined && { cacheEntries: lsm.cacheEntries }),
        ...(lsm.checkpoints !== undefined && { checkpoints: lsm.checkpoints }),
        ...(lsm.restoreFrom !== undefined && { restoreFrom: lsm.restoreFrom }),
        ...(lsm.restoreStaging !== undefined && { restoreStaging: lsm.restoreStaging }),
      });
    }
    default:
      throw new InvalidArgumentError("createStateBackend: kind must be 'heap' or 'lsm'", { kind: String(kind) });
  }
}
