/**
 * A checkpoint store in a directory of the local file system, through `node:fs/promises`: for
 * Node and Deno (whose `node:` compatibility layer provides the same module).
 *
 * Layout: `<dir>/files/<encoded key>` (one file per stored file) and
 * `<dir>/records/<encoded id>.json` (one per checkpoint), where keys and ids are encoded with
 * `encodeURIComponent` so that a key's `/` never makes a sub-directory.
 *
 * Durability: every file and record is written under a temporary name, fsynced, then renamed over
 * its final name, and the directory is fsynced; a crash leaves the old version or the new one,
 * never a torn one, and temporary names are never listed. `putRecord` resolves after the rename
 * and the directory's fsync: that is the point where the checkpoint exists.
 *
 * `node:fs/promises` is imported on first use, not statically, so that bundles for browsers that
 * include the library's entry point never try to resolve it.
 */
import type * as FsPromises from 'node:fs/promises';
import { InvalidArgumentError, QuotaExceededError, StorageError } from '../errors.js';
import { CheckpointNotFoundError } from './checkpoint-errors.js';
import type { CheckpointRecord, CheckpointStore } from './store.js';

type Fs = typeof FsPromises;

/** Written under this suffix, then renamed: listings skip names that carry it (encodeURIComponent never makes a `#`). */
const TEMP = '#tmp-';
const RECORD_SUFFIX = '.json';

let fsModule: Promise<Fs> | undefined;
function fs(): Promise<Fs> {
  // A specifier in a variable keeps bundlers from resolving a Node built-in for the browser.
  const specifier = 'node:fs/promises';
  fsModule ??= import(/* @vite-ignore */ specifier) as Promise<Fs>;
  return fsModule;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** The typed error for a failed file-system call. */
function storageError(e: unknown, op: string, path: string): Error {
  const code = errorCode(e) ?? 'unknown';
  const message = `${op} ${path} failed: ${e instanceof Error ? e.message : String(e)}`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new QuotaExceededError(message, { op, file: path, kind: code });
  return new StorageError(message, { op, file: path, kind: code });
}

/** Joins path parts with `/`, which Node and Deno accept on every platform. */
function join(...parts: string[]): string {
  return parts.join('/').replace(/\/{2,}/g, '/');
}

/** Fsyncs a directory so a rename in it survives a crash; platforms that cannot do so are skipped. */
async function syncDirectory(f: Fs, dir: string): Promise<void> {
  let handle: FsPromises.FileHandle | undefined;
  try {
    handle = await f.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Windows cannot open directories; some file systems refuse to fsync them. The rename is
    // still atomic there, only its durability is up to the OS.
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(errorCode(e) ?? '')) throw e;
  } finally {
    await handle?.close();
  }
}

/** Writes `data` to `path` atomically: temporary file, fsync, rename, directory fsync. */
async function writeAtomically(f: Fs, dir: string, name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const final = join(dir, name);
  const temp = join(dir, `${name}${TEMP}${crypto.randomUUID()}`);
  try {
    const handle = await f.open(temp, 'w');
    try {
      if (data instanceof Uint8Array) {
        await handle.write(data, 0, data.length, 0);
      } else {
        let position = 0;
        for await (const chunk of data) {
          await handle.write(chunk, 0, chunk.length, position);
          position += chunk.length;
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await f.rename(temp, final);
  } catch (e) {
    await f.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncDirectory(f, dir);
}

function compareRecords(a: CheckpointRecord, b: CheckpointRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A checkpoint store in the directory `dir` (created, with its parents, on first use). Several
 * store objects may use one directory in turn, not at the same time from different processes.
 */
export function nodeFsCheckpointStore(dir: string): CheckpointStore {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgumentError(`checkpoint directory must be a non-empty path, got ${JSON.stringify(dir)}`, { dir: String(dir) });
  }
  const files = join(dir, 'files');
  const records = join(dir, 'records');
  let ready: Promise<Fs> | undefined;
  const open = (): Promise<Fs> =>
    (ready ??= (async () => {
      const f = await fs();
      await f.mkdir(files, { recursive: true });
      await f.mkdir(records, { recursive: true });
      return f;
    })().catch((e: unknown) => {
      ready = undefined;
      throw storageError(e, 'mkdir', dir);
    }));
  const filePath = (key: string) => join(files, encodeURIComponent(key));
  const wrap = async <T>(op: string, path: string, body: (f: Fs) => Promise<T>): Promise<T> => {
    const f = await open();
    try {
      return await body(f);
    } catch (e) {
      if (e instanceof CheckpointNotFoundError) throw e;
      throw storageError(e, op, path);
    }
  };

  return {
    description: `fs:${dir}`,
    hasFile: (key) =>
      wrap('stat', filePath(key), async (f) => {
        try {
          return (await f.stat(filePath(key))).isFile();
        } catch (e) {
          if (errorCode(e) === 'ENOENT') return false;
          throw e;
        }
      }),
    putFile: (key, data) => wrap('write', filePath(key), (f) => writeAtomically(f, files, encodeURIComponent(key), data)),
    getFile: (key) =>
      wrap('read', filePath(key), async (f) => {
        try {
          // Read whole: a Blob over a path would break if the file were replaced, and stored
          // files are at most one table each.
          return new Blob([await f.readFile(filePath(key))]);
        } catch (e) {
          if (errorCode(e) === 'ENOENT') throw new CheckpointNotFoundError(`checkpoint file ${key} is not in ${dir}`, { key });
          throw e;
        }
      }),
    deleteFile: (key) => wrap('delete', filePath(key), (f) => f.rm(filePath(key), { force: true })),
    listFiles: () =>
      wrap('list', files, async (f) => {
        const out: Array<{ key: string; size: number }> = [];
        for (const name of await f.readdir(files)) {
          if (name.includes(TEMP)) continue;
          const info = await f.stat(join(files, name)).catch((e: unknown) => {
            if (errorCode(e) === 'ENOENT') return undefined; // deleted while listing
            throw e;
          });
          if (info?.isFile()) out.push({ key: decodeURIComponent(name), size: info.size });
        }
        return out;
      }),
    putRecord: (record) =>
      wrap('write', records, (f) =>
        writeAtomically(f, records, encodeURIComponent(record.id) + RECORD_SUFFIX, new TextEncoder().encode(JSON.stringify(record))),
      ),
    listRecords: () =>
      wrap('list', records, async (f) => {
        const out: CheckpointRecord[] = [];
        for (const name of await f.readdir(records)) {
          if (name.includes(TEMP) || !name.endsWith(RECORD_SUFFIX)) continue;
          const text = await f.readFile(join(records, name), 'utf8').catch((e: unknown) => {
            if (errorCode(e) === 'ENOENT') return undefined;
            throw e;
          });
          if (text !== undefined) out.push(JSON.parse(text) as CheckpointRecord);
        }
        return out.sort(compareRecords);
      }),
    deleteRecord: (id) =>
      wrap('delete', records, async (f) => {
        await f.rm(join(records, encodeURIComponent(id) + RECORD_SUFFIX), { force: true });
        await syncDirectory(f, records);
      }),
  };
}
