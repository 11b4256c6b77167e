/**
 * A module worker for the state diagnostics: the LSM state conformance cases on OPFS (sync access
 * handles exist only in dedicated workers) and IndexedDB, and the checkpoint store checks run
 * from a worker context.
 */
import { expose } from 'comlink';
import { runBrowserCheckpointStoreConformance, type BrowserCheckpointStore, type CheckpointStoreReport } from './checkpoint-store-runs.js';
import { runLsmStateConformance, type StateConformanceReport, type StateConformanceStorage } from './state-conformance.js';

/** The API this worker serves through comlink. */
export interface StateWorkerApi {
  runStateConformance(storage: StateConformanceStorage): Promise<StateConformanceReport>;
  runCheckpointStoreConformance(store: BrowserCheckpointStore): Promise<CheckpointStoreReport>;
}

const api: StateWorkerApi = {
  runStateConformance: runLsmStateConformance,
  runCheckpointStoreConformance: runBrowserCheckpointStoreConformance,
};

expose(api);
