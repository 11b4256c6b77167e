/**
 * Map identities for keys, namespaces and map keys on the heap. Two values are the same key
 * exactly when their serialized bytes are equal; for the built-in primitive serializers that is
 * the same as JavaScript's SameValueZero (the one exception, `-0`, serializes as `0`), so those
 * values are used as Map keys directly. Everything else is keyed by its bytes, as a string of
 * byte-valued characters.
 */
export { isPrimitiveSerializer } from '../serde/primitive.js';

/** The void namespace's identity: distinct from every serialized namespace. */
export const VOID_NAMESPACE: unique symbol = Symbol('void namespace');

/** A Map key standing for a serialized value. */
export type Identity = string | number | bigint | boolean | typeof VOID_NAMESPACE;

/** `bytes` as a string with one character per byte. */
export function bytesIdentity(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

/** The identity of `value`, whose serialized form is `bytes()` (only called when needed). */
export function identityOf(primitive: boolean, value: unknown, bytes: () => Uint8Array): Identity {
  return primitive ? (value as string | number | bigint | boolean) : bytesIdentity(bytes());
}
