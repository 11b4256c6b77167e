/**
 * The `CheckpointStore` contract (store.ts) as runner-free checks: vitest registers each one as a
 * test against the memory and Node fs stores (`*-store.test.ts`), and the demo's diagnostics run
 * them in Chromium against the IndexedDB and OPFS stores, on the page and in a worker.
 *
 * Every check gets a fresh, empty store from the factory and disposes of it afterwards, so a check
 * may leave anything behind in it. Checks that reopen a store (persistence) run only for stores
 * whose subject can `reopen()`.
 */
import { CheckpointNotFoundError } from './checkpoint-errors.js';
import { retainAndCollect, type CheckpointFileRef, type CheckpointRecord, type CheckpointStore } from './store.js';

/** A fresh, empty store for one check. */
export interface CheckpointStoreSubject {
  readonly store: CheckpointStore;
  /**
   * A second store object over the same storage, as a later session would open it. Only
   * persistent stores have one; the persistence checks run only for them.
   */
  readonly reopen?: () => CheckpointStore | Promise<CheckpointStore>;
  /** Removes the store's storage (called after the check, pass or fail). */
  readonly dispose?: () => Promise<void>;
}

/** Makes a fresh, empty store per check. */
export type OpenCheckpointStore = () => Promise<CheckpointStoreSubject>;

/** One check of the contract. */
export interface CheckpointStoreCheck {
  /** The behaviour it proves, as a sentence. */
  readonly name: string;
  /** Whether it needs `reopen` (a persistent store). */
  readonly persistent?: boolean;
  run(subject: CheckpointStoreSubject): Promise<void>;
}

/** A check that failed, with why. */
export interface CheckpointStoreFailure {
  readonly check: string;
  readonly error: string;
}

/** A check's expectation did not hold. */
export class CheckpointStoreCheckFailure extends Error {
  override readonly name = 'CheckpointStoreCheckFailure';
}

function fail(what: string, expected: unknown, actual: unknown): never {
  throw new CheckpointStoreCheckFailure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  // JSON equality is enough here: every compared value is JSON (records, listings, byte arrays as numbers).
  if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(what, expected, actual);
}

function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length) fail(`${what} (length)`, expected.length, actual.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) fail(`${what} (byte ${i})`, expected[i], actual[i]);
  }
}

async function expectNotFound(promise: Promise<unknown>, what: string): Promise<void> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof CheckpointNotFoundError) return;
    throw new CheckpointStoreCheckFailure(`${what}: expected CheckpointNotFoundError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new CheckpointStoreCheckFailure(`${what}: expected CheckpointNotFoundError, got success`);
}

/** Deterministic bytes (a xorshift stream), so a misplaced chunk shows as a wrong byte. */
function pattern(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function* chunksOf(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let p = 0;
  for (const size of sizes) {
    // Yield on a later task than the consumer's request, as a slow producer would.
    await Promise.resolve();
    yield bytes.slice(p, p + size);
    p += size;
  }
  if (p !== bytes.length) throw new Error('chunk sizes do not add up');
}

async function read(store: CheckpointStore, key: string): Promise<Uint8Array> {
  return new Uint8Array(await (await store.getFile(key)).arrayBuffer());
}

async function listing(store: CheckpointStore): Promise<Array<{ key: string; size: number }>> {
  return (await store.listFiles()).map(({ key, size }) => ({ key, size })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function ref(name: string, key: string, size: number): CheckpointFileRef {
  return { name, key, size, crc32c: size * 7 };
}

function record(id: string, createdAt: number, files: readonly CheckpointFileRef[], metadata?: unknown): CheckpointRecord {
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  return {
    id,
    createdAt,
    backend: 'lsm',
    incremental: false,
    totalBytes,
    deltaBytes: totalBytes,
    durationMs: 1.5,
    lastSequence: createdAt * 10,
    files,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** Keys as the LSM backend makes them: `<database id>/<table>` and `<checkpoint id>/<file>`. */
const KEYS = {
  table: '6f1c2a9e-7d41-4b8a-9c55-0e2f3a4b5c6d/000012.sst',
  manifest: 'ckpt-0000000001/MANIFEST-000020',
  current: 'ckpt-0000000001/CURRENT',
} as const;

export const checkpointStoreChecks: readonly CheckpointStoreCheck[] = [
  {
    name: 'a stored file reads back byte for byte and hasFile reports exactly the stored keys',
    async run({ store }) {
      const bytes = pattern(70_000, 1);
      expectEqual(await store.hasFile(KEYS.table), false, 'hasFile before putFile');
      await store.putFile(KEYS.table, bytes);
      expectEqual(await store.hasFile(KEYS.table), true, 'hasFile after putFile');
      expectEqual(await store.hasFile(KEYS.manifest), false, 'hasFile of another key');
      expectBytes(await read(store, KEYS.table), bytes, 'file read back');
    },
  },
  {
    name: 'a file put from an async iterable of many chunks (some empty) is their concatenation',
    async run({ store }) {
      const sizes = [1, 0, 4096, 65_536, 3, 0, 250_000, 17];
      const bytes = pattern(sizes.reduce((a, b) => a + b, 0), 2);
      await store.putFile(KEYS.table, chunksOf(bytes, sizes));
      expectBytes(await read(store, KEYS.table), bytes, 'chunked file read back');
      expectEqual(await listing(store), [{ key: KEYS.table, size: bytes.length }], 'listing after a chunked put');
    },
  },
  {
    name: 'the caller may reuse its buffer once putFile resolved: the store keeps its own copy',
    async run({ store }) {
      const bytes = pattern(1000, 3);
      const expected = bytes.slice();
      await store.putFile(KEYS.manifest, bytes);
      bytes.fill(0);
      expectBytes(await read(store, KEYS.manifest), expected, 'file after the caller overwrote its buffer');
    },
  },
  {
    name: 'putFile replaces a stored file, also by a shorter one',
    async run({ store }) {
      await store.putFile(KEYS.current, pattern(5000, 4));
      const shorter = new TextEncoder().encode('MANIFEST-000020\n');
      await store.putFile(KEYS.current, shorter);
      expectBytes(await read(store, KEYS.current), shorter, 'replaced file');
      expectEqual(await listing(store), [{ key: KEYS.current, size: shorter.length }], 'listing after the replacement');
    },
  },
  {
    name: 'an empty file is stored, read and listed with size 0',
    async run({ store }) {
      await store.putFile(KEYS.current, new Uint8Array(0));
      expectEqual(await store.hasFile(KEYS.current), true, 'hasFile of the empty file');
      expectEqual((await read(store, KEYS.current)).length, 0, 'empty file length');
      expectEqual(await listing(store), [{ key: KEYS.current, size: 0 }], 'listing');
    },
  },
  {
    name: 'getFile of a key never stored or deleted throws CheckpointNotFoundError',
    async run({ store }) {
      await expectNotFound(store.getFile(KEYS.table), 'getFile of a key never stored');
      await store.putFile(KEYS.table, pattern(10, 5));
      await store.deleteFile(KEYS.table);
      await expectNotFound(store.getFile(KEYS.table), 'getFile of a deleted key');
    },
  },
  {
    name: 'deleteFile removes only its file, and deleting an absent file is no error',
    async run({ store }) {
      await store.putFile(KEYS.table, pattern(100, 6));
      await store.putFile(KEYS.manifest, pattern(200, 7));
      await store.deleteFile(KEYS.table);
      await store.deleteFile(KEYS.table);
      await store.deleteFile('never/stored.sst');
      expectEqual(await store.hasFile(KEYS.table), false, 'hasFile of the deleted file');
      expectEqual(await listing(store), [{ key: KEYS.manifest, size: 200 }], 'listing after deletes');
    },
  },
  {
    name: 'listFiles lists every stored file with its size, keys with slashes and dots intact',
    async run({ store }) {
      const keys = [KEYS.table, KEYS.manifest, KEYS.current, 'a/b/c/000001.sst', 'x.y/%20odd name'];
      for (const [i, key] of keys.entries()) await store.putFile(key, pattern(10 * (i + 1), 8 + i));
      const expected = keys.map((key, i) => ({ key, size: 10 * (i + 1) })).sort((a, b) => (a.key < b.key ? -1 : 1));
      expectEqual(await listing(store), expected, 'listing');
      for (const [i, key] of keys.entries()) expectBytes(await read(store, key), pattern(10 * (i + 1), 8 + i), `file ${key}`);
    },
  },
  {
    name: 'records read back as written (metadata and file references included), oldest first',
    async run({ store }) {
      const a = record('ckpt-0000000002', 2000, [ref('000012.sst', KEYS.table, 70)], { offset: 42, source: ['p', 1] });
      const b = record('ckpt-0000000001', 1000, [ref('CURRENT', KEYS.current, 16)]);
      const c = record('ckpt-0000000003', 3000, []);
      for (const r of [a, c, b]) await store.putRecord(r);
      expectEqual(await store.listRecords(), [b, a, c], 'records oldest first');
    },
  },
  {
    name: 'records taken in the same millisecond are listed in id order',
    async run({ store }) {
      const ids = ['ckpt-0000000011', 'ckpt-0000000009', 'ckpt-0000000010'];
      for (const id of ids) await store.putRecord(record(id, 5000, []));
      expectEqual((await store.listRecords()).map((r) => r.id), [...ids].sort(), 'ids in order');
    },
  },
  {
    name: 'putRecord with an existing id replaces that record; deleteRecord removes one, absent ids are no error',
    async run({ store }) {
      await store.putRecord(record('ckpt-0000000001', 1000, []));
      await store.putRecord(record('ckpt-0000000002', 2000, []));
      const replaced = record('ckpt-0000000001', 1000, [ref('CURRENT', KEYS.current, 16)], 'second');
      await store.putRecord(replaced);
      expectEqual((await store.listRecords())[0], replaced, 'replaced record');
      await store.deleteRecord('ckpt-0000000002');
      await store.deleteRecord('ckpt-0000000002');
      await store.deleteRecord('never-recorded');
      expectEqual(await store.listRecords(), [replaced], 'records after deletes');
    },
  },
  {
    name: 'retainAndCollect keeps the newest N records and deletes exactly the files none of them references',
    async run({ store }) {
      const shared = ref('000005.sst', 'db/000005.sst', 11);
      const old = ref('000003.sst', 'db/000003.sst', 12);
      const fresh = ref('000009.sst', 'db/000009.sst', 13);
      const orphan = 'db/000007.sst'; // uploaded by a checkpoint that failed before its record
      const inFlight = 'db/000010.sst'; // being uploaded by a checkpoint in progress
      for (const f of [shared, old, fresh]) await store.putFile(f.key, pattern(f.size, f.size));
      await store.putFile(orphan, pattern(14, 14));
      await store.putFile(inFlight, pattern(15, 15));
      const manifests = [1, 2, 3].map((n) => ref(`MANIFEST-00000${n}`, `ckpt-${n}/MANIFEST-00000${n}`, 20 + n));
      for (const m of manifests) await store.putFile(m.key, pattern(m.size, m.size));
      const [m1, m2, m3] = manifests as [CheckpointFileRef, CheckpointFileRef, CheckpointFileRef];
      await store.putRecord(record('ckpt-1', 1000, [old, shared, m1]));
      await store.putRecord(record('ckpt-2', 2000, [shared, m2]));
      await store.putRecord(record('ckpt-3', 3000, [shared, fresh, m3]));
      const deleted = await retainAndCollect(store, 2, new Set([inFlight]));
      expectEqual(deleted, 3, 'files deleted (the dropped checkpoint’s two and the orphan)');
      expectEqual((await store.listRecords()).map((r) => r.id), ['ckpt-2', 'ckpt-3'], 'records kept');
      const kept = [shared, fresh, m2, m3].map((f) => ({ key: f.key, size: f.size }));
      kept.push({ key: inFlight, size: 15 });
      expectEqual(await listing(store), kept.sort((a, b) => (a.key < b.key ? -1 : 1)), 'files kept');
      expectEqual(await retainAndCollect(store, 2, new Set([inFlight])), 0, 'a second collection deletes nothing');
    },
  },
  {
    name: 'a store opened again over the same storage has every file and record the first one stored',
    persistent: true,
    async run({ store, reopen }) {
      if (reopen === undefined) throw new CheckpointStoreCheckFailure('a persistence check needs reopen()');
      const bytes = pattern(123_456, 9);
      await store.putFile(KEYS.table, bytes);
      const r = record('ckpt-0000000001', 1000, [ref('000012.sst', KEYS.table, bytes.length)], { offset: 7 });
      await store.putRecord(r);
      const again = await reopen();
      expectEqual(await again.listRecords(), [r], 'records seen by the second store');
      expectEqual(await listing(again), [{ key: KEYS.table, size: bytes.length }], 'files seen by the second store');
      expectBytes(await read(again, KEYS.table), bytes, 'file read by the second store');
    },
  },
];

/** The checks that apply to a store, given whether its subjects can reopen. */
export function applicableChecks(persistent: boolean): readonly CheckpointStoreCheck[] {
  return checkpointStoreChecks.filter((c) => persistent || c.persistent !== true);
}

/** Runs `check` on a fresh subject from `open`, disposing of the subject whatever happens. */
export async function runCheckpointStoreCheck(check: CheckpointStoreCheck, open: OpenCheckpointStore): Promise<void> {
  const subject = await open();
  try {
    await check.run(subject);
  } finally {
    await subject.dispose?.();
  }
}

/**
 * Runs every applicable check (a runner-free entry point, for pages and workers). Returns how many
 * ran and the failures.
 */
export async function runCheckpointStoreConformance(
  open: OpenCheckpointStore,
  options: { readonly persistent: boolean },
): Promise<{ readonly checks: number; readonly failures: readonly CheckpointStoreFailure[] }> {
  const checks = applicableChecks(options.persistent);
  const failures: CheckpointStoreFailure[] = [];
  for (const check of checks) {
    try {
      await runCheckpointStoreCheck(check, open);
    } catch (e) {
      failures.push({ check: check.name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return { checks: checks.length, failures };
}
