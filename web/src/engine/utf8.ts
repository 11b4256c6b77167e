/**
 * Strings to UTF-8 as `TextEncoder` writes them (a lone surrogate becomes U+FFFD, 3 bytes), in
 * JavaScript where that is faster: a call into `TextEncoder` costs 1–1.6 µs in Chromium 156
 * (page or worker) whatever the string's length, this loop 60–340 ns for 8–64 UTF-16 units. Keys
 * are mostly short, and every string key or value the engine API is given is encoded once.
 */

/**
 * Longest string (in UTF-16 units) encoded in JavaScript even when an encoder call could do it:
 * the loop wins below ~256 units in a Chromium 156 worker and below ~100 in Node 20.
 */
export const ENCODE_IN_JS_MAX_UNITS = 64;

const encoder = new TextEncoder();

/**
 * Writes the UTF-8 of `s` into `out` from `at`; returns the bytes written (REQUIRES: `out` has
 * room for them from `at` — `3 × s.length` always suffices, each UTF-16 unit taking at most 3 —
 * as a typed array drops writes past its end without a word). A lone surrogate
 * becomes U+FFFD, or with `wtf8` the 3 bytes of its own unit (WTF-8, which the string serializer
 * stores: see state/serde/unicode.ts).
 */
export function writeUtf8(s: string, out: Uint8Array, at: number, wtf8 = false): number {
  let p = at;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if ((c & 0xf800) !== 0xd800) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && (next & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 0x3f);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      } else if (wtf8) {
        out[p++] = 0xe0 | (c >> 12);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      } else {
        // A lone surrogate: U+FFFD, as TextEncoder writes it.
        out[p++] = 0xef;
        out[p++] = 0xbf;
        out[p++] = 0xbd;
      }
    }
  }
  return p - at;
}

/**
 * The UTF-8 of `s` (TextEncoder's bytes). A short string's bytes are a view of a buffer sized for
 * the worst case, 3 bytes a unit (at most 192 bytes): no second pass to measure, no copy to trim.
 */
export function utf8Bytes(s: string): Uint8Array {
  if (s.length > ENCODE_IN_JS_MAX_UNITS) return encoder.encode(s);
  const out = new Uint8Array(s.length * 3);
  return out.subarray(0, writeUtf8(s, out, 0));
}

/**
 * Writes the UTF-8 of `s` into `out` from `at`, returning the bytes written (REQUIRES: as
 * {@link writeUtf8}); long strings through `TextEncoder.encodeInto`.
 */
export function encodeUtf8Into(s: string, out: Uint8Array, at: number): number {
  return s.length > ENCODE_IN_JS_MAX_UNITS ? encoder.encodeInto(s, out.subarray(at)).written : writeUtf8(s, out, at);
}
