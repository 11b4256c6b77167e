/**
 * What both timer services (heap: heap/heap-timers.ts, engine: lsm/lsm-timer-service.ts) check
 * and share: argument validation and the stored domain byte.
 */
import { InvalidArgumentError } from '../../errors.js';
import { checkSerializer, checkStateName } from '../descriptors.js';
import type { TimeDomain, TimerServiceDescriptor } from '../types.js';

/** The first byte of a stored timer entry (docs/state-layout.md). Stored: never renumber. */
export const DOMAIN_BYTE: Readonly<Record<TimeDomain, number>> = { event: 0, processing: 1 };

/** Throws `InvalidArgumentError` unless `timestamp` is a safe integer number of ms. */
export function checkTimestamp(timestamp: unknown): number {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    throw new InvalidArgumentError('timer timestamp must be a safe integer (ms)', { timestamp: String(timestamp) });
  }
  return timestamp;
}

/** Throws `InvalidArgumentError` unless `watermark` is a number (±Infinity allowed, NaN not). */
export function checkWatermark(watermark: unknown): number {
  if (typeof watermark !== 'number' || Number.isNaN(watermark)) {
    throw new InvalidArgumentError('watermark must be a number', { watermark: String(watermark) });
  }
  return watermark;
}

/** Throws `InvalidArgumentError` unless `domain` is a {@link TimeDomain}, naming the accepted ones. */
export function checkDomain(domain: unknown): TimeDomain {
  // `hasOwn`, not `in`: inherited names such as 'toString' are not domains.
  if (typeof domain !== 'string' || !Object.hasOwn(DOMAIN_BYTE, domain)) {
    throw new InvalidArgumentError(`time domain must be 'event' or 'processing'`, { domain: String(domain) });
  }
  return domain as TimeDomain;
}

/**
 * Throws `InvalidArgumentError` unless `onTimer` is a function. Called before an advance changes
 * anything (the watermark), so that a refused call leaves the service as it was.
 */
export function checkOnTimer(onTimer: unknown): void {
  if (typeof onTimer !== 'function') throw new InvalidArgumentError('onTimer must be a function', { onTimer: typeof onTimer });
}

/** Validates a timer service's name and descriptor (as `timers(name, descriptor)` receives them). */
export function checkTimerService(name: unknown, descriptor: unknown): void {
  checkStateName(name, 'timer service');
  if (typeof descriptor !== 'object' || descriptor === null) throw new InvalidArgumentError('timers() needs a descriptor { key, namespace? }');
  const d = descriptor as Partial<TimerServiceDescriptor<unknown, unknown>>;
  checkSerializer(d.key, 'key');
  if (d.namespace !== undefined) checkSerializer(d.namespace, 'namespace');
}

/** Throws unless a timer service asked for again under `name` has the serializers it was created with. */
export function checkSameTimerService(name: string, existing: TimerServiceDescriptor<unknown, unknown>, requested: unknown): void {
  const r = requested as Partial<TimerServiceDescriptor<unknown, unknown>> | null | undefined;
  if (existing.key.id !== r?.key?.id || existing.namespace?.id !== r?.namespace?.id) {
    throw new InvalidArgumentError(`timer service "${name}" exists with different serializers`, { timers: name });
  }
}
