/**
 * The built-in serializers whose values are JavaScript primitives and whose byte equality is
 * JavaScript's SameValueZero (`-0` serializes as `0`; NaN is refused). Values of these can stand
 * for their bytes as Map keys and memo keys. Their ids are reserved: a hand-written serializer
 * must not reuse them.
 */
const PRIMITIVE_IDS: ReadonlySet<string> = new Set(['string', 'f64', 'i32', 'i64', 'boolean']);

/** Whether values of `serializer` can be their own identity. */
export function isPrimitiveSerializer(serializer: { readonly id: string }): boolean {
  return PRIMITIVE_IDS.has(serializer.id);
}
