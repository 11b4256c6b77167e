/**
 * Checks of the arguments of the bulk state calls (`ListState.addAll`/`update`,
 * `MapState.putAll`), shared by every state class of both backends. Without them a wrong type
 * surfaced as the runtime's TypeError ("values is not iterable") instead of
 * `InvalidArgumentError`.
 *
 * Cost: one `typeof` per call and one per map entry; the single-element calls (add, put, get)
 * never come here. Callers still collect (or batch) every element before writing, so a refused
 * call has changed nothing.
 */
import { InvalidArgumentError } from '../errors.js';

/** A short name of `x`'s type for error details (`null` and arrays apart from objects). */
function typeName(x: unknown): string {
  if (x === null) return 'null';
  return Array.isArray(x) ? 'array' : typeof x;
}

/**
 * Throws `InvalidArgumentError` unless `values` is iterable (an array, Set, Map, generator,
 * string…); returns it. `state` and `argument` name the call's state and parameter.
 */
export function checkIterable<T>(values: Iterable<T>, state: string, argument: string): Iterable<T> {
  if (typeof (values as Partial<Iterable<T>> | null | undefined)?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(`state "${state}": ${argument} must be iterable`, { state, argument, type: typeName(values) });
  }
  return values;
}

/**
 * Throws `InvalidArgumentError` unless `entry` is a `[mapKey, value]` pair: an array-like object
 * of exactly two elements (as a Map's entries are). Returns it; read it as `entry[0]`,
 * `entry[1]` (an array-like need not be iterable, so it must not be destructured).
 */
export function checkEntry<UK, UV>(entry: readonly [UK, UV], state: string, argument: string): readonly [UK, UV] {
  const e = entry as unknown as { readonly length?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.length !== 2) {
    throw new InvalidArgumentError(`state "${state}": every element of ${argument} must be a [mapKey, value] pair`, {
      state,
      argument,
      type: typeName(entry),
    });
  }
  return entry;
}
