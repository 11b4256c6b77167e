/**
 * Encodes write-batch operations in RocksDB's WriteBatch format (docs/formats/log.md), into
 * either a JavaScript buffer (a {@link WriteBatch} being built) or the engine's input buffer
 * (`putMany`, which so skips an intermediate copy).
 */
import type { BytesInput } from './bytes.js';

/** Where encoded bytes go; offsets are relative to the start of the batch. */
export interface ByteSink {
  /** Writes `value` (UTF-8 for strings) at `at`; returns its byte length. */
  write(value: BytesInput, at: number): number;
  writeVarint32(n: number, at: number): number;
  writeByte(b: number, at: number): void;
  /** Moves `[start, end)` to `target` (overlap allowed). */
  move(target: number, start: number, end: number): void;
}

/** Op tags (plain, in a column family). */
export const Tag = {
  Delete: [0x00, 0x04],
  Put: [0x01, 0x05],
  Merge: [0x02, 0x06],
  DeleteRange: [0x0f, 0x0e],
} as const satisfies Record<string, readonly [number, number]>;

/** Size of a batch's header (sequence: fixed64, count: fixed32). */
export const HEADER_SIZE = 12;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5;
}

/**
 * Writes `varint32(length) ‖ bytes` at `at`, where `prefix` (if any) is written before `value`
 * inside the same field (list framing). Returns the offset after it.
 */
export function writeLengthPrefixed(sink: ByteSink, at: number, value: BytesInput, prefix?: Uint8Array): number {
  const extra = prefix?.length ?? 0;
  if (typeof value !== 'string') {
    const len = extra + value.length;
    let p = at + sink.writeVarint32(len, at);
    if (prefix !== undefined) p += sink.write(prefix, p);
    return p + sink.write(value, p);
  }
  // A string's UTF-8 length is known only after encoding it: encode behind room for the
  // largest varint, then close the gap (no gap for strings short enough for a 1-byte varint).
  const room = extra + value.length * 3 < 0x80 ? 1 : 5;
  let p = at + room;
  if (prefix !== undefined) p += sink.write(prefix, p);
  const len = extra + sink.write(value, p);
  const v = varintSize(len);
  if (v !== room) sink.move(at + v, at + room, at + room + len);
  sink.writeVarint32(len, at);
  return at + v + len;
}

/** Writes one op (`tag` chosen by whether `cf` is the default, id 0); returns the new end. */
export function writeOp(
  sink: ByteSink,
  at: number,
  tag: readonly [number, number],
  cf: number,
  key: BytesInput,
  value?: BytesInput,
  valuePrefix?: Uint8Array,
): number {
  let p = at;
  if (cf === 0) {
    sink.writeByte(tag[0], p++);
  } else {
    sink.writeByte(tag[1], p++);
    p += sink.writeVarint32(cf, p);
  }
  p = writeLengthPrefixed(sink, p, key);
  if (value !== undefined) p = writeLengthPrefixed(sink, p, value, valuePrefix);
  return p;
}

/** The varint32 framing of a list element of `len` bytes (listAppend merge operands). */
export function listFrame(len: number): Uint8Array {
  const out = new Uint8Array(varintSize(len));
  let i = 0;
  while (len >= 0x80) {
    out[i++] = (len & 0x7f) | 0x80;
    len >>>= 7;
  }
  out[i] = len;
  return out;
}
