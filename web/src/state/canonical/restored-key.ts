/**
 * The checks every heap state makes on one entry of a canonical checkpoint before loading it
 * (docs/checkpoints.md): the state key decodes, the key hashes to the key group it was stored
 * under (else the layout is not this one), and a namespace appears only where the state has a
 * namespace serializer.
 */
import { CorruptionError } from '../../errors.js';
import { keyGroupOf } from '../key-groups.js';
import { decodeStateKey } from '../key-layout.js';
import type { Serializer } from '../types.js';

/** One canonical entry's state key, decoded and checked. */
export interface RestoredKey<K> {
  readonly key: K;
  readonly keyGroup: number;
  /** The serialized namespace, or undefined for the void namespace. */
  readonly namespace: Uint8Array | undefined;
  /** What follows the namespace: the map key of a map entry, else empty. */
  readonly mapKey: Uint8Array;
}

/**
 * Decodes `stored`, a state key of state `name` in a checkpoint, deserializing the key with
 * `key`. Throws `CorruptionError` for bytes that do not decode, a key in the wrong key group, or
 * a namespace when `namespaces` is false.
 */
export function decodeRestoredKey<K>(name: string, stored: Uint8Array, key: Serializer<K>, maxParallelism: number, namespaces: boolean): RestoredKey<K> {
  const d = decodeStateKey(stored);
  if (d.namespace !== undefined && !namespaces) {
    throw new CorruptionError(`state "${name}": a stored entry has a namespace but the state has no namespace serializer`, { state: name });
  }
  const group = keyGroupOf(d.key, maxParallelism);
  if (group !== d.keyGroup) {
    throw new CorruptionError(`state "${name}": a key stored in key group ${d.keyGroup} hashes to ${group}`, { state: name });
  }
  return { key: key.deserialize(d.key.slice()), keyGroup: group, namespace: d.namespace, mapKey: d.mapKey };
}
