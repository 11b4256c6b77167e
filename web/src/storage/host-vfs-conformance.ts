/**
 * One conformance suite for every {@link HostVfs}: the contract in `host-vfs.ts`, as checks.
 *
 * Framework-agnostic on purpose (no test runner imported): vitest runs the checks over the
 * memory VFS in Node (`memory.test.ts`), and a worker in Chromium runs the very same checks over
 * the OPFS slot pool and the IndexedDB adapter (`demo/diagnostics/`, asserted by
 * `tests/browser/conformance.spec.ts`). A check throws {@link ConformanceFailure} on the first
 * broken expectation.
 */
import type { HostVfs } from './host-vfs.js';

/** A VFS under test, and how to release it (close handles, delete its files) afterwards. */
export interface ConformanceSubject {
  readonly vfs: HostVfs;
  /** Called once the check is over, whether it passed or not. */
  dispose?(): void | Promise<void>;
}

/** Makes a fresh, empty subject: every check gets its own. */
export type ConformanceFactory = () => ConformanceSubject | Promise<ConformanceSubject>;

/** One named check of the contract. */
export interface ConformanceCheck {
  /** What the check proves, as a sentence (used as the test name). */
  readonly name: string;
  /** Throws {@link ConformanceFailure} (or whatever the VFS threw) if `vfs` breaks the contract. */
  run(vfs: HostVfs): void;
}

/** A check that failed: which, and why. */
export interface ConformanceResult {
  readonly check: string;
  readonly error: string;
}

/** A broken expectation of a conformance check. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

const bytes = (...values: number[]) => new Uint8Array(values);

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `bytes[${[...value].join(',')}]`;
  return JSON.stringify(value);
}

function equal(actual: unknown, expected: unknown, what: string): void {
  const same =
    actual instanceof Uint8Array && expected instanceof Uint8Array
      ? actual.length === expected.length && actual.every((b, i) => b === expected[i])
      : Array.isArray(actual) && Array.isArray(expected)
        ? JSON.stringify(actual) === JSON.stringify(expected)
        : Object.is(actual, expected);
  if (!same) throw new ConformanceFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Expects `f` to throw an exception named `name` (a DOMException, as OPFS throws). */
function throwsNamed(f: () => unknown, name: string, what: string): void {
  try {
    f();
  } catch (e) {
    const got = (e as { name?: unknown } | null)?.name;
    if (got === name) return;
    throw new ConformanceFailure(`${what}: expected a ${name}, got ${String(got)}: ${(e as Error | null)?.message ?? String(e)}`);
  }
  throw new ConformanceFailure(`${what}: expected a ${name}, but nothing was thrown`);
}

function readAll(vfs: HostVfs, fd: number, length: number): Uint8Array {
  const into = new Uint8Array(length);
  vfs.read(fd, 0, into);
  return into;
}

/** The contract of `host-vfs.ts`, check by check. */
export const hostVfsConformanceChecks: readonly ConformanceCheck[] = [
  {
    name: 'reads back what was written',
    run(vfs) {
      const fd = vfs.open('a.log', true);
      vfs.write(fd, 0, bytes(1, 2, 3));
      vfs.write(fd, 3, bytes(4, 5));
      const into = new Uint8Array(5);
      equal(vfs.read(fd, 0, into), 5, 'bytes read');
      equal(into, bytes(1, 2, 3, 4, 5), 'contents');
      equal(vfs.size(fd), 5, 'size');
    },
  },
  {
    name: 'overwrites in place without changing the size',
    run(vfs) {
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2, 3, 4));
      vfs.write(fd, 1, bytes(9, 9));
      equal(vfs.size(fd), 4, 'size');
      equal(readAll(vfs, fd, 4), bytes(1, 9, 9, 4), 'contents');
    },
  },
  {
    name: 'returns a short read only at end of file',
    run(vfs) {
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2, 3));
      const into = new Uint8Array(8);
      equal(vfs.read(fd, 1, into), 2, 'read across the end');
      equal(vfs.read(fd, 3, into), 0, 'read at the end');
      equal(vfs.read(fd, 100, into), 0, 'read past the end');
    },
  },
  {
    name: 'zero-fills a gap left by writing past the end',
    run(vfs) {
      const fd = vfs.open('a', true);
      vfs.write(fd, 4, bytes(9));
      equal(vfs.size(fd), 5, 'size');
      equal(readAll(vfs, fd, 5), bytes(0, 0, 0, 0, 9), 'contents');
    },
  },
  {
    name: 'truncates and extends with zeros',
    run(vfs) {
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2, 3, 4));
      vfs.truncate(fd, 2);
      equal(vfs.size(fd), 2, 'size after shrinking');
      vfs.truncate(fd, 3);
      equal(vfs.size(fd), 3, 'size after extending');
      equal(readAll(vfs, fd, 3), bytes(1, 2, 0), 'contents');
    },
  },
  {
    name: 'create truncates an existing file; open without create keeps it',
    run(vfs) {
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2));
      vfs.sync(fd);
      vfs.close(fd);
      const again = vfs.open('a', false);
      equal(vfs.size(again), 2, 'size after reopening');
      vfs.close(again);
      const fresh = vfs.open('a', true);
      equal(vfs.size(fresh), 0, 'size after create');
      vfs.close(fresh);
    },
  },
  {
    name: 'two descriptors of one file see each other’s writes',
    run(vfs) {
      const writer = vfs.open('a', true);
      const reader = vfs.open('a', false);
      vfs.write(writer, 0, bytes(7, 8));
      equal(vfs.size(reader), 2, 'size through the other descriptor');
      equal(readAll(vfs, reader, 2), bytes(7, 8), 'contents through the other descriptor');
      vfs.close(writer);
      vfs.close(reader);
    },
  },
  {
    name: 'opening a missing file without create throws NotFoundError',
    run(vfs) {
      throwsNamed(() => vfs.open('missing', false), 'NotFoundError', 'open of a missing file');
    },
  },
  {
    name: 'lists, renames with replacement, and deletes',
    run(vfs) {
      for (const [name, value] of [['a', 1], ['b', 2]] as const) {
        const fd = vfs.open(name, true);
        vfs.write(fd, 0, bytes(value));
        vfs.close(fd);
      }
      equal(vfs.list().sort(), ['a', 'b'], 'listing');
      vfs.rename('a', 'b');
      equal(vfs.list(), ['b'], 'listing after rename');
      const fd = vfs.open('b', false);
      equal(readAll(vfs, fd, 1), bytes(1), 'renamed contents');
      vfs.close(fd);
      vfs.delete('b');
      equal(vfs.list(), [], 'listing after delete');
      throwsNamed(() => vfs.delete('b'), 'NotFoundError', 'delete of a missing file');
      throwsNamed(() => vfs.rename('b', 'c'), 'NotFoundError', 'rename of a missing file');
    },
  },
  {
    name: 'a renamed file keeps growing through a descriptor opened before the rename',
    run(vfs) {
      const fd = vfs.open('CURRENT.tmp', true);
      vfs.write(fd, 0, bytes(1));
      vfs.rename('CURRENT.tmp', 'CURRENT');
      vfs.write(fd, 1, bytes(2));
      vfs.close(fd);
      const again = vfs.open('CURRENT', false);
      equal(readAll(vfs, again, 2), bytes(1, 2), 'contents');
      vfs.close(again);
    },
  },
  {
    name: 'does not keep a reference to the written buffer',
    run(vfs) {
      const fd = vfs.open('a', true);
      const data = bytes(1, 2, 3);
      vfs.write(fd, 0, data);
      data.fill(0);
      equal(readAll(vfs, fd, 3), bytes(1, 2, 3), 'contents');
    },
  },
  {
    name: 'writes a megabyte in many appends and reads it back at odd offsets',
    run(vfs) {
      const fd = vfs.open('big', true);
      const chunk = new Uint8Array(4099);
      let offset = 0;
      for (let i = 0; offset < 1 << 20; i++) {
        for (let j = 0; j < chunk.length; j++) chunk[j] = (offset + j) % 251;
        vfs.write(fd, offset, chunk);
        offset += chunk.length;
      }
      equal(vfs.size(fd), offset, 'size');
      const into = new Uint8Array(777);
      for (const at of [0, 4095, 4096, 123_457, offset - 777]) {
        equal(vfs.read(fd, at, into), 777, `bytes read at ${at}`);
        const wrong = into.findIndex((b, j) => b !== (at + j) % 251);
        equal(wrong, -1, `first wrong byte at offset ${at}`);
      }
    },
  },
];

/**
 * Runs every check on a fresh subject from `create` and returns the failures (empty: the VFS
 * conforms). Never throws for a failing check; `dispose` runs after each one.
 */
export async function runHostVfsConformance(create: ConformanceFactory): Promise<ConformanceResult[]> {
  const failures: ConformanceResult[] = [];
  for (const check of hostVfsConformanceChecks) {
    const error = await runCheck(check, create);
    if (error !== undefined) failures.push({ check: check.name, error });
  }
  return failures;
}

/** Runs one check on a fresh subject; returns why it failed, or `undefined`. */
export async function runCheck(check: ConformanceCheck, create: ConformanceFactory): Promise<string | undefined> {
  const subject = await create();
  try {
    check.run(subject.vfs);
    return undefined;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    await subject.dispose?.();
  }
}
