/** Booleans as one byte, 0 or 1, so `false` sorts before `true`. */
import { CorruptionError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { wrongType } from './limits.js';

function checkBoolean(value: unknown): number {
  if (typeof value !== 'boolean') throw wrongType('boolean', 'a boolean', value);
  return 1;
}

/** Booleans as one byte, 0 or 1 (`false` < `true`). */
export const boolean: Serializer<boolean> = {
  id: 'boolean',
  orderPreserving: true,
  check: checkBoolean,
  serialize(value: boolean): Uint8Array {
    checkBoolean(value);
    return Uint8Array.of(value ? 1 : 0);
  },
  deserialize(bytes: Uint8Array): boolean {
    if (bytes.length !== 1 || bytes[0]! > 1) {
      throw new CorruptionError('boolean serializer: expected one byte 0 or 1', { serializer: 'boolean', length: bytes.length });
    }
    return bytes[0] === 1;
  },
};
