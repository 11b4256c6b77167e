/**
 * CRC32C (Castagnoli), the checksum of export files: the engine's (the `crc32c` crate, compiled
 * to wasm), so there is one implementation, the one RocksDB's formats use.
 */
import { crc32c_append } from '../../../wasm/pkg/edgestate_lsm.js';
import { loadEngine, type EngineSource } from '../engine/wasm-module.js';

/** Loads the engine if needed (checksums run in it). */
export function loadChecksums(wasm?: EngineSource): Promise<void> {
  return loadEngine(wasm);
}

/** CRC32C of `bytes`, continuing from `crc` (0 to start); unsigned. */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  return crc32c_append(crc, bytes) >>> 0;
}
