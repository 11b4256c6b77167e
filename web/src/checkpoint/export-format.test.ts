import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EdgestateError } from '../errors.js';
import { CheckpointFormatError, CheckpointVersionError } from './checkpoint-errors.js';
import { crc32c, loadChecksums } from './checksum.js';
import { buildExport, readExport, type ExportPart, type FileSink } from './export-format.js';

beforeAll(async () => {
  await loadChecksums(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

function part(name: string, data: Uint8Array<ArrayBuffer>): ExportPart {
  return { name, size: data.length, crc32c: crc32c(data), data };
}

const encoder = new TextEncoder();

function sample(): Blob {
  const table = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
  return buildExport({ id: 'cp-1', createdAt: 1, backend: 'lsm', lastSequence: 7 }, [
    part('CURRENT', encoder.encode('MANIFEST-000004\n')),
    part('MANIFEST-000004', Uint8Array.of(1, 2, 3)),
    part('000003.sst', table),
  ]);
}

/** Collects what the reader hands over, per file. */
function collector(): FileSink & { readonly files: Map<string, Uint8Array>; readonly ended: string[] } {
  const files = new Map<string, Uint8Array>();
  const ended: string[] = [];
  let current = '';
  let chunks: Uint8Array[] = [];
  return {
    files,
    ended,
    begin(f) {
      current = f.name;
      chunks = [];
    },
    write(c) {
      chunks.push(c.slice());
    },
    end() {
      files.set(current, Buffer.concat(chunks));
      ended.push(current);
    },
  };
}

describe('the export format', () => {
  it('round-trips every file, from a Blob, bytes or a stream split at odd places', async () => {
    const blob = sample();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    for (const source of [blob, bytes, bytes.buffer, new Blob([bytes.subarray(0, 7), bytes.subarray(7, 100), bytes.subarray(100)]).stream()]) {
      const sink = collector();
      const header = await readExport(source, sink);
      expect(header.id).toBe('cp-1');
      expect(sink.ended).toEqual(['CURRENT', 'MANIFEST-000004', '000003.sst']);
      expect(new TextDecoder().decode(sink.files.get('CURRENT'))).toBe('MANIFEST-000004\n');
      expect(sink.files.get('000003.sst')!.length).toBe(5000);
    }
  });

  it('any truncation, any single bit flip and any trailing garbage fail with a typed error', async () => {
    const bytes = new Uint8Array(await sample().arrayBuffer());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: bytes.length - 1 }) }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: bytes.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
        ),
        fc.boolean(),
        async (damage, asStream) => {
          let damaged: Uint8Array<ArrayBuffer>;
          if (damage.kind === 'truncate') damaged = bytes.slice(0, damage.at);
          else if (damage.kind === 'flip') {
            damaged = bytes.slice();
            damaged[damage.at]! ^= 1 << damage.bit;
          } else damaged = new Uint8Array([...bytes, ...damage.extra]);
          const sink = collector();
          const source = asStream ? new Blob([damaged]).stream() : damaged;
          const error = await readExport(source, sink).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(EdgestateError);
          expect(error instanceof CheckpointFormatError || error instanceof CheckpointVersionError).toBe(true);
          // A file whose bytes were damaged never reaches `end`.
          if (damage.kind === 'flip' && damage.at >= bytes.length - 5008 && damage.at < bytes.length - 8) {
            expect(sink.ended).not.toContain('000003.sst');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a newer format version is refused by version, a foreign file by magic', async () => {
    const bytes = new Uint8Array(await sample().arrayBuffer());
    const newer = bytes.slice();
    newer[8] = 2;
    await expect(readExport(newer, collector())).rejects.toBeInstanceOf(CheckpointVersionError);
    const zip = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(60));
    await expect(readExport(zip, collector())).rejects.toThrow(/wrong magic/);
    await expect(readExport(new Uint8Array(0), collector())).rejects.toThrow(/truncated/);
  });

  it('refuses headers that name paths, duplicate files or a CURRENT naming another manifest', async () => {
    const current = encoder.encode('MANIFEST-000004\n');
    const build = (files: ExportPart[]): Blob => buildExport({ id: 'x', createdAt: 0, backend: 'lsm' }, files);
    await expect(readExport(build([part('CURRENT', current), part('MANIFEST-000004', Uint8Array.of(1)), part('../../etc/passwd', Uint8Array.of(1))]), collector())).rejects.toThrow(/file name/);
    await expect(readExport(build([part('CURRENT', current), part('MANIFEST-000004', Uint8Array.of(1)), part('MANIFEST-000004', Uint8Array.of(1))]), collector())).rejects.toThrow(/listed twice/);
    await expect(readExport(build([part('CURRENT', encoder.encode('MANIFEST-000009\n')), part('MANIFEST-000004', Uint8Array.of(1))]), collector())).rejects.toThrow(/CURRENT names/);
    await expect(readExport(build([part('MANIFEST-000004', Uint8Array.of(1))]), collector())).rejects.toThrow(/no CURRENT/);
    // A CURRENT larger than any real one is refused from the header, before it is read (a header
    // with a valid checksum could claim terabytes, and CURRENT is held in memory).
    const big = build([part('CURRENT', new Uint8Array(257).fill(0x41)), part('MANIFEST-000004', Uint8Array.of(1))]);
    await expect(readExport(big.stream(), collector())).rejects.toBeInstanceOf(CheckpointFormatError);
  });
});
