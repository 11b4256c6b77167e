/** The main thread's API for the engine worker. */
export { connect, type EngineClient } from './connect.js';
export type { EngineWorkerApi, EntriesOptions, OpenResult, ValueEncoding, WorkerOpenOptions, WorkerStorageKind, WorkerStorageRequest } from './protocol.js';
