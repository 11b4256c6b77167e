/**
 * `WriteBatch`: writes collected in JavaScript and applied atomically by `db.write(batch)`.
 */
import { InvalidArgumentError } from '../errors.js';
import { HEADER_SIZE, listFrame, Tag, writeOp, type ByteSink } from './batch-encoding.js';
import { checkBytes, toBytes, type BytesInput } from './bytes.js';
import { ColumnFamily } from './column-family.js';
import type { EngineCore } from './engine-core.js';
import { encodeUtf8Into } from './utf8.js';
import { checkFramedList } from './merge-values.js';

/**
 * What a batch reads of a column family. {@link WriteBatch} takes only real `ColumnFamily`
 * handles (which implement this), since only they can be checked to belong to the database.
 */
export interface BatchTarget {
  /** The column family's id in its database. */
  readonly id: number;
  /** Its merge operator, which decides how `merge` frames operands. */
  readonly mergeOperator: MergeOperatorName | undefined;
}

/** Merge operators a column family can have. */
export type MergeOperatorName =
  /** `merge(key, element)` appends `element` to a list; read it back with `listElements()`. */
  | 'listAppend'
  /** Operands and values are unsigned 64-bit little-endian integers (8 bytes; other operands are refused); merging adds (wrapping). */
  | 'uint64Add';

/** A growable JavaScript buffer holding an encoded batch. */
class BatchBuffer implements ByteSink {
  bytes = new Uint8Array(256);

  reserve(len: number): void {
    if (len <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(len, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  write(value: BytesInput, at: number): number {
    if (typeof value === 'string') {
      this.reserve(at + value.length * 3);
      return encodeUtf8Into(value, this.bytes, at);
    }
    this.reserve(at + value.length);
    this.bytes.set(value, at);
    return value.length;
  }

  writeVarint32(n: number, at: number): number {
    this.reserve(at + 5);
    let p = at;
    while (n >= 0x80) {
      this.bytes[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.bytes[p++] = n;
    return p - at;
  }

  writeByte(b: number, at: number): void {
    this.reserve(at + 1);
    this.bytes[at] = b;
  }

  move(target: number, start: number, end: number): void {
    this.reserve(target + end - start);
    this.bytes.copyWithin(target, start, end);
  }
}

/**
 * Puts, deletes, merges and range deletions across column families, applied by
 * `LsmDatabase.write(batch)` as one atomic unit: one log record, so after a crash either every
 * operation is there or none is. Operations apply in the order added. Reusable after `clear()`.
 *
 * The batch is encoded as it is built (RocksDB's WriteBatch format), so applying it crosses into
 * the engine once, whatever its size.
 */
export class WriteBatch {
  readonly #buf = new BatchBuffer();
  #end = HEADER_SIZE;
  #count = 0;
  /**
   * The handles the operations since the last `clear()` name. A batch belongs to no database
   * until written: each operation checks its `cf` is a handle (`ColumnFamily.idIn(cf, undefined)`),
   * and `write` that each handle is one of its own database's (see `encodedFor`).
   */
  readonly #families = new Set<ColumnFamily>();
  /** The last handle added to `#families`: a run of operations on one family skips the Set. */
  #lastFamily: ColumnFamily | undefined;

  /** Operations in the batch. */
  get count(): number {
    return this.#count;
  }

  /** Encoded size in bytes. */
  get byteLength(): number {
    return this.#end;
  }

  /** Sets `key` to `value` (in `cf`, default: the default column family). */
  put(key: BytesInput, value: BytesInput, cf?: ColumnFamily): this {
    const id = ColumnFamily.idIn(cf, undefined);
    checkBytes(key, 'key');
    checkBytes(value, 'value');
    return this.#add(Tag.Put, cf, id, key, value);
  }

  /** Removes `key`. */
  delete(key: BytesInput, cf?: ColumnFamily): this {
    const id = ColumnFamily.idIn(cf, undefined);
    checkBytes(key, 'key');
    return this.#add(Tag.Delete, cf, id, key);
  }

  /**
   * Adds a merge operand to `key`; `cf` must have a merge operator (see {@link MergeOperatorName})
   * that can use the operand (a `uint64Add` operand is 8 bytes): else `write(batch)` throws and
   * applies none of the batch.
   */
  merge(key: BytesInput, operand: BytesInput, cf?: ColumnFamily): this {
    const id = ColumnFamily.idIn(cf, undefined);
    checkBytes(key, 'key');
    checkBytes(operand, 'operand');
    if (cf?.mergeOperator === 'listAppend') {
      const element = toBytes(operand, 'operand');
      return this.#add(Tag.Merge, cf, id, key, element, listFrame(element.length));
    }
    return this.#add(Tag.Merge, cf, id, key, operand);
  }

  /**
   * Appends the elements of `framedList` — a `listAppend` value, `varint32 length ‖ element` per
   * element (what `listElements()` reads) — to the list at `key` as one merge operand. The
   * operator concatenates operands, so this equals a merge per element at the cost of one.
   * Badly framed bytes are refused (`InvalidArgumentError`, nothing added): they would make the
   * whole list unreadable.
   */
  appendList(key: BytesInput, framedList: Uint8Array, cf: ColumnFamily): this {
    const id = ColumnFamily.idIn(cf, undefined);
    checkBytes(key, 'key');
    checkBytes(framedList, 'operand');
    if (cf?.mergeOperator !== 'listAppend') {
      throw new InvalidArgumentError('appendList needs a column family with the listAppend merge operator', { argument: 'cf' });
    }
    checkFramedList(framedList, 'framedList');
    return this.#add(Tag.Merge, cf, id, key, framedList);
  }

  /** Removes every key `k` with `begin <= k < end`. */
  deleteRange(begin: BytesInput, end: BytesInput, cf?: ColumnFamily): this {
    const id = ColumnFamily.idIn(cf, undefined);
    checkBytes(begin, 'begin');
    checkBytes(end, 'end');
    return this.#add(Tag.DeleteRange, cf, id, begin, end);
  }

  /** Removes every operation (keeping the buffer). */
  clear(): void {
    this.#end = HEADER_SIZE;
    this.#count = 0;
    this.#families.clear();
    this.#lastFamily = undefined;
  }

  /**
   * @internal The encoding of `batch` (a view, valid until the batch changes) for the database
   * run by `core`. Throws `InvalidArgumentError` if `batch` is not a `WriteBatch` or names a
   * column family of another database.
   */
  static encodedFor(batch: unknown, core: EngineCore): Uint8Array {
    if (typeof batch !== 'object' || batch === null || !(#buf in batch)) {
      throw new InvalidArgumentError(`write needs a WriteBatch, got ${batch === null ? 'null' : typeof batch}`, { argument: 'batch' });
    }
    for (const cf of batch.#families) ColumnFamily.idIn(cf, core);
    const bytes = batch.#buf.bytes;
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, batch.#count, true);
    return bytes.subarray(0, batch.#end);
  }

  /** Appends one operation on family `id` (`cf`'s), everything checked. */
  #add(tag: readonly [number, number], cf: ColumnFamily | undefined, id: number, key: BytesInput, value?: BytesInput, prefix?: Uint8Array): this {
    if (cf !== undefined && cf !== this.#lastFamily) {
      this.#families.add(cf);
      this.#lastFamily = cf;
    }
    this.#end = writeOp(this.#buf, this.#end, tag, id, key, value, prefix);
    this.#count++;
    return this;
  }
}
