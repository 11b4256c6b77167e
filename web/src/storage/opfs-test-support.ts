/**
 * An in-memory stand-in for the parts of OPFS and Web Locks that opfs-pool.ts uses, so its pool
 * logic runs in Node: directories, file handles, sync access handles (one at a time per file,
 * as browsers enforce: a second one fails with `NoModificationAllowedError`) and exclusive
 * locks. Tests can pause a step (`gate`) and fill the quota (`full`). Not part of the library.
 */
import { vi } from 'vitest';

/** A pause point: steps that reach it wait until {@link Gate.open}. */
export class Gate {
  #opened: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  /** Steps now waiting here. */
  waiting = 0;

  close(): void {
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }
  open(): void {
    this.#open();
  }
  async pass(): Promise<void> {
    this.waiting++;
    await this.#opened;
    this.waiting--;
  }
}

/** What a test controls and observes. */
export interface StubOpfs {
  /** Sync access handles open now, across every file. */
  openHandles(): number;
  /** Paused: `getFileHandle(…, { create: true })` of a file that does not exist yet. */
  readonly creating: Gate;
  /** Paused: `createSyncAccessHandle()`. */
  readonly opening: Gate;
  /** While set, growing a file fails with a `QuotaExceededError` DOMException. */
  full: boolean;
}

class StubFile {
  bytes = new Uint8Array(0);
  open = false;
}

function syncHandle(file: StubFile, state: StubOpfs & { handles: number }) {
  const grow = (size: number) => {
    if (size <= file.bytes.length) return;
    if (state.full) throw new DOMException('the quota is used up', 'QuotaExceededError');
    const bigger = new Uint8Array(size);
    bigger.set(file.bytes);
    file.bytes = bigger;
  };
  return {
    read(into: Uint8Array, { at }: { at: number }): number {
      const part = file.bytes.subarray(at, at + into.length);
      into.set(part);
      return part.length;
    },
    write(data: Uint8Array, { at }: { at: number }): number {
      grow(at + data.length);
      file.bytes.set(data, at);
      return data.length;
    },
    truncate(size: number): void {
      grow(size);
      file.bytes = file.bytes.slice(0, size);
    },
    getSize: () => file.bytes.length,
    flush: () => undefined,
    close(): void {
      if (file.open) state.handles--;
      file.open = false;
    },
  };
}

class StubFileHandle {
  readonly kind = 'file';
  constructor(
    readonly name: string,
    readonly file: StubFile,
    readonly state: StubOpfs & { handles: number },
  ) {}

  async createSyncAccessHandle() {
    await this.state.opening.pass();
    if (this.file.open) throw new DOMException('Access Handles cannot be created if there is another open Access Handle', 'NoModificationAllowedError');
    this.file.open = true;
    this.state.handles++;
    return syncHandle(this.file, this.state);
  }
}

class StubDirectory {
  readonly kind = 'directory';
  readonly entries = new Map<string, StubDirectory | StubFileHandle>();
  constructor(
    readonly name: string,
    readonly state: StubOpfs & { handles: number },
  ) {}

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<StubDirectory> {
    let entry = this.entries.get(name);
    if (entry === undefined && options.create) this.entries.set(name, (entry = new StubDirectory(name, this.state)));
    if (!(entry instanceof StubDirectory)) throw new DOMException(`no directory ${name}`, 'NotFoundError');
    return entry;
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}): Promise<StubFileHandle> {
    let entry = this.entries.get(name);
    if (entry === undefined && options.create) {
      await this.state.creating.pass();
      this.entries.set(name, (entry = new StubFileHandle(name, new StubFile(), this.state)));
    }
    if (!(entry instanceof StubFileHandle)) throw new DOMException(`no file ${name}`, 'NotFoundError');
    return entry;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<[string, StubDirectory | StubFileHandle]> {
    yield* [...this.entries];
  }
}

/** Exclusive Web Locks, as `acquireExclusiveLock` asks for them (`ifAvailable` only). */
function stubLocks() {
  const held = new Set<string>();
  return {
    async request(name: string, options: { ifAvailable?: boolean }, callback: (lock: object | null) => unknown): Promise<unknown> {
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null);
        throw new Error('the stub locks support ifAvailable requests only');
      }
      held.add(name);
      try {
        return await callback({ name, mode: 'exclusive' });
      } finally {
        held.delete(name);
      }
    },
  };
}

/**
 * Installs a fresh stub OPFS and Web Locks as `navigator.storage` and `navigator.locks` (and
 * `FileSystemFileHandle`, by which the pool tells that sync handles exist) until
 * `vi.unstubAllGlobals()`.
 */
export function installStubOpfs(): StubOpfs {
  const state = { handles: 0, creating: new Gate(), opening: new Gate(), full: false } as StubOpfs & { handles: number };
  state.openHandles = () => state.handles;
  const root = new StubDirectory('', state);
  vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.resolve(root) }, locks: stubLocks() });
  vi.stubGlobal('FileSystemFileHandle', StubFileHandle);
  return state;
}
