/**
 * Tuning of the LSM state backend: one typed object, validated, with predefined profiles like
 * Flink's `PredefinedOptions`. Pure data: the LSM backend maps it onto the engine's options.
 *
 * Profiles (then overridden field by field by what the user passes):
 * - `default`: balanced, for a worker with some tens of MB to spare.
 * - `memoryConstrained`: small write buffers and cache, for edge isolates (128 MB total) and
 *   phones; more compactions, smaller files.
 * - `readHeavy`: larger blocks' worth of cache and more Bloom bits, fewer false-positive reads.
 * - `writeHeavy`: large write buffers and a later L0 trigger, fewer flushes and compactions.
 */
import { InvalidArgumentError } from '../errors.js';

/** Block compression the engine writes. */
export type LsmCompression = 'none' | 'snappy' | 'lz4';

/** Names of the predefined profiles. */
export type LsmProfile = 'default' | 'memoryConstrained' | 'readHeavy' | 'writeHeavy';

/** Every tunable, all required once resolved. Sizes in bytes. */
export interface LsmOptions {
  /** Memtable size before a flush (per column family). */
  readonly writeBufferSize: number;
  /** Target size of an SST data block before compression. */
  readonly blockSize: number;
  /** Bloom filter bits per key (0 turns filters off). */
  readonly bloomBitsPerKey: number;
  readonly compression: LsmCompression;
  /** Number of L0 files that triggers a compaction into L1. */
  readonly level0CompactionTrigger: number;
  /** Target size of L1. */
  readonly maxBytesForLevelBase: number;
  /** Each level is this many times larger than the one above. */
  readonly levelMultiplier: number;
  /** Target size of a compaction output file. */
  readonly targetFileSize: number;
  /** Memory the engine may use in total: write buffers plus block cache. */
  readonly memoryBudget: number;
  /**
   * Fraction of `memoryBudget` given to the block cache, in [0, 1): the cache gets
   * `Math.floor(memoryBudget × cacheShare)` bytes, write buffers the rest (see the engine's
   * `cacheShare`).
   */
  readonly cacheShare: number;
  /**
   * Bytes of log records buffered before they go to storage in one write (see the engine's
   * `walBufferSize`; 0: a storage write per state write). State is durable at checkpoints (Flink's
   * RocksDB backend turns its WAL off altogether); the buffered log still brings back what a
   * task wrote once it yielded, or everything after a clean close.
   */
  readonly walBufferSize: number;
}

const MiB = 1 << 20;
const KiB = 1 << 10;

/** The predefined profiles. */
export const LSM_PROFILES: Readonly<Record<LsmProfile, LsmOptions>> = Object.freeze({
  default: Object.freeze({
    writeBufferSize: 4 * MiB,
    blockSize: 4 * KiB,
    bloomBitsPerKey: 10,
    compression: 'lz4',
    level0CompactionTrigger: 4,
    maxBytesForLevelBase: 64 * MiB,
    levelMultiplier: 10,
    targetFileSize: 8 * MiB,
    memoryBudget: 64 * MiB,
    cacheShare: 0.5,
    walBufferSize: 1 * MiB,
  }),
  memoryConstrained: Object.freeze({
    writeBufferSize: 1 * MiB,
    blockSize: 4 * KiB,
    bloomBitsPerKey: 10,
    compression: 'lz4',
    level0CompactionTrigger: 4,
    maxBytesForLevelBase: 16 * MiB,
    levelMultiplier: 10,
    targetFileSize: 2 * MiB,
    memoryBudget: 16 * MiB,
    cacheShare: 0.5,
    walBufferSize: 1 * MiB,
  }),
  readHeavy: Object.freeze({
    writeBufferSize: 4 * MiB,
    blockSize: 16 * KiB,
    bloomBitsPerKey: 16,
    compression: 'lz4',
    level0CompactionTrigger: 2,
    maxBytesForLevelBase: 64 * MiB,
    levelMultiplier: 10,
    targetFileSize: 8 * MiB,
    memoryBudget: 96 * MiB,
    cacheShare: 0.75,
    walBufferSize: 1 * MiB,
  }),
  writeHeavy: Object.freeze({
    writeBufferSize: 16 * MiB,
    blockSize: 4 * KiB,
    bloomBitsPerKey: 10,
    compression: 'snappy',
    level0CompactionTrigger: 8,
    maxBytesForLevelBase: 256 * MiB,
    levelMultiplier: 10,
    targetFileSize: 32 * MiB,
    memoryBudget: 96 * MiB,
    cacheShare: 0.25,
    walBufferSize: 1 * MiB,
  }),
});

/** What users pass: a profile and/or any fields to override. */
export type LsmOptionsInput = Partial<LsmOptions> & { readonly profile?: LsmProfile };

interface IntRule {
  readonly min: number;
  readonly max: number;
}

/**
 * The engine's bounds (`Options::validate`, wasm/src/db/options.rs), so that whatever resolves
 * here the engine accepts: a refusal must come before a restore replaces the storage, not from
 * the engine after it. Keep them equal (lsm-options.test.ts opens the engine at each limit).
 */
const INT_RULES: Readonly<Record<Exclude<keyof LsmOptions, 'compression' | 'cacheShare'>, IntRule>> = {
  writeBufferSize: { min: 64 * KiB, max: 1 << 30 },
  blockSize: { min: 256, max: 16 * MiB },
  bloomBitsPerKey: { min: 0, max: 64 },
  level0CompactionTrigger: { min: 2, max: 64 },
  // The engine's maximum (2^56 - 1) is past the integers a number holds exactly.
  maxBytesForLevelBase: { min: 64 * KiB, max: Number.MAX_SAFE_INTEGER },
  levelMultiplier: { min: 2, max: 100 },
  targetFileSize: { min: 64 * KiB, max: 2 ** 30 },
  memoryBudget: { min: 256 * KiB, max: 2 ** 40 },
  walBufferSize: { min: 0, max: 64 * MiB },
};

const KNOWN = new Set<string>(['profile', 'compression', 'cacheShare', ...Object.keys(INT_RULES)]);

/**
 * The full options: the profile's values (default `'default'`) overridden by `input`. Throws
 * `InvalidArgumentError` naming the field for unknown fields, wrong types and out-of-range values,
 * and when write buffers (`writeBufferSize`) do not fit the write share of the memory budget.
 */
export function resolveLsmOptions(input: LsmOptionsInput = {}): LsmOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('LSM options must be an object');
  for (const field of Object.keys(input)) {
    if (!KNOWN.has(field)) throw new InvalidArgumentError(`unknown LSM option "${field}"`, { field });
  }
  const profile = input.profile ?? 'default';
  if (!Object.hasOwn(LSM_PROFILES, profile)) {
    throw new InvalidArgumentError(`unknown LSM profile "${String(profile)}"`, {
      field: 'profile',
      allowed: Object.keys(LSM_PROFILES).join(','),
    });
  }
  const { profile: _profile, ...overrides } = input;
  const merged = { ...LSM_PROFILES[profile], ...stripUndefined(overrides) } as LsmOptions;
  for (const [field, rule] of Object.entries(INT_RULES)) {
    const v = merged[field as keyof LsmOptions];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < rule.min || v > rule.max) {
      throw new InvalidArgumentError(`LSM option ${field} must be an integer in [${rule.min}, ${rule.max}]`, {
        field,
        value: String(v),
      });
    }
  }
  if (merged.compression !== 'none' && merged.compression !== 'snappy' && merged.compression !== 'lz4') {
    throw new InvalidArgumentError("LSM option compression must be 'none', 'snappy' or 'lz4'", {
      field: 'compression',
      value: String(merged.compression),
    });
  }
  if (typeof merged.cacheShare !== 'number' || !(merged.cacheShare >= 0 && merged.cacheShare < 1)) {
    throw new InvalidArgumentError('LSM option cacheShare must be a number in [0, 1)', {
      field: 'cacheShare',
      value: String(merged.cacheShare),
    });
  }
  const writeShare = lsmWriteShare(merged);
  if (merged.writeBufferSize > writeShare) {
    throw new InvalidArgumentError(`writeBufferSize (${merged.writeBufferSize}) does not fit the write share of memoryBudget (${writeShare})`, {
      field: 'writeBufferSize',
      writeBufferSize: merged.writeBufferSize,
      writeShare,
    });
  }
  return Object.freeze(merged);
}

/**
 * Bytes of the engine's block cache for these options: `memoryBudget × cacheShare` rounded down,
 * as the engine computes it (`Options::block_cache_size`; the same double product, floored).
 */
export function lsmBlockCacheSize(o: Pick<LsmOptions, 'memoryBudget' | 'cacheShare'>): number {
  return Math.floor(o.memoryBudget * o.cacheShare);
}

/** Bytes all memtables may hold together: the rest of the budget (`Options::write_buffer_budget`). */
export function lsmWriteShare(o: Pick<LsmOptions, 'memoryBudget' | 'cacheShare'>): number {
  return o.memoryBudget - lsmBlockCacheSize(o);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
