/**
 * The header of an OPFS pool slot (opfs-pool.ts): which engine file the slot holds.
 *
 * Layout, all integers little-endian; the file's data starts at {@link HEADER_SIZE}:
 * ```text
 * 0    magic u32 = 0x544C5345 ("ESLT")   4  version u32 = 1
 * 8    generation u64 (higher wins)       16 name length u16       18 name (UTF-8)
 * 18+n checksum u32 = FNV-1a over bytes [0, 18+n)
 * 4096 file data
 * ```
 * All zeros, or anything that does not decode, is a free slot. Never change these values:
 * stored databases are read with them.
 */

/** Bytes before the file's data. */
export const HEADER_SIZE = 4096;
const MAGIC = 0x544c5345;
const VERSION = 1;
const NAME_OFFSET = 18;
/** Longest engine file name, in UTF-8 bytes. */
export const MAX_NAME = 255;

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header of a slot holding `name` at `generation`; `undefined`: a free slot (zeros). */
export function encodeHeader(name: string | undefined, generation: bigint): Uint8Array {
  const header = new Uint8Array(HEADER_SIZE);
  if (name === undefined) return header;
  const nameBytes = encoder.encode(name);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setBigUint64(8, generation, true);
  view.setUint16(16, nameBytes.length, true);
  header.set(nameBytes, NAME_OFFSET);
  const end = NAME_OFFSET + nameBytes.length;
  view.setUint32(end, fnv1a(header.subarray(0, end)), true);
  return header;
}

/** What a slot's header says it holds, or `undefined` if the slot is free. */
export function decodeHeader(header: Uint8Array): { name: string; generation: bigint } | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < HEADER_SIZE || view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== VERSION) return undefined;
  const length = view.getUint16(16, true);
  if (length === 0 || length > MAX_NAME) return undefined;
  const end = NAME_OFFSET + length;
  if (view.getUint32(end, true) !== fnv1a(header.subarray(0, end))) return undefined;
  return { name: decoder.decode(header.subarray(NAME_OFFSET, end)), generation: view.getBigUint64(8, true) };
}
