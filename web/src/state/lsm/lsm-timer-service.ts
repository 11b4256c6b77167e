/**
 * {@link TimerService} in the engine: one column family per timer service (`_timers/<name>`,
 * a name no state can take), one entry per pending timer, keyed
 *
 *   domain:u8 (0 event, 1 processing) ‖ timer key (docs/state-layout.md)
 *
 * so a prefix scan per domain returns timers in firing order — timestamp, then key group, key
 * and namespace bytes, the order the heap service uses too. Timers survive a reopen (and go into
 * checkpoints with the rest of the database). In memory: the count per domain and a cache of
 * each domain's earliest timestamp (the head), so `nextTimestamp` and `size` cost no scan.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { checkDomain, checkOnTimer, checkTimerService, checkTimestamp, checkWatermark, DOMAIN_BYTE } from '../timers/timer-args.js';
import { decodeTimerKey, timerKey } from '../key-layout.js';
import type { Serializer, TimeDomain, Timer, TimerService, TimerServiceDescriptor } from '../types.js';
import type { LsmContext } from './lsm-state.js';

const EMPTY = new Uint8Array(0);
/** Timers fetched per engine call while firing. */
const FIRE_PAGE = 128;

/** The column family name of timer service `name`. */
export function timerColumnFamily(name: string): string {
  return `_timers/${name}`;
}

export class LsmTimerService<K, N> implements TimerService<K, N> {
  readonly name: string;
  readonly descriptor: TimerServiceDescriptor<K, N>;
  readonly #ctx: LsmContext;
  readonly #cf: ColumnFamily;
  readonly #size: Record<TimeDomain, number>;
  /** Earliest pending timestamp per domain; `null` when unknown (recomputed on demand). */
  readonly #head: Record<TimeDomain, number | undefined | null> = { event: null, processing: null };
  #watermark = -Infinity;
  /** Bumped by every register/delete, so firing notices callbacks that changed the timers. */
  #version = 0;

  constructor(ctx: LsmContext, cf: ColumnFamily, name: string, descriptor: TimerServiceDescriptor<K, N>, watermark = -Infinity) {
    checkTimerService(name, descriptor);
    this.#ctx = ctx;
    this.#cf = cf;
    this.#watermark = watermark;
    this.name = name;
    this.descriptor = descriptor;
    this.#size = {
      event: cf.count({ prefix: Uint8Array.of(DOMAIN_BYTE.event) }),
      processing: cf.count({ prefix: Uint8Array.of(DOMAIN_BYTE.processing) }),
    };
  }

  #encode(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): Uint8Array {
    this.#ctx.checkOpen();
    checkTimestamp(timestamp);
    const resolved = this.#ctx.keys.resolve(this.descriptor.key, key);
    let nsBytes: Uint8Array | undefined;
    if (namespace !== undefined) {
      const ns: Serializer<N> | undefined = this.descriptor.namespace;
      if (ns === undefined) throw new InvalidArgumentError(`timer service "${this.name}" has no namespace serializer`, { timers: this.name });
      nsBytes = ns.serialize(namespace);
    }
    const tail = timerKey(timestamp, resolved.keyGroup, resolved.bytes, nsBytes);
    const out = new Uint8Array(1 + tail.length);
    out[0] = DOMAIN_BYTE[domain];
    out.set(tail, 1);
    return out;
  }

  #register(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const k = this.#encode(domain, key, timestamp, namespace);
    if (this.#cf.has(k)) return;
    this.#cf.put(k, EMPTY);
    this.#version++;
    this.#size[domain]++;
    const head = this.#head[domain];
    if (head !== null && (head === undefined || timestamp < head)) this.#head[domain] = timestamp;
  }

  #delete(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const k = this.#encode(domain, key, timestamp, namespace);
    if (!this.#cf.has(k)) return;
    this.#cf.delete(k);
    this.#version++;
    this.#size[domain]--;
    if (this.#head[domain] === timestamp) this.#head[domain] = null;
  }

  registerEventTime(key: K, timestamp: number, namespace?: N): void {
    this.#register('event', key, timestamp, namespace);
  }

  deleteEventTime(key: K, timestamp: number, namespace?: N): void {
    this.#delete('event', key, timestamp, namespace);
  }

  registerProcessingTime(key: K, timestamp: number, namespace?: N): void {
    this.#register('processing', key, timestamp, namespace);
  }

  deleteProcessingTime(key: K, timestamp: number, namespace?: N): void {
    this.#delete('processing', key, timestamp, namespace);
  }

  advanceWatermark(watermark: number, onTimer: (timer: Timer<K, N>) => void): number {
    this.#ctx.checkOpen();
    // Both arguments are checked before the watermark moves: a refused call changes nothing.
    const checked = checkWatermark(watermark);
    checkOnTimer(onTimer);
    this.#watermark = Math.max(this.#watermark, checked);
    return this.#fire('event', this.#watermark, onTimer);
  }

  advanceProcessingTime(onTimer: (timer: Timer<K, N>) => void): number {
    this.#ctx.checkOpen();
    checkOnTimer(onTimer);
    return this.#fire('processing', this.#ctx.clock.now(), onTimer);
  }

  #decode(domain: TimeDomain, k: Uint8Array): Timer<K, N> {
    const d = decodeTimerKey(k.subarray(1));
    const ns = this.descriptor.namespace;
    return {
      key: this.descriptor.key.deserialize(d.key.slice()),
      namespace: d.namespace === undefined || ns === undefined ? undefined : ns.deserialize(d.namespace.slice()),
      timestamp: d.timestamp,
      domain,
    };
  }

  /**
   * Delivers every timer at or before `upTo` in order, each deleted before its callback runs.
   * A callback that registers or deletes timers makes the next page be fetched afresh, so a
   * timer it adds at or before `upTo` fires in this call, in its place in the order.
   * REQUIRES: `onTimer` checked.
   */
  #fire(domain: TimeDomain, upTo: number, onTimer: (timer: Timer<K, N>) => void): number {
    const prefix = Uint8Array.of(DOMAIN_BYTE[domain]);
    let fired = 0;
    for (;;) {
      const page = [...this.#cf.keys({ prefix, limit: FIRE_PAGE })];
      let changed = false;
      for (const k of page) {
        const timer = this.#decode(domain, k);
        if (timer.timestamp > upTo) {
          this.#head[domain] = timer.timestamp;
          return fired;
        }
        this.#cf.delete(k);
        this.#size[domain]--;
        this.#head[domain] = null;
        fired++;
        const before = this.#version;
        onTimer(timer);
        if (this.#version !== before) {
          changed = true;
          break;
        }
      }
      if (!changed && page.length < FIRE_PAGE) {
        this.#head[domain] = undefined;
        return fired;
      }
    }
  }

  currentWatermark(): number {
    return this.#watermark;
  }

  nextTimestamp(domain: TimeDomain): number | undefined {
    this.#ctx.checkOpen();
    checkDomain(domain);
    let head = this.#head[domain];
    if (head === null) {
      const [first] = this.#cf.keys({ prefix: Uint8Array.of(DOMAIN_BYTE[domain]), limit: 1 });
      head = first === undefined ? undefined : decodeTimerKey(first.subarray(1)).timestamp;
      this.#head[domain] = head;
    }
    return head;
  }

  size(domain: TimeDomain): number {
    return this.#size[checkDomain(domain)];
  }
}
