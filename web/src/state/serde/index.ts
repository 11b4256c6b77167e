/**
 * The built-in serializers, as one `serde` object (`serde.string`, `serde.f64`, …) plus the
 * factories for non-default limits and custom formats. Each module documents its byte format,
 * whether byte order equals natural order, and what it rejects.
 */
import { boolean } from './boolean.js';
import { bytesSerializer } from './bytes.js';
import { customSerializer } from './custom.js';
import { jsonSerializer } from './json.js';
import { msgpackSerializer } from './msgpack.js';
import { f64, i32, i64 } from './numbers.js';
import { stringSerializer } from './string.js';

export { bytesSerializer, type BytesSerializerOptions } from './bytes.js';
export { customSerializer, type CustomSerializerSpec } from './custom.js';
export { jsonSerializer, type JsonSerializerOptions } from './json.js';
export { msgpackSerializer, type MsgpackSerializerOptions } from './msgpack.js';
export { stringSerializer, type StringSerializerOptions } from './string.js';
export { DEFAULT_MAX_SERIALIZED_BYTES } from './limits.js';

/** The built-in serializers with default limits (64 MiB per value). */
export const serde = Object.freeze({
  /** Any string, as UTF-8 (lone surrogates as WTF-8); order-preserving (code point order). */
  string: stringSerializer(),
  /** IEEE 754 doubles, NaN rejected; order-preserving. */
  f64,
  /** 32-bit signed integers; order-preserving. */
  i32,
  /** 64-bit signed integers as `bigint`; order-preserving. */
  i64,
  /** One byte; order-preserving. */
  boolean,
  /** `Uint8Array` as is; order-preserving. */
  bytes: bytesSerializer(),
  /** JSON values that round-trip exactly (but `-0`, read back as `0`). */
  json: jsonSerializer(),
  /** MessagePack (msgpackr, standard mode). */
  msgpack: msgpackSerializer(),
  /** A serializer from user functions. */
  custom: customSerializer,
});
