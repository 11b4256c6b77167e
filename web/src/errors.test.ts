import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';

describe('error classes', () => {
  it('every code builds its own class, with a name that survives minification', () => {
    const codes: errors.ErrorCode[] = [
      'INVALID_ARGUMENT', 'KEY_TOO_LARGE', 'VALUE_TOO_LARGE', 'DATABASE_CLOSED', 'DATABASE_LOCKED', 'CORRUPTION', 'IO',
      'QUOTA_EXCEEDED', 'STORAGE_UNAVAILABLE', 'STORAGE_EXHAUSTED', 'UNSUPPORTED', 'ENGINE_CRASHED', 'WORKER_TERMINATED',
    ];
    const names = codes.map((code) => {
      const e = errors.errorFromCode(code, 'm', { file: 'f' });
      expect(e).toBeInstanceOf(errors.EdgestateError);
      expect(e).toBeInstanceOf(Error);
      expect([e.code, e.message, e.details]).toEqual([code, 'm', { file: 'f' }]);
      expect(Object.hasOwn(errors, e.name)).toBe(true);
      return e.name;
    });
    expect(new Set(names).size).toBe(codes.length);
  });

  it('quota errors are storage errors', () => {
    expect(new errors.QuotaExceededError('full')).toBeInstanceOf(errors.StorageError);
  });

  it('unknown codes are not error codes', () => {
    expect(errors.isErrorCode('NOPE')).toBe(false);
    expect(errors.isErrorCode('toString')).toBe(false);
    expect(errors.isErrorCode('CORRUPTION')).toBe(true);
  });
});
