/**
 * Checkpoints of the LSM backend (docs/checkpoints.md): pin the live tables, store the ones no
 * retained checkpoint stored yet, record the checkpoint; export any retained one as a single
 * blob; restore one (from a blob or a store) into a storage, validated in a staging area first.
 */
import { CheckpointFormatError, CheckpointNotFoundError } from '../../checkpoint/checkpoint-errors.js';
import { crc32c } from '../../checkpoint/checksum.js';
import { buildExport, readExport, type ExportHeader, type ExportPart, type ExportSource } from '../../checkpoint/export-format.js';
import { memoryCheckpointStore } from '../../checkpoint/memory-store.js';
import { checkCheckpointStore, retainAndCollect, type CheckpointFileRef, type CheckpointRecord, type CheckpointStore } from '../../checkpoint/store.js';
import { openLsm, type EngineTuning, type LsmDatabase } from '../../engine/lsm-database.js';
import type { EngineSource } from '../../engine/wasm-module.js';
import { InvalidArgumentError } from '../../errors.js';
import { serde } from '../serde/index.js';
import type { HostVfs, StorageAdapter } from '../../storage/host-vfs.js';

/** Bytes read from the engine per crossing while storing a table. */
const CHUNK = 1 << 20;
const encoder = new TextEncoder();

/** Default-column-family keys the backend keeps its own facts under. */
export const META = {
  databaseId: 'edgestate.database-id',
  checkpointCounter: 'edgestate.checkpoint-counter',
  checkpoint: 'edgestate.checkpoint',
} as const;

/** What a checkpoint records about the backend besides its state (JSON). */
export interface CheckpointFacts {
  readonly maxParallelism: number;
  readonly keyGroups: { readonly from: number; readonly to: number };
  /** Each timer service's watermark, when finite (JSON has no Infinity). */
  readonly watermarks: Readonly<Record<string, number>>;
  /** The services whose watermark is +Infinity (end of input: every timer fired). */
  readonly endedWatermarks?: readonly string[];
  readonly metadata?: unknown;
}

/**
 * The watermark facts of a checkpoint from each timer service's watermark: finite ones as they
 * are, +Infinity by name in `endedWatermarks`; -Infinity (never advanced) is left out.
 */
export function watermarkFacts(watermarks: Readonly<Record<string, number>>): Pick<CheckpointFacts, 'watermarks' | 'endedWatermarks'> {
  const finite: Record<string, number> = {};
  const ended: string[] = [];
  for (const [name, w] of Object.entries(watermarks)) {
    if (Number.isFinite(w)) finite[name] = w;
    else if (w === Infinity) ended.push(name);
  }
  return ended.length === 0 ? { watermarks: finite } : { watermarks: finite, endedWatermarks: ended };
}

/** What a checkpoint records about the backend that took it (the `edgestate.checkpoint` JSON). */
export interface RestoredFacts extends CheckpointFacts {
  readonly checkpointId?: string;
  readonly createdAt?: number;
}

/**
 * The facts of the checkpoint database `db`, checked for a backend of `maxParallelism` key
 * groups: `CheckpointFormatError` when it holds no keyed state (an engine export) or the record
 * is malformed, `InvalidArgumentError` when its key groups are not this backend's.
 */
export function readCheckpointFacts(db: LsmDatabase, maxParallelism: number): RestoredFacts {
  const json = db.defaultColumnFamily.getString(META.checkpoint);
  if (json === undefined) throw new CheckpointFormatError('the checkpoint holds no keyed state (no edgestate.checkpoint record)');
  let facts: unknown;
  try {
    facts = JSON.parse(json);
  } catch {
    throw new CheckpointFormatError('the checkpoint record edgestate.checkpoint is not JSON');
  }
  const f = facts as Partial<RestoredFacts> | null;
  const watermarks = f?.watermarks;
  const ended = f?.endedWatermarks ?? [];
  if (
    typeof f !== 'object' ||
    f === null ||
    !Number.isSafeInteger(f.maxParallelism) ||
    typeof watermarks !== 'object' ||
    watermarks === null ||
    !Object.values(watermarks).every((w) => typeof w === 'number') ||
    !Array.isArray(ended) ||
    !ended.every((name) => typeof name === 'string')
  ) {
    throw new CheckpointFormatError('the checkpoint record edgestate.checkpoint is malformed');
  }
  if (f.maxParallelism !== maxParallelism) {
    throw new InvalidArgumentError(`the checkpoint has maxParallelism ${f.maxParallelism}, this backend ${maxParallelism}: key groups would not match`, {
      checkpoint: f.maxParallelism!,
      backend: maxParallelism,
    });
  }
  // Readers see one map: an ended service's watermark is +Infinity there.
  return { ...(f as RestoredFacts), watermarks: { ...watermarks, ...Object.fromEntries(ended.map((name) => [name, Infinity])) } };
}

/** Where a backend keeps its checkpoints and how many, as its `checkpoints` option gives them. */
export interface CheckpointSettings {
  readonly store: CheckpointStore;
  readonly retain: number;
}

/**
 * A backend's `checkpoints` option, validated (`InvalidArgumentError` naming the field) and
 * defaulted: a memory store, the newest 3 kept.
 */
export function resolveCheckpoints(option: { readonly store?: CheckpointStore; readonly retain?: number } | undefined): CheckpointSettings {
  if (option !== undefined && (typeof option !== 'object' || option === null)) throw new InvalidArgumentError('checkpoints must be an object { store?, retain? }');
  const retain = option?.retain ?? 3;
  if (!Number.isSafeInteger(retain) || retain < 1) throw new InvalidArgumentError('checkpoints.retain must be an integer >= 1', { retain: String(retain) });
  if (option?.store !== undefined) checkCheckpointStore(option.store, 'checkpoints.store');
  return { store: option?.store ?? memoryCheckpointStore(), retain };
}

/**
 * Throws `InvalidArgumentError` unless `metadata` is a JSON value (what a checkpoint can record
 * and give back unchanged): checked before a checkpoint changes anything.
 */
export function checkCheckpointMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  try {
    serde.json.check(metadata);
  } catch (e) {
    throw new InvalidArgumentError(`checkpoint metadata must be a JSON value: ${(e as Error).message}`);
  }
}

/** The database's id (random, made on first use): names its tables in checkpoint stores. */
export function databaseId(db: LsmDatabase): string {
  const meta = db.defaultColumnFamily;
  let id = meta.getString(META.databaseId);
  if (id === undefined) {
    id = crypto.randomUUID();
    meta.put(META.databaseId, id, { sync: true });
  }
  return id;
}

async function* pinnedChunks(db: LsmDatabase, name: string, size: number, crc: { value: number }): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < size; ) {
    const chunk = db.readPinned(name, offset, Math.min(CHUNK, size - offset));
    if (chunk.length === 0) throw new Error(`table ${name} ended at ${offset} of ${size} bytes`);
    crc.value = crc32c(chunk, crc.value);
    offset += chunk.length;
    yield chunk;
  }
}

/**
 * Takes a checkpoint of `db` into `store`: tables already stored by a retained checkpoint are
 * referenced, not stored again; then keeps the newest `retain` checkpoints and deletes every file
 * none of them references. `cut` runs once the storage is ready, right before the tables are
 * pinned, with nothing awaited in between: what the database holds when it returns is the
 * checkpoint, and it returns the facts to record (it is where a backend writes what it holds
 * outside the engine, so that everything is of one instant).
 */
export async function takeCheckpoint(
  db: LsmDatabase,
  store: CheckpointStore,
  cut: () => CheckpointFacts,
  retain: number,
  now: () => number,
  /** Which backend's state `db` holds, and when taking the checkpoint began (`performance.now()`). */
  origin: { readonly backend: 'lsm' | 'heap'; readonly started?: number } = { backend: 'lsm' },
): Promise<CheckpointRecord> {
  const started = origin.started ?? performance.now();
  // Pinning flushes every column family at once: the storage must be ready for that many files.
  // (Awaited first: from here to the pin nothing awaits, so the checkpoint is one instant.)
  await db.reserveFiles();
  const facts = cut();
  const dbId = databaseId(db);
  const meta = db.defaultColumnFamily;
  const counter = Number(meta.getString(META.checkpointCounter) ?? '0') + 1;
  const id = `ckpt-${String(counter).padStart(10, '0')}`;
  const createdAt = now();
  meta.put(META.checkpointCounter, String(counter));
  meta.put(META.checkpoint, JSON.stringify({ ...facts, backend: origin.backend, checkpointId: id, createdAt }));
  const pin = db.pinCheckpoint();
  const uploaded = new Set<string>();
  try {
    const known = new Map<string, CheckpointFileRef>();
    for (const r of await store.listRecords()) for (const f of r.files) known.set(f.key, f);
    const files: CheckpointFileRef[] = [];
    let delta = 0;
    let reused = 0;
    for (const table of pin.tables) {
      const key = `${dbId}/${table.name}`;
      const previous = known.get(key);
      if (previous !== undefined && previous.size === table.size && (await store.hasFile(key))) {
        files.push(previous);
        reused++;
        continue;
      }
      const crc = { value: 0 };
      uploaded.add(key);
      await store.putFile(key, pinnedChunks(db, table.name, table.size, crc));
      files.push({ name: table.name, key, size: table.size, crc32c: crc.value });
      delta += table.size;
    }
    const current = encoder.encode(`${pin.manifestName}\n`);
    for (const [name, bytes] of [
      [pin.manifestName, pin.manifest],
      ['CURRENT', current],
    ] as const) {
      const key = `${id}/${name}`;
      uploaded.add(key);
      await store.putFile(key, bytes);
      files.push({ name, key, size: bytes.length, crc32c: crc32c(bytes) });
      delta += bytes.length;
    }
    const record: CheckpointRecord = {
      id,
      createdAt,
      backend: origin.backend,
      incremental: reused > 0,
      totalBytes: files.reduce((n, f) => n + f.size, 0),
      deltaBytes: delta,
      durationMs: performance.now() - started,
      lastSequence: pin.lastSequence,
      files,
      ...(facts.metadata === undefined ? {} : { metadata: facts.metadata }),
    };
    await store.putRecord(record);
    await retainAndCollect(store, retain);
    return record;
  } catch (e) {
    // What this attempt stored is garbage now: collect it (best effort) rather than leak it.
    await retainAndCollect(store, Number.MAX_SAFE_INTEGER).catch(() => undefined);
    throw e;
  } finally {
    db.releaseCheckpoint(pin.id);
  }
}

/** One retained checkpoint as a single self-contained export blob (docs/checkpoints.md). */
export async function exportCheckpoint(store: CheckpointStore, id: string): Promise<Blob> {
  const record = (await store.listRecords()).find((r) => r.id === id);
  if (record === undefined) throw new CheckpointNotFoundError(`no retained checkpoint ${JSON.stringify(id)} in ${store.description}`, { id });
  // CURRENT and the MANIFEST first: a reader can check them before the bulk arrives.
  const order = (name: string): number => (name === 'CURRENT' ? 0 : name.startsWith('MANIFEST-') ? 1 : 2);
  const parts: ExportPart[] = [];
  for (const f of [...record.files].sort((a, b) => order(a.name) - order(b.name))) {
    parts.push({ name: f.name, size: f.size, crc32c: f.crc32c, data: await store.getFile(f.key) });
  }
  return buildExport({ id: record.id, createdAt: record.createdAt, backend: record.backend, lastSequence: record.lastSequence }, parts);
}

/** Copies file `name` between storages a chunk at a time (memory stays bounded). */
function copyFile(from: HostVfs, to: HostVfs, name: string): void {
  const src = from.open(name, false);
  const dst = to.open(name, true);
  try {
    const buf = new Uint8Array(CHUNK);
    for (let offset = 0; ; ) {
      const n = from.read(src, offset, buf);
      if (n === 0) break;
      to.write(dst, offset, buf.subarray(0, n));
      offset += n;
    }
    to.sync(dst);
  } finally {
    from.close(src);
    to.close(dst);
  }
}

/** Where a restore reads a checkpoint from. */
export type RestoreSource = ExportSource | { readonly store: CheckpointStore; readonly id: string };

/**
 * Throws `InvalidArgumentError` unless `source` is a {@link RestoreSource}: an export's bytes
 * (Blob, ArrayBuffer, Uint8Array, ReadableStream) or `{ store, id }` of a checkpoint store.
 */
function checkRestoreSource(source: unknown): asserts source is RestoreSource {
  if (source instanceof Blob || source instanceof ArrayBuffer || source instanceof Uint8Array || source instanceof ReadableStream) return;
  if (typeof source === 'object' && source !== null && 'store' in source && 'id' in source) {
    checkCheckpointStore(source.store, 'restoreFrom.store');
    if (typeof source.id !== 'string') throw new InvalidArgumentError('restoreFrom.id must be a checkpoint id (a string)', { id: String(source.id) });
    return;
  }
  throw new InvalidArgumentError('restoreFrom must be an exported checkpoint (Blob, ArrayBuffer, Uint8Array or ReadableStream) or { store, id }', {
    restoreFrom: Object.prototype.toString.call(source),
  });
}

/** How {@link restoreCheckpointFiles} checks a checkpoint before it touches the target. */
export interface RestoreCheckOptions {
  /** Where the checkpoint is written and checked first (its contents are replaced). */
  readonly staging: StorageAdapter;
  /** The engine's `.wasm` (Node). */
  readonly wasm?: EngineSource | undefined;
  /** Checks the staged database, throwing to refuse it. */
  readonly accept?: ((db: LsmDatabase) => void) | undefined;
  /**
   * The engine options the target will be opened with: the staged copy is opened with them, so
   * that options the engine refuses fail the restore before the target is touched.
   */
  readonly engine?: EngineTuning | undefined;
}

/**
 * Restores a checkpoint into `target` (replacing what it holds). Everything is checked first in
 * `staging` — format, checksums, CURRENT, that the database opens (with the `engine` options)
 * and every table verifies, and whatever `accept` checks on the staged database (it throws to
 * refuse) — and `target` is touched only once all of that passed. Returns the export's header.
 */
export async function restoreCheckpointFiles(source: RestoreSource, target: StorageAdapter, options: RestoreCheckOptions): Promise<ExportHeader> {
  const { staging, wasm, accept, engine } = options;
  checkRestoreSource(source);
  const blob: ExportSource = 'store' in source && 'id' in source && !(source instanceof Blob) ? await exportCheckpoint(source.store, source.id) : (source as ExportSource);
  const staged = await staging.open();
  let header: ExportHeader;
  try {
    for (const name of staged.vfs.list()) staged.vfs.delete(name);
    let fd = -1;
    let offset = 0;
    header = await readExport(blob, {
      async begin(file) {
        await staged.reserve?.(2);
        fd = staged.vfs.open(file.name, true);
        offset = 0;
      },
      write(chunk) {
        staged.vfs.write(fd, offset, chunk);
        offset += chunk.length;
      },
      end() {
        staged.vfs.sync(fd);
        staged.vfs.close(fd);
        fd = -1;
      },
    }).finally(() => {
      if (fd >= 0) staged.vfs.close(fd);
    });
  } finally {
    await staged.close();
  }
  // The manifest must name exactly tables that are there and whole: open and verify. Opened
  // with the target's engine options, which the engine validates here, while the target is as
  // it was.
  const db = await openLsm({
    ...engine,
    storage: staging,
    columnFamilyDefaults: { merge: 'listAppend' },
    ...(wasm === undefined ? {} : { wasm }),
  });
  try {
    db.verify();
    accept?.(db);
  } finally {
    await db.close();
  }
  const from = await staging.open();
  try {
    const to = await target.open();
    try {
      // Every file is created synchronously below: storages that prepare handles need that many.
      await to.reserve?.(from.vfs.list().length + 4);
      for (const name of to.vfs.list()) to.vfs.delete(name);
      // CURRENT last: until it is there, the target holds no database at all.
      const names = from.vfs.list().filter((n) => n !== 'CURRENT');
      for (const name of [...names, 'CURRENT']) copyFile(from.vfs, to.vfs, name);
      await to.flush();
    } finally {
      await to.close();
    }
    for (const name of from.vfs.list()) from.vfs.delete(name);
  } finally {
    await from.close();
  }
  return header;
}
