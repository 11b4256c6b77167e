/**
 * Raw bytes (`Uint8Array`), stored as they are; byte order is the order. `serialize` returns
 * the array handed in (no copy: the LSM backend copies into the engine anyway) and
 * `deserialize` returns a copy, so stored bytes never alias the engine's buffers.
 */
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES, wrongType } from './limits.js';

/** Options of {@link bytesSerializer}. */
export interface BytesSerializerOptions {
  /** Largest length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
}

/** `Uint8Array` values, stored as is. */
export function bytesSerializer(options: BytesSerializerOptions = {}): Serializer<Uint8Array> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  const check = (value: unknown): number => {
    if (!(value instanceof Uint8Array)) throw wrongType('bytes', 'a Uint8Array', value);
    return checkSerializedSize('bytes', value.length, maxBytes);
  };
  return {
    id: 'bytes',
    orderPreserving: true,
    check,
    serialize(value: Uint8Array): Uint8Array {
      check(value);
      return value;
    },
    deserialize(bytes: Uint8Array): Uint8Array {
      return bytes.slice();
    },
  };
}
