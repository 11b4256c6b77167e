/**
 * Strings as UTF-8. Byte order equals Unicode code point order (which differs from JavaScript's
 * `<` on strings only for characters above U+FFFF versus U+E000–U+FFFF). Strings with lone
 * surrogates are rejected: UTF-8 cannot hold them, and replacing them would change the key.
 */
import { isWellFormed } from './unicode.js';
import { CorruptionError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES, wrongType } from './limits.js';
import { InvalidArgumentError } from '../../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Options of {@link stringSerializer}. */
export interface StringSerializerOptions {
  /** Largest UTF-8 length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
}

/** UTF-8 strings; see the module comment for order and rejected strings. */
export function stringSerializer(options: StringSerializerOptions = {}): Serializer<string> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  const check = (value: unknown): number => {
    if (typeof value !== 'string') throw wrongType('string', 'a string', value);
    if (!isWellFormed(value)) {
      throw new InvalidArgumentError('string serializer: the string has a lone surrogate (not valid Unicode)', {
        serializer: 'string',
      });
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit: measure exactly only near the limit.
    if (value.length * 3 > maxBytes) checkSerializedSize('string', encoder.encode(value).length, maxBytes);
    return value.length * 2;
  };
  return {
    id: 'string',
    orderPreserving: true,
    check,
    serialize(value: string): Uint8Array {
      check(value);
      return encoder.encode(value);
    },
    deserialize(bytes: Uint8Array): string {
      try {
        return decoder.decode(bytes);
      } catch {
        throw new CorruptionError('string serializer: bytes are not valid UTF-8', { serializer: 'string', length: bytes.length });
      }
    },
  };
}
