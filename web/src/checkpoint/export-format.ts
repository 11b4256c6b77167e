/**
 * The export file (`.esckp`, docs/checkpoints.md): one self-describing blob holding every file
 * of a checkpoint. Writing assembles a `Blob` from parts (file contents are not copied into one
 * buffer); reading streams, so an export larger than memory restores within a bounded buffer.
 */
import { CheckpointFormatError, CheckpointVersionError } from './checkpoint-errors.js';
import { crc32c } from './checksum.js';

/** `\x89ESCKP\r\n`: binary, and broken by a text-mode (CRLF/LF) transfer. */
export const EXPORT_MAGIC = Uint8Array.of(0x89, 0x45, 0x53, 0x43, 0x4b, 0x50, 0x0d, 0x0a);
/** `ESCKPEND`. */
export const EXPORT_TRAILER: Uint8Array<ArrayBuffer> = Uint8Array.of(0x45, 0x53, 0x43, 0x4b, 0x50, 0x45, 0x4e, 0x44);
export const EXPORT_VERSION = 1;
const MAX_HEADER = 16 << 20;
const FILE_NAME = /^(CURRENT|MANIFEST-\d{1,20}|\d{1,20}\.sst)$/;
/** The largest CURRENT accepted: `MANIFEST-` and 20 digits and a newline, with room to spare. */
const MAX_CURRENT_BYTES = 256;

/** One file of an export. */
export interface ExportedFile {
  readonly name: string;
  readonly size: number;
  /** CRC32C of its bytes, unsigned. */
  readonly crc32c: number;
}

/** The export's header (JSON). Fields beyond these are kept as they are. */
export interface ExportHeader {
  readonly format: 'edgestate-checkpoint';
  readonly version: number;
  readonly id: string;
  readonly createdAt: number;
  readonly backend: 'lsm' | 'heap';
  readonly lastSequence?: number;
  readonly files: readonly ExportedFile[];
}

/** A file to put in an export, with its contents. */
export interface ExportPart extends ExportedFile {
  readonly data: Blob | Uint8Array<ArrayBuffer>;
}

function u32(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** Assembles an export. `files` must be in the order they are to be written. */
export function buildExport(header: Omit<ExportHeader, 'format' | 'version' | 'files'> & Record<string, unknown>, files: readonly ExportPart[]): Blob {
  const full: ExportHeader = {
    ...header,
    format: 'edgestate-checkpoint',
    version: EXPORT_VERSION,
    files: files.map(({ name, size, crc32c }) => ({ name, size, crc32c })),
  } as ExportHeader;
  const json = new TextEncoder().encode(JSON.stringify(full));
  const prefix = new Uint8Array(16 + json.length);
  prefix.set(EXPORT_MAGIC, 0);
  prefix.set(u32(EXPORT_VERSION), 8);
  prefix.set(u32(json.length), 12);
  prefix.set(json, 16);
  const parts: BlobPart[] = [prefix, u32(crc32c(prefix))];
  for (const f of files) parts.push(f.data);
  parts.push(EXPORT_TRAILER);
  return new Blob(parts, { type: 'application/vnd.edgestate.checkpoint' });
}

/** Where `readExport` puts each file's bytes while it checks them. */
export interface FileSink {
  /** A file starts; `size` bytes follow in `write` calls. */
  begin(file: ExportedFile): void | Promise<void>;
  write(chunk: Uint8Array): void | Promise<void>;
  /** The file's bytes all arrived and matched its checksum. */
  end(file: ExportedFile): void | Promise<void>;
}

/** What an export can be read from. */
export type ExportSource = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array>;

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #fill(): Promise<boolean> {
    while (this.#at >= this.#chunk.length) {
      const { done, value } = await this.#reader.read();
      if (done) return false;
      this.#chunk = value;
      this.#at = 0;
    }
    return true;
  }

  /** Calls `take` with consecutive pieces totalling `n` bytes; false if the input ended first. */
  async pieces(n: number, take: (piece: Uint8Array) => void | Promise<void>): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill())) return false;
      const piece = this.#chunk.subarray(this.#at, this.#at + Math.min(left, this.#chunk.length - this.#at));
      this.#at += piece.length;
      this.offset += piece.length;
      left -= piece.length;
      await take(piece);
    }
    return true;
  }

  /** Exactly `n` bytes (copied), or undefined if the input ended first. */
  async exactly(n: number): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(n);
    let p = 0;
    const ok = await this.pieces(n, (piece) => {
      out.set(piece, p);
      p += piece.length;
    });
    return ok ? out : undefined;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

function toStream(source: ExportSource): { stream: ReadableStream<Uint8Array>; size: number | undefined } {
  if (source instanceof Blob) return { stream: source.stream() as ReadableStream<Uint8Array>, size: source.size };
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    return {
      stream: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
      size: bytes.length,
    };
  }
  if (typeof (source as ReadableStream | undefined)?.getReader === 'function') return { stream: source, size: undefined };
  throw new CheckpointFormatError('a checkpoint import needs a Blob, File, ArrayBuffer, Uint8Array or ReadableStream');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkHeader(value: unknown): ExportHeader {
  const bad = (why: string): never => {
    throw new CheckpointFormatError(`checkpoint header: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not a JSON object');
  const h = value as Record<string, unknown>;
  if (h.format !== 'edgestate-checkpoint') bad(`format is ${JSON.stringify(h.format)}, not "edgestate-checkpoint"`);
  if (h.version !== EXPORT_VERSION) bad(`version ${String(h.version)} disagrees with the file's version ${EXPORT_VERSION}`);
  if (typeof h.id !== 'string' || h.id.length === 0) bad('id must be a non-empty string');
  if (typeof h.createdAt !== 'number' || !Number.isFinite(h.createdAt)) bad('createdAt must be a number');
  if (h.backend !== 'lsm' && h.backend !== 'heap') bad(`backend must be "lsm" or "heap", got ${JSON.stringify(h.backend)}`);
  if (!Array.isArray(h.files)) bad('files must be an array');
  const names = new Set<string>();
  for (const f of h.files as unknown[]) {
    const file = f as Partial<ExportedFile> | null;
    if (typeof file !== 'object' || file === null) bad('each file must be an object');
    const { name, size, crc32c: crc } = file as Partial<ExportedFile>;
    if (typeof name !== 'string' || !FILE_NAME.test(name)) bad(`file name ${JSON.stringify(name)} is not CURRENT, MANIFEST-<n> or <n>.sst`);
    if (names.has(name as string)) bad(`file ${name as string} is listed twice`);
    names.add(name as string);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(`file ${name as string}: bad size`);
    // CURRENT is read into memory whole (to check the MANIFEST it names): a few dozen bytes in
    // any real export; a header claiming more is refused before anything is allocated.
    if (name === 'CURRENT' && (size as number) > MAX_CURRENT_BYTES) bad(`CURRENT is ${size as number} bytes (a CURRENT file names one MANIFEST)`);
    if (typeof crc !== 'number' || !Number.isInteger(crc) || crc < 0 || crc > 0xffffffff) bad(`file ${name as string}: bad crc32c`);
  }
  if (!names.has('CURRENT')) bad('no CURRENT file');
  if ([...names].filter((n) => n.startsWith('MANIFEST-')).length !== 1) bad('exactly one MANIFEST file is required');
  return h as unknown as ExportHeader;
}

/**
 * Reads and checks an export, handing each file's bytes to `sink` as they stream in. Throws
 * `CheckpointFormatError`/`CheckpointVersionError` at the first problem; the sink must be a
 * staging area, since a file's checksum is known only once all of it has been written.
 * Returns the header. Also checks that `CURRENT` names the included MANIFEST.
 */
export async function readExport(source: ExportSource, sink: FileSink): Promise<ExportHeader> {
  const { stream, size } = toStream(source);
  const r = new ByteReader(stream);
  const truncated = (what: string): never => {
    throw new CheckpointFormatError(`checkpoint export is truncated: it ends inside ${what}`, { offset: r.offset });
  };
  try {
    const prefix = (await r.exactly(16)) ?? truncated('the 16-byte prefix');
    if (!equal(prefix.subarray(0, 8), EXPORT_MAGIC)) {
      throw new CheckpointFormatError('not an edgestate checkpoint export (wrong magic bytes)');
    }
    const view = new DataView(prefix.buffer);
    const version = view.getUint32(8, true);
    if (version !== EXPORT_VERSION) {
      throw new CheckpointVersionError(`checkpoint export version ${version} is not supported (this library reads version ${EXPORT_VERSION})`, { version });
    }
    const headerLength = view.getUint32(12, true);
    if (headerLength === 0 || headerLength > MAX_HEADER) throw new CheckpointFormatError(`checkpoint header length ${headerLength} is out of range`);
    if (size !== undefined && 20 + headerLength + 8 > size) truncated('the header');
    const json = (await r.exactly(headerLength)) ?? truncated('the header');
    const crcBytes = (await r.exactly(4)) ?? truncated('the header checksum');
    const whole = new Uint8Array(16 + headerLength);
    whole.set(prefix);
    whole.set(json, 16);
    if (new DataView(crcBytes.buffer).getUint32(0, true) !== crc32c(whole)) {
      throw new CheckpointFormatError('checkpoint header checksum mismatch (the header is damaged)');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
    } catch {
      throw new CheckpointFormatError('checkpoint header is not valid UTF-8 JSON');
    }
    const header = checkHeader(parsed);
    const total = header.files.reduce((n, f) => n + f.size, 0);
    if (size !== undefined && size !== 20 + headerLength + total + 8) {
      throw new CheckpointFormatError(`checkpoint export is ${size} bytes but its header describes ${20 + headerLength + total + 8}`, { size });
    }
    let current: Uint8Array | undefined;
    for (const file of header.files) {
      await sink.begin(file);
      let crc = 0;
      const keep = file.name === 'CURRENT' ? new Uint8Array(file.size) : undefined;
      let p = 0;
      const ok = await r.pieces(file.size, async (piece) => {
        crc = crc32c(piece, crc);
        if (keep !== undefined) keep.set(piece, p);
        p += piece.length;
        await sink.write(piece);
      });
      if (!ok) truncated(`file ${file.name}`);
      if (crc !== file.crc32c) throw new CheckpointFormatError(`checkpoint file ${file.name} is damaged (checksum mismatch)`, { file: file.name });
      if (keep !== undefined) current = keep;
      await sink.end(file);
    }
    const trailer = (await r.exactly(8)) ?? truncated('the trailer');
    if (!equal(trailer, EXPORT_TRAILER)) throw new CheckpointFormatError('checkpoint export trailer is wrong (damaged or cut)');
    if (!(await r.atEnd())) throw new CheckpointFormatError('checkpoint export has bytes after its trailer');
    const manifest = header.files.find((f) => f.name.startsWith('MANIFEST-'))!.name;
    const named = current === undefined ? '' : new TextDecoder().decode(current);
    if (named !== `${manifest}\n`) {
      throw new CheckpointFormatError(`checkpoint CURRENT names ${JSON.stringify(named.trim())}, not the included ${manifest}`);
    }
    return header;
  } finally {
    await r.cancel();
  }
}
