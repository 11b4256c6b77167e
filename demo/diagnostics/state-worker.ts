/**
 * A module worker for the state diagnostics: the LSM state conformance cases on OPFS (sync access
 * handles exist only in dedicated workers) and IndexedDB, the checkpoint store checks run from
 * a worker context, and an LSM backend's chain of checkpoints into each browser checkpoint store.
 */
import { expose } from 'comlink';
import { runCheckpointRoundTrip, type CheckpointRoundTripReport } from './checkpoint-round-trip.js';
import { runBrowserCheckpointStoreConformance, type BrowserCheckpointStore, type CheckpointStoreReport } from './checkpoint-store-runs.js';
import { runLsmStateConformance, type StateConformanceReport, type StateConformanceStorage } from './state-conformance.js';

/** The API this worker serves through comlink. */
export interface StateWorkerApi {
  runStateConformance(storage: StateConformanceStorage): Promise<StateConformanceReport>;
  runCheckpointStoreConformance(store: BrowserCheckpointStore): Promise<CheckpointStoreReport>;
  runCheckpointRoundTrip(store: BrowserCheckpointStore): Promise<CheckpointRoundTripReport>;
}

const api: StateWorkerApi = {
  runStateConformance: runLsmStateConformance,
  runCheckpointStoreConformance: runBrowserCheckpointStoreConformance,
  runCheckpointRoundTrip: (store) => runCheckpointRoundTrip(store),
};

expose(api);
