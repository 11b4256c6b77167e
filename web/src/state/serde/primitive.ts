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

/**
 * The built-in serializers whose `check` gives one size for every value, and that size
 * (numbers.ts, boolean.ts); it is also their serialized length.
 */
const FIXED_SIZES: ReadonlyMap<string, number> = new Map([
  ['f64', 8],
  ['i32', 4],
  ['i64', 8],
  ['boolean', 1],
]);

/**
 * Whether every value of `serializer` has one estimated size, so that overwriting a value never
 * changes a state's size (REQUIRES: `serializer` is a built-in primitive one, whose id is not
 * spoofed; see `isPrimitiveSerializer`).
 */
export function hasFixedSize(serializer: { readonly id: string }): boolean {
  return FIXED_SIZES.has(serializer.id);
}

/** The one size `check` gives for every value of `serializer`, or 0 when sizes vary (REQUIRES: as {@link hasFixedSize}). */
export function fixedSizeOf(serializer: { readonly id: string }): number {
  return FIXED_SIZES.get(serializer.id) ?? 0;
}
