/**
 * Keyed state backends (heap and LSM) behind one interface. Public exports of web/src/state/.
 */
export type * from './types.js';
export {
  createStateBackend,
  type CommonStateBackendOptions,
  type HeapStateBackendOptions,
  type LsmStateBackendOptions,
  type StateBackendOptions,
} from './create.js';
export { ManualClock, systemClock } from './clock.js';
export { StateBackendUnavailableError, StateDroppedError, StateMemoryExceededError } from './state-errors.js';
export type { MemoryPressureEvent } from './heap/memory-budget.js';
export {
  DEFAULT_MAX_PARALLELISM,
  KEY_GROUP_HASH_SEED,
  KeyGroupOutOfRangeError,
  MAX_PARALLELISM_LIMIT,
  keyGroupOf,
  keyGroupRangeForInstance,
  murmur3X86_32,
} from './key-groups.js';
export {
  LSM_PROFILES,
  resolveLsmOptions,
  type LsmCompression,
  type LsmOptions,
  type LsmOptionsInput,
  type LsmProfile,
} from './lsm-options.js';
export * from './serde/index.js';
