/**
 * The staged data path between JavaScript and the engine: keys and values are written straight
 * into the engine's input buffer (a region of wasm memory), results are read straight out of its
 * output buffer. Nothing is allocated per call on either side once the buffers have grown to the
 * largest key/value seen; see docs/engine-api.md for the copies per operation.
 *
 * Invariant: a view of wasm memory is stale after any call into the engine (memory may grow,
 * which detaches the old `ArrayBuffer`), so every access goes through {@link Staging.heap}.
 */
import type { Database } from '../../../wasm/pkg/edgestate_lsm.js';
import type { ByteSink } from './batch-encoding.js';
import type { BytesInput } from './bytes.js';
import { writeUtf8 } from './utf8.js';

export class Staging implements ByteSink {
  readonly #db: Database;
  readonly #memory: WebAssembly.Memory;
  #heap: Uint8Array;
  #input = 0;
  #inputLen = 0;

  constructor(db: Database, memory: WebAssembly.Memory) {
    this.#db = db;
    this.#memory = memory;
    this.#input = db.input(0);
    this.#inputLen = db.input_len();
    this.#heap = new Uint8Array(memory.buffer);
  }

  /** All of wasm memory, as a view that is current until the next call into the engine. */
  heap(): Uint8Array {
    if (this.#heap.buffer !== this.#memory.buffer) this.#heap = new Uint8Array(this.#memory.buffer);
    return this.#heap;
  }

  /** Makes the input buffer at least `len` bytes long. */
  reserve(len: number): void {
    if (len > this.#inputLen) {
      this.#input = this.#db.input(len);
      this.#inputLen = this.#db.input_len();
    }
  }

  /** Writes `value` at input offset `at` (growing the buffer as needed); returns its byte length. */
  write(value: BytesInput, at: number): number {
    if (typeof value === 'string') return this.#writeString(value, at);
    this.reserve(at + value.length);
    this.heap().set(value, this.#input + at);
    return value.length;
  }

  writeByte(b: number, at: number): void {
    this.reserve(at + 1);
    this.heap()[this.#input + at] = b;
  }

  move(target: number, start: number, end: number): void {
    this.reserve(Math.max(target + end - start, end));
    const base = this.#input;
    this.heap().copyWithin(base + target, base + start, base + end);
  }

  /** Writes `n` as a little-endian u32 at input offset `at`. */
  writeU32(n: number, at: number): void {
    this.reserve(at + 4);
    const heap = this.heap();
    const p = this.#input + at;
    heap[p] = n & 0xff;
    heap[p + 1] = (n >>> 8) & 0xff;
    heap[p + 2] = (n >>> 16) & 0xff;
    heap[p + 3] = (n >>> 24) & 0xff;
  }

  /** Writes `n` as a varint32 (RocksDB's encoding) at input offset `at`; returns its length. */
  writeVarint32(n: number, at: number): number {
    this.reserve(at + 5);
    const heap = this.heap();
    let p = this.#input + at;
    const start = p;
    while (n >= 0x80) {
      heap[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    heap[p++] = n;
    return p - start;
  }

  /**
   * UTF-8 straight into wasm memory, in JavaScript for every length (what `TextEncoder.encodeInto`
   * does, without the call and the subarray it needs; see utf8.ts). Lone surrogates become
   * U+FFFD, as TextEncoder writes them.
   */
  #writeString(s: string, at: number): number {
    // Each UTF-16 unit takes at most 3 bytes (a surrogate pair: 2 units, 4 bytes).
    this.reserve(at + s.length * 3);
    return writeUtf8(s, this.heap(), this.#input + at);
  }

  /** Address of the output buffer: call after the engine call that filled it. */
  output(): number {
    return this.#db.output();
  }
}

/** Reads a little-endian u32 at `p` of `heap`. */
export function readU32(heap: Uint8Array, p: number): number {
  return (heap[p]! | (heap[p + 1]! << 8) | (heap[p + 2]! << 16) | (heap[p + 3]! << 24)) >>> 0;
}
