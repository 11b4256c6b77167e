/**
 * edgestate: state backends for the browser and the edge.
 *
 * This walking skeleton exports the LSM engine's key-value API over OPFS or memory; keyed state
 * backends and checkpoints build on it.
 */
export * from './errors.js';
export { openLsm, LsmDatabase } from './engine/lsm-database.js';
export type {
  BytesInput,
  DroppedTail,
  LsmStats,
  OpenLsmOptions,
  RecoveryInfo,
  ScanOptions,
  WalRecoveryMode,
  WriteOptions,
} from './engine/lsm-database.js';
export { loadEngine, type EngineSource } from './engine/wasm-module.js';
export type { HostVfs, OpenedStorage, StorageAdapter, StorageKind } from './storage/host-vfs.js';
export { memoryStorage, MemoryVfs } from './storage/memory.js';
export { opfsStorage, opfsSyncAvailable, type OpfsStorageOptions } from './storage/opfs-pool.js';
export { indexedDbStorage, type IndexedDbStorageOptions } from './storage/indexeddb.js';
export { chooseStorage, type StorageChoice } from './storage/choose.js';
export { requestPersistence, storageEstimate, type StorageEstimate } from './storage/persistence.js';
