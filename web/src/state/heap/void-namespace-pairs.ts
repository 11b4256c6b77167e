/**
 * `keysAndNamespaces` of the heap states kept as one Map per key without namespaces (the direct
 * value, list and map states): no key group is stored per key, so a key's group is computed from
 * its serialized bytes, as checkpoints compute it.
 */
import { keyGroupOf } from '../key-groups.js';
import type { Serializer } from '../types.js';

/**
 * The pairs (key, undefined) of every key `keys()` yields, or of those in `keyGroup` only. `keys`
 * is called at the first step, not before: a state that replaces its Map (clearAll) in between
 * is iterated as it is then.
 */
export function* voidNamespacePairs<K>(
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
