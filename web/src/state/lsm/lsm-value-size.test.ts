import { describe, expect, it } from 'vitest';
import { ValueTooLargeError } from '../../errors.js';
import type { StorageAdapter } from '../../storage/host-vfs.js';
import { memoryStorage } from '../../storage/memory.js';
import { bytesSerializer, serde } from '../serde/index.js';
import type { LsmStateBackend } from './lsm-backend.js';
import { loadEngineBeforeAll, openLsmBackend as open } from './lsm-test-support.js';

loadEngineBeforeAll();

// The backend opens the engine with its default maxValueSize (64 MiB) and has no option to
// lower it, so the values here are that large.
const MiB = 1 << 20;
const MAX_VALUE_SIZE = 64 * MiB;
/** Within maxValueSize alone, past it twice. */
const HALF = new Uint8Array(33 * MiB).fill(7);
/** Past maxValueSize alone; a serializer that allows it. */
const OVER = new Uint8Array(MAX_VALUE_SIZE + 1);
const largeBytes = bytesSerializer({ maxBytes: 2 * MAX_VALUE_SIZE });

function lengths(list: readonly Uint8Array[]): number[] {
  return list.map((e) => e.length);
}

/** Throws unless `f` throws `ValueTooLargeError` naming `state` and the engine's limit. */
function expectTooLarge(f: () => unknown, state: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValueTooLargeError);
  expect((error as ValueTooLargeError).details).toMatchObject({ state, limit: MAX_VALUE_SIZE });
}

/** metrics(), checkpoint() and close() all work, and every other cached write reached the engine. */
async function expectWriteBackWorks(backend: LsmStateBackend, storage: StorageAdapter): Promise<void> {
  backend.metrics();
  await backend.checkpoint();
  await backend.close();
  const again = await open(storage);
  expect(again.valueState({ name: 'other', key: serde.string, value: serde.i32 }).get('k')).toBe(2);
  await again.close();
}

describe('cached writes past the engine maxValueSize', () => {
  it('two 33 MiB appends to one list: the second throws at once, the list keeps the first, and write-back keeps working', async () => {
    const storage = memoryStorage();
    const backend = await open(storage);
    const list = backend.listState({ name: 'l', key: serde.string, value: serde.bytes });
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 1);
    list.add('k', HALF);
    expectTooLarge(() => list.add('k', HALF), 'l');
    expectTooLarge(() => list.addAll('k', [new Uint8Array(1), HALF]), 'l');
    expect(lengths(list.get('k'))).toEqual([HALF.length]);
    list.add('k', new Uint8Array(3)); // a write that fits still does
    other.put('k', 2);
    await expectWriteBackWorks(backend, storage);
    const again = await open(storage);
    expect(lengths(again.listState({ name: 'l', key: serde.string, value: serde.bytes }).get('k'))).toEqual([HALF.length, 3]);
    await again.close();
  });

  it('an append that would make the merged list pass the limit throws, whether the list was written back or read from the engine', async () => {
    const storage = memoryStorage();
    let backend = await open(storage);
    let list = backend.listState({ name: 'l', key: serde.string, value: serde.bytes });
    list.add('k', HALF);
    backend.metrics(); // written back: the engine holds 33 MiB, the cell nothing pending
    expectTooLarge(() => list.add('k', HALF), 'l');
    await backend.close();
    backend = await open(storage);
    list = backend.listState({ name: 'l', key: serde.string, value: serde.bytes });
    // A cell entered by an append, never read: its size is the engine's.
    expectTooLarge(() => list.add('k', HALF), 'l');
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 2);
    expect(lengths(list.get('k'))).toEqual([HALF.length]);
    await expectWriteBackWorks(backend, storage);
  });

  it('an update to a list past the limit throws and keeps the list; one within it replaces a list that was near it', async () => {
    const storage = memoryStorage();
    const backend = await open(storage);
    const list = backend.listState({ name: 'l', key: serde.string, value: serde.bytes });
    list.add('k', HALF);
    backend.metrics();
    expectTooLarge(() => list.update('k', [HALF, HALF]), 'l');
    expect(lengths(list.get('k'))).toEqual([HALF.length]);
    list.update('k', [HALF]); // a put: the old list does not count
    list.add('k', new Uint8Array(1));
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 2);
    expect(lengths(list.get('k'))).toEqual([HALF.length, 1]);
    await expectWriteBackWorks(backend, storage);
  });

  it('appends that fit are kept even where their bound does not (strings: 3 bytes per unit bounded, 1 taken)', async () => {
    const storage = memoryStorage();
    const backend = await open(storage);
    const list = backend.listState({ name: 's', key: serde.string, value: serde.string });
    const part = 'x'.repeat(21_000_000); // bounded at 63 MB, 21 MB as UTF-8
    list.add('k', part);
    list.addAll('k', [part, part]);
    expectTooLarge(() => list.add('k', 'x'.repeat(4_200_000)), 's'); // 67.2 MB with the frames: past 64 MiB
    list.add('k', 'x'.repeat(4_000_000));
    expect(list.get('k').map((s) => s.length)).toEqual([21_000_000, 21_000_000, 21_000_000, 4_000_000]);
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 2);
    await expectWriteBackWorks(backend, storage);
  });

  it('a value or map value past the limit (its serializer allowing it) throws at put and changes nothing', async () => {
    const storage = memoryStorage();
    const backend = await open(storage);
    const value = backend.valueState({ name: 'v', key: serde.string, value: largeBytes });
    const reducing = backend.reducingState({ name: 'r', key: serde.string, value: largeBytes, reduce: (_a, b) => b });
    const map = backend.mapState({ name: 'm', key: serde.string, mapKey: serde.i32, value: largeBytes });
    value.put('k', Uint8Array.of(1));
    expectTooLarge(() => value.put('k', OVER), 'v');
    expectTooLarge(() => value.put('new', OVER), 'v');
    expect([value.get('k'), value.get('new')]).toEqual([Uint8Array.of(1), undefined]);
    expectTooLarge(() => reducing.add('k', OVER), 'r');
    expect(reducing.get('k')).toBeUndefined();
    map.put('k', 1, Uint8Array.of(1));
    expectTooLarge(() => map.put('k', 1, OVER), 'm');
    expectTooLarge(() => map.putAll('k', [[2, Uint8Array.of(2)], [3, OVER]]), 'm');
    expect([...map.entries('k')]).toEqual([[1, Uint8Array.of(1)]]);
    // Entries are engine values of their own: two of 33 MiB under one key are fine.
    map.putAll('k', [[2, HALF], [3, HALF]]);
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 2);
    await expectWriteBackWorks(backend, storage);
  });
});

describe('uncached lists past the engine maxValueSize', () => {
  it('a list grown past the limit by separate appends is unreadable until cleared; the state, other states and checkpoints carry on', async () => {
    const storage = memoryStorage();
    const backend = await open(storage);
    // TTL keeps the list out of the write-back cache: appends are merges that never read it.
    const list = backend.listState({ name: 'l', key: serde.string, value: largeBytes, ttl: { ttl: 1_000_000 } });
    const other = backend.valueState({ name: 'other', key: serde.string, value: serde.i32 });
    other.put('k', 1);
    list.add('k', HALF);
    list.add('k', HALF); // each operand within the limit: accepted
    list.add('small', new Uint8Array(2));
    expect(() => list.get('k')).toThrow(ValueTooLargeError);
    expect(lengths(list.get('small'))).toEqual([2]);
    other.put('k', 2);
    // A checkpoint flushes the memtable holding the operands: the engine keeps them unmerged.
    await backend.checkpoint();
    expect(() => list.get('k')).toThrow(ValueTooLargeError);
    list.clear('k');
    expect(list.get('k')).toEqual([]);
    list.add('k', new Uint8Array(1));
    await expectWriteBackWorks(backend, storage);
    const again = await open(storage);
    const reopened = again.listState({ name: 'l', key: serde.string, value: largeBytes, ttl: { ttl: 1_000_000 } });
    expect(lengths(reopened.get('k'))).toEqual([1]);
    expect(lengths(reopened.get('small'))).toEqual([2]);
    await again.close();
  });
});
