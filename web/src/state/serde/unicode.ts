/**
 * Unicode for the string serializer: whether a string is well-formed, WTF-8 (generalized UTF-8,
 * https://simonsapin.github.io/wtf-8/) for strings that are not, and the code point order their
 * bytes sort in.
 *
 * A JavaScript string is any sequence of UTF-16 code units; a surrogate unit (U+D800..U+DFFF)
 * that is not half of a high-low pair is a lone surrogate, which UTF-8 cannot hold. WTF-8 is
 * UTF-8 plus one rule: a lone surrogate is written as the 3-byte sequence its code unit would
 * have (ED A0 80..ED BF BF). What must stay true:
 * - A well-formed string's WTF-8 is its UTF-8, byte for byte (what `TextEncoder` gives).
 * - Each string has exactly one encoding: a surrogate pair is always the 4-byte sequence of its
 *   code point, never two 3-byte ones (CESU-8), and the decoder refuses that form.
 * - Byte order is code point order, a lone surrogate counting as its own code point:
 *   `compareCodePoints` is that order on the strings.
 */
import { ENCODE_IN_JS_MAX_UNITS, utf8Bytes, writeUtf8 } from '../../engine/utf8.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface MaybeWellFormed {
  isWellFormed?(): boolean;
}

/** Any surrogate: a string without one is well-formed, and V8 answers this at once for strings stored one byte per character. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Whether a string is well-formed Unicode (no lone surrogate), so UTF-8 holds it unchanged.
 * `String.prototype.isWellFormed` (ES2024: Chrome 111, Firefox 119, Safari 16.4, Node 20) is
 * several times faster than a regular expression; the expression is the fallback where it is
 * missing.
 */
export const isWellFormed: (value: string) => boolean =
  typeof (String.prototype as MaybeWellFormed).isWellFormed === 'function'
    ? (value) => !SURROGATE.test(value) || (value as unknown as Required<MaybeWellFormed>).isWellFormed()
    : isWellFormedByPattern;

/** The fallback (where `isWellFormed` is missing), exported for its test. */
export function isWellFormedByPattern(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** A high (leading) surrogate unit. False for NaN, which `charCodeAt` gives past the end. */
function isHigh(unit: number): boolean {
  return (unit & 0xfc00) === 0xd800;
}

/** A low (trailing) surrogate unit. False for NaN, which `charCodeAt` gives past the end. */
function isLow(unit: number): boolean {
  return (unit & 0xfc00) === 0xdc00;
}

/**
 * Length of the WTF-8 of `value`. It equals the length of `TextEncoder`'s UTF-8, which writes a
 * lone surrogate as U+FFFD: 3 bytes either way.
 */
export function wtf8Length(value: string): number {
  const n = value.length;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (isHigh(c) && isLow(value.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The WTF-8 of any string (its UTF-8 when well-formed): encoded in JavaScript up to
 * `ENCODE_IN_JS_MAX_UNITS` units, where that beats a `TextEncoder` call (see engine/utf8.ts), and
 * by `TextEncoder` above when well-formed.
 */
export function wtf8Bytes(value: string): Uint8Array {
  return value.length <= ENCODE_IN_JS_MAX_UNITS || !isWellFormed(value) ? encodeWtf8(value) : utf8Bytes(value);
}

/**
 * WTF-8 of any string. For well-formed strings it gives `TextEncoder`'s bytes (which is faster
 * on long strings, see {@link wtf8Bytes}).
 */
export function encodeWtf8(value: string): Uint8Array {
  const out = new Uint8Array(wtf8Length(value));
  writeUtf8(value, out, 0, true);
  return out;
}

/** Units per `String.fromCharCode` call: far below any engine's argument limit. */
const UNITS_PER_CALL = 4096;

/**
 * The string whose WTF-8 is `bytes`, or undefined when `bytes` are not exactly what
 * {@link encodeWtf8} writes for some string: an overlong form, a code point above U+10FFFF, a
 * truncated sequence, a stray continuation byte, or a high surrogate's 3 bytes directly followed
 * by a low surrogate's (that pair has its own 4-byte form).
 */
export function decodeWtf8(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  // Never more units than bytes: 1–3 bytes give one unit, 4 bytes give two.
  const units = new Uint16Array(n);
  let u = 0;
  // Whether the last sequence was a lone high surrogate's 3 bytes.
  let afterHigh = false;
  let i = 0;
  while (i < n) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      units[u++] = b0;
      i += 1;
      afterHigh = false;
    } else if (b0 < 0xc2) {
      // 80..BF: a continuation byte without a lead; C0, C1: overlong forms of ASCII.
      return undefined;
    } else if (b0 < 0xe0) {
      if (i + 1 >= n || !isContinuation(bytes[i + 1]!)) return undefined;
      units[u++] = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
      afterHigh = false;
    } else if (b0 < 0xf0) {
      if (i + 2 >= n || !isContinuation(bytes[i + 1]!) || !isContinuation(bytes[i + 2]!)) return undefined;
      const c = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      if (c < 0x800) return undefined;
      if (afterHigh && isLow(c)) return undefined;
      units[u++] = c;
      i += 3;
      afterHigh = isHigh(c);
    } else if (b0 < 0xf5) {
      if (i + 3 >= n || !isContinuation(bytes[i + 1]!) || !isContinuation(bytes[i + 2]!) || !isContinuation(bytes[i + 3]!)) return undefined;
      const cp = ((b0 & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
      units[u++] = 0xd800 | ((cp - 0x10000) >> 10);
      units[u++] = 0xdc00 | (cp & 0x3ff);
      i += 4;
      afterHigh = false;
    } else {
      // F5..FF: would start a code point above U+10FFFF, or is no UTF-8 byte at all.
      return undefined;
    }
  }
  let out = '';
  for (let k = 0; k < u; k += UNITS_PER_CALL) out += String.fromCharCode(...units.subarray(k, Math.min(k + UNITS_PER_CALL, u)));
  return out;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * Compares `a` and `b` by code point, a lone surrogate counting as its own code point: the order
 * of their WTF-8 (and, for well-formed strings, UTF-8) bytes. It differs from JavaScript's `<`,
 * which compares UTF-16 units and so puts U+E000..U+FFFF after characters above U+FFFF.
 * Allocates nothing.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // A prefix is smaller, also when it ends in a lone high surrogate the longer string pairs:
  // U+D800..U+DBFF is below every code point a pair makes.
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (i > 0 && isHigh(a.charCodeAt(i - 1))) {
    // The units differ right after a shared high surrogate. A low one completes a pair (a code
    // point above U+FFFF) where the other string's high surrogate is lone; two lows are two
    // pairs with the same high half, ordered by their low halves.
    const lowX = isLow(x);
    const lowY = isLow(y);
    if (lowX && lowY) return x - y;
    if (lowX) return 1;
    if (lowY) return -1;
  }
  return orderAt(a, i, x) - orderAt(b, i, y);
}

/**
 * The rank of the code point starting with `unit` at `s[i]`, for comparing it with a different
 * one at the same place: its unit, or above U+FFFF for the high half of a pair (pairs with
 * different high halves are ordered by them).
 */
function orderAt(s: string, i: number, unit: number): number {
  return isHigh(unit) && isLow(s.charCodeAt(i + 1)) ? unit + 0x10000 : unit;
}
