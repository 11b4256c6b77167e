/**
 * JSON values as UTF-8 `JSON.stringify` output. Only values that come back equal are accepted:
 * `null`, booleans, finite numbers, strings without lone surrogates, arrays and plain objects of
 * those, without cycles. Rejected (with `InvalidArgumentError`): `undefined` anywhere (JSON drops
 * or nulls it), NaN and ±Infinity (JSON writes `null`), lone surrogates in strings and keys (UTF-8
 * cannot hold them), holes in arrays, `bigint`, functions, symbols, and objects that are not plain
 * (`Date`, `Map`, class instances…). Byte order is not a useful order.
 *
 * Numbers come back equal as `===` compares them: `-0` comes back as `0` (JSON writes `0`), as
 * with `f64` and `msgpack`. It is accepted rather than refused because arithmetic makes it
 * (`-1 * 0`, `Math.round(-0.4)`), and in every built-in serializer `-0` and `0` are one value.
 */
import { isWellFormed, wtf8Bytes, wtf8Length } from './unicode.js';
import { CorruptionError, InvalidArgumentError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES, describeType } from './limits.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Options of {@link jsonSerializer}. */
export interface JsonSerializerOptions {
  /** Largest serialized length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Deepest nesting accepted (guards the recursive walk). Default 256. */
  readonly maxDepth?: number;
}

function reject(path: string, why: string, value: unknown): never {
  throw new InvalidArgumentError(`json serializer: ${why} at ${path}`, { serializer: 'json', path, got: describeType(value) });
}

/**
 * The longest JSON text of a finite number: 25 characters, e.g. `-0.0000012345678901234567`.
 *
 * `JSON.stringify` writes a finite number as `Number::toString` (ECMA-262, Number::toString),
 * with `-0` as `0`. That takes the shortest digit string s of the number, k digits, and its
 * exponent n (value = s × 10^(n−k)); k ≤ 17, since 17 significant digits tell every double
 * apart. Then it writes:
 * - k ≤ n ≤ 21: the k digits and n − k zeros: n ≤ 21 characters;
 * - 0 < n < k: the digits with a point among them: k + 1 ≤ 18;
 * - −6 < n ≤ 0: `0.`, −n ≤ 5 zeros, the digits: 2 + 5 + 17 = 24;
 * - otherwise: the first digit, `.` and the other digits when k > 1, `e`, the exponent's sign and
 *   |n − 1| in at most 3 digits (nonzero doubles lie between 5e-324 and 1.8e308 in
 *   magnitude, so n − 1 is in [−324, 308]):
 *   17 + 1 + 1 + 1 + 3 = 23.
 * A minus sign adds one: 25, reached only in the third case (17 digits and n = −5).
 */
const MAX_NUMBER_LENGTH = 25;

/**
 * Walks `value`, throwing on anything JSON would not round-trip; returns an upper bound of its
 * UTF-8 JSON length (6 bytes per UTF-16 unit covers `\u00XX` escapes).
 */
function walk(value: unknown, path: string, depth: number, maxDepth: number, seen: Set<object>): number {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) reject(path, 'a lone surrogate in a string', value);
      return value.length * 6 + 2;
    case 'number':
      if (!Number.isFinite(value)) reject(path, `${value} is not representable`, value);
      return MAX_NUMBER_LENGTH;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      if (depth >= maxDepth) reject(path, `nesting deeper than ${maxDepth}`, value);
      if (seen.has(value)) reject(path, 'a cycle', value);
      seen.add(value);
      let size = 2;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) reject(`${path}[${i}]`, 'a hole in an array', undefined);
          size += walk(value[i], `${path}[${i}]`, depth + 1, maxDepth, seen) + 1;
        }
      } else {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) reject(path, 'an object that is not plain', value);
        for (const [k, v] of Object.entries(value)) {
          if (!isWellFormed(k)) reject(path, 'a lone surrogate in a key', k);
          size += k.length * 6 + 2 + walk(v, `${path}.${k}`, depth + 1, maxDepth, seen) + 2;
        }
      }
      seen.delete(value);
      return size;
    }
    default:
      return reject(path, `${typeof value} is not a JSON value`, value);
  }
}

/** JSON values; see the module comment for what is accepted. */
export function jsonSerializer<T = unknown>(options: JsonSerializerOptions = {}): Serializer<T> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  const maxDepth = options.maxDepth ?? 256;
  const check = (value: unknown): number => {
    const bound = walk(value, '$', 0, maxDepth, new Set());
    // The bound over-estimates; measure exactly (without encoding) only when it could exceed the limit.
    if (bound > maxBytes) return checkSerializedSize('json', wtf8Length(JSON.stringify(value)), maxBytes);
    return bound;
  };
  return {
    id: 'json',
    orderPreserving: false,
    check,
    serialize(value: T): Uint8Array {
      walk(value, '$', 0, maxDepth, new Set());
      // JSON text is well-formed (`walk` refused lone surrogates), so its WTF-8 is its UTF-8.
      const bytes = wtf8Bytes(JSON.stringify(value));
      checkSerializedSize('json', bytes.length, maxBytes);
      return bytes;
    },
    deserialize(bytes: Uint8Array): T {
      try {
        return JSON.parse(decoder.decode(bytes)) as T;
      } catch {
        throw new CorruptionError('json serializer: bytes are not UTF-8 JSON', { serializer: 'json', length: bytes.length });
      }
    },
  };
}
