/**
 * Keyed state backends (heap and LSM) behind one interface. Public exports of web/src/state/.
 */
export type * from './types.js';
export {
  DEFAULT_MAX_PARALLELISM,
  KEY_GROUP_HASH_SEED,
  KeyGroupOutOfRangeError,
  MAX_PARALLELISM_LIMIT,
  keyGroupOf,
  keyGroupRangeForInstance,
  murmur3X86_32,
} from './key-groups.js';
export * from './serde/index.js';
