import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { LSM_PROFILES, resolveLsmOptions, type LsmOptionsInput } from './lsm-options.js';

describe('LSM options', () => {
  it('resolves to the default profile when nothing is given', () => {
    expect(resolveLsmOptions()).toEqual(LSM_PROFILES.default);
  });

  it('every predefined profile is valid as is', () => {
    for (const profile of Object.keys(LSM_PROFILES) as (keyof typeof LSM_PROFILES)[]) {
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
      let error: unknown;
      try {
        resolveLsmOptions(input);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(input)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).details['field']).toBe(field);
    }
  });
});
