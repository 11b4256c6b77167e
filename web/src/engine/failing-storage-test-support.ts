/**
 * Shared by the tests of storage failures (engine, state backends, worker): a memory storage
 * that fails on demand as a full or broken device does.
 */
import type { HostVfs, OpenedStorage, StorageAdapter } from '../storage/host-vfs.js';
import { MemoryVfs } from '../storage/memory.js';

/** Switches of a {@link failingStorage}; all off at first. */
export interface Faults {
  /** Writes throw QuotaExceededError, writing nothing. */
  full: boolean;
  /** Writes store 3 bytes of their data, then throw (an I/O error). */
  tornWrites: boolean;
  /** Truncates throw: a failed write cannot be cut back off. */
  failingTruncates: boolean;
  /**
   * Releasing throws QuotaExceededError and releases nothing, as IndexedDB's adapter does when
   * its last flush meets a full quota.
   */
  fullAtRelease: boolean;
}

/**
 * A memory storage that fails as `faults` says, counting how often it was released; while
 * `holdRelease` is set, releasing waits until `finishRelease()`.
 */
export function failingStorage() {
  const memory = new MemoryVfs();
  const faults: Faults = { full: false, tornWrites: false, failingTruncates: false, fullAtRelease: false };
  const vfs: HostVfs = {
    open: (name, create) => memory.open(name, create),
    read: (fd, offset, into) => memory.read(fd, offset, into),
    write(fd, offset, data) {
      if (faults.full) throw new DOMException('quota exceeded', 'QuotaExceededError');
      if (faults.tornWrites) {
        memory.write(fd, offset, data.subarray(0, 3));
        throw new DOMException('device error', 'InvalidStateError');
      }
      memory.write(fd, offset, data);
    },
    size: (fd) => memory.size(fd),
    truncate(fd, size) {
      if (faults.failingTruncates) throw new DOMException('device error', 'InvalidStateError');
      memory.truncate(fd, size);
    },
    sync: (fd) => memory.sync(fd),
    close: (fd) => memory.close(fd),
    delete: (name) => memory.delete(name),
    rename: (from, to) => memory.rename(from, to),
    list: () => memory.list(),
  };
  /** `reserves`: the file counts of the `reserve` calls that have completed (each a task later), in order. */
  const state = { releases: 0, holdRelease: false, finishRelease: () => {}, reserves: [] as number[] };
  const storage: StorageAdapter = {
    kind: 'memory',
    name: 'failing',
    open: (): Promise<OpenedStorage> =>
      Promise.resolve({
        vfs,
        flush: () => Promise.resolve(),
        // As OPFS's: the files are ready only a task later.
        reserve: (files: number) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              state.reserves.push(files);
              resolve();
            }, 0),
          ),
        close: async () => {
          if (state.holdRelease) await new Promise<void>((resolve) => (state.finishRelease = resolve));
          if (faults.fullAtRelease) throw new DOMException('quota exceeded', 'QuotaExceededError');
          state.releases++;
        },
      }),
  };
  return { storage, faults, state };
}
