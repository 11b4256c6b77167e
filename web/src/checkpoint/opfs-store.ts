/**
 * A checkpoint store in an OPFS directory, through OPFS's asynchronous API (`createWritable`,
 * `getFile`, `move`): unlike the engine's OPFS storage (sync access handles, workers only), it
 * works on the main thread and in every kind of worker.
 *
 * Layout, under the OPFS root: `edgestate-checkpoints/<dirName>/files/<encoded key>` and
 * `edgestate-checkpoints/<dirName>/records/<encoded id>.json`, names encoded with
 * `encodeURIComponent` (so a key's `/` is not a sub-directory, and no stored name has a `#`).
 *
 * Writes: every file and record is written under a temporary name (`<name>#tmp-<uuid>`), the
 * writable stream is closed (which commits its contents: Chromium writes to a `.crswap` file and
 * swaps it in on close), and the file is then moved onto its final name. A name is therefore
 * listed only once complete, never empty or half-written (a fresh `createWritable` target is
 * listed, empty, while being written). Listings skip every name with a `#`: temporary files and
 * the browser's swap files.
 *
 * Durability point of `putRecord`: the `move()` of the record to its final name. Before it the
 * checkpoint does not exist; after it the record is whole. OPFS's async API has no fsync: how
 * much survives a power loss is what the browser makes durable on a writable's close.
 *
 * Limitation: a write cut by a closed tab leaves its temporary file behind; it is never listed
 * (so never read) but it occupies quota until the directory is removed.
 */
import { InvalidArgumentError, QuotaExceededError, StorageError, StorageUnavailableError } from '../errors.js';
import { CheckpointNotFoundError } from './checkpoint-errors.js';
import type { CheckpointRecord, CheckpointStore } from './store.js';

/** The OPFS directory (under the root) that holds every OPFS checkpoint store. */
export const OPFS_CHECKPOINT_ROOT = 'edgestate-checkpoints';

const TEMP = '#tmp-';
const RECORD_SUFFIX = '.json';
/** Store names: as the engine's OPFS databases (letters, digits, `.`, `_`, `-`, `/`). */
const NAME_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** `move()`: in Chromium, Firefox and Safari's OPFS, not yet in TypeScript's DOM types. */
interface MovableFileHandle extends FileSystemFileHandle {
  move(name: string): Promise<void>;
}

function domName(e: unknown): string {
  return e instanceof DOMException ? e.name : e instanceof Error ? e.name : 'unknown';
}

function isNotFound(e: unknown): boolean {
  return domName(e) === 'NotFoundError' || domName(e) === 'TypeMismatchError';
}

function typedError(e: unknown, op: string, key: string): Error {
  if (e instanceof CheckpointNotFoundError || e instanceof InvalidArgumentError) return e;
  const kind = domName(e);
  const message = `OPFS ${op} of ${key} failed: ${e instanceof Error ? e.message : String(e)}`;
  if (kind === 'QuotaExceededError') return new QuotaExceededError(message, { op, file: key });
  return new StorageError(message, { op, file: key, kind });
}

async function writeChunks(writable: FileSystemWritableFileStream, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  // `write` copies what it is given before resolving: the caller may reuse its buffers after.
  if (data instanceof Uint8Array) {
    await writable.write(data as Uint8Array<ArrayBuffer>);
    return;
  }
  for await (const chunk of data) if (chunk.length > 0) await writable.write(chunk as Uint8Array<ArrayBuffer>);
}

/** Writes `data` as `dir/name`: into a temporary file, committed by close, then moved onto the name. */
async function writeAtomically(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const tempName = `${name}${TEMP}${crypto.randomUUID()}`;
  const handle = (await dir.getFileHandle(tempName, { create: true })) as MovableFileHandle;
  try {
    const writable = await handle.createWritable({ keepExistingData: false });
    try {
      await writeChunks(writable, data);
    } catch (e) {
      await writable.abort().catch(() => undefined);
      throw e;
    }
    await writable.close();
    await handle.move(name);
  } catch (e) {
    await dir.removeEntry(tempName).catch(() => undefined);
    throw e;
  }
}

function compareRecords(a: CheckpointRecord, b: CheckpointRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Every complete (not temporary) file of `dir`, as `[name, handle]`. */
async function completeFiles(dir: FileSystemDirectoryHandle): Promise<Array<[string, FileSystemFileHandle]>> {
  const out: Array<[string, FileSystemFileHandle]> = [];
  for await (const [name, handle] of dir.entries()) {
    if (handle.kind === 'file' && !name.includes('#')) out.push([name, handle]);
  }
  return out;
}

/**
 * A checkpoint store in the OPFS directory `edgestate-checkpoints/<dirName>` (created on first
 * use). Remove it with `removeEntry(dirName, { recursive: true })` on that directory.
 */
export function opfsCheckpointStore(dirName: string): CheckpointStore {
  if (typeof dirName !== 'string' || !NAME_PATTERN.test(dirName) || dirName.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidArgumentError(`invalid OPFS checkpoint directory ${JSON.stringify(dirName)}: use letters, digits, '.', '_', '-' and '/'`, {
      dirName: String(dirName),
    });
  }
  let dirs: Promise<{ files: FileSystemDirectoryHandle; records: FileSystemDirectoryHandle }> | undefined;
  const open = () =>
    (dirs ??= (async () => {
      if (typeof navigator === 'undefined' || navigator.storage?.getDirectory === undefined) {
        throw new StorageUnavailableError('OPFS is not available here', { storage: 'opfs' });
      }
      let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_CHECKPOINT_ROOT, { create: true });
      for (const segment of dirName.split('/')) dir = await dir.getDirectoryHandle(segment, { create: true });
      return {
        files: await dir.getDirectoryHandle('files', { create: true }),
        records: await dir.getDirectoryHandle('records', { create: true }),
      };
    })().catch((e: unknown) => {
      dirs = undefined;
      throw e;
    }));
  const run = async <T>(op: string, key: string, body: (d: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> => {
    try {
      return await body(await open());
    } catch (e) {
      throw typedError(e, op, key);
    }
  };

  return {
    description: `opfs:${OPFS_CHECKPOINT_ROOT}/${dirName}`,
    hasFile: (key) =>
      run('lookup', key, async ({ files }) => {
        try {
          await files.getFileHandle(encodeURIComponent(key));
          return true;
        } catch (e) {
          if (isNotFound(e)) return false;
          throw e;
        }
      }),
    putFile: (key, data) => run('write', key, ({ files }) => writeAtomically(files, encodeURIComponent(key), data)),
    getFile: (key) =>
      run('read', key, async ({ files }) => {
        try {
          // A snapshot: it stays readable as long as the file is not replaced, and stored
          // files never are (table names are never reused; checkpoint ids neither).
          return await (await files.getFileHandle(encodeURIComponent(key))).getFile();
        } catch (e) {
          if (isNotFound(e)) throw new CheckpointNotFoundError(`checkpoint file ${key} is not in ${OPFS_CHECKPOINT_ROOT}/${dirName}`, { key });
          throw e;
        }
      }),
    deleteFile: (key) =>
      run('delete', key, async ({ files }) => {
        try {
          await files.removeEntry(encodeURIComponent(key));
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }),
    listFiles: () =>
      run('list', 'files', async ({ files }) => {
        const out: Array<{ key: string; size: number }> = [];
        for (const [name, handle] of await completeFiles(files)) {
          try {
            out.push({ key: decodeURIComponent(name), size: (await handle.getFile()).size });
          } catch (e) {
            if (!isNotFound(e)) throw e; // deleted while listing
          }
        }
        return out;
      }),
    putRecord: (record) =>
      run('write', `record ${record.id}`, ({ records }) =>
        writeAtomically(records, encodeURIComponent(record.id) + RECORD_SUFFIX, new TextEncoder().encode(JSON.stringify(record))),
      ),
    listRecords: () =>
      run('list', 'records', async ({ records }) => {
        const out: CheckpointRecord[] = [];
        for (const [name, handle] of await completeFiles(records)) {
          if (!name.endsWith(RECORD_SUFFIX)) continue;
          try {
            out.push(JSON.parse(await (await handle.getFile()).text()) as CheckpointRecord);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
        return out.sort(compareRecords);
      }),
    deleteRecord: (id) =>
      run('delete', `record ${id}`, async ({ records }) => {
        try {
          await records.removeEntry(encodeURIComponent(id) + RECORD_SUFFIX);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }),
  };
}
