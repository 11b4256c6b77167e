/**
 * A raw engine database (`openLsm`) as one export file: the same `.esckp` format as state
 * checkpoints (docs/checkpoints.md), so it unpacks into a directory RocksDB opens and imports
 * with `restoreCheckpointFiles`/`restoreFrom`.
 */
import type { LsmDatabase } from '../engine/lsm-database.js';
import { crc32c } from './checksum.js';
import { buildExport, type ExportPart } from './export-format.js';

/**
 * Flushes `db`, pins its tables and assembles them (plus a MANIFEST naming exactly them and
 * `CURRENT`) into one blob; writes made meanwhile are not in it. Holds the table bytes in memory
 * while building the blob.
 */
export function exportDatabase(db: LsmDatabase, id = `export-${Date.now()}`): Blob {
  const pin = db.pinCheckpoint();
  try {
    const current = new TextEncoder().encode(`${pin.manifestName}\n`);
    const manifest = pin.manifest.slice();
    const parts: ExportPart[] = [
      { name: 'CURRENT', size: current.length, crc32c: crc32c(current), data: current },
      { name: pin.manifestName, size: manifest.length, crc32c: crc32c(manifest), data: manifest },
    ];
    for (const table of pin.tables) {
      const bytes = new Uint8Array(table.size);
      let crc = 0;
      for (let at = 0; at < table.size; ) {
        const chunk = db.readPinned(table.name, at, Math.min(1 << 20, table.size - at));
        if (chunk.length === 0) throw new Error(`table ${table.name} ended at ${at} of ${table.size} bytes`);
        bytes.set(chunk, at);
        crc = crc32c(chunk, crc);
        at += chunk.length;
      }
      parts.push({ name: table.name, size: table.size, crc32c: crc, data: bytes });
    }
    return buildExport({ id, createdAt: Date.now(), backend: 'lsm', lastSequence: pin.lastSequence }, parts);
  } finally {
    db.releaseCheckpoint(pin.id);
  }
}
