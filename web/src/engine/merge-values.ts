/**
 * Values written by the built-in merge operators, and the operands they take.
 */
import { CorruptionError, InvalidArgumentError } from '../errors.js';

/**
 * The elements of a `listAppend` value: each stored as `varint32 length ‖ bytes`, so elements
 * may contain any bytes. Elements are views into `value` (no copies).
 */
export function listElements(value: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < value.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= value.length || shift > 28) throw new CorruptionError('list value: element length is cut short', { offset: p });
      const b = value[p++]!;
      len |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    len >>>= 0;
    if (p + len > value.length) throw new CorruptionError('list value: element runs past the end', { offset: p });
    out.push(value.subarray(p, p + len));
    p += len;
  }
  return out;
}

/** An operand (or value) of a `uint64Add` column family: `n` as 8 bytes, little-endian. */
export function uint64Operand(n: bigint | number): Uint8Array {
  const v = typeof n === 'number' ? BigInt(n) : n;
  if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new InvalidArgumentError(`uint64 operand must be a safe integer or a bigint, got ${n}`, { argument: 'operand' });
  const out = new Uint8Array(8);
  // Negative deltas wrap, as the operator's addition does.
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return out;
}

/** The integer in a `uint64Add` value. */
export function readUint64(value: Uint8Array): bigint {
  if (value.length !== 8) throw new CorruptionError(`uint64 value must be 8 bytes, got ${value.length}`);
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true);
}
