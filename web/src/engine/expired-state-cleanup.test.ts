// The engine drops expired TTL state nobody reads again (through wasm, in Node): compact()
// rewrites the last level of a family with a TTL filter, and periodic compaction rewrites tables
// older than the family's interval once the clock passes it and writes go on.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { memoryStorage } from '../storage/memory.js';
import type { ColumnFamily } from './column-family.js';
import { openLsm, type LsmDatabase } from './lsm-database.js';
import { loadEngine } from './wasm-module.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

/** A wall-clock time, in ms. */
const T0 = 1_700_000_000_000;
const TTL_MS = 10_000;
const DAY_MS = 24 * 3600 * 1000;

/** State TTL's value layout: the write time as an i64 big-endian ms timestamp, then the value. */
function stamped(timeMs: number, value: number): Uint8Array {
  const out = new Uint8Array(9);
  new DataView(out.buffer).setBigInt64(0, BigInt(timeMs));
  out[8] = value;
  return out;
}

function putStamped(cf: ColumnFamily, prefix: string, n: number, timeMs: number): void {
  for (let i = 0; i < n; i++) cf.put(`${prefix}${String(i).padStart(3, '0')}`, stamped(timeMs, i));
}

/** `n` entries in `cf`'s last level, written at T0, and the clock at T0. */
async function settledAtT0(db: LsmDatabase, cf: ColumnFamily, n: number): Promise<void> {
  db.setTtlFilter(cf, { layout: 'value', ttlMs: TTL_MS });
  db.setTime(T0);
  putStamped(cf, 'old', n, T0);
  await db.flushMemtables();
  db.compact();
  expect(cf.count()).toBe(n);
}

describe('expired TTL state leaves the engine', () => {
  it('compact() drops an expired value that already sat in the last level', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    const cf = db.createColumnFamily('ttl');
    await settledAtT0(db, cf, 100);
    cf.put('young', stamped(T0 + 5_000, 1));
    db.setTime(T0 + TTL_MS);
    db.compact();
    expect(cf.count()).toBe(1);
    expect(cf.get('old000')).toBeUndefined();
    await db.close();
  });

  it('periodic compaction drops it once its table is older than periodicCompactionSeconds, as writes go on', async () => {
    const db = await openLsm({ storage: memoryStorage(), columnFamilies: { ttl: { periodicCompactionSeconds: 100 } } });
    const cf = db.columnFamily('ttl');
    await settledAtT0(db, cf, 100);
    const compactions = db.stats().compactions;
    db.setTime(T0 + 99_999);
    cf.put('w1', stamped(T0 + 99_999, 1));
    expect(cf.count()).toBe(101); // expired, but its table is younger than the interval
    expect(db.stats().compactions).toBe(compactions);
    db.setTime(T0 + 100_000);
    cf.put('w2', stamped(T0 + 100_000, 2));
    expect(cf.count()).toBe(2);
    expect(db.stats().compactions).toBe(compactions + 1);
    await db.close();
  });

  it('with a TTL filter the interval is 30 days unless set; 0 turns it off', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    const byDefault = db.createColumnFamily('default-interval');
    const off = db.createColumnFamily('off', { periodicCompactionSeconds: 0 });
    db.setTtlFilter(off, { layout: 'value', ttlMs: TTL_MS });
    putStamped(off, 'old', 10, T0);
    await settledAtT0(db, byDefault, 10);
    db.setTime(T0 + 30 * DAY_MS - 1000);
    db.put('w1', 'x');
    expect(byDefault.count()).toBe(10);
    db.setTime(T0 + 30 * DAY_MS);
    db.put('w2', 'x');
    expect(byDefault.count()).toBe(0);
    expect(off.count()).toBe(10);
    // Restoring the default (30 days: long past) compacts it at the next write.
    db.setPeriodicCompaction(off, undefined);
    db.put('w3', 'x');
    expect(off.count()).toBe(0);
    await db.close();
  });

  it('rejects a periodicCompactionSeconds that is not a non-negative integer, and a time that is not finite and non-negative', async () => {
    await expect(openLsm({ storage: memoryStorage(), columnFamilies: { a: { periodicCompactionSeconds: -1 } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openLsm({ storage: memoryStorage(), columnFamilyDefaults: { periodicCompactionSeconds: 1.5 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    const db = await openLsm({ storage: memoryStorage() });
    expect(() => db.createColumnFamily('a', { periodicCompactionSeconds: Number.NaN })).toThrow(InvalidArgumentError);
    expect(db.columnFamilyNames()).toEqual(['default']);
    expect(() => db.setPeriodicCompaction(db.defaultColumnFamily, -5)).toThrow(InvalidArgumentError);
    for (const bad of [Number.NaN, Infinity, -1, '5' as unknown as number]) expect(() => db.setTime(bad)).toThrow(InvalidArgumentError);
    await db.close();
  });
});
