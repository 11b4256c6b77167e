/**
 * Fixed-width numbers, big-endian with the sign flipped so that unsigned byte order equals
 * numeric order (`orderPreserving`):
 * - `i32`: 4 bytes, `value XOR 0x8000_0000`, integers in [-2^31, 2^31 - 1].
 * - `i64`: 8 bytes, `value XOR 2^63` over a `bigint` in [-2^63, 2^63 - 1].
 * - `f64`: 8 bytes of IEEE 754; positive numbers get the sign bit set, negative numbers get every
 *   bit flipped. NaN is rejected (it has no place in an order and `NaN !== NaN` as a key);
 *   `-0` is stored as `0` so that equal numbers have equal bytes.
 *
 * `deserialize` accepts exactly the bytes `serialize` writes, so a restored key re-serializes to
 * the bytes it was stored under (and hashes to the same key group). For i32, i64 and boolean
 * every byte string of the right length (for boolean: 00 and 01) is some value's encoding. For
 * f64 two kinds are not, and are `CorruptionError`: NaN (00 00 00 00 00 00 00 00 through
 * 00 0F FF FF FF FF FF FE, and FF F0 00 00 00 00 00 01 through FF FF FF FF FF FF FF FF) and `-0`
 * (7F FF FF FF FF FF FF FF; `serialize(-0)` writes 80 00 00 00 00 00 00 00, as for 0).
 */
import { CorruptionError, InvalidArgumentError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { wrongType } from './limits.js';

function checkLength(id: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new CorruptionError(`${id} serializer: expected ${length} bytes, got ${bytes.length}`, {
      serializer: id,
      length: bytes.length,
    });
  }
}

/** Big-endian u32 at `at` of `bytes`, read byte by byte: no DataView per call on the read path. */
function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes `n` (a u32) big-endian at `at` of `out`: no DataView per call on the write path. */
function writeU32be(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

/** Scratch for converting doubles (single-threaded JS: never shared between calls). */
const scratch = new DataView(new ArrayBuffer(8));

// The checks run on every state write and V8 inlines them into it: each builds its error in a
// separate function, so that its own bytecode stays small (a caller is inlined into its loop only
// while everything it inlines fits TurboFan's cumulative budget of 920 bytecodes).

function checkI32(value: unknown): number {
  // `x | 0` is `x` exactly for the integers in [-2^31, 2^31 - 1] (and -0).
  if (typeof value !== 'number' || (value | 0) !== value) throw badI32(value);
  return 4;
}

function badI32(value: unknown): InvalidArgumentError {
  if (typeof value !== 'number') return wrongType('i32', 'a number', value);
  return new InvalidArgumentError('i32 serializer expects an integer in [-2^31, 2^31 - 1]', { serializer: 'i32', value: String(value) });
}

/** 32-bit signed integers (JavaScript numbers). */
export const i32: Serializer<number> = {
  id: 'i32',
  orderPreserving: true,
  check: checkI32,
  serialize(value: number): Uint8Array {
    checkI32(value);
    const out = new Uint8Array(4);
    writeU32be(out, 0, (value ^ 0x80000000) >>> 0);
    return out;
  },
  deserialize(bytes: Uint8Array): number {
    checkLength('i32', bytes, 4);
    return (u32be(bytes, 0) ^ 0x80000000) | 0;
  },
};

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const SIGN64 = 1n << 63n;

function checkI64(value: unknown): number {
  if (typeof value !== 'bigint') throw wrongType('i64', 'a bigint', value);
  if (value < I64_MIN || value > I64_MAX) {
    throw new InvalidArgumentError('i64 serializer expects a bigint in [-2^63, 2^63 - 1]', {
      serializer: 'i64',
      value: value.toString(),
    });
  }
  return 8;
}

/** 64-bit signed integers as `bigint`. */
export const i64: Serializer<bigint> = {
  id: 'i64',
  orderPreserving: true,
  check: checkI64,
  serialize(value: bigint): Uint8Array {
    checkI64(value);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value) ^ SIGN64);
    return out;
  },
  deserialize(bytes: Uint8Array): bigint {
    checkLength('i64', bytes, 8);
    return BigInt.asIntN(64, ((BigInt(u32be(bytes, 0)) << 32n) | BigInt(u32be(bytes, 4))) ^ SIGN64);
  },
};

function checkF64(value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw badF64(value);
  return 8;
}

function badF64(value: unknown): InvalidArgumentError {
  if (typeof value !== 'number') return wrongType('f64', 'a number', value);
  return new InvalidArgumentError('f64 serializer does not accept NaN', { serializer: 'f64' });
}

function badF64Bytes(value: number): CorruptionError {
  const what = Number.isNaN(value) ? 'NaN' : '-0 (serialize writes it as 0)';
  return new CorruptionError(`f64 serializer: stored bytes are ${what}`, { serializer: 'f64' });
}

/** 64-bit floats, NaN rejected; see the module comment for the byte order. */
export const f64: Serializer<number> = {
  id: 'f64',
  orderPreserving: true,
  check: checkF64,
  serialize(value: number): Uint8Array {
    checkF64(value);
    scratch.setFloat64(0, value === 0 ? 0 : value);
    const hi = scratch.getUint32(0);
    const lo = scratch.getUint32(4);
    const out = new Uint8Array(8);
    if (hi & 0x80000000) {
      writeU32be(out, 0, ~hi >>> 0);
      writeU32be(out, 4, ~lo >>> 0);
    } else {
      writeU32be(out, 0, (hi | 0x80000000) >>> 0);
      writeU32be(out, 4, lo);
    }
    return out;
  },
  deserialize(bytes: Uint8Array): number {
    checkLength('f64', bytes, 8);
    const hi = u32be(bytes, 0);
    const lo = u32be(bytes, 4);
    if (hi & 0x80000000) {
      scratch.setUint32(0, (hi & 0x7fffffff) >>> 0);
      scratch.setUint32(4, lo);
    } else {
      scratch.setUint32(0, ~hi >>> 0);
      scratch.setUint32(4, ~lo >>> 0);
    }
    const value = scratch.getFloat64(0);
    // Zero decoded from the negative branch is -0, which serialize writes as 0.
    if (Number.isNaN(value) || (value === 0 && (hi & 0x80000000) === 0)) throw badF64Bytes(value);
    return value;
  },
};
