import { describe, expect, it } from 'vitest';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import { ManualClock } from './clock.js';
import { decodeTtlValue, encodeTtlValue, TtlPolicy } from './ttl.js';

describe('TtlPolicy', () => {
  it('expires an entry when timestamp + ttl <= now', () => {
    const p = new TtlPolicy({ ttl: 10 }, new ManualClock());
    expect([p.isExpired(0, 9), p.isExpired(0, 10)]).toEqual([false, true]);
    expect([p.update, p.visibility, p.incrementalCleanupSize]).toEqual(['onCreateAndWrite', 'neverReturnExpired', 5]);
  });

  it('refuses invalid configurations', () => {
    const clock = new ManualClock();
    for (const bad of [{ ttl: 0 }, { ttl: 1.5 }, { ttl: 5, update: 'always' }, { ttl: 5, visibility: 'sometimes' }, { ttl: 5, incrementalCleanupSize: -1 }]) {
      expect(() => new TtlPolicy(bad as never, clock), JSON.stringify(bad)).toThrow(InvalidArgumentError);
    }
  });
});

describe('TTL value framing', () => {
  it('prefixes the value with its 8-byte big-endian timestamp', () => {
    const framed = encodeTtlValue(0x0102, Uint8Array.of(7));
    expect([...framed]).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 7]);
    const { timestamp, value } = decodeTtlValue(framed);
    expect([timestamp, [...value]]).toEqual([0x0102, [7]]);
  });

  it('rejects a value shorter than its timestamp', () => {
    expect(() => decodeTtlValue(new Uint8Array(7))).toThrow(CorruptionError);
  });
});
