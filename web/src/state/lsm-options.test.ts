import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openLsm, type EngineTuning } from '../engine/lsm-database.js';
import { loadEngine } from '../engine/wasm-module.js';
import { EdgestateError, InvalidArgumentError } from '../errors.js';
import { memoryStorage } from '../storage/memory.js';
import { ManualClock } from './clock.js';
import { fullKeyGroupRange } from './key-groups.js';
import { LsmStateBackend } from './lsm/lsm-backend.js';
import { LSM_PROFILES, lsmBlockCacheSize, lsmWriteShare, resolveLsmOptions, type LsmOptions, type LsmOptionsInput, type LsmProfile } from './lsm-options.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

const KiB = 1 << 10;
const MiB = 1 << 20;

/**
 * The engine's bounds as `Options::validate` (wasm/src/db/options.rs) states them: written out
 * here rather than read from lsm-options.ts, so that a bound changed on one side only fails.
 */
const ENGINE_BOUNDS: readonly (readonly [field: Exclude<keyof LsmOptions, 'compression' | 'cacheShare'>, min: number, max: number])[] = [
  ['writeBufferSize', 64 * KiB, 2 ** 30],
  ['blockSize', 256, 16 * MiB],
  ['bloomBitsPerKey', 0, 64],
  ['level0CompactionTrigger', 2, 64],
  // The engine's maximum is 2^56 - 1, past what a number holds exactly: the last safe integer.
  ['maxBytesForLevelBase', 64 * KiB, Number.MAX_SAFE_INTEGER],
  ['levelMultiplier', 2, 100],
  ['targetFileSize', 64 * KiB, 2 ** 30],
  ['memoryBudget', 256 * KiB, 2 ** 40],
  ['walBufferSize', 0, 64 * MiB],
];

/** Options in which `field` is `value` and the write-buffer fit check passes. */
function withValue(field: keyof LsmOptions, value: number): LsmOptionsInput {
  if (field === 'writeBufferSize') return { writeBufferSize: value, memoryBudget: 2 ** 40 };
  if (field === 'memoryBudget') return { memoryBudget: value, writeBufferSize: 64 * KiB };
  return { [field]: value };
}

function refusal(f: () => unknown): InvalidArgumentError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('not refused');
}

/** Opens the engine with `tuning` alone: undefined when it opened, else what it threw. */
async function engineOpen(tuning: EngineTuning): Promise<unknown> {
  try {
    const db = await openLsm({ storage: memoryStorage(), ...tuning });
    await db.close();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('LSM options', () => {
  it('resolves to the default profile when nothing is given', () => {
    expect(resolveLsmOptions()).toEqual(LSM_PROFILES.default);
  });

  it('every predefined profile is valid as is', () => {
    for (const profile of Object.keys(LSM_PROFILES) as LsmProfile[]) {
      expect(resolveLsmOptions({ profile })).toEqual(LSM_PROFILES[profile]);
    }
  });

  it('overrides a profile field by field', () => {
    const o = resolveLsmOptions({ profile: 'memoryConstrained', compression: 'none', bloomBitsPerKey: 0 });
    expect(o).toEqual({ ...LSM_PROFILES.memoryConstrained, compression: 'none', bloomBitsPerKey: 0 });
  });

  it('names the field of unknown, mistyped or out-of-range options', () => {
    const bad: [LsmOptionsInput, string][] = [
      [{ blockSize: 100 }, 'blockSize'],
      [{ writeBufferSize: 1.5 * 1024 * 1024 + 0.5 }, 'writeBufferSize'],
      [{ compression: 'zstd' as never }, 'compression'],
      [{ cacheShare: 1 }, 'cacheShare'],
      [{ levelMultiplier: 1 }, 'levelMultiplier'],
      [{ profile: 'fast' as never }, 'profile'],
      [{ blockSzie: 4096 } as never, 'blockSzie'],
      [{ memoryBudget: 4 << 20, writeBufferSize: 4 << 20 }, 'writeBufferSize'],
    ];
    for (const [input, field] of bad) {
      expect(refusal(() => resolveLsmOptions(input)).details['field'], JSON.stringify(input)).toBe(field);
    }
  });

  it("accepts each integer option at the engine's limits and refuses it one past them", () => {
    for (const [field, min, max] of ENGINE_BOUNDS) {
      expect(resolveLsmOptions(withValue(field, min))[field], field).toBe(min);
      expect(resolveLsmOptions(withValue(field, max))[field], field).toBe(max);
      expect(refusal(() => resolveLsmOptions(withValue(field, min - 1))).details['field'], `${field} ${min - 1}`).toBe(field);
      expect(refusal(() => resolveLsmOptions(withValue(field, max + 1))).details['field'], `${field} ${max + 1}`).toBe(field);
    }
  });

  it('accepts cacheShare in [0, 1) as the engine does', () => {
    expect(resolveLsmOptions({ cacheShare: 0 }).cacheShare).toBe(0);
    // Near 1 the write buffers still have to fit the rest (here about 10 MiB).
    expect(resolveLsmOptions({ cacheShare: 0.99, memoryBudget: 2 ** 30 }).cacheShare).toBe(0.99);
    for (const cacheShare of [-Number.MIN_VALUE, 1, Number.NaN]) {
      expect(refusal(() => resolveLsmOptions({ cacheShare })).details['field']).toBe('cacheShare');
    }
  });

  it('fits write buffers in the budget the block cache leaves, rounded as the engine rounds', () => {
    // 1,000,001 × 0.3 = 300,000.3: the cache gets 300,000 bytes, memtables 700,001.
    const budget = { memoryBudget: 1_000_001, cacheShare: 0.3 };
    expect(lsmBlockCacheSize(budget)).toBe(300_000);
    expect(lsmWriteShare(budget)).toBe(700_001);
    expect(resolveLsmOptions({ ...budget, writeBufferSize: 700_001 }).writeBufferSize).toBe(700_001);
    expect(refusal(() => resolveLsmOptions({ ...budget, writeBufferSize: 700_002 })).details['field']).toBe('writeBufferSize');
  });
});

describe('LSM options as the engine applies them', () => {
  it('the engine opens at each limit and refuses one past it', async () => {
    for (const [field, min, max] of ENGINE_BOUNDS) {
      expect(await engineOpen({ [field]: min }), `${field} ${min}`).toBeUndefined();
      expect(await engineOpen({ [field]: max }), `${field} ${max}`).toBeUndefined();
      expect(await engineOpen({ [field]: min - 1 }), `${field} ${min - 1}`).toBeInstanceOf(InvalidArgumentError);
      // One past the last safe integer is refused by openLsm's own check, before the engine:
      // what it proves is that no unsafe number reaches the engine.
      expect(await engineOpen({ [field]: max + 1 }), `${field} ${max + 1}`).toBeInstanceOf(InvalidArgumentError);
    }
    expect(await engineOpen({ cacheShare: 0 })).toBeUndefined();
    expect(await engineOpen({ cacheShare: 1 - Number.EPSILON / 2 })).toBeUndefined();
    for (const cacheShare of [-Number.MIN_VALUE, 1, Number.NaN]) {
      const e = await engineOpen({ cacheShare });
      expect(e, String(cacheShare)).toBeInstanceOf(InvalidArgumentError);
      expect((e as EdgestateError).message).toMatch(/cache_?share/i);
    }
  });

  it("each profile's block cache is memoryBudget × cacheShare, and write buffers fit the rest", async () => {
    const expected: Record<LsmProfile, number> = { default: 32 * MiB, memoryConstrained: 8 * MiB, readHeavy: 72 * MiB, writeHeavy: 24 * MiB };
    for (const profile of Object.keys(LSM_PROFILES) as LsmProfile[]) {
      const lsm = resolveLsmOptions({ profile });
      const backend = await LsmStateBackend.open({ maxParallelism: 128, keyGroups: fullKeyGroupRange(128), clock: new ManualClock(0), storage: memoryStorage(), lsm });
      try {
        const capacity = backend.database.stats().blockCache.capacity;
        expect(capacity, profile).toBe(expected[profile]);
        expect(capacity, profile).toBe(lsmBlockCacheSize(lsm));
        expect(lsm.memoryBudget - capacity, profile).toBe(lsmWriteShare(lsm));
        expect(lsm.writeBufferSize, profile).toBeLessThanOrEqual(lsm.memoryBudget - capacity);
      } finally {
        await backend.close();
      }
    }
  });

  it('the engine rounds the split as the fit check does', async () => {
    const db = await openLsm({ storage: memoryStorage(), memoryBudget: 1_000_001, cacheShare: 0.3 });
    expect(db.stats().blockCache.capacity).toBe(lsmBlockCacheSize({ memoryBudget: 1_000_001, cacheShare: 0.3 }));
    await db.close();
  });

  it('memtables are flushed when together they fill the budget the cache leaves', async () => {
    const memoryBudget = 1 * MiB;
    for (const [cacheShare, cache] of [
      [0.25, 256 * KiB],
      [0.75, 768 * KiB],
    ] as const) {
      // A write buffer larger than the budget: only the memtable budget flushes.
      const db = await openLsm({ storage: memoryStorage(), memoryBudget, cacheShare, writeBufferSize: 64 * MiB });
      try {
        expect(db.stats().blockCache.capacity).toBe(cache);
        const rest = memoryBudget - cache;
        const value = new Uint8Array(100);
        let peak = 0;
        for (let i = 0; i < 20_000; i++) {
          db.put(`key${String(i).padStart(6, '0')}`, value);
          peak = Math.max(peak, db.stats().memtableBytes);
        }
        expect(db.stats().flushes, String(cacheShare)).toBeGreaterThan(0);
        // Up to the rest of the budget, less one 64 KiB arena block, and no further.
        expect(peak, String(cacheShare)).toBeLessThanOrEqual(rest + 1024);
        expect(peak, String(cacheShare)).toBeGreaterThanOrEqual(rest - 64 * KiB);
      } finally {
        await db.close();
      }
    }
  });
});
