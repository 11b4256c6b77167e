/**
 * edgestate's engine through its public API (`openLsm`), called synchronously in this worker,
 * on OPFS (the slot pool of sync access handles) or on memory.
 *
 * Bulk loads and the OPFS pool: the pool adds free file slots in the background (opening a sync
 * access handle is asynchronous), so a synchronous load that creates files (flushes, compaction
 * outputs) faster than the pool grows fails with "no free OPFS slot". The bench therefore keeps
 * {@link SPARE_SLOTS} spare slots (the option's maximum; the default of 4 ran out at a million
 * keys) and yields to the event loop every {@link YIELD_EVERY} writes, as a worker serving events
 * does between them. The yields are inside the timed loop (one message round trip per thousand
 * writes, tens of microseconds).
 */
import { memoryStorage, openLsm, opfsStorage, type LsmDatabase } from '../../../web/src/index.js';
import type { Workload } from '../workload.js';
import type { Contender, Store } from './contender.js';
import { yieldToEventLoop } from './event-loop.js';
import { removeOpfsEntry } from './opfs-files.js';

/** Writes between two yields to the event loop (one batch of `putMany` at the default batch size). */
const YIELD_EVERY = 1000;
/** `opfsStorage`'s `spareSlots` for bulk loads. */
const SPARE_SLOTS = 64;

/** Where `opfsStorage('bench/<name>')` keeps its files. */
const OPFS_ROOT = ['edgestate', 'bench'] as const;

function engineStore(db: LsmDatabase, durable: boolean): Store {
  const store: Store = {
    async putOne(w: Workload, count: number): Promise<void> {
      for (let from = 0; from < count; from += YIELD_EVERY) {
        const to = Math.min(from + YIELD_EVERY, count);
        for (let i = from; i < to; i++) db.put(w.key(i), w.value(i));
        await yieldToEventLoop();
      }
    },
    async putBatch(w: Workload, count: number, batchSize: number): Promise<void> {
      let sinceYield = 0;
      for (let from = 0; from < count; from += batchSize) {
        const to = Math.min(from + batchSize, count);
        const entries: Array<readonly [Uint8Array, Uint8Array]> = [];
        for (let i = from; i < to; i++) entries.push([w.key(i), w.value(i)]);
        db.putMany(entries);
        sinceYield += to - from;
        if (sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    },
    get(w: Workload, order: Uint32Array): number {
      let found = 0;
      for (const i of order) if (db.get(w.key(i))?.length === w.value(i).length) found++;
      return found;
    },
    scan(w: Workload, starts: Uint32Array, length: number): number {
      let entries = 0;
      for (const i of starts) entries += db.scan({ from: w.key(i), limit: length }).length;
      return entries;
    },
    close: () => db.close(),
  };
  if (!durable) return store;
  return {
    ...store,
    makeDurable: () => db.flush(),
    async commitOne(w: Workload, i: number): Promise<void> {
      db.put(w.key(i), w.value(i));
      await db.flush();
    },
  };
}

/**
 * The engine on OPFS: durable at `flush()` (every engine sync flushes the sync access handle).
 * With `walBufferSize`, log records go to OPFS a buffer at a time (and at every yield).
 */
export function engineOpfs(walBufferSize = 0): Contender {
  const buffered = walBufferSize > 0;
  return {
    detail: `edgestate engine (wasm) on OPFS (pool of sync access handles, spareSlots ${SPARE_SLOTS}), openLsm defaults${buffered ? `, walBufferSize ${walBufferSize}` : ''}`,
    notes: [
      ...(buffered
        ? [`engine with a WAL buffer (walBufferSize ${walBufferSize}): log records reach OPFS a buffer at a time and when the task yields; a worker killed mid-task loses that task's unsynced writes (a prefix survives)`]
        : []),
      `engine write loops yield to the event loop every ${YIELD_EVERY} writes, and OPFS keeps ${SPARE_SLOTS} spare file slots: the pool adds slots in the background, and a synchronous bulk load with the default 4 spares ran out of them at a million keys ("no free OPFS slot")`,
      'engine put/putMany append to the WAL without syncing: acknowledged (survive a killed worker), durable at the next flush()',
      'engine commit = put + await db.flush() (syncs the WAL: FileSystemSyncAccessHandle.flush)',
    ],
    perOpCapped: false,
    async open(name: string): Promise<Store> {
      await removeOpfsEntry([...OPFS_ROOT, name]);
      return engineStore(await openLsm({ storage: opfsStorage(`bench/${name}`, { spareSlots: SPARE_SLOTS }), ...(buffered ? { walBufferSize } : {}) }), true);
    },
    dispose: () => removeOpfsEntry(OPFS_ROOT),
  };
}

/** The engine on memory: the same code with files in JS memory, so no durability phases. */
export function engineMemory(): Contender {
  return {
    detail: 'edgestate engine (wasm) on memoryStorage(), openLsm defaults',
    notes: ['engine on memory: not durable, so no commit numbers'],
    perOpCapped: false,
    async open(name: string): Promise<Store> {
      return engineStore(await openLsm({ storage: memoryStorage(name) }), false);
    },
    dispose: () => Promise.resolve(),
  };
}
