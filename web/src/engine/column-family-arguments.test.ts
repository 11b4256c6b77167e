// Every engine method taking a column family accepts only `undefined` (the default family) or a
// handle of its own database. Anything else once reached the engine as id 0 (or as whatever
// family had the handle's id there): a TTL filter given the name 'events' deleted the default
// family's data at the next compaction, and a batch op given a name landed in the default family.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { memoryStorage } from '../storage/memory.js';
import { ColumnFamily } from './column-family.js';
import { openLsm, type LsmDatabase } from './lsm-database.js';
import { loadEngine } from './wasm-module.js';
import { WriteBatch } from './write-batch.js';

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

/** 16 zero bytes: under a TTL filter, a value written at the epoch, long expired. */
const EXPIRED = new Uint8Array(16);

/** A database whose default family and 'events' hold one expired-looking value each. */
async function openWithData(): Promise<{ db: LsmDatabase; events: ColumnFamily }> {
  const db = await openLsm({ storage: memoryStorage() });
  const events = db.createColumnFamily('events');
  db.put('user:2', EXPIRED);
  events.put('event:1', EXPIRED);
  return { db, events };
}

/** Flushes and compacts at the current time, then checks both families hold exactly their one value. */
async function expectIntact(db: LsmDatabase, events: ColumnFamily): Promise<void> {
  db.setTime(Date.now());
  await db.flushMemtables();
  db.compact();
  expect(db.get('user:2')).toEqual(EXPIRED);
  expect(events.get('event:1')).toEqual(EXPIRED);
  expect([db.count(), events.count()]).toEqual([1, 1]);
}

/** Column family arguments that are not handles; `as never` stands for untyped callers. */
const NOT_HANDLES: ReadonlyArray<[string, unknown]> = [
  ['a name', 'events'],
  ['a number', 1],
  ['zero', 0],
  ['null', null],
  ['a look-alike object', { id: 1, name: 'events', mergeOperator: undefined }],
  ['an object with the prototype but no handle inside', Object.create(ColumnFamily.prototype)],
];

describe('a column family argument that is not a handle', () => {
  it.each(NOT_HANDLES)('is refused by setTtlFilter (%s), and compaction then deletes nothing', async (_, cf) => {
    const { db, events } = await openWithData();
    expect(() => db.setTtlFilter(cf as never, { layout: 'value', ttlMs: 1 })).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    await db.close();
  });

  it.each(NOT_HANDLES)('is refused by setPeriodicCompaction (%s)', async (_, cf) => {
    const { db, events } = await openWithData();
    expect(() => db.setPeriodicCompaction(cf as never, 0)).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    await db.close();
  });

  // A name is dropColumnFamily's documented other form, resolved by name, not taken as id 0.
  it.each(NOT_HANDLES.filter(([, cf]) => typeof cf !== 'string'))('is refused by dropColumnFamily (%s)', async (_, cf) => {
    const { db, events } = await openWithData();
    expect(() => db.dropColumnFamily(cf as never)).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    expect(db.columnFamilyNames()).toEqual(['default', 'events']);
    await db.close();
  });

  it.each(NOT_HANDLES)('is refused by every WriteBatch operation (%s), which adds nothing', async (_, cf) => {
    const { db, events } = await openWithData();
    const batch = new WriteBatch();
    const c = cf as never;
    expect(() => batch.put('user:2', 'overwritten', c)).toThrow(InvalidArgumentError);
    expect(() => batch.delete('user:2', c)).toThrow(InvalidArgumentError);
    expect(() => batch.merge('user:2', 'x', c)).toThrow(InvalidArgumentError);
    expect(() => batch.appendList('user:2', new Uint8Array([1, 120]), c)).toThrow(InvalidArgumentError);
    expect(() => batch.deleteRange('a', 'z', c)).toThrow(InvalidArgumentError);
    expect([batch.count, batch.byteLength]).toEqual([0, new WriteBatch().byteLength]);
    db.write(batch);
    await expectIntact(db, events);
    await db.close();
  });
});

describe('a handle of another database', () => {
  it('is refused by setTtlFilter, dropColumnFamily and write, though it has the same name and id', async () => {
    const { db, events } = await openWithData();
    const other = await openLsm({ storage: memoryStorage() });
    const foreign = other.createColumnFamily('events');
    expect(foreign.id).toBe(events.id);
    expect(() => db.setTtlFilter(foreign, { layout: 'value', ttlMs: 1 })).toThrow(InvalidArgumentError);
    expect(() => db.setPeriodicCompaction(foreign, 0)).toThrow(InvalidArgumentError);
    expect(() => db.dropColumnFamily(foreign)).toThrow(InvalidArgumentError);
    // One foreign operation refuses the whole batch, its default-family operations too.
    expect(() => db.write(new WriteBatch().put('user:3', 'x').delete('event:1', foreign))).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    expect(other.columnFamilyNames()).toEqual(['default', 'events']);
    await other.close();
    await db.close();
  });

  it('includes an earlier open of the same storage', async () => {
    const storage = memoryStorage();
    const first = await openLsm({ storage });
    const stale = first.createColumnFamily('events');
    stale.put('event:1', EXPIRED);
    first.put('user:2', EXPIRED);
    await first.close();
    const db = await openLsm({ storage });
    expect(() => db.setTtlFilter(stale, { layout: 'value', ttlMs: 1 })).toThrow(InvalidArgumentError);
    expect(() => db.write(new WriteBatch().delete('event:1', stale))).toThrow(InvalidArgumentError);
    await expectIntact(db, db.columnFamily('events'));
    await db.close();
  });
});

describe('a handle of a dropped column family', () => {
  it('is refused by setTtlFilter and write; a family of the same name made since is untouched', async () => {
    const { db, events } = await openWithData();
    const dropped = db.createColumnFamily('tmp');
    db.dropColumnFamily('tmp');
    const remade = db.createColumnFamily('tmp');
    remade.put('k', 'v');
    expect(() => db.setTtlFilter(dropped, { layout: 'value', ttlMs: 1 })).toThrow(InvalidArgumentError);
    expect(() => db.write(new WriteBatch().put('user:3', 'x').delete('k', dropped))).toThrow(InvalidArgumentError);
    expect(() => dropped.put('k', 'w')).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    expect(remade.getString('k')).toBe('v');
    await db.close();
  });
});

describe('write() given something that is not a WriteBatch', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { encoded: () => new Uint8Array(12) }],
    ['an object with the prototype but no batch inside', Object.create(WriteBatch.prototype)],
  ])('refuses it with InvalidArgumentError (%s)', async (_, batch) => {
    const { db, events } = await openWithData();
    expect(() => db.write(batch as never)).toThrow(InvalidArgumentError);
    await expectIntact(db, events);
    await db.close();
  });
});

describe('the default column family and this database’s handles', () => {
  it('are still accepted: undefined means the default family', async () => {
    const { db, events } = await openWithData();
    db.write(new WriteBatch().put('user:3', 'x').put('event:2', 'y', events));
    expect([db.getString('user:3'), events.getString('event:2')]).toEqual(['x', 'y']);
    db.write(new WriteBatch().delete('user:3', undefined).delete('event:2', events));
    expect([db.get('user:3'), events.get('event:2')]).toEqual([undefined, undefined]);
    db.setPeriodicCompaction(undefined as never, 0);
    db.setTtlFilter(events, { layout: 'value', ttlMs: 1 });
    db.setTime(Date.now());
    await db.flushMemtables();
    db.compact();
    // The filter acted on 'events' alone: its expired value went, the default family's stayed.
    expect(events.get('event:1')).toBeUndefined();
    expect(db.get('user:2')).toEqual(EXPIRED);
    await db.close();
  });
});
