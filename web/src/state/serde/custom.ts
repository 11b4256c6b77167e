/**
 * User-defined serializers. {@link customSerializer} wraps the user's functions so they keep the
 * {@link Serializer} contract: the output must be a `Uint8Array` within `maxBytes`, anything the
 * user's code throws while serializing becomes `InvalidArgumentError` (with the cause's message),
 * and anything thrown while deserializing becomes `CorruptionError`.
 */
import { CorruptionError, EdgestateError, InvalidArgumentError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { checkMaxBytes, checkSerializedSize, DEFAULT_MAX_SERIALIZED_BYTES } from './limits.js';

/** What a custom serializer is made of. */
export interface CustomSerializerSpec<T> {
  /** Stable name of the format; stored as `custom:<id>`. Letters, digits, `._-`, 1–64 characters. */
  readonly id: string;
  readonly serialize: (value: T) => Uint8Array;
  readonly deserialize: (bytes: Uint8Array) => T;
  /**
   * Cheap validation for the heap backend (which never serializes values): throw on bad values,
   * return an estimated size. Default: serialize and measure, which is exact but costs a
   * serialization per heap write.
   */
  readonly check?: (value: unknown) => number;
  /** Whether byte order equals the values' natural order. Default false. */
  readonly orderPreserving?: boolean;
  /** Largest serialized length accepted. Default 64 MiB. */
  readonly maxBytes?: number;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A {@link Serializer} from user functions; see the module comment. */
export function customSerializer<T>(spec: CustomSerializerSpec<T>): Serializer<T> {
  if (typeof spec !== 'object' || spec === null || typeof spec.id !== 'string' || !ID.test(spec.id)) {
    throw new InvalidArgumentError('custom serializer id must be 1–64 letters, digits, ".", "_" or "-"', {
      id: String((spec as { id?: unknown } | null)?.id),
    });
  }
  if (typeof spec.serialize !== 'function' || typeof spec.deserialize !== 'function') {
    throw new InvalidArgumentError('custom serializer needs serialize and deserialize functions', { id: spec.id });
  }
  const id = `custom:${spec.id}`;
  const maxBytes = checkMaxBytes(spec.maxBytes ?? DEFAULT_MAX_SERIALIZED_BYTES);
  const serialize = (value: T): Uint8Array => {
    let bytes: unknown;
    try {
      bytes = spec.serialize(value);
    } catch (e) {
      if (e instanceof EdgestateError) throw e;
      throw new InvalidArgumentError(`${id} serializer rejected the value: ${message(e)}`, { serializer: id });
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new InvalidArgumentError(`${id} serializer returned something other than a Uint8Array`, { serializer: id });
    }
    checkSerializedSize(id, bytes.length, maxBytes);
    return bytes;
  };
  const userCheck = spec.check;
  const check = (value: unknown): number => {
    if (!userCheck) return serialize(value as T).length;
    let size: unknown;
    try {
      size = userCheck(value);
    } catch (e) {
      if (e instanceof EdgestateError) throw e;
      throw new InvalidArgumentError(`${id} serializer rejected the value: ${message(e)}`, { serializer: id });
    }
    if (typeof size !== 'number' || !(size >= 0)) {
      throw new InvalidArgumentError(`${id} serializer's check must return a size >= 0`, { serializer: id });
    }
    return checkSerializedSize(id, size, maxBytes);
  };
  return {
    id,
    orderPreserving: spec.orderPreserving ?? false,
    check,
    serialize,
    deserialize(bytes: Uint8Array): T {
      try {
        return spec.deserialize(bytes);
      } catch (e) {
        throw new CorruptionError(`${id} serializer could not decode stored bytes: ${message(e)}`, { serializer: id });
      }
    },
  };
}
