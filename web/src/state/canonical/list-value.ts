/**
 * A ListState's value in the canonical layout: the engine's `listAppend` form, each element as
 * `varint32 length ‖ element` (docs/state-layout.md, "List and map values on LSM"), so the LSM
 * backend reads a list the heap backend wrote exactly as one it built by merges. Reading is
 * `listElements` in engine/merge-values.ts.
 */

/** `elements` as one `listAppend` value. */
export function frameListValue(elements: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const e of elements) size += e.length + 5;
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of elements) {
    for (let n = e.length; ; n >>>= 7) {
      if (n < 0x80) {
        out[at++] = n;
        break;
      }
      out[at++] = (n & 0x7f) | 0x80;
    }
    out.set(e, at);
    at += e.length;
  }
  return out.subarray(0, at);
}
