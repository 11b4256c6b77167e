import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENCODE_IN_JS_MAX_UNITS, encodeUtf8Into, utf8Bytes, writeUtf8 } from './utf8.js';

const reference = new TextEncoder();

/** UTF-16 units that cover every branch: ASCII, 2- and 3-byte forms, pairs, lone surrogates of both kinds. */
const unit = fc.constantFrom('a', '\u00E9', '\u07FF', '\u0800', '\u20AC', '\uD7FF', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uE000', '\uFFFF', '\u{1F600}', '\u{10FFFF}');
/** Short strings, and strings on both sides of ENCODE_IN_JS_MAX_UNITS (where encoding leaves JavaScript). */
const strings = fc.oneof(fc.string({ unit, maxLength: 12 }), fc.string({ unit, minLength: ENCODE_IN_JS_MAX_UNITS - 3, maxLength: ENCODE_IN_JS_MAX_UNITS + 3 }));

describe('UTF-8 as TextEncoder writes it, encoded in JavaScript where that is faster', () => {
  it("gives TextEncoder's bytes for any string, a lone surrogate as U+FFFD, short or long", () => {
    fc.assert(
      fc.property(strings, (s) => {
        const expected = reference.encode(s);
        expect(utf8Bytes(s)).toEqual(expected);
        const out = new Uint8Array(5 + s.length * 3).fill(0xaa);
        expect(writeUtf8(s, out, 5)).toBe(expected.length);
        expect(out.subarray(5, 5 + expected.length)).toEqual(expected);
        // Nothing written before the offset.
        expect([...out.subarray(0, 5)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
        const into = new Uint8Array(3 + s.length * 3);
        expect(encodeUtf8Into(s, into, 3)).toBe(expected.length);
        expect(into.subarray(3, 3 + expected.length)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a lone surrogate as EF BF BD and a pair as its 4-byte code point', () => {
    expect([...utf8Bytes('\uD800')]).toEqual([0xef, 0xbf, 0xbd]);
    expect([...utf8Bytes('a\uDC00\uD800b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd, 0x62]);
    expect([...utf8Bytes('\uD83D\uDE00')]).toEqual([0xf0, 0x9f, 0x98, 0x80]);
  });
});
