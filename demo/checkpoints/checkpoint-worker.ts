/**
 * The checkpoints demo's worker: owns an LSM state backend on OPFS (sync access handles, so a
 * dedicated worker) with a little demo state, takes incremental checkpoints into an OPFS
 * checkpoint store, exports one as a blob and restores an uploaded export into a fresh database.
 *
 * An import never touches the open database: it restores into a new one (validated in a staging
 * area first, see restoreCheckpointFiles), and only once that opened does the worker switch to it
 * and delete the old one. A damaged file therefore leaves the state exactly as it was.
 */
import { expose } from 'comlink';
import { opfsCheckpointStore } from '../../web/src/checkpoint/opfs-store.js';
import type { CheckpointRecord } from '../../web/src/checkpoint/store.js';
import { fullKeyGroupRange } from '../../web/src/state/key-groups.js';
import { resolveLsmOptions } from '../../web/src/state/lsm-options.js';
import { LsmStateBackend } from '../../web/src/state/lsm/lsm-backend.js';
import { serde } from '../../web/src/state/serde/index.js';
import { systemClock } from '../../web/src/state/clock.js';
import { opfsStorage } from '../../web/src/storage/opfs-pool.js';
import { InvalidArgumentError } from '../../web/src/errors.js';
import { installErrorTransfer } from '../../worker/wire.js';

/** OPFS folder of the demo's databases: `edgestate/<folder>/<database>`. */
export const DEMO_DATABASE_FOLDER = 'checkpoints-demo';
/** The demo's checkpoint store: `edgestate-checkpoints/<dir>`. */
export const DEMO_CHECKPOINT_DIR = 'checkpoints-demo';
/** Checkpoints kept. */
export const DEMO_RETAIN = 5;

const GREETING = { name: 'greeting', key: serde.string, value: serde.string } as const;
const HISTORY = { name: 'history', key: serde.string, value: serde.string } as const;
const VISITS = { name: 'visits', key: serde.string, value: serde.i32 } as const;

/** Everything the demo state holds, keys sorted: what a restore must give back exactly. */
export interface DemoState {
  /** The open database's name. */
  readonly database: string;
  /** key → last value put. */
  readonly greeting: ReadonlyArray<readonly [string, string]>;
  /** key → every value put, in order (a ListState). */
  readonly history: ReadonlyArray<readonly [string, readonly string[]]>;
  /** key → number of puts. */
  readonly visits: ReadonlyArray<readonly [string, number]>;
}

/** A retained checkpoint, as the panel lists it. */
export type CheckpointSummary = Pick<CheckpointRecord, 'id' | 'createdAt' | 'incremental' | 'totalBytes' | 'deltaBytes' | 'durationMs'> & {
  readonly files: number;
};

/** The API this worker serves through comlink. */
export interface CheckpointWorkerApi {
  /** Opens (or creates) database `database`; idempotent for the open one. */
  open(database: string): Promise<DemoState>;
  /** Puts `value` for `key` in every demo state. */
  put(key: string, value: string): Promise<DemoState>;
  /** Puts `count` generated keys (`user-00000`…), to make tables worth checkpointing. */
  addMany(count: number): Promise<DemoState>;
  state(): Promise<DemoState>;
  checkpoint(): Promise<CheckpointSummary>;
  /** Retained checkpoints, oldest first. */
  list(): Promise<CheckpointSummary[]>;
  /** Checkpoint `id` as one `.esckp` blob. */
  exportCheckpoint(id: string): Promise<Blob>;
  /** Restores `file` into the fresh database `database` and switches to it; the old one is deleted. */
  importCheckpoint(file: Blob, database: string): Promise<DemoState>;
  close(): Promise<void>;
}

const store = opfsCheckpointStore(DEMO_CHECKPOINT_DIR);
let current: { readonly name: string; readonly backend: LsmStateBackend } | undefined;

function open(database: string, restoreFrom?: Blob): Promise<LsmStateBackend> {
  return LsmStateBackend.open({
    maxParallelism: 128,
    keyGroups: fullKeyGroupRange(128),
    clock: systemClock(),
    // A checkpoint flushes every column family at once (four here: default and three states),
    // each flush opening a table synchronously; the pool's default 4 spare handles run out
    // before it can grow (StorageExhaustedError), so keep more ready.
    storage: opfsStorage(`${DEMO_DATABASE_FOLDER}/${database}`, { lockTimeoutMs: 5000 }),
    lsm: resolveLsmOptions({ profile: 'memoryConstrained' }),
    checkpoints: { store, retain: DEMO_RETAIN },
    ...(restoreFrom === undefined ? {} : { restoreFrom }),
  });
}

/** Deletes a closed demo database (no error if it never got created). */
async function removeDatabase(database: string): Promise<void> {
  try {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate');
    await (await root.getDirectoryHandle(DEMO_DATABASE_FOLDER)).removeEntry(database, { recursive: true });
  } catch (e) {
    if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
  }
}

function backend(): LsmStateBackend {
  if (current === undefined) throw new InvalidArgumentError('the checkpoints demo has no open database (call open first)');
  return current.backend;
}

function snapshot(): DemoState {
  const b = backend();
  const greeting = b.valueState(GREETING);
  const history = b.listState(HISTORY);
  const visits = b.valueState(VISITS);
  const keys = (it: Iterable<string>) => [...it].sort();
  return {
    database: current!.name,
    greeting: keys(greeting.keys()).map((k) => [k, greeting.get(k)!] as const),
    history: keys(history.keys()).map((k) => [k, history.get(k)] as const),
    visits: keys(visits.keys()).map((k) => [k, visits.get(k)!] as const),
  };
}

function put(key: string, value: string): void {
  const b = backend();
  b.valueState(GREETING).put(key, value);
  b.listState(HISTORY).add(key, value);
  const visits = b.valueState(VISITS);
  visits.put(key, (visits.get(key) ?? 0) + 1);
}

function summary(r: CheckpointRecord): CheckpointSummary {
  return { id: r.id, createdAt: r.createdAt, incremental: r.incremental, totalBytes: r.totalBytes, deltaBytes: r.deltaBytes, durationMs: r.durationMs, files: r.files.length };
}

const api: CheckpointWorkerApi = {
  async open(database) {
    if (current?.name !== database) {
      const next = await open(database);
      await current?.backend.close();
      current = { name: database, backend: next };
    }
    return snapshot();
  },
  async put(key, value) {
    if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError('a key must be a non-empty string');
    put(key, value);
    return snapshot();
  },
  async addMany(count) {
    for (let i = 0; i < count; i++) put(`user-${String(i).padStart(5, '0')}`, `hello ${i}`);
    return snapshot();
  },
  async state() {
    return snapshot();
  },
  async checkpoint() {
    return summary(await backend().checkpoint({ metadata: { source: 'demo' } }));
  },
  async list() {
    return (await backend().checkpoints()).map(summary);
  },
  exportCheckpoint: (id) => backend().exportCheckpoint(id),
  async importCheckpoint(file, database) {
    if (current?.name === database) throw new InvalidArgumentError('import needs a fresh database name', { database });
    let next: LsmStateBackend;
    try {
      next = await open(database, file);
    } catch (e) {
      await removeDatabase(database).catch(() => undefined);
      throw e;
    }
    const previous = current;
    current = { name: database, backend: next };
    if (previous !== undefined) {
      await previous.backend.close();
      await removeDatabase(previous.name);
    }
    return snapshot();
  },
  async close() {
    await current?.backend.close();
    current = undefined;
  },
};

installErrorTransfer();
expose(api);
