/**
 * edgestate: state backends for the browser and the edge.
 *
 * This walking skeleton exports the LSM engine's key-value API over OPFS or memory; keyed state
 * backends and checkpoints build on it.
 */
export * from './errors.js';
export { openLsm, LsmDatabase } from './engine/lsm-database.js';
export type {
  BlockCacheStats,
  BytesInput,
  ColumnFamilyOptions,
  Compression,
  DroppedTail,
  EngineTuning,
  LsmStats,
  OpenLsmOptions,
  PinnedCheckpoint,
  RecoveryInfo,
  ScanOptions,
  WalRecoveryMode,
} from './engine/lsm-database.js';
export { ColumnFamily, type IterateOptions, type ReadOptions, type WriteOptions } from './engine/column-family.js';
export { WriteBatch, type BatchTarget, type MergeOperatorName } from './engine/write-batch.js';
export { Snapshot } from './engine/snapshot.js';
export { listElements, readUint64, uint64Operand } from './engine/merge-values.js';
export { loadEngine, type EngineSource } from './engine/wasm-module.js';
export type { HostVfs, OpenedStorage, StorageAdapter, StorageKind } from './storage/host-vfs.js';
export { memoryStorage, MemoryVfs } from './storage/memory.js';
export { opfsStorage, opfsSyncAvailable, type OpfsStorageOptions } from './storage/opfs-pool.js';
export { indexedDbStorage, type IndexedDbStorageOptions } from './storage/indexeddb.js';
export { chooseStorage, type StorageChoice } from './storage/choose.js';
export { requestPersistence, storageEstimate, type StorageEstimate } from './storage/persistence.js';
export * from './state/index.js';
export { CheckpointFormatError, CheckpointNotFoundError, CheckpointVersionError } from './checkpoint/checkpoint-errors.js';
export { memoryCheckpointStore } from './checkpoint/memory-store.js';
export { retainAndCollect, type CheckpointFileRef, type CheckpointRecord, type CheckpointStore } from './checkpoint/store.js';
export { buildExport, readExport, type ExportedFile, type ExportHeader, type ExportSource, type FileSink } from './checkpoint/export-format.js';
export { LsmStateBackend } from './state/lsm/lsm-backend.js';
export type { RestoreSource } from './state/lsm/lsm-checkpoints.js';
export { indexedDbCheckpointDatabaseName, indexedDbCheckpointStore, type IndexedDbCheckpointStore } from './checkpoint/idb-store.js';
export { OPFS_CHECKPOINT_ROOT, opfsCheckpointStore } from './checkpoint/opfs-store.js';
export { nodeFsCheckpointStore } from './checkpoint/fs-store.js';
export {
  applicableChecks,
  checkpointStoreChecks,
  runCheckpointStoreCheck,
  runCheckpointStoreConformance,
  type CheckpointStoreCheck,
  type CheckpointStoreFailure,
  type CheckpointStoreSubject,
  type OpenCheckpointStore,
} from './checkpoint/store-conformance.js';
export { deleteDatabase, listDatabases, type StoredDatabase } from './storage/databases.js';
export { exportDatabase } from './checkpoint/export-database.js';
