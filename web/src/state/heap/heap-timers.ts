/**
 * {@link TimerService} on the heap (the heap backend's, and the LSM backend's with `timers:
 * 'heap'`): one {@link TimerQueue} per time domain, plus what checkpoints need — every pending
 * timer written in the canonical layout of the LSM timer column family, and timers and
 * watermark loaded back.
 *
 * Canonical entry of a timer (lsm/lsm-timer-service.ts, docs/state-layout.md):
 *
 *   domain:u8 (0 event, 1 processing) ‖ timer key (timestamp ‖ key group ‖ key ‖ namespace) → empty
 *
 * Timers are keyed state: their keys must belong to the backend's key groups, and they count
 * against its memory budget.
 */
import { CorruptionError, InvalidArgumentError } from '../../errors.js';
import { checkDomain, checkOnTimer, checkTimerService, checkTimestamp, checkWatermark, DOMAIN_BYTE } from '../timers/timer-args.js';
import type { KeyContext } from '../key-context.js';
import { decodeStateKey, decodeTimerKey, stateKey, timerKey } from '../key-layout.js';
import { TimerQueue, type QueuedTimer } from '../timers/timer-queue.js';
import type { Clock, Serializer, TimeDomain, Timer, TimerService, TimerServiceDescriptor } from '../types.js';
import { bytesIdentity } from './identity.js';
import { TIMER_OVERHEAD, type MemoryBudget } from './memory-budget.js';

/** What a heap timer service needs from its backend. */
export interface HeapTimerContext {
  readonly keys: KeyContext;
  readonly clock: Clock;
  readonly memory: MemoryBudget;
  checkOpen(): void;
}

const DOMAINS: readonly TimeDomain[] = ['event', 'processing'];
const EMPTY = new Uint8Array(0);

export class HeapTimers<K, N> implements TimerService<K, N> {
  readonly name: string;
  readonly descriptor: TimerServiceDescriptor<K, N>;
  readonly #ctx: HeapTimerContext;
  readonly #queues: Record<TimeDomain, TimerQueue<Timer<K, N>>> = { event: new TimerQueue(), processing: new TimerQueue() };
  #watermark = -Infinity;

  constructor(ctx: HeapTimerContext, name: string, descriptor: TimerServiceDescriptor<K, N>) {
    checkTimerService(name, descriptor);
    this.#ctx = ctx;
    this.name = name;
    this.descriptor = descriptor;
  }

  #make(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): QueuedTimer<Timer<K, N>> {
    this.#ctx.checkOpen();
    checkTimestamp(timestamp);
    const resolved = this.#ctx.keys.resolve(this.descriptor.key, key);
    let nsBytes: Uint8Array | undefined;
    if (namespace !== undefined) {
      const ns: Serializer<N> | undefined = this.descriptor.namespace;
      if (ns === undefined) throw new InvalidArgumentError(`timer service "${this.name}" has no namespace serializer`, { timers: this.name });
      nsBytes = ns.serialize(namespace);
    }
    const sortKey = stateKey(resolved.keyGroup, resolved.bytes, nsBytes);
    return { id: `${timestamp}/${bytesIdentity(sortKey)}`, timestamp, sortKey, payload: { key, namespace, timestamp, domain }, index: -1 };
  }

  #add(domain: TimeDomain, timer: QueuedTimer<Timer<K, N>>): void {
    const queue = this.#queues[domain];
    if (queue.has(timer.id)) return;
    this.#ctx.memory.charge(TIMER_OVERHEAD + timer.sortKey.length, `timers:${this.name}`);
    queue.add(timer);
  }

  #release(timer: QueuedTimer<Timer<K, N>>): void {
    this.#ctx.memory.charge(-(TIMER_OVERHEAD + timer.sortKey.length), `timers:${this.name}`);
  }

  #delete(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const removed = this.#queues[domain].delete(this.#make(domain, key, timestamp, namespace).id);
    if (removed !== undefined) this.#release(removed);
  }

  registerEventTime(key: K, timestamp: number, namespace?: N): void {
    this.#add('event', this.#make('event', key, timestamp, namespace));
  }

  deleteEventTime(key: K, timestamp: number, namespace?: N): void {
    this.#delete('event', key, timestamp, namespace);
  }

  registerProcessingTime(key: K, timestamp: number, namespace?: N): void {
    this.#add('processing', this.#make('processing', key, timestamp, namespace));
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

  /** Pops and delivers every timer at or before `upTo`, including ones callbacks add. REQUIRES: `onTimer` checked. */
  #fire(domain: TimeDomain, upTo: number, onTimer: (timer: Timer<K, N>) => void): number {
    const queue = this.#queues[domain];
    let fired = 0;
    for (let next = queue.peek(); next !== undefined && next.timestamp <= upTo; next = queue.peek()) {
      queue.pop();
      this.#release(next);
      fired++;
      onTimer(next.payload);
    }
    return fired;
  }

  currentWatermark(): number {
    return this.#watermark;
  }

  nextTimestamp(domain: TimeDomain): number | undefined {
    return this.#queues[checkDomain(domain)].peek()?.timestamp;
  }

  size(domain: TimeDomain): number {
    return this.#queues[checkDomain(domain)].size;
  }

  // -- checkpoints ------------------------------------------------------------------------------

  /** Writes every pending timer as its canonical entry (see the header) to `put`. */
  writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void {
    for (const domain of DOMAINS) {
      for (const t of this.#queues[domain].values()) {
        const s = decodeStateKey(t.sortKey);
        const tail = timerKey(t.timestamp, s.keyGroup, s.key, s.namespace);
        const key = new Uint8Array(1 + tail.length);
        key[0] = DOMAIN_BYTE[domain];
        key.set(tail, 1);
        put(key, EMPTY);
      }
    }
  }

  /** Loads one canonical timer entry (deserializing its key and namespace). */
  restoreCanonical(key: Uint8Array): void {
    const domain = DOMAINS[key[0] ?? -1];
    if (domain === undefined) throw new CorruptionError(`timer service "${this.name}": unknown time domain byte ${key[0]}`, { timers: this.name });
    const d = decodeTimerKey(key.subarray(1));
    const ns = this.descriptor.namespace;
    if (d.namespace !== undefined && ns === undefined) {
      throw new CorruptionError(`timer service "${this.name}": a stored timer has a namespace but the service has no namespace serializer`, { timers: this.name });
    }
    const k = this.descriptor.key.deserialize(d.key.slice());
    const namespace = d.namespace === undefined ? undefined : ns!.deserialize(d.namespace.slice());
    const timer = this.#make(domain, k, d.timestamp, namespace);
    if (decodeStateKey(timer.sortKey).keyGroup !== d.keyGroup) {
      throw new CorruptionError(`timer service "${this.name}": a key stored in key group ${d.keyGroup} hashes elsewhere`, { timers: this.name });
    }
    this.#add(domain, timer);
  }

  /**
   * Forgets every queued timer, releasing its memory: for a restore that failed half-way, so
   * that the service it never handed out leaves no charge behind.
   */
  discard(): void {
    for (const domain of DOMAINS) {
      const queue = this.#queues[domain];
      for (const timer of queue.values()) this.#release(timer);
      this.#queues[domain] = new TimerQueue();
    }
  }

  /** Sets the watermark a checkpoint recorded (it still never goes back). */
  restoreWatermark(watermark: number): void {
    this.#watermark = Math.max(this.#watermark, watermark);
  }
}
