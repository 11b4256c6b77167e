/**
 * MessagePack through msgpackr, in its standard mode (`useRecords: false`: every object is a
 * self-contained MessagePack map, no shared record structures, so bytes decode anywhere and mean
 * the same in every checkpoint) with `moreTypes` (typed arrays and `Set`s round-trip).
 *
 * Accepted: `null`, `undefined`, booleans, numbers (NaN and ±Infinity included: MessagePack
 * floats hold them), strings, `bigint` in [-2^63, 2^64 - 1], `Date`, typed arrays, `Set`,
 * arrays and plain objects of those. Rejected before packing, since msgpackr would silently
 * change them or overflow the stack: functions (packed as nil), symbols, `Map` (decoded as a plain
 * object), other class instances, an own `__proto__` key (renamed on unpacking), strings and keys
 * with a lone surrogate (MessagePack strings are UTF-8, which cannot hold one: msgpackr writes
 * U+FFFD), holes in arrays (unpacked as `undefined`, which `in`, `forEach` and `Object.keys` tell
 * apart), cycles, nesting deeper than `maxDepth`. `-0` comes back as `0`
 * (msgpackr packs integral numbers as integers). Byte order is not a useful order.
 *
 * The heap backend stores values as given and only calls `check`, the LSM backend and
 * checkpoints store these bytes: anything that would come back changed (but for `-0`) is refused,
 * so that both backends give back the same values.
 */
import { Packr } from 'msgpackr';
import { isWellFormed } from './unicode.js';
import { CorruptionError, InvalidArgumentError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES, describeType } from './limits.js';

/** Options of {@link msgpackSerializer}. */
export interface MsgpackSerializerOptions {
  /** Largest packed length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Deepest nesting accepted. Default 256. */
  readonly maxDepth?: number;
}

const BIGINT_MIN = -(1n << 63n);
const BIGINT_MAX = (1n << 64n) - 1n;

function reject(path: string, why: string, value: unknown): never {
  throw new InvalidArgumentError(`msgpack serializer: ${why} at ${path}`, { serializer: 'msgpack', path, got: describeType(value) });
}

/** Walks `value`, throwing on anything that would not round-trip; returns an upper bound of its packed size. */
function walk(value: unknown, path: string, depth: number, maxDepth: number, seen: Set<object>): number {
  switch (typeof value) {
    case 'undefined':
      return 3;
    case 'boolean':
      return 1;
    case 'number':
      return 9;
    case 'string':
      if (!isWellFormed(value)) reject(path, 'a lone surrogate in a string', value);
      return value.length * 3 + 5;
    case 'bigint':
      if (value < BIGINT_MIN || value > BIGINT_MAX) reject(path, 'a bigint outside [-2^63, 2^64 - 1]', value);
      return 9;
    case 'object': {
      if (value === null) return 1;
      if (value instanceof Date) return 15;
      if (ArrayBuffer.isView(value)) return value.byteLength + 8;
      if (depth >= maxDepth) reject(path, `nesting deeper than ${maxDepth}`, value);
      if (seen.has(value)) reject(path, 'a cycle', value);
      seen.add(value);
      let size = 8;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) reject(`${path}[${i}]`, 'a hole in an array', undefined);
          size += walk(value[i], `${path}[${i}]`, depth + 1, maxDepth, seen);
        }
      } else if (value instanceof Set) {
        for (const element of value) size += walk(element, `${path}{}`, depth + 1, maxDepth, seen);
      } else {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) reject(path, 'an object that is not plain (or a Map)', value);
        for (const k of Object.keys(value)) {
          // msgpackr unpacks this key under another name (it guards against prototype pollution).
          if (k === '__proto__') reject(path, 'an own "__proto__" key (it would not unpack under that name)', value);
          if (!isWellFormed(k)) reject(path, 'a lone surrogate in a key', k);
          size += k.length * 3 + 5 + walk((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1, maxDepth, seen);
        }
      }
      seen.delete(value);
      return size;
    }
    default:
      return reject(path, `${typeof value} cannot be packed`, value);
  }
}

/** MessagePack values; see the module comment for what is accepted. */
export function msgpackSerializer<T = unknown>(options: MsgpackSerializerOptions = {}): Serializer<T> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  const maxDepth = options.maxDepth ?? 256;
  const packr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true });
  const pack = (value: unknown): Uint8Array => {
    try {
      return packr.pack(value);
    } catch (e) {
      throw new InvalidArgumentError(`msgpack serializer could not pack the value: ${e instanceof Error ? e.message : String(e)}`, {
        serializer: 'msgpack',
      });
    }
  };
  const check = (value: unknown): number => {
    const bound = walk(value, '$', 0, maxDepth, new Set());
    // The bound over-estimates; pack and measure only when it could exceed the limit.
    if (bound > maxBytes) return checkSerializedSize('msgpack', pack(value).length, maxBytes);
    return bound;
  };
  return {
    id: 'msgpack',
    orderPreserving: false,
    check,
    serialize(value: T): Uint8Array {
      walk(value, '$', 0, maxDepth, new Set());
      const bytes = pack(value);
      checkSerializedSize('msgpack', bytes.length, maxBytes);
      return bytes;
    },
    deserialize(bytes: Uint8Array): T {
      try {
        return packr.unpack(bytes) as T;
      } catch (e) {
        throw new CorruptionError(`msgpack serializer: stored bytes do not unpack (${e instanceof Error ? e.message : String(e)})`, {
          serializer: 'msgpack',
          length: bytes.length,
        });
      }
    },
  };
}
