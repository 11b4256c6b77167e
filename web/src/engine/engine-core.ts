/**
 * The engine behind an open database: the wasm `Database`, its staging buffers, and the guards
 * every call passes (closed, crashed, re-entered from a `forEach` callback). Column families,
 * batches and iterators all go through one `EngineCore`. Internal: not exported from the package.
 */
import type { Database } from '../../../wasm/pkg/edgestate_lsm.js';
import { DatabaseClosedError, EngineCrashedError, InvalidArgumentError, KeyTooLargeError, ValueTooLargeError } from '../errors.js';
import { checkBytes, type BytesInput } from './bytes.js';
import { fromEngineError } from './engine-error.js';
import { readU32, Staging } from './staging.js';

/** `scan` flags, as wasm/src/bindings/database.rs defines them. */
export const ScanFlag = {
  HasLower: 1,
  HasUpper: 2,
  HasStart: 4,
  StartExclusive: 8,
  Reverse: 16,
  KeysOnly: 32,
} as const;
const SCAN_DONE = 0x8000_0000;

/** One page of a scan: entries are at `[offset, ...)` of `heap` until the next engine call. */
export interface ScanPage {
  readonly count: number;
  readonly done: boolean;
}

export class EngineCore {
  #db: Database | undefined;
  #staging: Staging | undefined;
  #crashed: EngineCrashedError | undefined;
  /** Set while a `forEach` callback runs: its views of the output buffer must stay valid. */
  #inCallback = false;
  readonly maxKeySize: number;
  readonly maxValueSize: number;
  /** With a WAL buffer: hand buffered records to storage at the end of the task that wrote them. */
  readonly #walBuffered: boolean;
  #walScheduled = false;

  constructor(db: Database, memory: WebAssembly.Memory, maxKeySize: number, maxValueSize: number, walBuffered = false) {
    this.#db = db;
    this.#staging = new Staging(db, memory);
    this.maxKeySize = maxKeySize;
    this.maxValueSize = maxValueSize;
    this.#walBuffered = walBuffered;
  }

  /**
   * Called after every write. With a WAL buffer, schedules one hand-over of the buffered log
   * records for when the current task ends (a microtask): a loop of writes costs one storage
   * write per buffer, and what a task wrote is in storage once it yields. A failure there is
   * not lost: the records stay buffered and the next sync or flush reports it.
   */
  wrote(): void {
    if (!this.#walBuffered || this.#walScheduled) return;
    this.#walScheduled = true;
    queueMicrotask(() => {
      this.#walScheduled = false;
      const db = this.#db;
      if (db === undefined || this.#crashed !== undefined) return;
      try {
        db.write_wal();
      } catch {
        // Kept buffered in the engine; surfaces at the next sync/flush.
      }
    });
  }

  get closed(): boolean {
    return this.#db === undefined;
  }

  /** Runs `f` on the open engine, mapping what it throws onto edgestate's error classes. */
  call<T>(f: (db: Database, staging: Staging) => T): T {
    if (this.#crashed) throw this.#crashed;
    const db = this.#db;
    const staging = this.#staging;
    if (db === undefined || staging === undefined) throw new DatabaseClosedError();
    if (this.#inCallback) {
      throw new InvalidArgumentError('the database cannot be used inside a forEach() callback (its views would be overwritten); use entries() instead');
    }
    try {
      return f(db, staging);
    } catch (e) {
      const mapped = fromEngineError(e);
      if (mapped instanceof EngineCrashedError) this.#crashed = mapped;
      throw mapped;
    }
  }

  /** Runs `f` with engine calls forbidden (see `#inCallback`). */
  withoutReentry<T>(f: () => T): T {
    this.#inCallback = true;
    try {
      return f();
    } finally {
      this.#inCallback = false;
    }
  }

  /** Checks `key` (type, and size when it is bytes) before anything is staged. */
  checkKey(key: unknown, what = 'key'): asserts key is BytesInput {
    checkBytes(key, what);
    // A string's UTF-8 length is at least its length in UTF-16 units, so this never rejects a
    // fitting key; the engine checks the exact encoded length.
    if (key.length > this.maxKeySize) {
      throw new KeyTooLargeError(`${what} of ${key.length}${typeof key === 'string' ? '+' : ''} bytes exceeds maxKeySize ${this.maxKeySize}`, { len: key.length, limit: this.maxKeySize });
    }
  }

  /** Checks `value` (type, and size when it is bytes). */
  checkValue(value: unknown, what = 'value'): asserts value is BytesInput {
    checkBytes(value, what);
    if (value.length > this.maxValueSize) {
      throw new ValueTooLargeError(`${what} of ${value.length}${typeof value === 'string' ? '+' : ''} bytes exceeds maxValueSize ${this.maxValueSize}`, { len: value.length, limit: this.maxValueSize });
    }
  }

  /** Takes an engine snapshot; returns its id. */
  snapshot(): number {
    return this.call((db) => db.snapshot());
  }

  releaseSnapshot(id: number): void {
    // Releasing after close is a no-op: the engine dropped every snapshot then.
    if (this.#db !== undefined) this.#db.release_snapshot(id);
  }

  /**
   * Looks `key` up in `cf`; returns the value's `[address, length]` in wasm memory (valid until
   * the next engine call), or `undefined`.
   */
  getRaw(cf: number, key: BytesInput, snapshot: number): readonly [number, number] | undefined {
    return this.call((db, staging) => {
      const klen = staging.write(key, 0);
      const len = db.get(cf, klen, snapshot);
      return len < 0 ? undefined : ([staging.output(), len] as const);
    });
  }

  /** Reads one page of a scan; see wasm/src/bindings/database.rs for the layout. */
  scanPage(
    cf: number,
    lower: BytesInput | undefined,
    upper: BytesInput | undefined,
    start: BytesInput | undefined,
    flags: number,
    limit: number,
    maxBytes: number,
    snapshot: number,
  ): ScanPage & { readonly at: number } {
    return this.call((db, staging) => {
      const lowerLen = lower === undefined ? 0 : staging.write(lower, 0);
      const upperLen = upper === undefined ? 0 : staging.write(upper, lowerLen);
      const startLen = start === undefined ? 0 : staging.write(start, lowerLen + upperLen);
      const flagBits =
        flags | (lower === undefined ? 0 : ScanFlag.HasLower) | (upper === undefined ? 0 : ScanFlag.HasUpper) | (start === undefined ? 0 : ScanFlag.HasStart);
      const r = db.scan(cf, lowerLen, upperLen, startLen, flagBits, limit, maxBytes, snapshot) >>> 0;
      return { count: r & 0x7fff_ffff, done: (r & SCAN_DONE) !== 0, at: staging.output() };
    });
  }

  heap(): Uint8Array {
    const staging = this.#staging;
    if (staging === undefined) throw new DatabaseClosedError();
    return staging.heap();
  }

  /**
   * Hands buffered log records to storage, syncs and closes the engine (unless it crashed), and
   * frees its memory. When the storage is full or not ready (`QuotaExceededError`,
   * `StorageExhaustedError`) the engine refuses to close: this throws and everything stays open,
   * the records still buffered, for a later `close()` once there is room. Any other failure is
   * thrown after the engine closed — a `StorageError` saying so if it lost acknowledged writes.
   */
  close(): void {
    const db = this.#db;
    if (db === undefined) return;
    let failure: unknown;
    if (this.#crashed === undefined) {
      try {
        db.close();
      } catch (e) {
        failure = fromEngineError(e);
        if (failure instanceof EngineCrashedError) this.#crashed = failure;
        else if (!db.is_closed()) throw failure;
      }
    }
    this.#db = undefined;
    this.#staging = undefined;
    db.free();
    if (failure !== undefined) throw failure;
  }
}

export { readU32 };
