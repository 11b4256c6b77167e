/**
 * The main thread's API for the engine worker. (The worker's own side, `createEngineHost`, is in
 * `host.ts`: importing it here would pull the engine into the page's bundle.)
 */
export { connect, type ConnectOptions, type EngineClient } from './connect.js';
export type {
  EngineHostApi,
  EngineWorkerApi,
  EntriesOptions,
  OpenResult,
  ValueEncoding,
  WorkerOpenOptions,
  WorkerStorageKind,
  WorkerStorageRequest,
} from './protocol.js';
