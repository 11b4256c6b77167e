import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import {
  checkKeyGroupRange,
  checkMaxParallelism,
  keyGroupOf,
  keyGroupRangeForInstance,
  murmur3X86_32,
} from './key-groups.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur3X86_32', () => {
  // Published MurmurHash3_x86_32 test vectors (SMHasher's reference implementation outputs).
  const vectors: ReadonlyArray<readonly [Uint8Array, number, number]> = [
    [utf8(''), 0, 0],
    [utf8(''), 1, 0x514e28b7],
    [utf8(''), 0xffffffff, 0x81f16f39],
    [new Uint8Array([0, 0, 0, 0]), 0, 0x2362f9de],
    [utf8('aaaa'), 0x9747b28c, 0x5a97808a],
    [utf8('aaa'), 0x9747b28c, 0x283e0130],
    [utf8('aa'), 0x9747b28c, 0x5d211726],
    [utf8('a'), 0x9747b28c, 0x7fa09ea6],
    [utf8('abcd'), 0x9747b28c, 0xf0478627],
    [utf8('abc'), 0x9747b28c, 0xc84a62dd],
    [utf8('ab'), 0x9747b28c, 0x74875592],
    [utf8('Hello, world!'), 0x9747b28c, 0x24884cba],
    [utf8('ππππππππ'), 0x9747b28c, 0xd58063c1],
    [utf8('a'.repeat(256)), 0x9747b28c, 0x37405bdc],
    [utf8('abc'), 0, 0xb3dd93fa],
    [utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), 0, 0xee925b90],
    [utf8('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
  ];

  it.each(vectors.map(([bytes, seed, hash]) => [new TextDecoder().decode(bytes).slice(0, 20), seed, hash, bytes] as const))(
    'hashes %j with seed %d to the published value',
    (_label, seed, hash, bytes) => {
      expect(murmur3X86_32(bytes, seed)).toBe(hash);
    },
  );

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 200; i++) {
      const h = murmur3X86_32(utf8(`key-${i}`));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe('key groups', () => {
  it('assigns every key a group below maxParallelism, spread over all groups', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const kg = keyGroupOf(utf8(`user-${i}`), 128);
      expect(kg).toBeGreaterThanOrEqual(0);
      expect(kg).toBeLessThan(128);
      seen.add(kg);
    }
    expect(seen.size).toBe(128);
  });

  it('rejects maxParallelism outside [1, 32768]', () => {
    for (const bad of [0, -1, 1.5, 32769, Number.NaN, '128']) {
      expect(() => checkMaxParallelism(bad)).toThrow(InvalidArgumentError);
    }
    expect(checkMaxParallelism(32768)).toBe(32768);
  });

  it('rejects empty, reversed or out-of-bounds key-group ranges', () => {
    expect(() => checkKeyGroupRange({ from: 5, to: 4 }, 128)).toThrow(InvalidArgumentError);
    expect(() => checkKeyGroupRange({ from: 0, to: 128 }, 128)).toThrow(InvalidArgumentError);
    expect(() => checkKeyGroupRange({ from: -1, to: 3 }, 128)).toThrow(InvalidArgumentError);
    expect(() => checkKeyGroupRange(null, 128)).toThrow(InvalidArgumentError);
    expect(checkKeyGroupRange({ from: 3, to: 3 }, 128)).toEqual({ from: 3, to: 3 });
  });

  it('splits key groups between instances into contiguous ranges covering all', () => {
    for (const parallelism of [1, 3, 7, 128]) {
      let next = 0;
      for (let i = 0; i < parallelism; i++) {
        const r = keyGroupRangeForInstance(128, parallelism, i);
        expect(r.from).toBe(next);
        expect(r.to).toBeGreaterThanOrEqual(r.from);
        next = r.to + 1;
      }
      expect(next).toBe(128);
    }
  });
});
