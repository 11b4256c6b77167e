/**
 * Strings as WTF-8 (see unicode.ts): UTF-8, and a lone surrogate as the 3 bytes of its code unit.
 * Every JavaScript string is accepted, as JS Maps, IndexedDB keys and Flink's StringSerializer
 * accept any UTF-16 string. What must stay true:
 * - A well-formed string's bytes are its UTF-8, so data and checkpoints written when lone
 *   surrogates were refused read back unchanged, byte for byte.
 * - Each string has one encoding, and `deserialize` accepts exactly the encodings (anything else is
 *   `CorruptionError`): equal strings are equal keys, and a restored key re-serializes to the bytes
 *   it was stored as.
 * - Byte order is code point order, a lone surrogate counting as its own code point (which differs
 *   from JavaScript's `<` for characters above U+FFFF versus U+E000–U+FFFF): `compareCodePoints`.
 * - `check` never looks at the characters. It runs on every new key on the heap backend's hot
 *   path, where a per-character test cost ~15% of a first put and, by flattening V8's rope
 *   strings, slowed later lookups.
 */
import { decodeWtf8, wtf8Bytes, wtf8Length } from './unicode.js';
import { CorruptionError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES, wrongType } from './limits.js';

// ignoreBOM: a leading U+FEFF is part of the string, not a byte order mark to drop.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Options of {@link stringSerializer}. */
export interface StringSerializerOptions {
  /** Largest encoded length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
}

/** Any string, as WTF-8; see the module comment for order and what is accepted. */
export function stringSerializer(options: StringSerializerOptions = {}): Serializer<string> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  // WTF-8 takes at most 3 bytes per UTF-16 unit: measured exactly only near the limit.
  const checkRare = (value: unknown): void => {
    if (typeof value !== 'string') throw wrongType('string', 'a string', value);
    checkSerializedSize('string', wtf8Length(value), maxBytes);
  };
  // Inlined into every state write with a string key: the rare cases are in `checkRare`, so that
  // this stays a few bytecodes (see numbers.ts on TurboFan's inlining budget).
  const check = (value: unknown): number => {
    if (typeof value !== 'string' || value.length * 3 > maxBytes) checkRare(value);
    return (value as string).length * 2;
  };
  return {
    id: 'string',
    orderPreserving: true,
    check,
    serialize(value: string): Uint8Array {
      check(value);
      return wtf8Bytes(value);
    },
    deserialize(bytes: Uint8Array): string {
      try {
        return decoder.decode(bytes);
      } catch {
        // Not UTF-8: a string with lone surrogates, or damaged bytes.
      }
      const value = decodeWtf8(bytes);
      if (value === undefined) {
        throw new CorruptionError('string serializer: bytes are not valid WTF-8 (UTF-8 with lone surrogates)', { serializer: 'string', length: bytes.length });
      }
      return value;
    },
  };
}
