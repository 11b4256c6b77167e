import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError, InvalidArgumentError, KeyTooLargeError, ValueTooLargeError } from '../errors.js';
import { memoryStorage } from '../storage/memory.js';
import { openLsm } from './lsm-database.js';
import { listElements, readUint64, uint64Operand } from './merge-values.js';
import { loadEngine } from './wasm-module.js';
import { WriteBatch } from './write-batch.js';

const text = new TextDecoder();
const utf8 = new TextEncoder();
const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : text.decode(b));

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

describe('column families', () => {
  it('keep separate key spaces and survive a reopen with their merge operators', async () => {
    const storage = memoryStorage();
    let db = await openLsm({ storage, columnFamilies: { events: { merge: 'listAppend' }, counts: { merge: 'uint64Add' } } });
    const events = db.columnFamily('events');
    const counts = db.columnFamily('counts');
    const plain = db.createColumnFamily('plain');
    db.put('k', 'default');
    plain.put('k', 'plain');
    events.merge('k', 'e1');
    events.merge('k', utf8.encode('e2'));
    counts.merge('k', uint64Operand(5));
    counts.merge('k', uint64Operand(-2));
    expect(db.getString('k')).toBe('default');
    expect(plain.getString('k')).toBe('plain');
    expect(listElements(events.get('k')!).map(str)).toEqual(['e1', 'e2']);
    expect(readUint64(counts.get('k')!)).toBe(3n);
    expect(db.columnFamilyNames().sort()).toEqual(['counts', 'default', 'events', 'plain']);
    await db.close();

    db = await openLsm({ storage, columnFamilies: { events: { merge: 'listAppend' }, counts: { merge: 'uint64Add' } } });
    db.columnFamily('events').merge('k', 'e3');
    expect(listElements(db.columnFamily('events').get('k')!).map(str)).toEqual(['e1', 'e2', 'e3']);
    expect(db.columnFamily('plain').getString('k')).toBe('plain');
    await db.flushMemtables();
    expect(readUint64(db.columnFamily('counts').get('k')!)).toBe(3n);
    await db.close();
  });

  it('columnFamilyDefaults give existing families not listed at open their merge operator', async () => {
    const storage = memoryStorage();
    let db = await openLsm({ storage });
    db.createColumnFamily('a', { merge: 'listAppend' }).merge('k', 'x');
    db.createColumnFamily('b', { merge: 'listAppend' }).merge('k', 'y');
    await db.close();
    db = await openLsm({ storage, columnFamilyDefaults: { merge: 'listAppend' } });
    db.columnFamily('a').merge('k', 'x2');
    expect(db.columnFamily('b').mergeOperator).toBe('listAppend');
    expect(listElements(db.columnFamily('a').get('k')!).map(str)).toEqual(['x', 'x2']);
    await db.close();
  });

  it('list elements may contain any bytes, including what a delimiter-joined list would split on', async () => {
    const db = await openLsm({ storage: memoryStorage(), columnFamilies: { list: { merge: 'listAppend' } } });
    const list = db.columnFamily('list');
    const elements = [new Uint8Array([]), new Uint8Array([0x2c, 0, 0xff]), new Uint8Array(300).fill(7)];
    for (const e of elements) list.merge('x', e);
    expect(listElements(list.get('x')!)).toEqual(elements);
    await db.close();
  });

  it('dropping a column family deletes its data; its name can be reused', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    const cf = db.createColumnFamily('tmp');
    cf.put('a', '1');
    db.dropColumnFamily('tmp');
    expect(() => db.columnFamily('tmp')).toThrow(InvalidArgumentError);
    expect(() => cf.get('a')).toThrow(InvalidArgumentError);
    expect(db.createColumnFamily('tmp').get('a')).toBeUndefined();
    await db.close();
  });

  it('merge into a family without an operator, or an unknown operator, is a typed error', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    expect(() => db.merge('k', 'v')).toThrow(InvalidArgumentError);
    // @ts-expect-error: an unknown operator name
    expect(() => db.createColumnFamily('x', { merge: 'concat' })).toThrow(InvalidArgumentError);
    expect(() => db.createColumnFamily('default')).toThrow(InvalidArgumentError);
    await db.close();
  });
});

describe('writes', () => {
  it('deleteRange removes exactly [begin, end), in memtables and in tables', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    for (let i = 0; i < 100; i++) db.put(`k${String(i).padStart(3, '0')}`, `${i}`);
    await db.flushMemtables();
    for (let i = 100; i < 120; i++) db.put(`k${String(i).padStart(3, '0')}`, `${i}`);
    db.deleteRange('k010', 'k110');
    const keys = [...db.entries()].map(([k]) => text.decode(k));
    expect(keys).toEqual([...Array.from({ length: 10 }, (_, i) => `k00${i}`), ...Array.from({ length: 10 }, (_, i) => `k${110 + i}`)]);
    expect(db.count()).toBe(20);
    await db.close();
  });

  it('a WriteBatch across column families is applied atomically and survives a reopen', async () => {
    const storage = memoryStorage();
    let db = await openLsm({ storage, columnFamilies: { list: { merge: 'listAppend' } } });
    const list = db.columnFamily('list');
    db.put('gone', 'x');
    const batch = new WriteBatch().put('a', '1').put('b', '2', list).merge('l', 'e1', list).merge('l', 'e2', list).delete('gone').deleteRange('b', 'c');
    expect(batch.count).toBe(6);
    db.write(batch, { sync: true });
    await db.close();
    db = await openLsm({ storage, columnFamilies: { list: { merge: 'listAppend' } } });
    expect(db.getString('a')).toBe('1');
    expect(db.get('gone')).toBeUndefined();
    expect(db.columnFamily('list').getString('b')).toBe('2');
    expect(listElements(db.columnFamily('list').get('l')!).map(str)).toEqual(['e1', 'e2']);
    await db.close();
  });

  it('a batch with one bad operation writes nothing', async () => {
    const db = await openLsm({ storage: memoryStorage(), maxValueSize: 8 });
    const batch = new WriteBatch().put('a', '1').put('b', 'far too long a value');
    expect(() => db.write(batch)).toThrow(ValueTooLargeError);
    expect(db.get('a')).toBeUndefined();
    // A merge into a family without an operator fails the whole batch too.
    expect(() => db.write(new WriteBatch().put('a', '1').merge('m', 'x'))).toThrow(InvalidArgumentError);
    expect(db.get('a')).toBeUndefined();
    await db.close();
  });

  it('a uint64Add operand that is not 8 bytes is refused at merge() and refuses its whole batch', async () => {
    const db = await openLsm({ storage: memoryStorage(), columnFamilies: { counts: { merge: 'uint64Add' } } });
    const counts = db.columnFamily('counts');
    counts.put('k', uint64Operand(1));
    const before = db.stats().lastSequence;
    let error: unknown;
    try {
      counts.merge('k', 'abc');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toMatch(/column family "counts"/);
    expect((error as InvalidArgumentError).message).toMatch(/3 bytes/);
    expect((error as InvalidArgumentError).message).toMatch(/must be 8 bytes/);
    const batch = new WriteBatch().put('a', '1').merge('k', uint64Operand(5), counts).merge('k', new Uint8Array(9), counts);
    expect(() => db.write(batch)).toThrow(InvalidArgumentError);
    expect(db.stats().lastSequence).toBe(before);
    expect(db.get('a')).toBeUndefined();
    expect(readUint64(counts.get('k')!)).toBe(1n);
    // Nothing is stored to fail later: the key merges on through flush and compaction.
    counts.merge('k', uint64Operand(5));
    await db.flushMemtables();
    db.compact();
    expect(readUint64(counts.get('k')!)).toBe(6n);
    await db.close();
  });

  it('a stored uint64Add value that is not 8 bytes fails reads of its key with CorruptionError until a put heals it', async () => {
    const db = await openLsm({ storage: memoryStorage(), columnFamilies: { counts: { merge: 'uint64Add' } } });
    const counts = db.columnFamily('counts');
    // A plain put is not checked against the operator: the way a bad value gets stored.
    counts.put('k', 'abc');
    counts.merge('k', uint64Operand(1));
    counts.put('other', uint64Operand(7));
    const reads = [() => counts.get('k'), () => [...counts.entries()]];
    // Listing keys merges nothing: the key is listed and counted (engine's ReadOptions.keys_only).
    const listed = (): unknown => [[...counts.keys()].map(str), [...counts.keys({ reverse: true })].map(str), counts.count(), counts.count({ gte: 'a' })];
    for (let pass = 0; pass < 2; pass++) {
      for (const read of reads) expect(read).toThrow(CorruptionError);
      expect(reads[0]).toThrow(/uint64add value of 3 bytes, not 8/);
      expect(listed()).toEqual([['k', 'other'], ['other', 'k'], 2, 2]);
      expect(readUint64(counts.get('other')!)).toBe(7n);
      // Flush and compaction keep the key unmerged, and its neighbours readable.
      await db.flushMemtables();
      db.compact();
    }
    counts.put('k', uint64Operand(2));
    counts.merge('k', uint64Operand(1));
    expect(readUint64(counts.get('k')!)).toBe(3n);
    await db.close();
  });

  it('a listAppend element past maxValueSize, framed or not, is refused and refuses its whole batch', async () => {
    const db = await openLsm({ storage: memoryStorage(), maxValueSize: 100, columnFamilies: { list: { merge: 'listAppend' } } });
    const list = db.columnFamily('list');
    list.merge('k', 'x'.repeat(99));
    const before = db.stats().lastSequence;
    // The engine refuses the framed operand (one length byte more); merge() catches an element
    // past the limit before the engine, and the engine one that passes it only framed.
    for (const len of [101, 100]) {
      const batch = new WriteBatch().put('a', '1').merge('other', 'y', list).merge('k', new Uint8Array(len), list);
      let error: unknown;
      try {
        db.write(batch);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValueTooLargeError);
      expect((error as ValueTooLargeError).details).toEqual({ len: len + 1, limit: 100 });
      expect(() => list.merge('k', new Uint8Array(len))).toThrow(ValueTooLargeError);
    }
    expect(db.stats().lastSequence).toBe(before);
    expect(db.get('a')).toBeUndefined();
    expect(list.get('other')).toBeUndefined();
    expect(listElements(list.get('k')!).map(str)).toEqual(['x'.repeat(99)]);
    await db.close();
  });

  it('appendList takes a framed list as one operand and refuses badly framed bytes, adding nothing', async () => {
    const db = await openLsm({ storage: memoryStorage(), columnFamilies: { list: { merge: 'listAppend' } } });
    const list = db.columnFamily('list');
    list.merge('k', 'a');
    // 'b' and 'cd', framed: varint32 length ‖ bytes each.
    db.write(new WriteBatch().appendList('k', new Uint8Array([1, 98, 2, 99, 100]), list));
    expect(listElements(list.get('k')!).map(str)).toEqual(['a', 'b', 'cd']);
    const bad: ReadonlyArray<readonly [Uint8Array, RegExp]> = [
      [new Uint8Array([3, 98]), /element runs past the end at offset 1/],
      [new Uint8Array([1, 98, 0x80]), /element length is cut short at offset 3/],
      [new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 1]), /element length is cut short/],
    ];
    for (const [bytes, message] of bad) {
      const batch = new WriteBatch().put('a', '1');
      expect(() => batch.appendList('k', bytes, list)).toThrow(InvalidArgumentError);
      expect(() => batch.appendList('k', bytes, list)).toThrow(message);
      expect(batch.count).toBe(1);
    }
    expect(listElements(list.get('k')!).map(str)).toEqual(['a', 'b', 'cd']);
    await db.close();
  });

  it('rejects wrong types and oversized keys before staging anything', async () => {
    const db = await openLsm({ storage: memoryStorage(), maxKeySize: 4, maxValueSize: 4 });
    // @ts-expect-error: a number is not a key
    expect(() => db.put(1, 'v')).toThrow(InvalidArgumentError);
    expect(() => db.put('12345', 'v')).toThrow(KeyTooLargeError);
    // Short in UTF-16 units, long in UTF-8: the engine catches it.
    expect(() => db.put('ééé', 'v')).toThrow(KeyTooLargeError);
    expect(() => db.put('k', new Uint8Array(5))).toThrow(ValueTooLargeError);
    expect(() => db.putMany([['a', '1'], ['b', '12345']])).toThrow(ValueTooLargeError);
    expect(db.count()).toBe(0);
    await db.close();
  });
});

describe('reads', () => {
  it('multiGet returns values in key order of the request, undefined where absent', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    db.putMany([['a', '1'], ['c', '3']]);
    await db.flushMemtables();
    db.put('b', '2');
    expect(db.multiGet(['c', 'x', 'a', 'b', '']).map(str)).toEqual(['3', undefined, '1', '2', undefined]);
    expect(db.multiGet([])).toEqual([]);
    await db.close();
  });

  it('read() hands a view of the value without copying it, and forbids reentry', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    db.put('k', 'value');
    expect(db.defaultColumnFamily.read('k', (v) => text.decode(v))).toBe('value');
    expect(db.defaultColumnFamily.read('absent', () => 1)).toBeUndefined();
    expect(() => db.defaultColumnFamily.read('k', () => db.get('k'))).toThrow(InvalidArgumentError);
    // The guard is lifted afterwards.
    expect(db.getString('k')).toBe('value');
    await db.close();
  });

  it('iterates with bounds, prefix, reverse and limit across many pages', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    const n = 3000;
    const key = (i: number): string => `key${String(i).padStart(5, '0')}`;
    for (let i = 0; i < n; i += 100) db.putMany(Array.from({ length: 100 }, (_, j) => [key(i + j), `v${i + j}`] as const));
    await db.flushMemtables();
    const all = [...db.entries()].map(([k]) => text.decode(k));
    expect(all).toHaveLength(n);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => key(i)));
    expect([...db.entries({ reverse: true })].map(([k]) => text.decode(k))).toEqual([...all].reverse());
    expect([...db.entries({ gte: key(100), lt: key(1700) })]).toHaveLength(1600);
    expect([...db.entries({ prefix: 'key01' })].map(([k]) => text.decode(k))).toEqual(all.slice(1000, 2000));
    expect([...db.entries({ prefix: 'key01', reverse: true, limit: 3 })].map(([k]) => text.decode(k))).toEqual([key(1999), key(1998), key(1997)]);
    expect([...db.defaultColumnFamily.keys({ from: key(2990) })].map((k) => text.decode(k))).toEqual(all.slice(2990));
    expect(db.defaultColumnFamily.count({ prefix: 'key02' })).toBe(1000);
    let seen = 0;
    const visited = db.defaultColumnFamily.forEach({ gte: key(500) }, (k, v) => {
      expect(text.decode(v)).toBe(`v${Number(text.decode(k).slice(3))}`);
      return ++seen < 700;
    });
    expect(visited).toBe(700);
    await db.close();
  });

  it('an iterator reads at the snapshot of its start, and releases it at the end', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    for (let i = 0; i < 1500; i++) db.put(`k${String(i).padStart(4, '0')}`, 'old');
    let n = 0;
    for (const [k, v] of db.entries()) {
      if (n === 0) {
        expect(db.stats().snapshots).toBe(1);
        db.put('k9999', 'new'); // after the start: not seen
        db.delete('k1400'); // not seen either
        db.put('k1000', 'changed');
      }
      expect(text.decode(v)).toBe('old');
      expect(text.decode(k)).not.toBe('k9999');
      n++;
    }
    expect(n).toBe(1500);
    expect(db.stats().snapshots).toBe(0);
    // Breaking out of the loop releases it too.
    for (const _ of db.entries()) break;
    expect(db.stats().snapshots).toBe(0);
    await db.close();
  });

  it('snapshots keep their view through overwrites, deletes, flushes and compactions', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    db.put('a', '1');
    db.put('b', '1');
    const snap = db.snapshot();
    db.put('a', '2');
    db.delete('b');
    db.deleteRange('a', 'z');
    await db.flushMemtables();
    db.compact();
    expect(db.getString('a', { snapshot: snap })).toBe('1');
    expect(db.multiGet(['a', 'b'], { snapshot: snap }).map(str)).toEqual(['1', '1']);
    expect([...db.entries({ snapshot: snap })].length).toBe(2);
    expect(db.get('a')).toBeUndefined();
    snap.release();
    expect(snap.released).toBe(true);
    expect(() => db.get('a', { snapshot: snap })).toThrow(InvalidArgumentError);
    await db.close();
  });
});

describe('the staged path', () => {
  it('encodes any string key exactly as TextEncoder does (lone surrogates included)', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    await fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (k, v) => {
        db.put(k, v);
        expect(db.get(utf8.encode(k))).toEqual(utf8.encode(v));
        expect(db.getString(k)).toBe(text.decode(utf8.encode(v)));
      }),
      { numRuns: 300 },
    );
    await db.close();
  });

  it('grows its buffers for large values and keeps working after wasm memory grows', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    const big = new Uint8Array(3 << 20).map((_, i) => i & 0xff);
    db.put('big', big);
    db.put('small', 's');
    // Compared as buffers: a deep equality over 3 MiB element by element takes seconds.
    expect(Buffer.compare(db.get('big')!, big)).toBe(0);
    const bigString = 'ü'.repeat(1 << 20);
    db.put('bigString', bigString);
    expect(db.getString('bigString')).toBe(bigString);
    expect(db.getString('small')).toBe('s');
    await db.close();
  });
});

describe('the WAL buffer (walBufferSize)', () => {
  const logBytes = (storage: ReturnType<typeof memoryStorage>): number =>
    storage.vfs
      .list()
      .filter((n) => n.endsWith('.log'))
      .reduce((sum, n) => {
        const fd = storage.vfs.open(n, false);
        const size = storage.vfs.size(fd);
        storage.vfs.close(fd);
        return sum + size;
      }, 0);

  it('hands a task’s records to storage in one write when the task ends, and keeps them across a lost process', async () => {
    const storage = memoryStorage();
    const db = await openLsm({ storage, walBufferSize: 1 << 20 });
    const before = logBytes(storage);
    for (let i = 0; i < 1000; i++) db.put(`k${i}`, `v${i}`);
    expect(logBytes(storage)).toBe(before); // still in the buffer while the task runs
    await Promise.resolve(); // the task yields: the microtask hands them over
    expect(logBytes(storage)).toBeGreaterThan(before + 1000 * 8);
    // A lost process (no close): a second open of the same files finds every write.
    const again = await openLsm({ storage });
    expect(again.count()).toBe(1000);
    await again.close();
  });

  it('a sync write and flush() hand everything over at once', async () => {
    const storage = memoryStorage();
    const db = await openLsm({ storage, walBufferSize: 1 << 20 });
    db.put('a', '1');
    db.put('b', '2', { sync: true });
    const afterSync = logBytes(storage);
    expect(afterSync).toBeGreaterThan(0);
    db.put('c', '3');
    await db.flush();
    expect(logBytes(storage)).toBeGreaterThan(afterSync);
    await db.close();
  });

  it('refuses a buffer larger than 64 MiB', async () => {
    await expect(openLsm({ storage: memoryStorage(), walBufferSize: 128 << 20 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
