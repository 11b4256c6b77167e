/**
 * Keys and values as the engine API accepts them: bytes, or strings stored as UTF-8.
 */
import { InvalidArgumentError } from '../errors.js';
import { utf8Bytes } from './utf8.js';

/** Keys and values: bytes, or strings (stored as UTF-8). */
export type BytesInput = Uint8Array | string;

/** Throws `InvalidArgumentError` naming `what` unless `value` is a string or a Uint8Array. */
export function checkBytes(value: unknown, what: string): asserts value is BytesInput {
  if (value instanceof Uint8Array || typeof value === 'string') return;
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${got}`, { argument: what, type: got });
}

/** `value` as bytes (a string is encoded; bytes are returned as they are, not copied). */
export function toBytes(value: unknown, what: string): Uint8Array {
  checkBytes(value, what);
  return typeof value === 'string' ? utf8Bytes(value) : value;
}
