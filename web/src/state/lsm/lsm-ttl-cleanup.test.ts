import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import { serde } from '../serde/index.js';
import { loadEngineBeforeAll, openLsmBackend } from './lsm-test-support.js';

loadEngineBeforeAll();

const HOUR = 3_600_000;

describe('expired TTL state on LSM is dropped without anyone reading it', () => {
  it('by periodic compaction once its tables are as old as the interval (the TTL, at least an hour), while only other states are written', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const backend = await openLsmBackend(memoryStorage(), undefined, clock);
    const expiring = backend.valueState({ name: 'sessions', key: serde.string, value: serde.i32, ttl: { ttl: 10_000 } });
    // json keys: not cached, so every put reaches the engine at once.
    const other = backend.valueState({ name: 'other', key: serde.json, value: serde.i32 });
    for (let i = 0; i < 100; i++) expiring.put(`k${i}`, i);
    backend.database.flushMemtables();
    backend.database.compact();
    const entries = (): number => backend.metrics().states['sessions']?.entries ?? -1;
    expect(entries()).toBe(100);

    // Expired long ago, but the tables are not yet an interval old: nothing rewrites them.
    clock.advance(HOUR - 1_000);
    other.put('x', 1);
    expect(entries()).toBe(100);

    // Writes of a state without TTL move the engine's clock too; the first past the interval
    // rewrites the tables and the compaction filter drops every expired entry.
    clock.advance(1_000);
    other.put('x', 2);
    expect(entries()).toBe(0);
    expect(other.get('x')).toBe(2);
    await backend.close();
  });
});
