/**
 * {@link TimerService} on the heap: one {@link TimerQueue} per time domain. Timers are keyed
 * state: their keys must belong to the backend's key groups, and they count against its memory
 * budget.
 */
import { InvalidArgumentError } from '../../errors.js';
import { checkSerializer, checkStateName } from '../descriptors.js';
import type { KeyContext } from '../key-context.js';
import { stateKey } from '../key-layout.js';
import { bytesIdentity } from '../heap/identity.js';
import { TIMER_OVERHEAD, type MemoryBudget } from '../heap/memory-budget.js';
import type { Clock, Serializer, TimeDomain, Timer, TimerService, TimerServiceDescriptor } from '../types.js';
import { TimerQueue, type QueuedTimer } from './timer-queue.js';

/** What a heap timer service needs from its backend. */
export interface TimerContext {
  readonly keys: KeyContext;
  readonly clock: Clock;
  readonly memory: MemoryBudget;
  checkOpen(): void;
}

function checkTimestamp(timestamp: unknown): number {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    throw new InvalidArgumentError('timer timestamp must be a safe integer (ms)', { timestamp: String(timestamp) });
  }
  return timestamp;
}

export class HeapTimerService<K, N> implements TimerService<K, N> {
  readonly name: string;
  readonly descriptor: TimerServiceDescriptor<K, N>;
  readonly #ctx: TimerContext;
  readonly #queues: Record<TimeDomain, TimerQueue<Timer<K, N>>> = { event: new TimerQueue(), processing: new TimerQueue() };
  #watermark = -Infinity;
  #bytes = 0;

  constructor(ctx: TimerContext, name: string, descriptor: TimerServiceDescriptor<K, N>) {
    checkStateName(name, 'timer service');
    if (typeof descriptor !== 'object' || descriptor === null) throw new InvalidArgumentError('timers() needs a descriptor { key, namespace? }');
    checkSerializer(descriptor.key, 'key');
    if (descriptor.namespace !== undefined) checkSerializer(descriptor.namespace, 'namespace');
    this.#ctx = ctx;
    this.name = name;
    this.descriptor = descriptor;
  }

  /** Estimated bytes of the pending timers. */
  get estimatedBytes(): number {
    return this.#bytes;
  }

  #make(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): QueuedTimer<Timer<K, N>> {
    this.#ctx.checkOpen();
    checkTimestamp(timestamp);
    const resolved = this.#ctx.keys.resolve(this.descriptor.key, key);
    let nsBytes: Uint8Array | undefined;
    if (namespace !== undefined) {
      const ns: Serializer<N> | undefined = this.descriptor.namespace;
      if (ns === undefined) {
        throw new InvalidArgumentError(`timer service "${this.name}" has no namespace serializer`, { timers: this.name });
      }
      nsBytes = ns.serialize(namespace);
    }
    const sortKey = stateKey(resolved.keyGroup, resolved.bytes, nsBytes);
    return {
      id: `${timestamp}/${bytesIdentity(sortKey)}`,
      timestamp,
      sortKey,
      payload: { key, namespace, timestamp, domain },
      index: -1,
    };
  }

  #register(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const timer = this.#make(domain, key, timestamp, namespace);
    const queue = this.#queues[domain];
    if (queue.has(timer.id)) return;
    const size = TIMER_OVERHEAD + timer.sortKey.length;
    this.#ctx.memory.charge(size, `timers:${this.name}`);
    this.#bytes += size;
    queue.add(timer);
  }

  #delete(domain: TimeDomain, key: K, timestamp: number, namespace: N | undefined): void {
    const removed = this.#queues[domain].delete(this.#make(domain, key, timestamp, namespace).id);
    if (removed !== undefined) this.#release(removed);
  }

  #release(timer: QueuedTimer<Timer<K, N>>): void {
    const size = TIMER_OVERHEAD + timer.sortKey.length;
    this.#ctx.memory.charge(-size, `timers:${this.name}`);
    this.#bytes -= size;
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
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) {
      throw new InvalidArgumentError('watermark must be a number', { watermark: String(watermark) });
    }
    this.#watermark = Math.max(this.#watermark, watermark);
    return this.#fire('event', this.#watermark, onTimer);
  }

  advanceProcessingTime(onTimer: (timer: Timer<K, N>) => void): number {
    this.#ctx.checkOpen();
    return this.#fire('processing', this.#ctx.clock.now(), onTimer);
  }

  /** Pops and delivers every timer at or before `upTo`, including ones callbacks add. */
  #fire(domain: TimeDomain, upTo: number, onTimer: (timer: Timer<K, N>) => void): number {
    if (typeof onTimer !== 'function') throw new InvalidArgumentError('onTimer must be a function');
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
    return this.#queues[domain].peek()?.timestamp;
  }

  size(domain: TimeDomain): number {
    return this.#queues[domain].size;
  }
}
