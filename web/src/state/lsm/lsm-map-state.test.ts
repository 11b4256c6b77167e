import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import { serde } from '../serde/index.js';
import type { TtlConfig } from '../types.js';
import { loadEngineBeforeAll, openLsmBackend } from './lsm-test-support.js';

loadEngineBeforeAll();

afterEach(() => {
  vi.restoreAllMocks();
});

const MAP_KEYS = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);

/** A backend on a manual clock at 0 with map state `m` (TTL 100 ms as `ttl` says) holding `MAP_KEYS` under 'k'. */
async function openMap(ttl: TtlConfig, cacheEntries?: number) {
  const clock = new ManualClock(0);
  const backend = await openLsmBackend(memoryStorage(), cacheEntries, clock);
  const map = backend.mapState({ name: 'm', key: serde.string, mapKey: serde.string, value: serde.i32, ttl });
  map.putAll('k', MAP_KEYS.map((mk, i) => [mk, i] as const));
  return { clock, backend, map };
}

describe('LSM MapState with TTL onReadAndWrite: what an iteration restamps', () => {
  it('an iteration left half-way (break) restamps the entries it returned and no others', async () => {
    const { clock, backend, map } = await openMap({ ttl: 100, update: 'onReadAndWrite' });
    clock.advance(80);
    const returned: string[] = [];
    for (const mk of map.mapKeys('k')) {
      returned.push(mk);
      if (returned.length === 3) break;
    }
    clock.advance(30);
    expect(MAP_KEYS.filter((mk) => map.get('k', mk) !== undefined)).toEqual(returned);
    await backend.close();
  });

  it('an iteration writes its restamps as one batch, once, whatever the size of the map, cache setting on or off (a map with TTL is never cached)', async () => {
    for (const cacheEntries of [0, undefined]) {
      const { clock, backend, map } = await openMap({ ttl: 100, update: 'onReadAndWrite' }, cacheEntries);
      clock.advance(80);
      const write = vi.spyOn(backend.database, 'write');
      expect([...map.values('k')]).toHaveLength(MAP_KEYS.length);
      expect(write).toHaveBeenCalledTimes(1);
      expect(write.mock.calls[0]?.[0].count).toBe(MAP_KEYS.length);
      await backend.close();
    }
  });

  it('writes nothing when no stamp would change: onCreateAndWrite, an iteration at the time of the writes, isEmpty', async () => {
    const created = await openMap({ ttl: 100 });
    created.clock.advance(80);
    const createdWrites = vi.spyOn(created.backend.database, 'write');
    expect([...created.map.entries('k')]).toHaveLength(MAP_KEYS.length);
    expect(createdWrites).not.toHaveBeenCalled();
    await created.backend.close();

    const { clock, backend, map } = await openMap({ ttl: 100, update: 'onReadAndWrite' });
    const write = vi.spyOn(backend.database, 'write');
    expect([...map.entries('k')]).toHaveLength(MAP_KEYS.length);
    clock.advance(80);
    expect(map.isEmpty('k')).toBe(false);
    expect(write).not.toHaveBeenCalled();
    await backend.close();
  });

  it('an iteration under way when its state is dropped or its backend closed ends without writing', async () => {
    for (const end of ['drop', 'close'] as const) {
      const { clock, backend, map } = await openMap({ ttl: 100, update: 'onReadAndWrite' });
      clock.advance(80);
      const write = vi.spyOn(backend.database, 'write');
      for (const _ of map.entries('k')) {
        if (end === 'drop') backend.dropState('m');
        else await backend.close();
        break;
      }
      expect(write).not.toHaveBeenCalled();
      if (end === 'drop') await backend.close();
    }
  });
});
