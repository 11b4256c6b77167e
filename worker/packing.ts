/**
 * Bulk data across `postMessage` without structured-cloning it piece by piece.
 *
 * - Main thread → worker: {@link packEntries} copies a batch of `[key, value]` pairs into one
 *   fresh `ArrayBuffer`, which the client *transfers* (nobody else references it, so nothing is
 *   detached under the caller's feet); the worker reads keys and values as views of it
 *   ({@link unpackEntries}), with no further copy before the engine's own.
 * - Worker → main thread: values the engine returns are fresh copies; {@link ownedBuffers}
 *   picks the buffers that can be transferred instead of cloned.
 *
 * Packed layout, all integers u32 little-endian:
 * ```text
 * count | keyLen[0] valueLen[0] … keyLen[count-1] valueLen[count-1] | key[0] value[0] … (bytes)
 * ```
 */
import { InvalidArgumentError } from '../web/src/errors.js';
import type { BytesInput } from '../web/src/index.js';
import { utf8Bytes } from '../web/src/engine/utf8.js';

/** As the engine says it (`lsm-database.ts`), so both sides of the worker report the same. */
function toBytes(value: unknown, what: 'key' | 'value'): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8Bytes(value);
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${got}`, { argument: what, type: got });
}

/**
 * Packs `entries` into one new buffer. Throws `InvalidArgumentError` (packing nothing) if an
 * entry is not a `[key, value]` pair of strings or `Uint8Array`s. The caller's arrays are copied,
 * never detached.
 */
export function packEntries(entries: ReadonlyArray<readonly [BytesInput, BytesInput]>): ArrayBuffer {
  if (!Array.isArray(entries)) throw new InvalidArgumentError('putMany needs an array of [key, value] pairs');
  const parts: Uint8Array[] = [];
  let dataBytes = 0;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new InvalidArgumentError('each entry must be a [key, value] pair');
    const key = toBytes(entry[0], 'key');
    const value = toBytes(entry[1], 'value');
    parts.push(key, value);
    dataBytes += key.length + value.length;
  }
  const headerBytes = 4 + 4 * parts.length;
  const buffer = new ArrayBuffer(headerBytes + dataBytes);
  const view = new DataView(buffer);
  const out = new Uint8Array(buffer);
  view.setUint32(0, entries.length, true);
  let at = headerBytes;
  parts.forEach((part, i) => {
    view.setUint32(4 + 4 * i, part.length, true);
    out.set(part, at);
    at += part.length;
  });
  return buffer;
}

/**
 * The entries of a buffer made by {@link packEntries}, as views of it (no copy). Throws
 * `InvalidArgumentError` if the lengths do not add up to the buffer's size.
 */
export function unpackEntries(buffer: ArrayBuffer): Array<[Uint8Array, Uint8Array]> {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 4) throw new InvalidArgumentError('a packed batch must be an ArrayBuffer');
  const view = new DataView(buffer);
  const count = view.getUint32(0, true);
  const headerBytes = 4 + 8 * count;
  if (headerBytes > buffer.byteLength) throw new InvalidArgumentError(`packed batch of ${count} entries is truncated`);
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  let at = headerBytes;
  const take = (i: number): Uint8Array => {
    const length = view.getUint32(4 + 4 * i, true);
    if (at + length > buffer.byteLength) throw new InvalidArgumentError(`packed batch of ${count} entries is truncated`);
    const bytes = new Uint8Array(buffer, at, length);
    at += length;
    return bytes;
  };
  for (let i = 0; i < count; i++) entries.push([take(2 * i), take(2 * i + 1)]);
  if (at !== buffer.byteLength) throw new InvalidArgumentError(`packed batch has ${buffer.byteLength - at} stray bytes`);
  return entries;
}

/**
 * The distinct buffers of `views` that may be transferred: plain `ArrayBuffer`s that one of the
 * views spans entirely. A view of part of a buffer (e.g. of the engine's wasm memory, or of a
 * shared allocation) is left out: its buffer holds other data, and transferring it would detach
 * that too. So only fresh, whole copies move; everything else is cloned.
 */
export function ownedBuffers(views: Iterable<unknown>): ArrayBuffer[] {
  const owned = new Set<ArrayBuffer>();
  for (const v of views) {
    if (!(v instanceof Uint8Array) || !(v.buffer instanceof ArrayBuffer)) continue;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.byteLength > 0) owned.add(v.buffer);
  }
  return [...owned];
}
