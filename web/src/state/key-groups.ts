/**
 * Key groups: the unit in which keyed state is split between instances and checkpoints.
 *
 *   keyGroup(key) = murmur3_x86_32(serializedKey, seed = 0) mod maxParallelism
 *
 * where `murmur3_x86_32` is Austin Appleby's MurmurHash3, 32-bit x86 variant, over the key's
 * serialized bytes (its `Serializer` output), read as an unsigned 32-bit integer. (Flink hashes
 * Java's `hashCode()` instead; bytes make the assignment the same in every language and for
 * every backend.) The hash and the seed are part of the on-disk layout: never change them.
 */
import { type ErrorDetails, InvalidArgumentError, registerErrorClass } from '../errors.js';

/** Seed of the key-group hash. Part of the layout: never change it. */
export const KEY_GROUP_HASH_SEED = 0;

/** Largest allowed `maxParallelism`: key groups are stored in 2 bytes. Flink's limit too. */
export const MAX_PARALLELISM_LIMIT = 32768;

/** Default `maxParallelism`, as in Flink for small jobs. */
export const DEFAULT_MAX_PARALLELISM = 128;

/** A contiguous, inclusive range of key groups `[from, to]`. */
export interface KeyGroupRange {
  readonly from: number;
  readonly to: number;
}

/** A key hashed to a key group this backend instance does not own; nothing was written. */
export class KeyGroupOutOfRangeError extends InvalidArgumentError {
  override readonly name: string = 'KeyGroupOutOfRangeError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

registerErrorClass(KeyGroupOutOfRangeError);

/**
 * MurmurHash3 x86 32-bit of `bytes` with `seed`, as an unsigned 32-bit integer.
 * Written from the algorithm's description (blocks of 4 little-endian bytes, tail, fmix32).
 */
export function murmur3X86_32(bytes: Uint8Array, seed: number = KEY_GROUP_HASH_SEED): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = bytes.length;
  const blocksEnd = length - (length & 3);
  let h = seed | 0;
  let i = 0;
  for (; i < blocksEnd; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) | 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail: the last 1–3 bytes, little-endian, mixed like a block but without the h rotation.
  const tail = length & 3;
  if (tail !== 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[i + 2]! << 16;
    if (tail >= 2) k ^= bytes[i + 1]! << 8;
    k ^= bytes[i]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key group of a serialized key. */
export function keyGroupOf(serializedKey: Uint8Array, maxParallelism: number): number {
  return murmur3X86_32(serializedKey) % maxParallelism;
}

/** Throws unless `maxParallelism` is an integer in [1, 32768]. */
export function checkMaxParallelism(maxParallelism: unknown): number {
  if (
    typeof maxParallelism !== 'number' ||
    !Number.isInteger(maxParallelism) ||
    maxParallelism < 1 ||
    maxParallelism > MAX_PARALLELISM_LIMIT
  ) {
    throw new InvalidArgumentError(`maxParallelism must be an integer in [1, ${MAX_PARALLELISM_LIMIT}]`, {
      maxParallelism: String(maxParallelism),
    });
  }
  return maxParallelism;
}

/** The range of every key group: `[0, maxParallelism - 1]`. */
export function fullKeyGroupRange(maxParallelism: number): KeyGroupRange {
  return { from: 0, to: maxParallelism - 1 };
}

/** Throws unless `range` is a non-empty integer range inside `[0, maxParallelism - 1]`. */
export function checkKeyGroupRange(range: unknown, maxParallelism: number): KeyGroupRange {
  const r = range as Partial<KeyGroupRange> | null;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    Number.isInteger(r.from) &&
    Number.isInteger(r.to) &&
    r.from! >= 0 &&
    r.from! <= r.to! &&
    r.to! < maxParallelism;
  if (!ok) {
    throw new InvalidArgumentError(`key-group range must satisfy 0 <= from <= to < maxParallelism (${maxParallelism})`, {
      range: JSON.stringify(range) ?? String(range),
      maxParallelism,
    });
  }
  return { from: r.from!, to: r.to! };
}

/** Whether `keyGroup` lies in `range`. */
export function inKeyGroupRange(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.from && keyGroup <= range.to;
}

/**
 * The key-group range instance `index` of `parallelism` owns, as Flink splits them: contiguous
 * ranges whose sizes differ by at most one. Useful to shard state across workers.
 */
export function keyGroupRangeForInstance(maxParallelism: number, parallelism: number, index: number): KeyGroupRange {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new InvalidArgumentError('parallelism must be an integer in [1, maxParallelism]', { parallelism, maxParallelism });
  }
  if (!Number.isInteger(index) || index < 0 || index >= parallelism) {
    throw new InvalidArgumentError('index must be an integer in [0, parallelism)', { index, parallelism });
  }
  const from = Math.ceil((index * maxParallelism) / parallelism);
  const to = Math.ceil(((index + 1) * maxParallelism) / parallelism) - 1;
  return { from, to };
}
