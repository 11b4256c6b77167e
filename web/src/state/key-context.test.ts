import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyContext } from './key-context.js';
import { KeyGroupOutOfRangeError, keyGroupOf } from './key-groups.js';
import { serde } from './serde/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('KeyContext', () => {
  it('gives every key the key group of its serialized bytes, memoized or not', () => {
    const ctx = new KeyContext(64, { from: 0, to: 63 });
    fc.assert(
      fc.property(fc.string(), (k) => {
        const expected = keyGroupOf(utf8(k), 64);
        expect(ctx.keyGroupOf(serde.string, k)).toBe(expected);
        expect(ctx.keyGroupOf(serde.string, k)).toBe(expected);
        expect(ctx.resolve(serde.string, k).keyGroup).toBe(expected);
      }),
    );
    expect(ctx.keyGroupOf(serde.i64, 5n)).toBe(keyGroupOf(serde.i64.serialize(5n), 64));
  });

  it('refuses a foreign key on every call, never memoizing it', () => {
    const ctx = new KeyContext(64, { from: 0, to: 31 });
    let i = 0;
    while (keyGroupOf(utf8(`k${i}`), 64) <= 31) i++;
    for (let n = 0; n < 3; n++) {
      expect(() => ctx.keyGroupOf(serde.string, `k${i}`)).toThrow(KeyGroupOutOfRangeError);
      expect(() => ctx.resolve(serde.string, `k${i}`)).toThrow(KeyGroupOutOfRangeError);
    }
  });

  it('serializes a repeated key once', () => {
    const ctx = new KeyContext(8, { from: 0, to: 7 });
    const first = ctx.resolve(serde.string, 'a');
    expect(ctx.resolve(serde.string, 'a')).toBe(first);
    expect(ctx.hits).toBe(1);
  });
});
