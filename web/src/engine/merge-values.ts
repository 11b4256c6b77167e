/**
 * Values written by the built-in merge operators, and the operands they take.
 */
import { CorruptionError, InvalidArgumentError } from '../errors.js';

/** How a `listAppend` value's framing breaks, if it does. */
type FrameError =
  | 'none'
  /** An element's varint32 length is cut short by the end (or longer than 5 bytes). */
  | 'element length is cut short'
  /** An element runs past the end. */
  | 'element runs past the end';

/**
 * Walks the elements of `value` (`varint32 length ‖ bytes` each), calling `visit` with each
 * element's bounds; stops at the first framing error, returning it and its offset.
 */
function walkList(value: Uint8Array, visit?: (start: number, end: number) => void): { readonly error: FrameError; readonly offset: number } {
  let p = 0;
  while (p < value.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= value.length || shift > 28) return { error: 'element length is cut short', offset: p };
      const b = value[p++]!;
      len |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    len >>>= 0;
    if (p + len > value.length) return { error: 'element runs past the end', offset: p };
    visit?.(p, p + len);
    p += len;
  }
  return { error: 'none', offset: p };
}

/**
 * The elements of a `listAppend` value: each stored as `varint32 length ‖ bytes`, so elements
 * may contain any bytes. Elements are views into `value` (no copies).
 */
export function listElements(value: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walked = walkList(value, (start, end) => out.push(value.subarray(start, end)));
  if (walked.error !== 'none') throw new CorruptionError(`list value: ${walked.error}`, { offset: walked.offset });
  return out;
}

/**
 * Throws `InvalidArgumentError` unless `framed` is a well-framed `listAppend` value (what
 * `listElements` reads): the operator concatenates operands as they are, so one badly framed
 * operand would make its whole list unreadable.
 */
export function checkFramedList(framed: Uint8Array, argument: string): void {
  const walked = walkList(framed);
  if (walked.error !== 'none') {
    throw new InvalidArgumentError(`${argument} is not a framed list (varint32 length ‖ bytes per element): ${walked.error} at offset ${walked.offset}`, { argument, offset: walked.offset });
  }
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
