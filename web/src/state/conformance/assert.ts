/**
 * Minimal assertions for the conformance cases, free of any test runner so the same cases run
 * under vitest in Node and inside a Chromium page (Playwright) against the LSM backend.
 */

/** A conformance check failed. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `bytes[${[...x].join(',')}]` : x === undefined ? '<undefined>' : x,
    );
  } catch {
    return String(v);
  }
}

/** Structural equality: primitives by SameValueZero, arrays, typed arrays, Sets, plain objects. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (a instanceof Set || b instanceof Set) {
    return a instanceof Set && b instanceof Set && a.size === b.size && [...a].every((v, i) => deepEqual(v, [...b][i]));
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Throws unless `actual` deep-equals `expected`. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new ConformanceFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Throws unless `condition`. */
export function assertTrue(condition: boolean, what: string): void {
  if (!condition) throw new ConformanceFailure(what);
}

/** Throws unless `fn` throws an instance of `errorClass`; returns the error. */
export function assertThrows<E extends Error>(fn: () => unknown, errorClass: abstract new (...args: never[]) => E, what: string): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof errorClass) return e;
    throw new ConformanceFailure(`${what}: expected ${errorClass.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new ConformanceFailure(`${what}: expected ${errorClass.name}, nothing was thrown`);
}

/** Sorts a copy by the JSON form of each item (for comparing unordered results). */
export function sorted<T>(items: Iterable<T>): T[] {
  return [...items].sort((x, y) => (show(x) < show(y) ? -1 : show(x) > show(y) ? 1 : 0));
}
