import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { ManualClock, systemClock } from './clock.js';

describe('clocks', () => {
  it('ManualClock moves in whole ms and never back: fractions, NaN and going back are refused, changing nothing', () => {
    const clock = new ManualClock(10);
    clock.advance(5);
    clock.set(20);
    for (const bad of [() => clock.advance(0.5), () => clock.advance(-1), () => clock.advance(Number.NaN), () => clock.set(20.5), () => clock.set(19), () => new ManualClock(0.25)]) {
      expect(bad).toThrow(InvalidArgumentError);
    }
    expect(clock.now()).toBe(20);
  });

  it('the system clock gives whole ms that never decrease', () => {
    const clock = systemClock();
    let last = clock.now();
    for (let i = 0; i < 1000; i++) {
      const now = clock.now();
      expect(Number.isSafeInteger(now) && now >= last).toBe(true);
      last = now;
    }
  });
});
