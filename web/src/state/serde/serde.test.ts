import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError, InvalidArgumentError, ValueTooLargeError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { bytesSerializer, customSerializer, jsonSerializer, msgpackSerializer, serde, stringSerializer } from './index.js';
import { ENCODE_IN_JS_MAX_UNITS } from '../../engine/utf8.js';
import { compareCodePoints, decodeWtf8, encodeWtf8, isWellFormed, isWellFormedByPattern, wtf8Length } from './unicode.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function roundTrips<T>(s: Serializer<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(
    fc.property(arb, (v) => {
      expect(s.deserialize(s.serialize(v))).toEqual(v);
      expect(s.check(v)).toBeGreaterThanOrEqual(0);
    }),
  );
}

function keepsOrder<T>(s: Serializer<T>, arb: fc.Arbitrary<T>, cmp: (a: T, b: T) => number): void {
  fc.assert(
    fc.property(arb, arb, (a, b) => {
      expect(Math.sign(compareBytes(s.serialize(a), s.serialize(b)))).toBe(Math.sign(cmp(a, b)));
    }),
  );
}

const num = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);
const big = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
/** The model of code point order: a string's iterator yields a lone surrogate as its own code point. */
const codePoints = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};
/** Any UTF-16 string: code points with surrogate units spliced in anywhere (lone, splitting a pair, or pairing up). */
const anyString: fc.Arbitrary<string> = fc
  .tuple(fc.string({ unit: 'binary' }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D', '\uDE00')), { maxLength: 4 }))
  .map(([s, inserts]) => inserts.reduce((out, [at, unit]) => out.slice(0, at % (out.length + 1)) + unit + out.slice(at % (out.length + 1)), s));
/** Strings over a few units around the surrogates, so that two of them often share a prefix. */
const nearSurrogates: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom('a', '\uD7FF', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uE000', '\uFFFF', '\u{10000}', '\u{10FFFF}'),
  maxLength: 6,
});
const someString = fc.oneof(anyString, nearSurrogates);
const utf8 = new TextEncoder();
const noNegZero = fc.double({ noNaN: true }).map((d) => (d === 0 ? 0 : d));

describe('fixed-width serializers', () => {
  it('round-trip every value they accept', () => {
    roundTrips(serde.f64, noNegZero);
    roundTrips(serde.i32, fc.integer());
    roundTrips(serde.i64, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
    roundTrips(serde.boolean, fc.boolean());
  });

  it('serialize in natural order (sign-flipped big-endian)', () => {
    keepsOrder(serde.f64, noNegZero, num);
    keepsOrder(serde.i32, fc.integer(), num);
    keepsOrder(serde.i64, fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), big);
    keepsOrder(serde.boolean, fc.boolean(), (a, b) => Number(a) - Number(b));
  });

  it('store -0 as 0 so equal numbers have equal bytes', () => {
    expect(serde.f64.serialize(-0)).toEqual(serde.f64.serialize(0));
  });

  it('reject wrong types, NaN and out-of-range integers with InvalidArgumentError', () => {
    expect(() => serde.f64.serialize(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => serde.f64.check('1')).toThrow(InvalidArgumentError);
    expect(() => serde.i32.check(2 ** 31)).toThrow(InvalidArgumentError);
    expect(() => serde.i32.check(1.5)).toThrow(InvalidArgumentError);
    expect(() => serde.i64.check(5)).toThrow(InvalidArgumentError);
    expect(() => serde.i64.check(1n << 63n)).toThrow(InvalidArgumentError);
    expect(() => serde.boolean.check(0)).toThrow(InvalidArgumentError);
  });

  it('reject stored bytes of the wrong length with CorruptionError', () => {
    expect(() => serde.f64.deserialize(new Uint8Array(7))).toThrow(CorruptionError);
    expect(() => serde.i32.deserialize(new Uint8Array(5))).toThrow(CorruptionError);
    expect(() => serde.boolean.deserialize(Uint8Array.of(2))).toThrow(CorruptionError);
  });
});

describe('string and bytes serializers', () => {
  it('round-trip and keep code point order', () => {
    roundTrips(serde.string, fc.string({ unit: 'grapheme' }));
    keepsOrder(serde.string, fc.string({ unit: 'binary' }), codePoints);
    roundTrips(serde.bytes, fc.uint8Array());
    keepsOrder(serde.bytes, fc.uint8Array(), compareBytes);
  });

  it('reject wrong types and oversized values', () => {
    expect(() => serde.string.check(42)).toThrow(InvalidArgumentError);
    expect(() => serde.bytes.check([1, 2])).toThrow(InvalidArgumentError);
    expect(() => stringSerializer({ maxBytes: 4 }).serialize('ééé')).toThrow(ValueTooLargeError);
    expect(stringSerializer({ maxBytes: 4 }).serialize('éé')).toHaveLength(4);
    expect(() => bytesSerializer({ maxBytes: 2 }).check(new Uint8Array(3))).toThrow(ValueTooLargeError);
    expect(() => stringSerializer({ maxBytes: 0 })).toThrow(InvalidArgumentError);
  });

  it('reject invalid UTF-8 on read with CorruptionError', () => {
    expect(() => serde.string.deserialize(Uint8Array.of(0xff))).toThrow(CorruptionError);
  });
});

describe('string serializer: any JavaScript string as WTF-8', () => {
  it('round-trips any UTF-16 string, lone surrogates included', () => {
    fc.assert(
      fc.property(someString, (s) => {
        expect(serde.string.deserialize(serde.string.serialize(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes a well-formed string exactly as TextEncoder does, short (encoded in JS) or long, so data written before stays valid', () => {
    // Both sides of ENCODE_IN_JS_MAX_UNITS, where serialize stops encoding in JS.
    const aroundTheSwitch = fc.string({ unit: 'binary', minLength: ENCODE_IN_JS_MAX_UNITS - 2, maxLength: ENCODE_IN_JS_MAX_UNITS + 40 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), aroundTheSwitch), (s) => {
        const expected = utf8.encode(s);
        expect(serde.string.serialize(s)).toEqual(expected);
        expect(encodeWtf8(s)).toEqual(expected);
      }),
    );
  });

  it('encodes a lone surrogate as the 3 bytes of its unit and a pair as the 4 bytes of its code point', () => {
    const bytes = (s: string): number[] => [...serde.string.serialize(s)];
    expect(bytes('\uD800')).toEqual([0xed, 0xa0, 0x80]);
    expect(bytes('\uDFFF')).toEqual([0xed, 0xbf, 0xbf]);
    expect(bytes('\uD83D\uDE00')).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    // A low surrogate before a high one is two lone surrogates, not a pair.
    expect(bytes('a\uDC00\uD800b')).toEqual([0x61, 0xed, 0xb0, 0x80, 0xed, 0xa0, 0x80, 0x62]);
    expect(bytes('\uD800\uD83D\uDE00')).toEqual([0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80]);
  });

  it('sorts encodings as compareCodePoints sorts the strings: by code point, a lone surrogate its own', () => {
    fc.assert(
      fc.property(someString, someString, (a, b) => {
        const order = Math.sign(compareCodePoints(a, b));
        expect(order).toBe(Math.sign(codePoints(a, b)));
        expect(Math.sign(compareBytes(serde.string.serialize(a), serde.string.serialize(b)))).toBe(order);
      }),
      { numRuns: 5000 },
    );
    // A lone surrogate sorts between U+D7FF and U+E000, and below every pair.
    expect(compareCodePoints('\uD7FF', '\uD800')).toBeLessThan(0);
    expect(compareCodePoints('\uDFFF', '\uE000')).toBeLessThan(0);
    expect(compareCodePoints('\uDBFF', '\u{10000}')).toBeLessThan(0);
    // The first difference on the low half of a pair against a lone high surrogate's successor.
    expect(compareCodePoints('\uD800\uDC00', '\uD800\uE000')).toBeGreaterThan(0);
    expect(compareCodePoints('\uD800a', '\uD800\uDC00')).toBeLessThan(0);
    expect(compareCodePoints('\uD800', '\uD800\uDC00')).toBeLessThan(0);
    expect(compareCodePoints('\u{10001}', '\u{10000}')).toBeGreaterThan(0);
  });

  it('refuses on read, with CorruptionError, every byte string that is not the one encoding of a string', () => {
    const refused = {
      'a CESU-8 pair (high and low surrogate as 3 bytes each)': [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
      'an overlong ASCII character': [0xc0, 0x80],
      'an overlong 3-byte sequence': [0xe0, 0x80, 0x80],
      'an overlong 4-byte surrogate': [0xf0, 0x8d, 0xa0, 0x80],
      'a code point above U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
      'a lead byte past F4': [0xf5, 0x80, 0x80, 0x80],
      'a truncated surrogate': [0xed, 0xa0],
      'a truncated 4-byte sequence after a lone surrogate': [0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98],
      'a stray continuation byte after a lone surrogate': [0xed, 0xa0, 0x80, 0x80],
      'a 3-byte lead followed by ASCII': [0xed, 0x41, 0x41],
    };
    for (const [what, bytes] of Object.entries(refused)) {
      expect(() => serde.string.deserialize(Uint8Array.from(bytes)), what).toThrow(CorruptionError);
      expect(decodeWtf8(Uint8Array.from(bytes)), what).toBeUndefined();
    }
    // Whatever bytes are read, what is accepted serializes back to exactly those bytes.
    const fragments = [
      [0x61], [0xc3, 0xa9], [0xef, 0xbf, 0xbf], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xaf, 0xbf], [0xed, 0xb0, 0x80], [0xed, 0xbf, 0xbf],
      [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0x80], [0xbf], [0xc0], [0xc1, 0xbf], [0xe0, 0x9f], [0xed], [0xf0, 0x8f], [0xf4, 0x90], [0xf8], [0xff],
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 8 }), (parts) => {
        const bytes = Uint8Array.from(parts.flat());
        let value: string;
        try {
          value = serde.string.deserialize(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CorruptionError);
          return;
        }
        expect(serde.string.serialize(value)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('checks only the type and the size: a lone surrogate is accepted, counted as 3 bytes', () => {
    expect(serde.string.check('a\uD800b')).toBe(6);
    expect(serde.string.check('\uDC00')).toBe(2);
    expect(() => serde.string.check(7)).toThrow(InvalidArgumentError);
    expect(() => stringSerializer({ maxBytes: 5 }).check('\uDC00\uD800')).toThrow(ValueTooLargeError);
    expect(stringSerializer({ maxBytes: 6 }).serialize('\uDC00\uD800')).toHaveLength(6);
    expect(stringSerializer({ maxBytes: 4 }).serialize('\uD83D\uDE00')).toHaveLength(4);
    fc.assert(
      fc.property(someString, (s) => {
        expect(wtf8Length(s)).toBe(serde.string.serialize(s).length);
        expect(wtf8Length(s)).toBe(utf8.encode(s).length);
      }),
    );
  });

  it('keeps a leading U+FEFF: it is part of the string, not a byte order mark', () => {
    for (const s of ['\uFEFF', '\uFEFFa', '\uFEFF\uD800']) expect(serde.string.deserialize(serde.string.serialize(s))).toBe(s);
  });
});

describe('json serializer', () => {
  it('round-trips JSON values', () => {
    roundTrips(serde.json, fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown));
  });

  it('rejects values JSON would change', () => {
    for (const bad of [undefined, Number.NaN, Infinity, 1n, () => 1, Symbol('s'), new Date(0), new Map(), [undefined], { a: undefined }, [1, , 3]]) {
      expect(() => serde.json.check(bad), String(bad)).toThrow(InvalidArgumentError);
      expect(() => serde.json.serialize(bad)).toThrow(InvalidArgumentError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => serde.json.check(cyclic)).toThrow(InvalidArgumentError);
  });

  it('accepts a shared (non-cyclic) sub-object twice', () => {
    const shared = { x: 1 };
    expect(serde.json.deserialize(serde.json.serialize({ a: shared, b: shared }))).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it("writes the UTF-8 of JSON.stringify's text, short or long (unchanged bytes whichever encoder ran)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (v) => {
        const value = JSON.parse(JSON.stringify(v)) as unknown;
        expect(serde.json.serialize(value)).toEqual(utf8.encode(JSON.stringify(value)));
      }),
    );
  });

  it('enforces maxBytes exactly', () => {
    const s = jsonSerializer({ maxBytes: 10 });
    expect(s.serialize('12345678')).toHaveLength(10);
    expect(() => s.check('123456789')).toThrow(ValueTooLargeError);
    expect(() => s.serialize('123456789')).toThrow(ValueTooLargeError);
  });
});

describe('msgpack serializer', () => {
  it('round-trips objects, arrays, bigints, dates, sets and typed arrays', () => {
    const value = { a: 1, b: [1, 'x', null, undefined], c: 5n, d: new Date(5), e: new Set([1, 2]), f: Uint8Array.of(1, 2), g: Number.NaN };
    expect(serde.msgpack.deserialize(serde.msgpack.serialize(value))).toEqual(value);
    // -0 packs as the integer 0 (documented); JSON normalizes it the same way.
    // Without own "__proto__" keys, which the serializer refuses (see the next test).
    roundTrips(
      serde.msgpack,
      fc
        .jsonValue()
        .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
        .filter((v) => !JSON.stringify(v).includes('"__proto__"')),
    );
  });

  it('rejects functions, symbols, Maps, class instances, cycles, huge bigints and own "__proto__" keys', () => {
    class Point {
      x = 1;
    }
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const protoKey = JSON.parse('{"a": {"__proto__": 1}}') as unknown;
    for (const bad of [() => 1, Symbol('s'), new Map([[1, 2]]), new Point(), cyclic, 1n << 64n, { f: () => 1 }, protoKey]) {
      expect(() => serde.msgpack.check(bad)).toThrow(InvalidArgumentError);
      expect(() => serde.msgpack.serialize(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('enforces maxBytes', () => {
    const s = msgpackSerializer({ maxBytes: 16 });
    expect(() => s.check('x'.repeat(40))).toThrow(ValueTooLargeError);
    expect(s.serialize('x'.repeat(10)).length).toBeLessThanOrEqual(16);
  });
});

describe('custom serializer', () => {
  const point = customSerializer<{ x: number; y: number }>({
    id: 'point',
    serialize: (p) => {
      if (typeof p?.x !== 'number') throw new TypeError('not a point');
      return new Uint8Array(Float64Array.of(p.x, p.y).buffer);
    },
    deserialize: (b) => {
      if (b.length !== 16) throw new Error('bad length');
      const f = new Float64Array(b.slice().buffer);
      return { x: f[0]!, y: f[1]! };
    },
  });

  it('round-trips through the user functions under a custom: id', () => {
    expect(point.id).toBe('custom:point');
    expect(point.deserialize(point.serialize({ x: 1, y: 2 }))).toEqual({ x: 1, y: 2 });
    expect(point.check({ x: 1, y: 2 })).toBe(16);
  });

  it('turns user errors into InvalidArgumentError on write and CorruptionError on read', () => {
    expect(() => point.check('nope')).toThrow(InvalidArgumentError);
    expect(() => point.deserialize(new Uint8Array(3))).toThrow(CorruptionError);
  });

  it('rejects output that is not bytes or too large, and bad specs', () => {
    const liar = customSerializer<number>({ id: 'liar', serialize: () => 'x' as unknown as Uint8Array, deserialize: () => 1 });
    expect(() => liar.serialize(1)).toThrow(InvalidArgumentError);
    const big = customSerializer<number>({ id: 'big', serialize: () => new Uint8Array(9), deserialize: () => 1, maxBytes: 8 });
    expect(() => big.check(1)).toThrow(ValueTooLargeError);
    expect(() => customSerializer({ id: 'has space', serialize: () => new Uint8Array(), deserialize: () => 1 })).toThrow(InvalidArgumentError);
  });
});

describe('isWellFormed', () => {
  it('agrees with the regular-expression fallback on any UTF-16 string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.constantFrom('\ud800', '\udc00', '\udbff\udfff', 'a'), { maxLength: 6 }), (s, extra) => {
        const value = s + extra.join('');
        expect(isWellFormed(value)).toBe(isWellFormedByPattern(value));
      }),
      { numRuns: 2000 },
    );
    expect(isWellFormed('a\ud800')).toBe(false);
    expect(isWellFormed('😀')).toBe(true);
  });
});
