/**
 * Byte layout of keyed state in a key-value store (the LSM backend's column families); the full
 * grammar with examples is in docs/state-layout.md. Never change it: it is stored on disk.
 *
 *   state key  = keyGroup:u16be  varint(len(key)) key  namespace  [mapKey]
 *   namespace  = 0x00                                   (void namespace)
 *              | varint(len(ns) + 1) ns                 (a serialized namespace)
 *   timer key  = timestamp:i64 sign-flipped be  keyGroup:u16be  varint(len(key)) key  namespace
 *
 * Lengths make each component self-delimiting, so "all entries of key k" and "all entries of k
 * in namespace n" are exact byte prefixes (no other key or namespace can share them). The map
 * key comes last and is not length-prefixed, so a prefix scan of one map returns its entries in
 * the map-key serializer's byte order. Key groups first make a key-group range one contiguous
 * byte range (checkpoints and rescaling split on it).
 */
import { CorruptionError } from '../errors.js';

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function readVarint(bytes: Uint8Array, at: number): readonly [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    const b = bytes[at + i];
    if (b === undefined) break;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, at + i + 1];
    scale *= 128;
  }
  throw new CorruptionError('state key: bad varint', { offset: at });
}

/** Serialized namespace component: `undefined` is the void namespace. */
export type NamespaceBytes = Uint8Array | undefined;

function namespaceLength(ns: NamespaceBytes): number {
  return ns === undefined ? 1 : varintLength(ns.length + 1) + ns.length;
}

function writeNamespace(out: Uint8Array, at: number, ns: NamespaceBytes): number {
  if (ns === undefined) {
    out[at] = 0;
    return at + 1;
  }
  at = writeVarint(out, at, ns.length + 1);
  out.set(ns, at);
  return at + ns.length;
}

/** `keyGroup | varint(len) key`: the prefix of every entry of one key. */
export function keyPrefix(keyGroup: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + varintLength(key.length) + key.length);
  out[0] = keyGroup >>> 8;
  out[1] = keyGroup & 0xff;
  const at = writeVarint(out, 2, key.length);
  out.set(key, at);
  return out;
}

/** `keyGroup | key | namespace`: the prefix of every entry of one key in one namespace. */
export function keyNamespacePrefix(keyGroup: number, key: Uint8Array, namespace: NamespaceBytes): Uint8Array {
  return stateKey(keyGroup, key, namespace);
}

/** The full state key; `mapKey` only for map state. */
export function stateKey(keyGroup: number, key: Uint8Array, namespace: NamespaceBytes, mapKey?: Uint8Array): Uint8Array {
  const keyLen = varintLength(key.length);
  const out = new Uint8Array(2 + keyLen + key.length + namespaceLength(namespace) + (mapKey?.length ?? 0));
  out[0] = keyGroup >>> 8;
  out[1] = keyGroup & 0xff;
  let at = writeVarint(out, 2, key.length);
  out.set(key, at);
  at = writeNamespace(out, at + key.length, namespace);
  if (mapKey) out.set(mapKey, at);
  return out;
}

/** `[keyGroup, keyGroup + 1)` as byte bounds `{ from, to }` (`to` exclusive) for scans and deleteRange. */
export function keyGroupBounds(fromKeyGroup: number, toKeyGroupInclusive: number): { from: Uint8Array; to: Uint8Array } {
  const end = toKeyGroupInclusive + 1;
  return { from: Uint8Array.of(fromKeyGroup >>> 8, fromKeyGroup & 0xff), to: Uint8Array.of(end >>> 8, end & 0xff) };
}

/** The components of a state key (views into `bytes`). */
export interface DecodedStateKey {
  readonly keyGroup: number;
  readonly key: Uint8Array;
  readonly namespace: NamespaceBytes;
  /** The bytes after the namespace: the map key for map state, empty otherwise. */
  readonly mapKey: Uint8Array;
}

/** Splits a state key; throws `CorruptionError` when it is malformed. */
export function decodeStateKey(bytes: Uint8Array): DecodedStateKey {
  if (bytes.length < 4) throw new CorruptionError('state key: too short', { length: bytes.length });
  const keyGroup = (bytes[0]! << 8) | bytes[1]!;
  const [keyLen, keyAt] = readVarint(bytes, 2);
  const nsAt = keyAt + keyLen;
  if (nsAt >= bytes.length) throw new CorruptionError('state key: key runs past the end', { length: bytes.length });
  const key = bytes.subarray(keyAt, nsAt);
  const [nsTag, nsBody] = readVarint(bytes, nsAt);
  let namespace: NamespaceBytes;
  let rest = nsBody;
  if (nsTag > 0) {
    rest = nsBody + nsTag - 1;
    if (rest > bytes.length) throw new CorruptionError('state key: namespace runs past the end', { length: bytes.length });
    namespace = bytes.subarray(nsBody, rest);
  }
  return { keyGroup, key, namespace, mapKey: bytes.subarray(rest) };
}

/** Timer key: timestamp first (sign-flipped big-endian, so byte order is time order), then the state key. */
export function timerKey(timestamp: number, keyGroup: number, key: Uint8Array, namespace: NamespaceBytes): Uint8Array {
  const tail = stateKey(keyGroup, key, namespace);
  const out = new Uint8Array(8 + tail.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(timestamp)) ^ (1n << 63n));
  out.set(tail, 8);
  return out;
}

/** Splits a timer key. */
export function decodeTimerKey(bytes: Uint8Array): DecodedStateKey & { readonly timestamp: number } {
  if (bytes.length < 12) throw new CorruptionError('timer key: too short', { length: bytes.length });
  return { ...decodeStateKey(bytes.subarray(8)), timestamp: timerKeyTimestamp(bytes) };
}

/**
 * The timestamp of timer key `bytes` (its first 8 bytes), without decoding the rest: the
 * timer queue's head needs only this. Timestamps are safe integers (checked on register), so
 * the signed high word times 2^32 plus the low word is exact.
 */
export function timerKeyTimestamp(bytes: Uint8Array): number {
  if (bytes.length < 8) throw new CorruptionError('timer key: too short', { length: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return ((view.getUint32(0) ^ 0x80000000) | 0) * 2 ** 32 + view.getUint32(4);
}

/** Unsigned lexicographic comparison of bytes (the engine's default comparator). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
