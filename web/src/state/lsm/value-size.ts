/**
 * The engine size of values a write-back cache holds, checked against `maxValueSize` when they
 * are written.
 *
 * Why at the write: a cached write reaches the engine only at write-back, in one batch with every
 * dirty cell of the backend (cell-cache.ts). One value past the engine's limit would make that
 * batch fail as a whole — and with it `metrics()`, `checkpoint()`, `close()` and the cached writes
 * of every other state. So the write that would make it is refused, changing nothing (the
 * invariant of lsm-state.ts), and the write-back never meets an oversized value.
 *
 * Why bounds: measuring means serializing, once per cached write, where a write-back serializes a
 * value once however often it was rewritten. `Serializer.check` returns an estimate that, for the
 * built-in serializers, bounds the serialized length (exactly, or within a known factor): a value
 * is serialized to be measured only when that bound passes the limit. The estimate of any other
 * serializer bounds nothing (a custom `check` may return anything), so its values are measured.
 */
import { ValueTooLargeError } from '../../errors.js';
import type { Serializer } from '../types.js';

interface Bound {
  /** An upper bound of the serialized length, from `check`'s estimate. */
  readonly of: (estimate: number) => number;
  /** Whether `of` is the length itself. */
  readonly exact: boolean;
}

const EXACT: Bound = { of: (n) => n, exact: true };

/** Upper bounds from the built-in serializers' estimates, by serializer id. */
const BOUNDS: ReadonlyMap<string, Bound> = new Map([
  ['bytes', EXACT],
  ['i32', EXACT],
  ['i64', EXACT],
  ['f64', EXACT],
  ['boolean', EXACT],
  // `check` counts 2 bytes per UTF-16 unit; WTF-8 takes at most 3.
  ['string', { of: (n) => n * 1.5, exact: false }],
  // `check` walks the value for an upper bound (6 bytes per UTF-16 unit for JSON, 3 for msgpack),
  // and returns the exact length where that bound passes the serializer's own limit.
  ['json', { of: (n) => n, exact: false }],
  ['msgpack', { of: (n) => n, exact: false }],
]);

/** The bytes of an element of `n` bytes in a list value: `varint32 n ‖ bytes` (canonical/list-value.ts). */
export function framedLength(n: number): number {
  if (!Number.isFinite(n)) return n;
  let len = n + 1;
  for (let m = n; m >= 0x80; m = Math.floor(m / 128)) len++;
  return len;
}

/** Sizes of one state's values (of one serializer) against the engine's `maxValueSize`. */
export class ValueSize<V> {
  readonly #serializer: Serializer<V>;
  readonly #bound: Bound | undefined;
  readonly #state: string;
  /** The engine's `maxValueSize`. */
  readonly limit: number;
  /** Whether `bound` gives the length itself (nothing to gain from measuring). */
  readonly exact: boolean;

  constructor(serializer: Serializer<V>, limit: number, state: string) {
    this.#serializer = serializer;
    this.#bound = BOUNDS.get(serializer.id);
    this.exact = this.#bound?.exact ?? false;
    this.limit = limit;
    this.#state = state;
  }

  /** An upper bound of the serialized length of a value `check` estimated at `estimate` (Infinity: none known). */
  bound(estimate: number): number {
    return this.#bound === undefined ? Infinity : this.#bound.of(estimate);
  }

  /** The serialized length of `value`. */
  measure(value: V): number {
    return this.#serializer.serialize(value).length;
  }

  /**
   * Throws `ValueTooLargeError` when `value` (estimated at `estimate` by `check`) serializes to
   * more than the limit; serializes it only when its bound passes the limit.
   */
  check(value: V, estimate: number): void {
    if (this.bound(estimate) <= this.limit) return;
    const len = this.measure(value);
    if (len > this.limit) throw this.tooLarge(len, 'the value');
  }

  /** The error for a write that would make `what` one engine value of `len` bytes. */
  tooLarge(len: number, what: string): ValueTooLargeError {
    return new ValueTooLargeError(`state "${this.#state}": ${what} would take ${len} bytes in the engine, more than maxValueSize ${this.limit}; nothing was written`, {
      state: this.#state,
      len,
      limit: this.limit,
    });
  }
}
