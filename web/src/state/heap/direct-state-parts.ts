/**
 * What the heap states kept as one Map per key without namespaces (the direct value, list and
 * map states) share, and the empty values every heap list and map state hands out.
 */
import { keyGroupOf } from '../key-groups.js';
import type { KeyContext } from '../key-context.js';
import type { Serializer } from '../types.js';

/**
 * The Map of every dropped or closed direct state: empty whenever a state method returns or
 * throws, so a lookup there misses and takes the miss path, which checks the state. Every write
 * to a state's Map follows its usability check, but one: a ValueState put of a fixed-size value
 * sets first and checks only a key that turns out new — removing it again before throwing
 * (direct-single-value-state.ts, `set`).
 */
export const GONE: Map<never, never> = new Map<never, never>();

/** What `ListState.get` returns for an absent list: one frozen array, so no caller can fill it. */
export const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** What an absent map iterates: empty forever (nothing writes to it). */
export const NO_ENTRIES: ReadonlyMap<never, never> = new Map<never, never>();

/**
 * `keysAndNamespaces(keyGroup)` of a direct state whose keys `keys()` lists (REQUIRES: the state
 * is usable): `InvalidArgumentError` at once for a key group outside `context`'s range, else the
 * pairs (key, undefined) of every key, or of those in `keyGroup` only — a key's group computed
 * from its serialized bytes, as checkpoints compute it, since no group is stored per key.
 */
export function directKeysAndNamespaces<K>(
  keys: () => IterableIterator<K>,
  serializer: Serializer<K>,
  context: KeyContext,
  keyGroup: number | undefined,
): IterableIterator<readonly [K, undefined]> {
  if (keyGroup !== undefined) context.checkKeyGroupArgument(keyGroup);
  return pairs(keys, serializer, context.maxParallelism, keyGroup);
}

/** The pairs; `keys` is called at the first step: a state that empties its Map in between is iterated as it is then. */
function* pairs<K>(
  keys: () => IterableIterator<K>,
  serializer: Serializer<K>,
  maxParallelism: number,
  keyGroup: number | undefined,
): IterableIterator<readonly [K, undefined]> {
  for (const key of keys()) {
    if (keyGroup !== undefined && keyGroupOf(serializer.serialize(key), maxParallelism) !== keyGroup) continue;
    yield [key, undefined] as const;
  }
}
