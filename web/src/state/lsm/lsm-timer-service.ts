/**
 * {@link TimerService} in the engine: one column family per timer service (`_timers/<name>`,
 * a name no state can take), one entry per pending timer, keyed
 *
 *   domain:u8 (0 event, 1 processing) ‖ timer key (docs/state-layout.md)
 *
 * so a prefix scan per domain returns timers in firing order — timestamp, then key group, key
 * and namespace bytes, the order the heap service uses too. Timers survive a reopen (and go into
 * checkpoints with the rest of the database). In memory: the count per domain and a cache of
 * each domain's earliest timestamp (the head), so `nextTimestamp`, `size` and an advance with
 * nothing due cost no scan.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { checkDomain, checkOnTimer, checkTimerService, checkTimestamp, checkWatermark, DOMAIN_BYTE } from '../timers/timer-args.js';
import { decodeTimerKey, timerKey, timerKeyTimestamp } from '../key-layout.js';
import type { Serializer, TimeDomain, Timer, TimerService, TimerServiceDescriptor } from '../types.js';
import type { LsmContext } from './lsm-state.js';

const EMPTY = new Uint8Array(0);
/** Timers fetched per engine call while firing. */
const FIRE_PAGE = 128;
/** The key prefix of each domain's timers. */
const DOMAIN_PREFIX: Readonly<Record<TimeDomain, Uint8Array>> = {
  event: Uint8Array.of(DOMAIN_BYTE.event),
  processing: Uint8Array.of(DOMAIN_BYTE.processing),
};

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
  /**
   * The head cache: per domain, the earliest timestamp of its timers in the column family, or
   * `undefined` when it has none, or `null` when not known (a scan of one key finds it).
   * Invariant, wherever other code may run (between calls, and inside every callback): a head
   * that is not `null` is exact, so firing may trust it to skip the engine. Every change to a
   * domain's timers keeps it so: a register lowers it; a delete empties it with the domain, or
   * forgets it when it deletes the head timestamp (another timer may share it); firing sets it
   * from the page it read. A service starts from its column family's count (`undefined` when
   * empty, else `null`): after a reopen or a restore there is a new service.
   */
  readonly #head: Record<TimeDomain, number | undefined | null>;
  #watermark = -Infinity;
  /**
   * Per domain, bumped by every change to its timers (register, delete, and the delete of each
   * timer fired, nested firing included), so firing notices callbacks that changed them.
   */
  readonly #version: Record<TimeDomain, number> = { event: 0, processing: 0 };

  constructor(ctx: LsmContext, cf: ColumnFamily, name: string, descriptor: TimerServiceDescriptor<K, N>, watermark = -Infinity) {
    checkTimerService(name, descriptor);
    this.#ctx = ctx;
    this.#cf = cf;
    this.#watermark = watermark;
    this.name = name;
    this.descriptor = descriptor;
    this.#size = { event: cf.count({ prefix: DOMAIN_PREFIX.event }), processing: cf.count({ prefix: DOMAIN_PREFIX.processing }) };
    this.#head = { event: this.#size.event === 0 ? undefined : null, processing: this.#size.processing === 0 ? undefined : null };
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
    this.#version[domain]++;
    this.#size[domain]++;
    const head = this.#head[domain];
    if (head !== null && (head === undefined || timestamp < head)) this.#head[domain] = timestamp;
  }

  #delete(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const k = this.#encode(domain, key, timestamp, namespace);
    if (!this.#cf.has(k)) return;
    this.#cf.delete(k);
    this.#version[domain]++;
    this.#size[domain]--;
    if (this.#size[domain] === 0) this.#head[domain] = undefined;
    else if (this.#head[domain] === timestamp) this.#head[domain] = null;
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
   * Delivers every timer at or before `upTo` in order, each deleted before its callback runs,
   * and returns how many. Reads no page while the head cache shows nothing due. A callback that
   * changes this domain's timers (registers, deletes, or fires them by advancing again) makes the
   * next page be read afresh, so a timer it adds at or before `upTo` fires in this call, in its
   * place in the order, and one it deleted or fired does not.
   * REQUIRES: `onTimer` checked.
   */
  #fire(domain: TimeDomain, upTo: number, onTimer: (timer: Timer<K, N>) => void): number {
    let fired = 0;
    for (;;) {
      const head = this.#knownHead(domain);
      if (head === undefined || head > upTo) return fired;
      fired += this.#firePage(domain, upTo, onTimer);
    }
  }

  /**
   * Fires the due timers of one page read from the engine, in order; stops at the first timer
   * after `upTo`, at the page's end, or after a callback that changed this domain's timers (the
   * rest of the page may be stale then). Until a callback changes them the page is the domain's
   * timers in order, so the head after each fired timer is the page's next one.
   */
  #firePage(domain: TimeDomain, upTo: number, onTimer: (timer: Timer<K, N>) => void): number {
    const page = [...this.#cf.keys({ prefix: DOMAIN_PREFIX[domain], limit: FIRE_PAGE })];
    let fired = 0;
    for (let i = 0; i < page.length; i++) {
      const timer = this.#decode(domain, page[i]!);
      if (timer.timestamp > upTo) {
        this.#head[domain] = timer.timestamp;
        return fired;
      }
      this.#cf.delete(page[i]!);
      this.#size[domain]--;
      const version = ++this.#version[domain];
      this.#head[domain] = this.#headAfter(page, i);
      fired++;
      onTimer(timer);
      if (this.#version[domain] !== version) return fired;
    }
    return fired;
  }

  /** The head once `page[0..i]` are fired, `page` being the domain's first timers in order. */
  #headAfter(page: readonly Uint8Array[], i: number): number | undefined | null {
    const next = page[i + 1];
    if (next !== undefined) return timerKeyTimestamp(next.subarray(1));
    // A short page held every timer of the domain; after a full one more may follow.
    return page.length < FIRE_PAGE ? undefined : null;
  }

  /** The head of `domain`, read from the engine (one key) when the cache does not know it. */
  #knownHead(domain: TimeDomain): number | undefined {
    let head = this.#head[domain];
    if (head === null) {
      const [first] = this.#cf.keys({ prefix: DOMAIN_PREFIX[domain], limit: 1 });
      head = first === undefined ? undefined : timerKeyTimestamp(first.subarray(1));
      this.#head[domain] = head;
    }
    return head;
  }

  currentWatermark(): number {
    return this.#watermark;
  }

  nextTimestamp(domain: TimeDomain): number | undefined {
    this.#ctx.checkOpen();
    return this.#knownHead(checkDomain(domain));
  }

  size(domain: TimeDomain): number {
    return this.#size[checkDomain(domain)];
  }
}
