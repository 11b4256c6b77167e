/**
 * The demo page: drives an engine worker through `connect()`, shows what is stored and proves
 * that it comes back from OPFS after the worker (or the page) is replaced.
 */
import { wrap } from 'comlink';
import * as errors from '../web/src/errors.js';
import { chooseStorage } from '../web/src/storage/choose.js';
import { requestPersistence } from '../web/src/storage/persistence.js';
import { deleteDatabase, listDatabases } from '../web/src/storage/databases.js';
import { startCheckpointsPanel, type CheckpointsPanel } from './checkpoints/panel.js';
import { describeError } from './describe-error.js';
import { connect, type EngineClient, type OpenResult, type WorkerStorageKind } from '../worker/index.js';
import type { ConformanceReport, ConformanceStorage, ConformanceWorkerApi } from './diagnostics/conformance-worker.js';
import { runDifferential, type DifferentialReport } from './diagnostics/differential.js';
import { runBrowserCheckpointStoreConformance, type BrowserCheckpointStore, type CheckpointStoreReport } from './diagnostics/checkpoint-store-runs.js';
import { indexedDbCheckpointStore } from '../web/src/checkpoint/idb-store.js';
import { opfsCheckpointStore } from '../web/src/checkpoint/opfs-store.js';
import type { CheckpointRoundTripReport } from './diagnostics/checkpoint-round-trip.js';
import type { StateConformanceReport, StateConformanceStorage } from './diagnostics/state-conformance.js';
import type { StateWorkerApi } from './diagnostics/state-worker.js';

const PARAMS = new URLSearchParams(location.search);
const DB_NAME = PARAMS.get('db') ?? 'demo';
const STORAGE_PARAM = PARAMS.get('storage');
const STORAGE = STORAGE_PARAM === 'memory' || STORAGE_PARAM === 'indexeddb' || STORAGE_PARAM === 'auto' ? STORAGE_PARAM : 'opfs';
/** Rows shown in the table; the count above it is the whole database. */
const SHOWN = 200;
/** A reload replaces the previous worker, whose lock the browser releases asynchronously. */
const LOCK_WAIT_MS = 5000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let client: EngineClient;
let opened: Promise<OpenResult>;

/** A positive integer URL parameter, as an option member (none if absent). */
function numberParam<K extends string>(key: K): { [P in K]?: number } {
  const n = Number(PARAMS.get(key) ?? '');
  return (Number.isInteger(n) && n > 0 ? { [key]: n } : {}) as { [P in K]?: number };
}

function newEngineWorker(): Worker {
  return new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' });
}

function startWorker(): void {
  client = connect(newEngineWorker());
  opened = client.open({ name: DB_NAME, storage: STORAGE, lockTimeoutMs: LOCK_WAIT_MS, ...numberParam('maxBytes'), ...numberParam('flushDelayMs') });
  opened.then(showRecovery, showError);
}

function showRecovery(result: OpenResult): void {
  const r = result.recovery;
  $('storage').textContent = result.storage;
  $('db-name').textContent = DB_NAME;
  const dropped = r.dropped.length ? `, dropped a torn tail of ${r.dropped.map((d) => d.droppedBytes).join('+')} bytes` : '';
  $('recovery').textContent = `recovered ${r.opsReplayed} writes from ${r.logsReplayed} log file(s)${dropped}`;
  void refresh();
}

function showError(e: unknown): void {
  const result = $('result');
  result.textContent = describeError(e);
  result.className = 'result error';
}

function showResult(text: string): void {
  const result = $('result');
  result.textContent = text;
  result.className = 'result';
}

async function refresh(): Promise<void> {
  await opened;
  const [entries, keys] = await Promise.all([client.entries({ encoding: 'utf8', limit: SHOWN }), client.count()]);
  const body = $('entries');
  body.replaceChildren(
    ...entries.map(([k, v]) => {
      const row = document.createElement('tr');
      for (const text of [k, v]) {
        const cell = document.createElement('td');
        cell.textContent = String(text);
        row.append(cell);
      }
      return row;
    }),
  );
  $('count').textContent = keys > entries.length ? `(${keys}, first ${entries.length} shown)` : `(${keys})`;
}

async function run(action: () => Promise<string>): Promise<void> {
  try {
    await opened;
    showResult(await action());
    await refresh();
  } catch (e) {
    showError(e);
  }
}

/** Terminates the worker (no close: as if it crashed) and opens the database in a new one. */
async function reopen(): Promise<OpenResult> {
  client.terminate();
  startWorker();
  return opened;
}

/**
 * Writes keys `crash-<n>` as fast as acknowledgements come back for `ms`, then kills the worker
 * without closing anything, reopens the database in a new worker and checks every acknowledged
 * write. Returns the acknowledged keys and how many of them were found.
 */
async function crashTest(ms = 300): Promise<{ acked: string[]; found: number; inFlightWhenKilled: number }> {
  await opened;
  const acked: string[] = [];
  let killed = false;
  let inFlight = 0;
  let n = 0;
  // Each writer always has one put in flight: a resolved put's continuation issues the next one
  // in the same microtask, so the kill (a timer task) always lands mid-stream.
  const writer = async () => {
    while (!killed) {
      const key = `crash-${String(n++).padStart(6, '0')}`;
      inFlight++;
      await client.put(key, `value of ${key}`);
      inFlight--;
      acked.push(key);
    }
  };
  const writers = [writer(), writer(), writer(), writer()].map((w) => w.catch(() => undefined));
  await new Promise((resolve) => setTimeout(resolve, ms));
  killed = true;
  const inFlightWhenKilled = inFlight;
  await reopen();
  await Promise.all(writers);
  let found = 0;
  for (const key of acked) if ((await client.get(key, 'utf8')) === `value of ${key}`) found++;
  await refresh();
  return { acked, found, inFlightWhenKilled };
}

/** Runs the HostVfs conformance checks over `storage` in a fresh worker (OPFS needs one). */
async function runConformance(storage: ConformanceStorage): Promise<ConformanceReport> {
  const worker = new Worker(new URL('./diagnostics/conformance-worker.ts', import.meta.url), { type: 'module' });
  try {
    return await wrap<ConformanceWorkerApi>(worker).run(storage);
  } finally {
    worker.terminate();
  }
}

/** Runs `body` against a fresh state diagnostics worker, terminated afterwards. */
async function withStateWorker<T>(body: (api: StateWorkerApi) => Promise<T>): Promise<T> {
  const worker = new Worker(new URL('./diagnostics/state-worker.ts', import.meta.url), { type: 'module' });
  try {
    return await body(wrap<StateWorkerApi>(worker) as unknown as StateWorkerApi);
  } finally {
    worker.terminate();
  }
}

/** Runs the keyed-state conformance cases against the LSM backend on `storage`, in a worker. */
function runStateConformance(storage: StateConformanceStorage): Promise<StateConformanceReport> {
  return withStateWorker((api) => api.runStateConformance(storage));
}

/** Runs the checkpoint store checks on `store`, on this page or in a worker. */
function runCheckpointStoreConformance(store: BrowserCheckpointStore, where: 'page' | 'worker'): Promise<CheckpointStoreReport> {
  if (where === 'page') return runBrowserCheckpointStoreConformance(store);
  return withStateWorker((api) => api.runCheckpointStoreConformance(store));
}

/** An LSM backend's chain of checkpoints into a browser checkpoint store, then a restore (in a worker). */
function runCheckpointRoundTrip(store: BrowserCheckpointStore): Promise<CheckpointRoundTripReport> {
  return withStateWorker((api) => api.runCheckpointRoundTrip(store));
}

/** Runs the differential test (engine in fresh workers vs a model) on a new database of `storage`. */
function differential(options: { storage: WorkerStorageKind; seed: number; operations: number }): Promise<DifferentialReport> {
  return runDifferential({
    ...options,
    name: `differential-${options.storage}-${options.seed}-${Date.now()}`,
    // No flush on hide: the test controls exactly when IndexedDB is written.
    startWorker: () => connect(newEngineWorker(), { flushOnHide: false }),
  });
}

$('kv').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $<HTMLInputElement>('key').value;
  const value = $<HTMLInputElement>('value').value;
  const sync = $<HTMLInputElement>('sync').checked;
  void run(async () => {
    await client.put(key, value, { sync });
    return `put ${key}${sync ? ' (synced)' : ''}`;
  });
});
$('get').addEventListener('click', () => {
  const key = $<HTMLInputElement>('key').value;
  void run(async () => {
    const value = await client.get(key, 'utf8');
    return value === undefined ? `${key} is not stored` : `${key} = ${String(value)}`;
  });
});
$('delete').addEventListener('click', () => {
  const key = $<HTMLInputElement>('key').value;
  void run(async () => {
    await client.delete(key);
    return `deleted ${key}`;
  });
});
$('reopen').addEventListener('click', () => {
  void reopen().catch(showError);
});
$('crash-test').addEventListener('click', () => {
  const out = $('crash-result');
  out.textContent = 'running…';
  crashTest().then(
    (r) => (out.textContent = `killed the worker after ${r.acked.length} acknowledged writes (${r.inFlightWhenKilled} in flight); found ${r.found} of ${r.acked.length} after reopening`),
    (e: unknown) => (out.textContent = describeError(e)),
  );
});

$('conformance').addEventListener('click', () => {
  const out = $('diagnostics-result');
  out.textContent = 'running…';
  const storages = ['opfs', 'indexeddb', 'memory'] as const;
  Promise.all(storages.map((s) => runConformance(s))).then(
    (reports) =>
      (out.textContent = reports
        .map((r) => `${r.storage}: ${r.checks - r.failures.length}/${r.checks} checks pass${r.failures.map((f) => `; ${f.check}: ${f.error}`).join('')}`)
        .join(' · ')),
    (e: unknown) => (out.textContent = describeError(e)),
  );
});
$('state-conformance').addEventListener('click', () => {
  const out = $('diagnostics-result');
  out.textContent = 'running…';
  const run = async () => {
    const parts: string[] = [];
    for (const storage of ['opfs', 'indexeddb'] as const) {
      const r = await runStateConformance(storage);
      parts.push(`lsm on ${storage}: ${r.cases - r.failures.length}/${r.cases} cases pass${r.failures.map((f) => `; ${f.group}: ${f.name}: ${f.error}`).join('')}`);
    }
    for (const store of ['indexeddb', 'opfs'] as const) {
      const r = await runCheckpointStoreConformance(store, 'page');
      parts.push(`${store} checkpoint store: ${r.checks - r.failures.length}/${r.checks} checks pass${r.failures.map((f) => `; ${f.check}: ${f.error}`).join('')}`);
    }
    return parts.join(' · ');
  };
  run().then(
    (text) => (out.textContent = text),
    (e: unknown) => (out.textContent = describeError(e)),
  );
});
$('differential').addEventListener('click', () => {
  const out = $('diagnostics-result');
  out.textContent = 'running…';
  differential({ storage: 'opfs', seed: Date.now() % 1_000_000, operations: 2000 }).then(
    (r) =>
      (out.textContent =
        `seed ${r.seed}: ${r.operations} operations in ${r.millis} ms, ${r.mismatches.length} mismatches` +
        r.mismatches.map((m) => `; #${m.index} ${m.operation}: expected ${m.expected}, got ${m.actual}`).join('')),
    (e: unknown) => (out.textContent = describeError(e)),
  );
});

startWorker();

/** Handles for tests and the console: the live client and the demo's actions. */
declare global {
  interface Window {
    edgestateDemo: {
      readonly client: EngineClient;
      readonly opened: Promise<OpenResult>;
      readonly errors: typeof errors;
      readonly chooseStorage: typeof chooseStorage;
      readonly requestPersistence: typeof requestPersistence;
      reopen: typeof reopen;
      crashTest: typeof crashTest;
      runConformance: typeof runConformance;
      runStateConformance: typeof runStateConformance;
      /** The browser checkpoint stores, for tests that look inside them. */
      readonly checkpointStores: { readonly indexedDbCheckpointStore: typeof indexedDbCheckpointStore; readonly opfsCheckpointStore: typeof opfsCheckpointStore };
      runCheckpointStoreConformance: typeof runCheckpointStoreConformance;
      runCheckpointRoundTrip: typeof runCheckpointRoundTrip;
      differential: typeof differential;
      /** The Checkpoints panel (its backend opens on first use). */
      readonly checkpoints: CheckpointsPanel;
      listDatabases: typeof listDatabases;
      deleteDatabase: typeof deleteDatabase;
    };
  }
}
window.edgestateDemo = {
  get client() {
    return client;
  },
  get opened() {
    return opened;
  },
  errors,
  chooseStorage,
  requestPersistence,
  reopen,
  crashTest,
  runConformance,
  runStateConformance,
  checkpointStores: { indexedDbCheckpointStore, opfsCheckpointStore },
  runCheckpointStoreConformance,
  runCheckpointRoundTrip,
  differential,
  checkpoints: startCheckpointsPanel(),
  listDatabases,
  deleteDatabase,
};
