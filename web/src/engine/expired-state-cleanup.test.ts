// The engine drops expired TTL state nobody reads again (through wasm, in Node): compact()
// rewrites the last level of a family with a TTL filter.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
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
});
