import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../errors.js';
import { StateMemoryExceededError } from '../state-errors.js';
import { serde } from '../serde/index.js';
import type { Serializer } from '../types.js';
import { fixedSizeOf, MemoryBudget, type MemoryPressureEvent } from './memory-budget.js';

/** A budget of 1,000 bytes, pressure at 800 (re-armed below 720), and the events it delivered. */
function budget(): { memory: MemoryBudget; events: MemoryPressureEvent[] } {
  const events: MemoryPressureEvent[] = [];
  const memory = new MemoryBudget({ budget: 1000, pressureThreshold: 0.8, onPressure: (e) => events.push(e) });
  return { memory, events };
}

describe('MemoryBudget', () => {
  it('accounts charges and frees below the threshold without reporting pressure', async () => {
    const { memory, events } = budget();
    memory.charge(500, 's');
    memory.charge(299, 's');
    memory.charge(-100, 's');
    expect(memory.used).toBe(699);
    await Promise.resolve();
    expect(events).toEqual([]);
  });

  it('reports pressure once per crossing, on a microtask, and again after falling below 90% of the threshold', async () => {
    const { memory, events } = budget();
    memory.charge(800, 's');
    expect(events).toHaveLength(0);
    await Promise.resolve();
    expect(events).toEqual([{ estimatedBytes: 800, budget: 1000, ratio: 0.8 }]);
    // Still above the re-arm point (720): no second event when crossing again.
    memory.charge(-50, 's');
    memory.charge(100, 's');
    await Promise.resolve();
    expect(events).toHaveLength(1);
    // Below 720 re-arms; the next crossing reports again.
    memory.charge(-200, 's');
    expect(memory.used).toBe(650);
    memory.charge(200, 's');
    await Promise.resolve();
    expect(events.map((e) => e.estimatedBytes)).toEqual([800, 850]);
  });

  it('refuses a charge past the budget with StateMemoryExceededError and accounts nothing', () => {
    const { memory } = budget();
    memory.charge(1000, 's');
    expect(() => memory.charge(1, 'big')).toThrow(StateMemoryExceededError);
    expect(memory.used).toBe(1000);
    // Below the threshold too: a single charge larger than the budget.
    memory.charge(-1000, 's');
    expect(() => memory.charge(1001, 'big')).toThrow(StateMemoryExceededError);
    expect(memory.used).toBe(0);
  });

  it('refuses a size that is not a finite number (a hand-written check gone wrong), budget or not, and accounts nothing', () => {
    for (const memory of [budget().memory, new MemoryBudget()]) {
      memory.charge(100, 's');
      for (const size of [Number.NaN, Infinity, -Infinity, undefined as unknown as number]) {
        expect(() => memory.charge(size, 'custom')).toThrow(InvalidArgumentError);
      }
      expect(memory.used).toBe(100);
    }
  });

  it('refuses an onPressure that is not a function', () => {
    expect(() => new MemoryBudget({ budget: 1000, onPressure: 42 as never })).toThrow(InvalidArgumentError);
  });

  it('without a budget accepts everything and never reports pressure', async () => {
    const events: MemoryPressureEvent[] = [];
    const memory = new MemoryBudget({ onPressure: (e) => events.push(e) });
    memory.charge(Number.MAX_SAFE_INTEGER, 's');
    await Promise.resolve();
    expect(events).toEqual([]);
  });
});

describe('fixedSizeOf', () => {
  it("gives the size every value's check gives for the fixed-size serializers, and 0 where sizes vary", () => {
    const samples: [Serializer<unknown>, unknown[]][] = [
      [serde.f64 as Serializer<unknown>, [0, -1.5, 1e300]],
      [serde.i32 as Serializer<unknown>, [0, -5, 2 ** 31 - 1]],
      [serde.i64 as Serializer<unknown>, [0n, -(2n ** 63n)]],
      [serde.boolean as Serializer<unknown>, [true, false]],
    ];
    for (const [serializer, values] of samples) {
      for (const v of values) expect(fixedSizeOf(serializer)).toBe(serializer.check(v));
    }
    expect(fixedSizeOf(serde.string as Serializer<unknown>)).toBe(0);
  });
});
