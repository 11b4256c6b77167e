/**
 * ListState on LSM: the list of (key, namespace) is one engine value in the `listAppend` format
 * (`varint32 length ‖ element` per element), and `add` is a merge — the engine appends without
 * reading the list (Flink's RocksDB backend does the same; its JNI limit of 2 GiB per list value
 * failed silently, here `maxValueSize` fails the write with a typed error).
 */
import { WriteBatch } from '../../engine/write-batch.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { listElements } from '../../engine/merge-values.js';
import type { ListState, ListStateDescriptor, Serializer } from '../types.js';
import { LsmState, type LsmContext } from './lsm-state.js';

/** `elements` framed as one listAppend value. */
function frameList(elements: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const e of elements) size += e.length + 5;
  const out = new Uint8Array(size);
  let p = 0;
  for (const e of elements) {
    let n = e.length;
    while (n >= 0x80) {
      out[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[p++] = n;
    out.set(e, p);
    p += e.length;
  }
  return out.subarray(0, p);
}

export class LsmListState<K, V, N> extends LsmState<K, N> implements ListState<K, V, N> {
  readonly kind = 'list' as const;
  readonly #value: Serializer<V>;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: ListStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.#value = descriptor.value;
  }

  protected override visible(stored: Uint8Array, now: number): boolean {
    if (this.ttl === undefined || this.ttl.returnExpired) return true;
    return listElements(stored).some((e) => !this.unstamp(e, now).expired);
  }

  get(key: K, namespace?: N): V[] {
    const k = this.locate(key, namespace);
    this.ctx.stats.reads++;
    const raw = this.cf.get(k);
    if (raw === undefined) return [];
    const elements = listElements(raw);
    if (this.ttl === undefined) return elements.map((e) => this.#value.deserialize(e));
    const now = this.ctx.clock.now();
    const live: Uint8Array[] = [];
    const out: V[] = [];
    let expired = 0;
    for (const e of elements) {
      const u = this.unstamp(e, now);
      if (u.expired) {
        expired++;
        if (this.ttl.returnExpired) out.push(this.#value.deserialize(u.value));
      } else {
        live.push(this.ttl.refreshOnRead ? this.stamp(u.value, now) : e);
        out.push(this.#value.deserialize(u.value));
      }
    }
    // Cleanup on read: write back what is live (and, onReadAndWrite, refreshed).
    if (expired > 0 || this.ttl.refreshOnRead) {
      this.ctx.stats.expiredRemoved += expired;
      if (live.length === 0) this.cf.delete(k);
      else this.cf.put(k, frameList(live));
    }
    return out;
  }

  add(key: K, value: V, namespace?: N): void {
    const k = this.locate(key, namespace);
    const bytes = this.stamp(this.#value.serialize(value));
    this.ctx.stats.writes++;
    this.cf.merge(k, bytes);
  }

  addAll(key: K, values: Iterable<V>, namespace?: N): void {
    const k = this.locate(key, namespace);
    const batch = new WriteBatch();
    const now = this.ctx.clock.now();
    for (const v of values) batch.merge(k, this.stamp(this.#value.serialize(v), now), this.cf);
    if (batch.count === 0) return;
    this.ctx.stats.writes++;
    this.ctx.db.write(batch);
  }

  update(key: K, values: Iterable<V>, namespace?: N): void {
    const k = this.locate(key, namespace);
    const now = this.ctx.clock.now();
    const elements = [...values].map((v) => this.stamp(this.#value.serialize(v), now));
    this.ctx.stats.writes++;
    if (elements.length === 0) this.cf.delete(k);
    else this.cf.put(k, frameList(elements));
  }
}
