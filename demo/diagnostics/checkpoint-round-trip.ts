/**
 * An LSM state backend on OPFS checkpointing into a browser checkpoint store (IndexedDB or an OPFS
 * directory) the way an app would: a chain of incremental checkpoints with retention, then a
 * restore from the store into a fresh database. Reports what it saw; the Playwright spec judges.
 * Runs in a dedicated worker (the backend's OPFS storage needs sync access handles).
 */
import { deleteDB } from 'idb';
import { indexedDbCheckpointDatabaseName, indexedDbCheckpointStore } from '../../web/src/checkpoint/idb-store.js';
import { OPFS_CHECKPOINT_ROOT, opfsCheckpointStore } from '../../web/src/checkpoint/opfs-store.js';
import type { CheckpointStore } from '../../web/src/checkpoint/store.js';
import { ManualClock } from '../../web/src/state/clock.js';
import { fullKeyGroupRange } from '../../web/src/state/key-groups.js';
import { resolveLsmOptions } from '../../web/src/state/lsm-options.js';
import { LsmStateBackend } from '../../web/src/state/lsm/lsm-backend.js';
import { serde } from '../../web/src/state/serde/index.js';
import { opfsStorage } from '../../web/src/storage/opfs-pool.js';
import type { BrowserCheckpointStore } from './checkpoint-store-runs.js';

/** OPFS folder of the round trips' databases (`edgestate/<folder>/…`) and their stores' prefix. */
export const ROUND_TRIP_PREFIX = 'checkpoint-round-trip';

/** What a round trip saw. */
export interface CheckpointRoundTripReport {
  readonly store: BrowserCheckpointStore;
  readonly checkpoints: number;
  /** Ids of the records the store kept (retention: the newest `retain`). */
  readonly retained: readonly string[];
  /** Stored files no retained record references (must be none). */
  readonly orphans: readonly string[];
  /** Files retained records reference that the store does not have (must be none). */
  readonly missing: readonly string[];
  /** Per checkpoint: whether it was incremental, and its delta and total bytes. */
  readonly sizes: ReadonlyArray<{ readonly incremental: boolean; readonly deltaBytes: number; readonly totalBytes: number }>;
  /** Whether the state restored from the newest checkpoint equals the state it was taken at. */
  readonly restoredEqual: boolean;
  /** Keys in the restored state. */
  readonly restoredKeys: number;
}

const COUNT = { name: 'count', key: serde.string, value: serde.i32 } as const;
const EVENTS = { name: 'events', key: serde.string, value: serde.string } as const;

function dump(b: LsmStateBackend): string {
  const count = b.valueState(COUNT);
  const events = b.listState(EVENTS);
  const out: Array<[string, unknown]> = [];
  for (const k of [...count.keys()].sort()) out.push([`c:${k}`, count.get(k)]);
  for (const k of [...events.keys()].sort()) out.push([`e:${k}`, events.get(k)]);
  return JSON.stringify(out);
}

async function removeOpfs(path: readonly string[]): Promise<void> {
  let dir = await navigator.storage.getDirectory();
  for (const segment of path.slice(0, -1)) dir = await dir.getDirectoryHandle(segment);
  await dir.removeEntry(path[path.length - 1]!, { recursive: true });
}

/** Takes `checkpoints` checkpoints (1% of keys changed between them), keeping `retain`, then restores the newest. */
export async function runCheckpointRoundTrip(kind: BrowserCheckpointStore, checkpoints = 8, retain = 3): Promise<CheckpointRoundTripReport> {
  const run = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  const storeName = `${ROUND_TRIP_PREFIX}-${run}`;
  const store: CheckpointStore = kind === 'opfs' ? opfsCheckpointStore(`${ROUND_TRIP_PREFIX}/${run}`) : indexedDbCheckpointStore(storeName);
  const settings = (db: string) => ({
    maxParallelism: 128,
    keyGroups: fullKeyGroupRange(128),
    clock: new ManualClock(1_000),
    // Small memtables, so the chain spreads over many tables and the deltas are real deltas.
    lsm: resolveLsmOptions({ writeBufferSize: 64 << 10 }),
    storage: opfsStorage(`${ROUND_TRIP_PREFIX}/${run}-${db}`),
    checkpoints: { store, retain },
  });
  try {
    const source = await LsmStateBackend.open(settings('source'));
    const sizes: Array<{ incremental: boolean; deltaBytes: number; totalBytes: number }> = [];
    let expected = '';
    let newest = '';
    try {
      const count = source.valueState(COUNT);
      const events = source.listState(EVENTS);
      for (let i = 0; i < 5000; i++) count.put(`k${String(i).padStart(5, '0')}`, i);
      for (let c = 0; c < checkpoints; c++) {
        for (let i = 0; i < 50; i++) count.put(`k${String((c * 613 + i * 97) % 5000).padStart(5, '0')}`, -c);
        events.add(`round-${c % 3}`, `checkpoint ${c}`);
        const r = await source.checkpoint({ metadata: { round: c } });
        sizes.push({ incremental: r.incremental, deltaBytes: r.deltaBytes, totalBytes: r.totalBytes });
        newest = r.id;
      }
      expected = dump(source);
      count.put('after-the-checkpoint', 1);
    } finally {
      await source.close();
    }
    const records = await store.listRecords();
    const referenced = new Set(records.flatMap((r) => r.files.map((f) => f.key)));
    const stored = new Set((await store.listFiles()).map((f) => f.key));
    const restored = await LsmStateBackend.open({ ...settings('restored'), restoreFrom: { store, id: newest } });
    let restoredEqual: boolean;
    let restoredKeys: number;
    try {
      restoredEqual = dump(restored) === expected;
      restoredKeys = [...restored.valueState(COUNT).keys()].length;
    } finally {
      await restored.close();
    }
    return {
      store: kind,
      checkpoints,
      retained: records.map((r) => r.id),
      orphans: [...stored].filter((k) => !referenced.has(k)),
      missing: [...referenced].filter((k) => !stored.has(k)),
      sizes,
      restoredEqual,
      restoredKeys,
    };
  } finally {
    (store as { close?: () => void }).close?.();
    for (const db of ['source', 'restored']) await removeOpfs(['edgestate', ROUND_TRIP_PREFIX, `${run}-${db}`]).catch(() => undefined);
    if (kind === 'opfs') await removeOpfs([OPFS_CHECKPOINT_ROOT, ROUND_TRIP_PREFIX, run]);
    else await deleteDB(indexedDbCheckpointDatabaseName(storeName));
  }
}
