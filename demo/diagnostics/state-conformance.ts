/**
 * Runs every keyed-state conformance case (state kinds, TTL, timers, bad input, and the
 * fast-check properties against the model, with fewer runs than in Node) against the LSM backend
 * on a real browser storage: OPFS (sync access handles, so only in a dedicated worker) or
 * IndexedDB. Every backend a case opens gets a database of its own, deleted after the case.
 */
import { deleteDB } from 'idb';
import type { BackendRequest } from '../../web/src/state/conformance/case.js';
import { conformanceCases } from '../../web/src/state/conformance/cases.js';
import { fullKeyGroupRange } from '../../web/src/state/key-groups.js';
import { resolveLsmOptions } from '../../web/src/state/lsm-options.js';
import { LsmStateBackend } from '../../web/src/state/lsm/lsm-backend.js';
import type { StorageAdapter } from '../../web/src/storage/host-vfs.js';
import { indexedDbStorage } from '../../web/src/storage/indexeddb.js';
import { opfsStorage } from '../../web/src/storage/opfs-pool.js';

/** Storages the state conformance runs on. */
export type StateConformanceStorage = 'opfs' | 'indexeddb';

/** The folder (OPFS: `edgestate/<folder>/<db>`) or name prefix (IndexedDB) of the runs' databases. */
export const STATE_CONFORMANCE_PREFIX = 'state-conformance';

/** A case that failed, with why. */
export interface StateConformanceFailure {
  readonly group: string;
  readonly name: string;
  readonly error: string;
}

/** What a run found. */
export interface StateConformanceReport {
  readonly storage: StateConformanceStorage;
  /** Cases run (all of `conformanceCases()`). */
  readonly cases: number;
  /** Databases the cases opened (each deleted after its case). */
  readonly databases: number;
  readonly failures: readonly StateConformanceFailure[];
  readonly millis: number;
}

function adapter(storage: StateConformanceStorage, name: string): StorageAdapter {
  return storage === 'opfs' ? opfsStorage(`${STATE_CONFORMANCE_PREFIX}/${name}`) : indexedDbStorage(`${STATE_CONFORMANCE_PREFIX}-${name}`);
}

/** Deletes a closed database. */
async function remove(storage: StateConformanceStorage, name: string): Promise<void> {
  if (storage === 'indexeddb') {
    await deleteDB(`edgestate:${STATE_CONFORMANCE_PREFIX}-${name}`);
    return;
  }
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate');
  await (await root.getDirectoryHandle(STATE_CONFORMANCE_PREFIX)).removeEntry(name, { recursive: true });
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Runs every case once on `storage`; never throws for a failing case (it is reported). */
export async function runLsmStateConformance(storage: StateConformanceStorage): Promise<StateConformanceReport> {
  const started = performance.now();
  const run = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  // Every property case opens a fresh database per run: 15 runs keep OPFS runs to seconds.
  const cases = conformanceCases({ numRuns: 15 });
  const failures: StateConformanceFailure[] = [];
  let databases = 0;
  for (const c of cases) {
    const opened: Array<{ readonly name: string; backend?: LsmStateBackend }> = [];
    const open = async (request: BackendRequest): Promise<LsmStateBackend> => {
      const entry: { readonly name: string; backend?: LsmStateBackend } = { name: `${run}-${databases++}` };
      opened.push(entry);
      const maxParallelism = request.maxParallelism ?? 128;
      entry.backend = await LsmStateBackend.open({
        maxParallelism,
        keyGroups: request.keyGroups ?? fullKeyGroupRange(maxParallelism),
        clock: request.clock,
        storage: adapter(storage, entry.name),
        lsm: resolveLsmOptions(undefined),
      });
      return entry.backend;
    };
    try {
      await c.run(open);
    } catch (e) {
      failures.push({ group: c.group, name: c.name, error: describeError(e) });
    }
    // Cases close what they open; a failing one may not have: close it so its files can go.
    for (const { name, backend } of opened) {
      try {
        if (backend !== undefined && !backend.closed) await backend.close();
        await remove(storage, name);
      } catch (e) {
        failures.push({ group: c.group, name: `${c.name} (cleaning up ${name})`, error: describeError(e) });
      }
    }
  }
  return { storage, cases: cases.length, databases, failures, millis: Math.round(performance.now() - started) };
}
