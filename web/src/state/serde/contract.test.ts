/**
 * The Serializer contract (state/types.ts) over the built-in serializers, as properties: `check`
 * refuses exactly what `serialize` refuses (the heap backend calls only `check`, the LSM backend
 * serializes), what is accepted comes back unchanged, and `deserialize` accepts only the bytes
 * `serialize` writes. Each clause also keeps the cases that once broke it as named regressions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError, InvalidArgumentError, ValueTooLargeError } from '../../errors.js';
import type { Serializer } from '../types.js';
import { jsonSerializer, msgpackSerializer, serde } from './index.js';

/** The class of what `f` throws, or 'ok'. */
function outcome(f: () => unknown): unknown {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as object).constructor;
  }
}

/** `v` with each number -0 as 0: the one change json and msgpack make (documented in both). */
function withoutNegativeZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (v instanceof Set) return new Set([...v].map(withoutNegativeZero));
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNegativeZero(x)]));
  }
  return v;
}

/**
 * For any value and any `maxBytes`: `check` and `serialize` throw the same error class
 * (`InvalidArgumentError` or `ValueTooLargeError`), or neither throws, `check` bounds the length, and the value comes back
 * (strictly: holes, `undefined` properties and classes count).
 */
function checkAgreesWithSerialize(make: (maxBytes: number) => Serializer<unknown>, values: fc.Arbitrary<unknown>): void {
  fc.assert(
    fc.property(values, fc.integer({ min: 1, max: 400 }), (value, maxBytes) => {
      const s = make(maxBytes);
      const byCheck = outcome(() => s.check(value));
      expect(outcome(() => s.serialize(value))).toBe(byCheck);
      if (byCheck !== 'ok') {
        expect([InvalidArgumentError, ValueTooLargeError]).toContain(byCheck);
        return;
      }
      const bytes = s.serialize(value);
      expect(s.check(value)).toBeGreaterThanOrEqual(bytes.length);
      expect(s.deserialize(bytes)).toStrictEqual(withoutNegativeZero(value));
    }),
    { numRuns: 3000 },
  );
}

/** Any UTF-16 string, lone surrogates spliced in anywhere; long ones cross msgpackr's switch to `TextEncoder` at 64 units. */
const anyString: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 60, maxLength: 130 })),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D', '\uDE00')), { maxLength: 3 }),
  )
  .map(([s, inserts]) => inserts.reduce((out, [at, unit]) => out.slice(0, at % (out.length + 1)) + unit + out.slice(at % (out.length + 1)), s));

/** Mostly values JSON holds, with the near misses: holes, -0, lone surrogates, undefined. */
const jsonLike = fc.anything({
  key: fc.oneof(fc.string(), anyString),
  values: [anyString, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(-0)],
  withSparseArray: true,
  maxDepth: 3,
});

/** Everything msgpack might be handed. */
const anything = fc.anything({
  key: fc.oneof(fc.string(), anyString),
  values: [anyString, fc.double(), fc.integer(), fc.bigInt(), fc.boolean(), fc.constant(null), fc.constant(undefined)],
  withSparseArray: true,
  withSet: true,
  withMap: true,
  withDate: true,
  withTypedArray: true,
  withBigInt: true,
  withBoxedValues: true,
  maxDepth: 3,
});

describe('check refuses exactly what serialize refuses, and what both accept comes back', () => {
  it('json, for any value and any maxBytes', () => {
    checkAgreesWithSerialize((maxBytes) => jsonSerializer({ maxBytes }), fc.oneof(jsonLike, anything));
  });

  it('msgpack, for any value and any maxBytes', () => {
    checkAgreesWithSerialize((maxBytes) => msgpackSerializer({ maxBytes }), fc.oneof(jsonLike, anything));
  });
});

describe('json: the longest number is 25 characters', () => {
  const longest = -0.0000012345678901234567;

  it('check counts 25 for a number, so check and serialize agree on a 24-byte limit', () => {
    expect(JSON.stringify(longest)).toHaveLength(25);
    expect(() => jsonSerializer({ maxBytes: 24 }).check(longest)).toThrow(ValueTooLargeError);
    expect(() => jsonSerializer({ maxBytes: 24 }).serialize(longest)).toThrow(ValueTooLargeError);
    expect(jsonSerializer({ maxBytes: 25 }).check(longest)).toBeGreaterThanOrEqual(25);
    expect(jsonSerializer({ maxBytes: 25 }).serialize(longest)).toHaveLength(25);
  });

  it('no double prints longer (17 significant digits at every exponent, and any double)', () => {
    // Every exponent a double has, each with 17 digits: the longest form of each case of Number::toString.
    for (let e = -324; e <= 308; e++) {
      for (const digits of ['1.2345678901234567', '9.8765432109876543']) {
        const n = Number(`-${digits}e${e}`);
        if (Number.isFinite(n)) expect(JSON.stringify(n).length, String(n)).toBeLessThanOrEqual(25);
      }
    }
    const seventeenDigits = fc
      .tuple(fc.bigInt({ min: 10n ** 16n, max: 10n ** 17n - 1n }), fc.integer({ min: -340, max: 310 }), fc.boolean())
      .map(([digits, e, negative]) => Number(`${negative ? '-' : ''}${digits}e${e}`))
      .filter(Number.isFinite);
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), seventeenDigits), (n) => {
        expect(JSON.stringify(n).length).toBeLessThanOrEqual(25);
        expect(serde.json.check(n)).toBeGreaterThanOrEqual(serde.json.serialize(n).length);
      }),
      { numRuns: 10000 },
    );
  });

  it('-0 comes back as 0, as with f64 and msgpack (documented, not refused)', () => {
    expect(serde.json.check(-0)).toBeGreaterThan(0);
    expect(serde.json.serialize(-0)).toEqual(serde.json.serialize(0));
    expect(Object.is(serde.json.deserialize(serde.json.serialize(-0)), 0)).toBe(true);
    expect(serde.json.deserialize(serde.json.serialize({ a: [-0] }))).toStrictEqual({ a: [0] });
  });

  it('names the object whose key has a lone surrogate', () => {
    expect(() => serde.json.check({ o: { 'k\uD800': 1 } })).toThrow(/a lone surrogate in a key at \$\.o$/);
    expect(() => serde.json.check({ o: ['x', 'a\uDC00b'] })).toThrow(/a lone surrogate in a string at \$\.o\[1\]$/);
  });
});

describe('msgpack: refuses what msgpackr would change', () => {
  it('refuses a lone surrogate in a string or key, short or long (msgpackr writes U+FFFD)', () => {
    const cases: [unknown, RegExp][] = [
      ['\uD800', /a lone surrogate in a string at \$$/],
      ['a\uDC00b', /a lone surrogate in a string at \$$/],
      // Past 64 units msgpackr encodes with TextEncoder instead of its own loop.
      [`${'x'.repeat(101)}\uD800`, /a lone surrogate in a string at \$$/],
      [{ 'k\uD800': 1 }, /a lone surrogate in a key at \$$/],
      [{ o: { list: ['ok', '\uDFFF'] } }, /a lone surrogate in a string at \$\.o\.list\[1\]$/],
      [new Set(['\uDBFF']), /a lone surrogate in a string at \$\{\}$/],
    ];
    for (const [value, message] of cases) {
      expect(() => serde.msgpack.check(value)).toThrow(InvalidArgumentError);
      expect(() => serde.msgpack.check(value)).toThrow(message);
      expect(() => serde.msgpack.serialize(value)).toThrow(message);
    }
    for (const value of ['\uD83D\uDE00', `${'x'.repeat(101)}\uD83D\uDE00`, { 'k\uD83D\uDE00': '\uFFFD' }]) {
      expect(serde.msgpack.deserialize(serde.msgpack.serialize(value))).toStrictEqual(value);
    }
  });

  it('refuses holes in arrays (they would come back as undefined), and keeps undefined elements', () => {
    expect(() => serde.msgpack.check([1, , 3])).toThrow(/a hole in an array at \$\[1\]$/);
    expect(() => serde.msgpack.serialize({ a: [1, , 3] })).toThrow(/a hole in an array at \$\.a\[1\]$/);
    expect(() => serde.msgpack.check(new Array(2))).toThrow(InvalidArgumentError);
    expect(serde.msgpack.deserialize(serde.msgpack.serialize([1, undefined, 3]))).toStrictEqual([1, undefined, 3]);
  });
});

/** For any bytes: `deserialize` throws `CorruptionError`, or what it gives serializes back to exactly those bytes. */
function acceptsOnlyItsOwnBytes<T>(s: Serializer<T>, bytes: fc.Arbitrary<Uint8Array>): void {
  fc.assert(
    fc.property(bytes, (b) => {
      let value: T;
      try {
        value = s.deserialize(b);
      } catch (e) {
        expect(e).toBeInstanceOf(CorruptionError);
        return;
      }
      expect(s.serialize(value)).toEqual(b);
    }),
    { numRuns: 5000 },
  );
}

/**
 * Byte strings of about `length` bytes: random ones, and the edges of the fixed-width formats (two
 * leading bytes, then one byte repeated: 7F FF … FF, 80 00 … 00, FF F0 00 … 01 are among them).
 */
function bytesNear(length: number): fc.Arbitrary<Uint8Array> {
  const edge = fc.constantFrom(0x00, 0x01, 0x0f, 0x7f, 0x80, 0xf0, 0xfe, 0xff);
  const edgy = fc
    .tuple(edge, edge, edge, edge)
    .map(([a, b, fill, last]) => Uint8Array.from({ length }, (_, i) => (i === 0 ? a : i === 1 ? b : i === length - 1 ? last : fill)));
  return fc.oneof(fc.uint8Array({ minLength: length, maxLength: length }), edgy, fc.uint8Array({ maxLength: length + 2 }));
}

describe('fixed-width serializers: deserialize accepts only what serialize writes', () => {
  it('f64 refuses 7F FF FF FF FF FF FF FF, which would decode to -0 (serialize(-0) writes 80 00 … 00)', () => {
    const negativeZero = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    expect(() => serde.f64.deserialize(negativeZero)).toThrow(CorruptionError);
    expect(() => serde.f64.deserialize(negativeZero)).toThrow(/-0/);
    expect([...serde.f64.serialize(-0)]).toEqual([0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect(Object.is(serde.f64.deserialize(serde.f64.serialize(-0)), 0)).toBe(true);
  });

  it('f64 refuses every NaN and accepts ±Infinity and the zeros it writes', () => {
    const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
    for (const nan of ['0000000000000000', '000ffffffffffffe', '0008000000000000', 'fff0000000000001', 'fff8000000000000', 'ffffffffffffffff']) {
      expect(() => serde.f64.deserialize(hex(nan)), nan).toThrow(/NaN/);
    }
    expect(serde.f64.deserialize(hex('000fffffffffffff'))).toBe(-Infinity);
    expect(serde.f64.deserialize(hex('fff0000000000000'))).toBe(Infinity);
    expect(Object.is(serde.f64.deserialize(hex('8000000000000000')), 0)).toBe(true);
  });

  it('for any bytes, each refuses them or re-serializes them exactly', () => {
    acceptsOnlyItsOwnBytes(serde.f64, bytesNear(8));
    acceptsOnlyItsOwnBytes(serde.i32, bytesNear(4));
    acceptsOnlyItsOwnBytes(serde.i64, bytesNear(8));
    acceptsOnlyItsOwnBytes(serde.boolean, bytesNear(1));
  });

  it('boolean accepts exactly 00 and 01', () => {
    for (let b = 0; b < 256; b++) {
      if (b <= 1) expect(serde.boolean.deserialize(Uint8Array.of(b))).toBe(b === 1);
      else expect(() => serde.boolean.deserialize(Uint8Array.of(b))).toThrow(CorruptionError);
    }
    expect(() => serde.boolean.deserialize(new Uint8Array(0))).toThrow(CorruptionError);
    expect(() => serde.boolean.deserialize(Uint8Array.of(0, 0))).toThrow(CorruptionError);
  });

  it('f64: every double it accepts comes back and its bytes read back, -0 as 0', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        if (Number.isNaN(d)) {
          expect(() => serde.f64.check(d)).toThrow(InvalidArgumentError);
          return;
        }
        const bytes = serde.f64.serialize(d);
        const back = serde.f64.deserialize(bytes);
        expect(Object.is(back, d === 0 ? 0 : d)).toBe(true);
        expect(serde.f64.serialize(back)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });
});
