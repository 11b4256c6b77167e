/**
 * The memory storage: files as growable byte arrays in this JS realm.
 *
 * Trade-offs: fastest, no persistence at all (a page reload or a terminated worker loses
 * everything), no locking needed (nothing is shared). Use it for tests, ephemeral state, and as
 * the reference every other {@link HostVfs} is checked against.
 */
import { InvalidArgumentError } from '../errors.js';
import type { HostVfs, OpenedStorage, StorageAdapter } from './host-vfs.js';

interface MemFile {
  bytes: Uint8Array;
  size: number;
}

/** The engine classifies host errors by DOMException name: throw what OPFS would. */
function notFound(name: string): DOMException {
  return new DOMException(`no such file: ${name}`, 'NotFoundError');
}

/** A {@link HostVfs} whose files live in memory. */
export class MemoryVfs implements HostVfs {
  readonly #files = new Map<string, MemFile>();
  readonly #fds = new Map<number, MemFile>();
  #nextFd = 1;

  open(name: string, create: boolean): number {
    let file = this.#files.get(name);
    if (create) {
      file = { bytes: new Uint8Array(0), size: 0 };
      this.#files.set(name, file);
    } else if (file === undefined) {
      throw notFound(name);
    }
    const fd = this.#nextFd++;
    this.#fds.set(fd, file);
    return fd;
  }

  read(fd: number, offset: number, into: Uint8Array): number {
    const file = this.#file(fd);
    const n = Math.max(0, Math.min(into.length, file.size - offset));
    into.set(file.bytes.subarray(offset, offset + n));
    return n;
  }

  write(fd: number, offset: number, data: Uint8Array): void {
    const file = this.#file(fd);
    const end = offset + data.length;
    this.#reserve(file, end);
    file.bytes.set(data, offset);
    file.size = Math.max(file.size, end);
  }

  size(fd: number): number {
    return this.#file(fd).size;
  }

  truncate(fd: number, size: number): void {
    const file = this.#file(fd);
    this.#reserve(file, size);
    if (size < file.size) file.bytes.fill(0, size, file.size);
    file.size = size;
  }

  sync(fd: number): void {
    this.#file(fd);
  }

  close(fd: number): void {
    this.#fds.delete(fd);
  }

  delete(name: string): void {
    if (!this.#files.delete(name)) throw notFound(name);
  }

  rename(from: string, to: string): void {
    const file = this.#files.get(from);
    if (file === undefined) throw notFound(from);
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  list(): string[] {
    return [...this.#files.keys()];
  }

  /** Bytes held by all files. */
  totalBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += file.size;
    return total;
  }

  /** A copy of a file's bytes (for tests and export). */
  contents(name: string): Uint8Array | undefined {
    const file = this.#files.get(name);
    return file?.bytes.slice(0, file.size);
  }

  /** Replaces a file's bytes (for tests that corrupt files, and import). */
  setContents(name: string, bytes: Uint8Array): void {
    this.#files.set(name, { bytes: bytes.slice(), size: bytes.length });
  }

  #file(fd: number): MemFile {
    const file = this.#fds.get(fd);
    if (file === undefined) throw new InvalidArgumentError(`bad file descriptor ${fd}`, { fd });
    return file;
  }

  /** Grows capacity geometrically so that appends cost amortized O(1) copies. */
  #reserve(file: MemFile, size: number): void {
    if (size <= file.bytes.length) return;
    const grown = new Uint8Array(Math.max(size, file.bytes.length * 2, 4096));
    grown.set(file.bytes.subarray(0, file.size));
    file.bytes = grown;
  }
}

/**
 * Memory storage for a database called `name`. Opening the same adapter again (after closing)
 * sees the same files, which is how tests reopen a database; a new adapter starts empty.
 */
export function memoryStorage(name = 'memory'): StorageAdapter & { readonly vfs: MemoryVfs } {
  const vfs = new MemoryVfs();
  return {
    kind: 'memory',
    name,
    vfs,
    open(): Promise<OpenedStorage> {
      return Promise.resolve({ vfs, flush: () => Promise.resolve(), close: () => Promise.resolve() });
    },
  };
}
