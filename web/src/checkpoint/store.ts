/**
 * Where retained checkpoints live: shared files (stored once, referenced by any number of
 * checkpoints) and checkpoint records (one per checkpoint, written last). Adapters: memory
 * (memory-store.ts), IndexedDB, an OPFS directory, a Node/Deno directory.
 */
import { InvalidArgumentError } from '../errors.js';

/** A file a checkpoint references. */
export interface CheckpointFileRef {
  /** Its name inside the checkpoint's database (`000012.sst`, `MANIFEST-000020`, `CURRENT`). */
  readonly name: string;
  /** Where the store keeps it (shared between checkpoints when equal). */
  readonly key: string;
  readonly size: number;
  /** CRC32C of its bytes. */
  readonly crc32c: number;
}

/** A retained checkpoint, as the store records it. */
export interface CheckpointRecord {
  readonly id: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly backend: 'lsm' | 'heap';
  /** Whether it reused files an earlier retained checkpoint had stored. */
  readonly incremental: boolean;
  /** Bytes of every file it references. */
  readonly totalBytes: number;
  /** Bytes it stored anew (the cost of taking it). */
  readonly deltaBytes: number;
  /** How long taking it took, in ms. */
  readonly durationMs: number;
  /** Every write up to this sequence number of the database is in it. */
  readonly lastSequence: number;
  readonly files: readonly CheckpointFileRef[];
  /** What the app attached (JSON). */
  readonly metadata?: unknown;
}

/** Storage of checkpoints. Implementations must make `putRecord` durable before resolving. */
export interface CheckpointStore {
  /** A name for messages (`'memory'`, `'indexeddb:jobs'`…). */
  readonly description: string;
  hasFile(key: string): Promise<boolean>;
  /** Stores a file under `key` (replacing it); resolves once it is stored. */
  putFile(key: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /** A stored file's bytes; throws `CheckpointNotFoundError` when absent. */
  getFile(key: string): Promise<Blob>;
  /** Deletes a file (no error if absent). */
  deleteFile(key: string): Promise<void>;
  /** Every stored file with its size. */
  listFiles(): Promise<Array<{ readonly key: string; readonly size: number }>>;
  /** Records a checkpoint: only then does it exist. */
  putRecord(record: CheckpointRecord): Promise<void>;
  /** Every recorded checkpoint, oldest first. */
  listRecords(): Promise<CheckpointRecord[]>;
  deleteRecord(id: string): Promise<void>;
}

/** The methods a {@link CheckpointStore} has (`description` aside). */
const STORE_METHODS = ['hasFile', 'putFile', 'getFile', 'deleteFile', 'listFiles', 'putRecord', 'listRecords', 'deleteRecord'] as const;

/**
 * Throws `InvalidArgumentError` naming `field` unless `store` has every method of a
 * {@link CheckpointStore}: a wrong object given as a store fails where it is given, not at the
 * first checkpoint as a `TypeError` from deep inside it.
 */
export function checkCheckpointStore(store: unknown, field: string): asserts store is CheckpointStore {
  const missing = typeof store === 'object' && store !== null ? STORE_METHODS.filter((m) => typeof (store as Record<string, unknown>)[m] !== 'function') : STORE_METHODS;
  if (missing.length > 0) {
    throw new InvalidArgumentError(`${field} must be a CheckpointStore (missing ${missing.join(', ')})`, { field });
  }
}

/**
 * Keeps the newest `retain` checkpoints and deletes the others, then deletes every file no kept
 * checkpoint references — including files of checkpoints that failed before their record was
 * written. Returns the number of files deleted.
 */
export async function retainAndCollect(store: CheckpointStore, retain: number, inProgress: ReadonlySet<string> = new Set()): Promise<number> {
  const records = await store.listRecords();
  const drop = records.slice(0, Math.max(0, records.length - retain));
  for (const r of drop) await store.deleteRecord(r.id);
  const kept = records.slice(drop.length);
  const referenced = new Set<string>(inProgress);
  for (const r of kept) for (const f of r.files) referenced.add(f.key);
  let deleted = 0;
  for (const { key } of await store.listFiles()) {
    if (!referenced.has(key)) {
      await store.deleteFile(key);
      deleted++;
    }
  }
  return deleted;
}
