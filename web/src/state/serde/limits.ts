/**
 * Size limits shared by the serializers. A serializer rejects a value whose bytes would exceed
 * its limit with `ValueTooLargeError` before anything is written, so no layer below ever sees an
 * oversized value (RocksDB's JNI silently broke Flink lists past 2 GB; here nothing is silent).
 */
import { InvalidArgumentError, ValueTooLargeError } from '../../errors.js';

/** Default largest serialized value: the engine's default `maxValueSize` (64 MiB). */
export const DEFAULT_MAX_SERIALIZED_BYTES = 64 << 20;

/** Throws `ValueTooLargeError` when `bytes > maxBytes`; returns `bytes`. */
export function checkSerializedSize(id: string, bytes: number, maxBytes: number): number {
  if (bytes > maxBytes) {
    throw new ValueTooLargeError(`${id} value is ${bytes} bytes, more than the limit of ${maxBytes}`, {
      serializer: id,
      bytes,
      limit: maxBytes,
    });
  }
  return bytes;
}

/** Validates a `maxBytes` option: a positive safe integer. */
export function checkMaxBytes(maxBytes: unknown): number {
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new InvalidArgumentError('maxBytes must be a positive integer', { maxBytes: String(maxBytes) });
  }
  return maxBytes;
}

/** The `typeof`-style name of a value, for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'Uint8Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** The standard wrong-type error. */
export function wrongType(id: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${id} serializer expects ${expected}, got ${describeType(value)}`, {
    serializer: id,
    expected,
    got: describeType(value),
  });
}
