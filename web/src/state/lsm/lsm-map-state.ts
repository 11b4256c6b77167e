/**
 * MapState on LSM: one engine entry per map entry, keyed `state key ‖ serialized map key`, so a
 * map is one contiguous key range: iteration is a prefix scan in the byte order of the
 * serialized map keys, and clearing a map is one range deletion.
 */
import type { ColumnFamily } from '../../engine/column-family.js';
import { WriteBatch } from '../../engine/write-batch.js';
import { decodeStateKey } from '../key-layout.js';
import type { MapState, MapStateDescriptor, Serializer } from '../types.js';
import { LsmState, prefixEnd, type LsmContext } from './lsm-state.js';

export class LsmMapState<K, UK, UV, N> extends LsmState<K, N> implements MapState<K, UK, UV, N> {
  readonly kind = 'map' as const;
  readonly #mapKey: Serializer<UK>;
  readonly #value: Serializer<UV>;

  constructor(ctx: LsmContext, cf: ColumnFamily, descriptor: MapStateDescriptor<K, UK, UV, N>, onDrop: (name: string) => void) {
    super(ctx, cf, descriptor, onDrop);
    this.#mapKey = descriptor.mapKey;
    this.#value = descriptor.value;
  }

  /** The live value at engine key `k` (TTL: cleanup and refresh on read). */
  #readAt(k: Uint8Array): { readonly value: UV } | undefined {
    this.ctx.stats.reads++;
    const live = this.readLive(k, false);
    return live === undefined ? undefined : { value: this.#value.deserialize(live.bytes) };
  }

  get(key: K, mapKey: UK, namespace?: N): UV | undefined {
    return this.#readAt(this.locate(key, namespace, this.#mapKey.serialize(mapKey)))?.value;
  }

  contains(key: K, mapKey: UK, namespace?: N): boolean {
    return this.#readAt(this.locate(key, namespace, this.#mapKey.serialize(mapKey))) !== undefined;
  }

  put(key: K, mapKey: UK, value: UV, namespace?: N): void {
    const k = this.locate(key, namespace, this.#mapKey.serialize(mapKey));
    const bytes = this.stamp(this.#value.serialize(value));
    this.ctx.stats.writes++;
    this.cf.put(k, bytes);
  }

  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: N): void {
    this.locate(key, namespace);
    const batch = new WriteBatch();
    const now = this.ctx.clock.now();
    for (const [mk, v] of entries) {
      batch.put(this.locate(key, namespace, this.#mapKey.serialize(mk)), this.stamp(this.#value.serialize(v), now), this.cf);
    }
    if (batch.count === 0) return;
    this.ctx.stats.writes++;
    this.ctx.db.write(batch);
  }

  remove(key: K, mapKey: UK, namespace?: N): void {
    const k = this.locate(key, namespace, this.#mapKey.serialize(mapKey));
    this.ctx.stats.writes++;
    this.cf.delete(k);
  }

  protected override removeAll(prefix: Uint8Array): void {
    const end = prefixEnd(prefix);
    // A key's prefix always ends in a namespace byte below 0xff... unless it is all 0xff; then
    // fall back to deleting entry by entry.
    if (end !== undefined) this.cf.deleteRange(prefix, end);
    else for (const k of this.cf.keys({ prefix })) this.cf.delete(k);
  }

  /** Live entries of one map as `[mapKey bytes, value bytes]` (copies), in map-key byte order. */
  *#live(key: K, namespace: N | undefined): Generator<readonly [Uint8Array, Uint8Array]> {
    const prefix = this.locate(key, namespace);
    this.ctx.stats.reads++;
    const now = this.ctx.clock.now();
    const expired: Uint8Array[] = [];
    try {
      for (const [k, raw] of this.cf.entries({ prefix })) {
        const { value, expired: isExpired } = this.unstamp(raw, now);
        if (isExpired) {
          expired.push(k);
          if (this.ttl?.returnExpired !== true) continue;
        }
        yield [decodeStateKey(k).mapKey, value] as const;
      }
    } finally {
      if (expired.length > 0) {
        const batch = new WriteBatch();
        for (const k of expired) batch.delete(k, this.cf);
        this.ctx.db.write(batch);
        this.ctx.stats.expiredRemoved += expired.length;
      }
    }
  }

  *entries(key: K, namespace?: N): IterableIterator<[UK, UV]> {
    for (const [mk, v] of this.#live(key, namespace)) yield [this.#mapKey.deserialize(mk), this.#value.deserialize(v)];
  }

  *mapKeys(key: K, namespace?: N): IterableIterator<UK> {
    for (const [mk] of this.#live(key, namespace)) yield this.#mapKey.deserialize(mk);
  }

  *values(key: K, namespace?: N): IterableIterator<UV> {
    for (const [, v] of this.#live(key, namespace)) yield this.#value.deserialize(v);
  }

  isEmpty(key: K, namespace?: N): boolean {
    for (const _ of this.#live(key, namespace)) return false;
    return true;
  }
}
