import { expect, it } from 'vitest';
import { CorruptionError, DatabaseLockedError } from '../web/src/errors.js';
import { errorFromWire, errorToWire } from './wire.js';

it('an edgestate error survives structured cloning with its class and facts', () => {
  const original = new CorruptionError('bad checksum', { file: '000003.log', offset: 32768 });
  const copy = errorFromWire(structuredClone(errorToWire(original)));
  expect(copy).toBeInstanceOf(CorruptionError);
  expect([copy?.name, copy?.code, copy?.message, copy?.details]).toEqual([
    'CorruptionError', 'CORRUPTION', 'bad checksum', { file: '000003.log', offset: 32768 },
  ]);
});

it('values that are not wire errors are left alone', () => {
  expect(errorFromWire({ message: 'x' })).toBeUndefined();
  expect(errorFromWire(null)).toBeUndefined();
  expect(errorFromWire({ __edgestateError: true, code: 'NOT_A_CODE', message: '', details: {} })).toBeUndefined();
  expect(errorFromWire(structuredClone(errorToWire(new DatabaseLockedError('held'))))).toBeInstanceOf(DatabaseLockedError);
});

it('registered subclasses (state and checkpoint errors) cross as themselves, with their base class', async () => {
  const { KeyGroupOutOfRangeError, StateMemoryExceededError, CheckpointFormatError, InvalidArgumentError, MemoryExceededError } = await import('../web/src/index.js');
  for (const [error, base] of [
    [new KeyGroupOutOfRangeError('kg 7 outside [0, 3]', { keyGroup: 7 }), InvalidArgumentError],
    [new StateMemoryExceededError('over budget', { budget: 10 }), MemoryExceededError],
    [new CheckpointFormatError('wrong magic'), CorruptionError],
  ] as const) {
    const copy = errorFromWire(structuredClone(errorToWire(error)));
    expect(copy).toBeInstanceOf(error.constructor);
    expect(copy).toBeInstanceOf(base);
    expect([copy?.name, copy?.code, copy?.details]).toEqual([error.name, error.code, error.details]);
  }
});
