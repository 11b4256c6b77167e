import { describe, expect, it } from 'vitest';
import {
  DatabaseLockedError,
  EdgestateError,
  InvalidArgumentError,
  QuotaExceededError,
  StorageError,
  StorageUnavailableError,
} from '../errors.js';
import { storageFailure, typedStorageCall } from './storage-failure.js';

const facts = { op: 'flush', storage: 'indexeddb', database: 'jobs' } as const;

describe('storageFailure maps what browser storage throws to typed errors', () => {
  it('a QuotaExceededError DOMException (an IndexedDB transaction aborted for quota) is QuotaExceededError, the original kept as cause', () => {
    const thrown = new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'QuotaExceededError');
    const e = storageFailure(thrown, facts);
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect(e.code).toBe('QUOTA_EXCEEDED');
    expect(e.details).toEqual({ op: 'flush', storage: 'indexeddb', database: 'jobs', kind: 'QuotaExceededError' });
    expect(e.message).toBe('IndexedDB flush of database "jobs" failed: The transaction was aborted, so the request cannot be fulfilled.');
    expect((e as Error & { cause?: unknown }).cause).toBe(thrown);
  });

  it('a NoModificationAllowedError (an OPFS handle another context holds) is DatabaseLockedError', () => {
    const e = storageFailure(new DOMException('held', 'NoModificationAllowedError'), { op: 'open', storage: 'opfs', file: 'pool-0001.slot' });
    expect(e).toBeInstanceOf(DatabaseLockedError);
    expect(e.details).toMatchObject({ file: 'pool-0001.slot', kind: 'NoModificationAllowedError' });
  });

  it('storage blocked in this context (SecurityError, NotAllowedError) is StorageUnavailableError', () => {
    for (const name of ['SecurityError', 'NotAllowedError', 'NotSupportedError']) {
      expect(storageFailure(new DOMException('blocked', name), facts)).toBeInstanceOf(StorageUnavailableError);
    }
  });

  it('any other failure is a StorageError with code IO, even a thrown non-error', () => {
    const unknown = storageFailure(new DOMException('disk', 'UnknownError'), facts);
    expect(unknown.constructor).toBe(StorageError);
    expect([unknown.code, unknown.details.kind]).toEqual(['IO', 'UnknownError']);
    const odd = storageFailure('a string', facts);
    expect([odd.constructor, odd.details.kind, odd.message]).toEqual([StorageError, 'unknown', 'IndexedDB flush of database "jobs" failed: a string']);
  });

  it('a plain Error named like a DOMException (one that crossed postMessage) maps by its name', () => {
    const crossed = Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    expect(storageFailure(crossed, facts)).toBeInstanceOf(QuotaExceededError);
  });

  it('an edgestate error passes through unchanged', () => {
    const typed = new InvalidArgumentError('bad');
    expect(storageFailure(typed, facts)).toBe(typed);
  });

  it('typedStorageCall types both a rejection and a synchronous throw, and passes a result through', async () => {
    await expect(typedStorageCall(facts, () => Promise.reject(new DOMException('q', 'QuotaExceededError')))).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(
      typedStorageCall(facts, () => {
        throw new DOMException('x', 'InvalidStateError');
      }),
    ).rejects.toBeInstanceOf(EdgestateError);
    await expect(typedStorageCall(facts, () => 7)).resolves.toBe(7);
  });
});
