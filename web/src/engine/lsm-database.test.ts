import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CorruptionError,
  DatabaseClosedError,
  InvalidArgumentError,
  KeyTooLargeError,
  QuotaExceededError,
  ValueTooLargeError,
} from '../errors.js';
import { memoryStorage, MemoryVfs } from '../storage/memory.js';
import { failingStorage } from './failing-storage-test-support.js';
import { openLsm } from './lsm-database.js';
import { listElements } from './merge-values.js';
import { loadEngine } from './wasm-module.js';

const text = new TextDecoder();

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

function logName(vfs: MemoryVfs): string {
  const logs = vfs.list().filter((n) => n.endsWith('.log'));
  expect(logs).toHaveLength(1);
  return logs[0]!;
}

describe('openLsm over memory storage (wasm in Node)', () => {
  it('puts, gets, deletes and scans in key order', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    db.put('b', '2');
    db.put('a', '1');
    db.put(new Uint8Array([0xff]), new Uint8Array([1, 2, 3]));
    db.put('c', '3');
    db.delete('c');
    expect(db.getString('a')).toBe('1');
    expect(db.get(new Uint8Array([0xff]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(db.get('c')).toBeUndefined();
    expect(db.scan().map(([k]) => Array.from(k))).toEqual([[0x61], [0x62], [0xff]]);
    expect(db.scan({ from: 'b', limit: 1 }).map(([k, v]) => [text.decode(k), text.decode(v)])).toEqual([['b', '2']]);
    expect(db.count()).toBe(3);
    expect(db.stats()).toMatchObject({ storage: 'memory', lastSequence: 5 });
    await db.close();
  });

  it('reopening replays every acknowledged write, also without close', async () => {
    const storage = memoryStorage();
    const first = await openLsm({ storage });
    for (let i = 0; i < 500; i++) first.put(`k${i}`, `v${i}`);
    first.delete('k7');
    // No close: the worker died. Reopen must not need the lock/handles of the dead instance.
    const again = await openLsm({ storage });
    expect(again.recovery).toMatchObject({ logsReplayed: 1, opsReplayed: 501, dropped: [] });
    expect(again.count()).toBe(499);
    expect(again.getString('k499')).toBe('v499');
    expect(again.get('k7')).toBeUndefined();
  });

  it('a torn last record is dropped and reported; earlier writes are kept', async () => {
    const storage = memoryStorage();
    const db = await openLsm({ storage });
    db.put('kept', 'yes');
    db.put('torn', 'x'.repeat(1000));
    await db.close();
    const name = logName(storage.vfs);
    const bytes = storage.vfs.contents(name)!;
    storage.vfs.setContents(name, bytes.subarray(0, bytes.length - 10));
    const reopened = await openLsm({ storage });
    expect(reopened.getString('kept')).toBe('yes');
    expect(reopened.get('torn')).toBeUndefined();
    expect(reopened.recovery.dropped).toEqual([
      expect.objectContaining({ file: name, reason: expect.stringContaining('past the end of the file') }),
    ]);
  });

  it('damage before valid records fails open with CorruptionError naming file and offset, and changes nothing', async () => {
    const storage = memoryStorage();
    const db = await openLsm({ storage });
    for (let i = 0; i < 20; i++) db.put(`k${i}`, 'v'.repeat(100));
    await db.close();
    const name = logName(storage.vfs);
    const bytes = storage.vfs.contents(name)!;
    bytes[300] = bytes[300]! ^ 0xff;
    storage.vfs.setContents(name, bytes);
    const filesBefore = storage.vfs.list().sort();
    const error = await openLsm({ storage }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as CorruptionError).details).toMatchObject({ file: name, offset: expect.any(Number) });
    expect(storage.vfs.list().sort()).toEqual(filesBefore);
    expect(storage.vfs.contents(name)).toEqual(bytes);
    const pointInTime = await openLsm({ storage, walRecovery: 'pointInTime' });
    expect(pointInTime.count()).toBeGreaterThan(0);
    expect(pointInTime.count()).toBeLessThan(20);
  });

  it('rejects keys and values of the wrong type with InvalidArgumentError and writes nothing', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    for (const bad of [1, null, undefined, {}, [1], true, 10n]) {
      expect(() => db.put(bad as never, 'v')).toThrow(InvalidArgumentError);
      expect(() => db.put('k', bad as never)).toThrow(InvalidArgumentError);
      expect(() => db.get(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => db.put('k', 'v', { sync: 'yes' } as never)).toThrow(InvalidArgumentError);
    expect(() => db.scan({ limit: -1 })).toThrow(InvalidArgumentError);
    expect(db.count()).toBe(0);
    expect(db.stats()).toMatchObject({ logBytes: 0 });
  });

  it('rejects oversized keys and values with the sizes in the error, and writes nothing', async () => {
    const db = await openLsm({ storage: memoryStorage(), maxKeySize: 8, maxValueSize: 16 });
    const key = (() => db.put('123456789', 'v')) as () => void;
    expect(key).toThrow(KeyTooLargeError);
    try {
      db.put('k', 'x'.repeat(17));
    } catch (e) {
      expect(e).toBeInstanceOf(ValueTooLargeError);
      expect((e as ValueTooLargeError).details).toEqual({ len: 17, limit: 16 });
    }
    expect(db.count()).toBe(0);
  });

  it('a list whose operands add up past maxValueSize fails only its own reads: writes, flushes, compaction and reopen go on', async () => {
    const storage = memoryStorage();
    const options = { storage, maxValueSize: 100, writeBufferSize: 64 << 10, columnFamilies: { default: { merge: 'listAppend' } } } as const;
    let db = await openLsm(options);
    // Each operand (41 bytes, 42 framed) is within the limit, so each merge is accepted.
    for (const c of 'abc') db.merge('list', c.repeat(41));
    db.merge('short', 'x');
    let n = 0;
    while (db.stats().flushes === 0) db.put(`k${n++}`, 'v'.repeat(100));
    await db.flushMemtables();
    db.compact();
    const tooLarge = (read: () => unknown): void => {
      let error: unknown;
      try {
        read();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValueTooLargeError);
      expect((error as ValueTooLargeError).details).toEqual({ len: 3 * 42, limit: 100 });
    };
    tooLarge(() => db.get('list'));
    tooLarge(() => db.multiGet(['short', 'list']));
    tooLarge(() => [...db.entries()]);
    expect(listElements(db.get('short')!).map((e) => text.decode(e))).toEqual(['x']);
    expect(db.getString('k0')).toBe('v'.repeat(100));
    expect([...db.entries({ gte: 'm' })].map(([k]) => text.decode(k))).toEqual(['short']);
    db.put('after', '1');
    await db.close();

    db = await openLsm(options);
    tooLarge(() => db.get('list'));
    expect(db.getString('after')).toBe('1');
    db.put('list', new Uint8Array([1, 0x61]));
    db.merge('list', 'b');
    expect(listElements(db.get('list')!).map((e) => text.decode(e))).toEqual(['a', 'b']);
    expect(db.count()).toBe(n + 3);
    await db.close();
  });

  it('rejects invalid options before touching storage', async () => {
    await expect(openLsm({ storage: memoryStorage(), maxKeySize: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openLsm({ storage: memoryStorage(), walRecovery: 'sometimes' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openLsm({} as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('putMany writes all entries, or nothing when any entry is invalid', async () => {
    const db = await openLsm({ storage: memoryStorage(), maxKeySize: 8 });
    db.putMany([['a', '1'], [new Uint8Array([2]), '2']]);
    expect(db.count()).toBe(2);
    expect(() => db.putMany([['b', '1'], [3 as never, '2']])).toThrow(InvalidArgumentError);
    expect(() => db.putMany([['c', '1'], ['too-long-key', '2']])).toThrow(KeyTooLargeError);
    expect(db.scan().map(([k]) => text.decode(k))).toEqual(['\u0002', 'a']);
  });

  it('every call after close throws DatabaseClosedError', async () => {
    const db = await openLsm({ storage: memoryStorage() });
    await db.close();
    await db.close();
    expect(() => db.get('a')).toThrow(DatabaseClosedError);
    expect(() => db.put('a', 'b')).toThrow(DatabaseClosedError);
    expect(() => db.scan()).toThrow(DatabaseClosedError);
  });

  it('a full disk fails the write with QuotaExceededError, keeps reads, and reopens intact', async () => {
    const { storage, faults } = failingStorage();
    const db = await openLsm({ storage });
    db.put('a', '1');
    faults.full = true;
    expect(() => db.put('b', '2')).toThrow(QuotaExceededError);
    expect(db.getString('a')).toBe('1');
    expect(db.get('b')).toBeUndefined();
    faults.full = false;
    db.put('c', '3');
    await db.close();
    const reopened = await openLsm({ storage });
    expect(reopened.scan().map(([k]) => text.decode(k))).toEqual(['a', 'c']);
  });
});
