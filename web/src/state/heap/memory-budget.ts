/**
 * The heap backend's memory accounting. Sizes are estimates (serializer `check` sizes plus fixed
 * per-entry overheads below), tracked incrementally on every write, so `metrics()` is O(1) and a
 * write that would pass the budget is refused before it changes anything.
 */
import { InvalidArgumentError } from '../../errors.js';
import { StateMemoryExceededError } from '../state-errors.js';

/** Estimated bytes of one key's entry in a state (Map slot, entry object, namespace Map). */
export const KEY_OVERHEAD = 96;
/** Estimated bytes of one (key, namespace) cell. */
export const CELL_OVERHEAD = 48;
/** Estimated bytes of one list element slot (pointer and timestamp). */
export const ELEMENT_OVERHEAD = 16;
/**
 * Estimated bytes of one key of a state kept as one Map per key (the direct classes) besides its
 * key and state: HeapState's key entry plus one cell, so that both account alike.
 */
export const KEY_AND_CELL_OVERHEAD = KEY_OVERHEAD + CELL_OVERHEAD;
/** Estimated bytes of one map-state entry (Map slot and entry object). */
export const MAP_ENTRY_OVERHEAD = 64;
/** Estimated bytes of one pending timer. */
export const TIMER_OVERHEAD = 96;

export { fixedSizeOf, hasFixedSize } from '../serde/primitive.js';

/** The most a list or map reserves beyond its exact estimate (bytes). */
const MAX_RESERVE = 64 * 1024;

/**
 * The bytes to charge for a list's elements or a map's entries of `used` bytes when they outgrow
 * their charge: half as much again plus `step`, at most {@link MAX_RESERVE} more — as V8 grows
 * an array's backing store (to `length + length / 2 + 16` elements) or a Map's (doubling) in
 * steps, not per element, so that most additions charge nothing.
 */
export function reserve(used: number, step: number): number {
  return used + Math.min((used >>> 1) + step, MAX_RESERVE);
}

/**
 * Elements a list's reserve adds beyond half again, as V8 adds 16 to an array's new capacity:
 * without it a list's first dozens of adds outgrow their charge every few elements (a 100-element
 * list took the charging path 11 times, with it 5; in Chromium that was most of what ListState
 * add cost beyond a raw Map's push).
 */
export const LIST_GROWTH_STEP = 16;

/** What `onMemoryPressure` receives. */
export interface MemoryPressureEvent {
  /** Estimated bytes in use after the write that crossed the threshold. */
  readonly estimatedBytes: number;
  readonly budget: number;
  /** `estimatedBytes / budget`. */
  readonly ratio: number;
}

/** Options of the budget. */
export interface MemoryBudgetOptions {
  /** Bytes; `Infinity` (the default) for no budget. */
  readonly budget?: number;
  /**
   * Fraction of the budget at which `onPressure` fires, on a microtask, once per crossing (it
   * re-arms when the estimate falls below 90% of the threshold). Default 0.9.
   */
  readonly pressureThreshold?: number;
  readonly onPressure?: (event: MemoryPressureEvent) => void;
}

/** Incremental size accounting against an optional budget. */
export class MemoryBudget {
  readonly budget: number;
  /** `budget * threshold`: the estimate at which pressure is reported. */
  readonly #pressureAt: number;
  /** 90% of `#pressureAt`: the estimate below which pressure re-arms. */
  readonly #rearmAt: number;
  readonly #onPressure: ((event: MemoryPressureEvent) => void) | undefined;
  #used = 0;
  #pressured = false;
  /**
   * Below this estimate a charge has nothing to report and cannot pass the budget: `#pressureAt`
   * (at most the budget) while pressure is armed, `-Infinity` while it is reported (then every
   * charge takes the full path, which re-arms it).
   */
  #calmBelow: number;

  constructor(options: MemoryBudgetOptions = {}) {
    const budget = options.budget ?? Infinity;
    if (typeof budget !== 'number' || !(budget > 0)) {
      throw new InvalidArgumentError('memoryBudget must be a positive number of bytes', { memoryBudget: String(budget) });
    }
    const threshold = options.pressureThreshold ?? 0.9;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new InvalidArgumentError('memoryPressureThreshold must be in (0, 1]', { threshold: String(threshold) });
    }
    if (options.onPressure !== undefined && typeof options.onPressure !== 'function') {
      throw new InvalidArgumentError('onMemoryPressure must be a function', { onMemoryPressure: typeof options.onPressure });
    }
    this.budget = budget;
    this.#pressureAt = budget * threshold;
    this.#rearmAt = budget * threshold * 0.9;
    this.#onPressure = options.onPressure;
    this.#calmBelow = this.#pressureAt;
  }

  get used(): number {
    return this.#used;
  }

  /** Whether charging `delta` more bytes stays within the budget (`charge` would not throw). */
  allows(delta: number): boolean {
    return this.#used + delta <= this.budget;
  }

  /**
   * Accounts `delta` bytes (negative frees). A positive delta past the budget throws
   * `StateMemoryExceededError` and accounts nothing: call it before changing state. Called on
   * every write that changes a size, so the common case — an estimate below the pressure
   * threshold — is one addition and one comparison (no budget means comparing with `Infinity`).
   */
  charge(delta: number, state: string): void {
    const used = this.#used + delta;
    // `used >= 0` also sends a size of -Infinity (or one that makes the total negative) to the
    // slow path, which refuses every non-finite size.
    if (used < this.#calmBelow && used >= 0) {
      this.#used = used;
      return;
    }
    this.#chargeNear(delta, used, state);
  }

  /**
   * `charge` at or past the pressure threshold, or while pressure is reported — and of a size
   * that is not a finite number (it compares with nothing), which only a hand-written
   * Serializer's `check` can give: refused, or the estimate would be NaN and no budget hold.
   */
  #chargeNear(delta: number, used: number, state: string): void {
    if (!Number.isFinite(used)) {
      throw new InvalidArgumentError(`state "${state}": a size estimate is not a finite number (${delta}); a Serializer's check must return its value's size in bytes`, {
        state,
        size: String(delta),
      });
    }
    if (delta > 0 && used > this.budget) {
      throw new StateMemoryExceededError(
        `state "${state}" needs ${delta} more bytes; estimated use ${this.#used} of a ${this.budget}-byte memory budget`,
        { state, neededBytes: delta, estimatedBytes: this.#used, budget: this.budget },
      );
    }
    this.#used = used;
    if (used >= this.#pressureAt) {
      if (!this.#pressured) this.#pressure(used);
    } else if (this.#pressured && used < this.#rearmAt) {
      this.#pressured = false;
      this.#calmBelow = this.#pressureAt;
    }
  }

  #pressure(used: number): void {
    this.#pressured = true;
    this.#calmBelow = -Infinity;
    const onPressure = this.#onPressure;
    const event = { estimatedBytes: used, budget: this.budget, ratio: used / this.budget };
    // Delivered on a microtask, after the write that crossed the threshold has completed: a
    // listener that throws or touches state cannot leave the write half-applied.
    if (onPressure !== undefined) queueMicrotask(() => onPressure(event));
  }
}
