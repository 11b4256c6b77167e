/** Processing-time clocks: the system's, and one tests and replays move by hand. */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from './types.js';

/** `Date.now()`, held monotonic: it never goes back when the system clock does. */
export function systemClock(): Clock {
  let last = -Infinity;
  return {
    now(): number {
      last = Math.max(last, Date.now());
      return last;
    },
  };
}

/** A clock that moves only when told to, in whole ms; starts at `start` ms (default 0). */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 0) {
    ManualClock.#checkTime(start);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` (an integer >= 0). */
  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new InvalidArgumentError('ManualClock.advance needs a whole number of ms >= 0', { ms: String(ms) });
    }
    this.#now += ms;
  }

  /** Sets the time; it may not go back. */
  set(ms: number): void {
    ManualClock.#checkTime(ms);
    if (ms < this.#now) throw new InvalidArgumentError('ManualClock cannot go back', { now: this.#now, ms });
    this.#now = ms;
  }

  static #checkTime(ms: unknown): void {
    if (!Number.isSafeInteger(ms)) {
      throw new InvalidArgumentError('clock time must be a whole number of ms (a safe integer)', { ms: String(ms) });
    }
  }
}
