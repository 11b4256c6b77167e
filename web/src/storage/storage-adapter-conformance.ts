/**
 * Conformance of a whole {@link StorageAdapter}, beyond one open {@link HostVfs}: what a
 * persistent storage keeps across close and reopen, and its single-writer lock. Framework-agnostic
 * like `host-vfs-conformance.ts`, whose result type it shares; run in Node over the memory
 * storage and in Chromium over OPFS and IndexedDB.
 */
import type { ConformanceResult } from './host-vfs-conformance.js';
import type { HostVfs, StorageAdapter } from './host-vfs.js';

/** What the adapter under test promises. */
export interface AdapterTraits {
  /** Files survive `close()` and a later `open()` (a new adapter object for the same name). */
  readonly persistent: boolean;
  /** A second `open()` while one is open rejects with `DatabaseLockedError`. */
  readonly exclusive: boolean;
  /** The adapter takes a `maxBytes` limit (see {@link AdapterSubject.limited}). */
  readonly limited: boolean;
}

/** Makes adapters for one fresh database: every call returns an adapter for the *same* name. */
export interface AdapterSubject {
  readonly traits: AdapterTraits;
  adapter(): StorageAdapter;
  /** An adapter for the same database limited to `maxBytes` of files (when `traits.limited`). */
  limited?(maxBytes: number): StorageAdapter;
  /** Deletes the database once the check is over. */
  dispose?(): void | Promise<void>;
}

/** One named check of an adapter. */
export interface AdapterCheck {
  readonly name: string;
  /** Whether the check applies to an adapter with these traits. */
  appliesTo(traits: AdapterTraits): boolean;
  run(subject: AdapterSubject): Promise<void>;
}

/** A broken expectation of an adapter check. */
export class AdapterConformanceFailure extends Error {
  override readonly name = 'AdapterConformanceFailure';
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = actual instanceof Uint8Array ? [...actual] : actual;
  const e = expected instanceof Uint8Array ? [...expected] : expected;
  if (JSON.stringify(a) !== JSON.stringify(e)) {
    throw new AdapterConformanceFailure(`${what}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  }
}

function writeFile(vfs: HostVfs, name: string, data: Uint8Array): void {
  const fd = vfs.open(name, true);
  vfs.write(fd, 0, data);
  vfs.sync(fd);
  vfs.close(fd);
}

function readFile(vfs: HostVfs, name: string): Uint8Array {
  const fd = vfs.open(name, false);
  const data = new Uint8Array(vfs.size(fd));
  vfs.read(fd, 0, data);
  vfs.close(fd);
  return data;
}

/** Expects `f` to throw an exception named `name`. */
function expectThrowsNamed(f: () => unknown, name: string, what: string): void {
  let got: unknown;
  try {
    f();
  } catch (e) {
    got = e;
  }
  const gotName = (got as { name?: unknown } | undefined)?.name;
  if (gotName !== name) throw new AdapterConformanceFailure(`${what}: expected a ${name}, got ${got === undefined ? 'no exception' : String(gotName)}`);
}

/** Opens, runs `f` on the VFS, flushes and closes. */
async function session(adapter: StorageAdapter, f: (vfs: HostVfs) => void): Promise<void> {
  const opened = await adapter.open();
  try {
    f(opened.vfs);
    await opened.flush();
  } finally {
    await opened.close();
  }
}

/** The adapter-level contract, check by check. */
export const storageAdapterConformanceChecks: readonly AdapterCheck[] = [
  {
    name: 'synced files come back, with their contents, after close and reopen',
    appliesTo: (t) => t.persistent,
    async run(s) {
      const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
      await session(s.adapter(), (vfs) => {
        writeFile(vfs, '000001.log', new Uint8Array([1, 2, 3]));
        writeFile(vfs, '000002.sst', big);
      });
      await session(s.adapter(), (vfs) => {
        expectEqual(vfs.list().sort(), ['000001.log', '000002.sst'], 'files after reopening');
        expectEqual(readFile(vfs, '000001.log'), new Uint8Array([1, 2, 3]), 'small file after reopening');
        const back = readFile(vfs, '000002.sst');
        expectEqual(back.length, big.length, 'large file size after reopening');
        expectEqual(back.findIndex((b, i) => b !== big[i]), -1, 'first wrong byte of the large file');
      });
    },
  },
  {
    name: 'a rename over an existing file, a delete and a truncate stay done after reopening',
    appliesTo: (t) => t.persistent,
    async run(s) {
      await session(s.adapter(), (vfs) => {
        writeFile(vfs, 'CURRENT', new Uint8Array([1]));
        writeFile(vfs, 'gone', new Uint8Array([2]));
        writeFile(vfs, 'short', new Uint8Array([1, 2, 3, 4]));
      });
      await session(s.adapter(), (vfs) => {
        writeFile(vfs, 'CURRENT.tmp', new Uint8Array([9, 9]));
        vfs.rename('CURRENT.tmp', 'CURRENT');
        vfs.delete('gone');
        const fd = vfs.open('short', false);
        vfs.truncate(fd, 2);
        vfs.sync(fd);
        vfs.close(fd);
      });
      await session(s.adapter(), (vfs) => {
        expectEqual(vfs.list().sort(), ['CURRENT', 'short'], 'files after reopening');
        expectEqual(readFile(vfs, 'CURRENT'), new Uint8Array([9, 9]), 'renamed file');
        expectEqual(readFile(vfs, 'short'), new Uint8Array([1, 2]), 'truncated file');
      });
    },
  },
  {
    name: 'a second open while the database is open rejects with DatabaseLockedError; after close it opens',
    appliesTo: (t) => t.exclusive,
    async run(s) {
      const first = await s.adapter().open();
      let second: unknown;
      try {
        second = await s.adapter().open().then(
          async (opened) => {
            await opened.close();
            return 'opened';
          },
          (e: unknown) => (e as { name?: string } | null)?.name,
        );
      } finally {
        await first.close();
      }
      expectEqual(second, 'DatabaseLockedError', 'second open');
      await session(s.adapter(), (vfs) => expectEqual(Array.isArray(vfs.list()), true, 'open after close'));
    },
  },
  {
    name: 'a limited storage refuses growth past maxBytes with QuotaExceededError, and deleting makes room again',
    appliesTo: (t) => t.limited,
    async run(s) {
      const limited = s.limited?.(10_000);
      if (limited === undefined) throw new AdapterConformanceFailure('the subject claims a limit but has no limited()');
      await session(limited, (vfs) => {
        writeFile(vfs, 'a', new Uint8Array(6000).fill(1));
        const b = vfs.open('b', true);
        vfs.write(b, 0, new Uint8Array(3000).fill(2));
        expectThrowsNamed(() => vfs.write(b, 3000, new Uint8Array(2000)), 'QuotaExceededError', 'write past the limit');
        expectThrowsNamed(() => vfs.truncate(b, 5000), 'QuotaExceededError', 'truncate past the limit');
        expectEqual(vfs.size(b), 3000, 'size after the refused growth');
        // Rewriting bytes in place needs no room.
        vfs.write(b, 0, new Uint8Array(3000).fill(3));
        vfs.delete('a');
        vfs.write(b, 3000, new Uint8Array(6000).fill(4));
        expectEqual(vfs.size(b), 9000, 'size after deleting made room');
        vfs.close(b);
      });
      // The limit counts what is stored when the database is opened again.
      await session(limited, (vfs) => {
        const b = vfs.open('b', false);
        expectThrowsNamed(() => vfs.write(b, 9000, new Uint8Array(1001)), 'QuotaExceededError', 'write past the limit after reopening');
        vfs.write(b, 9000, new Uint8Array(1000));
        vfs.close(b);
      });
    },
  },
];

/** Runs every applicable check on a fresh subject from `create`; returns the failures. */
export async function runStorageAdapterConformance(create: () => AdapterSubject | Promise<AdapterSubject>): Promise<{ checks: number; failures: ConformanceResult[] }> {
  const failures: ConformanceResult[] = [];
  let checks = 0;
  for (const check of storageAdapterConformanceChecks) {
    const subject = await create();
    try {
      if (!check.appliesTo(subject.traits)) continue;
      checks++;
      await check.run(subject);
    } catch (e) {
      failures.push({ check: check.name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    } finally {
      await subject.dispose?.();
    }
  }
  return { checks, failures };
}
