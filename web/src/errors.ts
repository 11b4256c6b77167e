/**
 * Every failure edgestate reports is an {@link EdgestateError} subclass with a stable `code` and
 * the facts needed to act on it (file, offset, key length, limit…). The classes survive the trip
 * from a worker to the main thread (see `worker/wire.ts`), so `instanceof` works on both sides.
 */

/** Stable, machine-readable error codes. Never renamed: apps switch on them. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'KEY_TOO_LARGE'
  | 'VALUE_TOO_LARGE'
  | 'DATABASE_CLOSED'
  | 'DATABASE_LOCKED'
  | 'CORRUPTION'
  | 'IO'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE_UNAVAILABLE'
  | 'STORAGE_EXHAUSTED'
  | 'UNSUPPORTED'
  | 'ENGINE_CRASHED'
  | 'WORKER_TERMINATED'
  | 'MEMORY_EXCEEDED';

/** Facts attached to an error: names and numbers only, so they cross `postMessage` intact. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

/** Base class of every edgestate error. */
export class EdgestateError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: ErrorCode;
  /** The facts: file, offset, length, limit, … depending on the code. */
  readonly details: ErrorDetails;
  /** The class name, spelled out because bundlers minify class names. */
  override readonly name: string = 'EdgestateError';

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** An argument has the wrong type or an invalid value; nothing was written. */
export class InvalidArgumentError extends EdgestateError {
  override readonly name: string = 'InvalidArgumentError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('INVALID_ARGUMENT', message, details);
  }
}

/** A key is longer than the database's `maxKeySize`; nothing was written. */
export class KeyTooLargeError extends EdgestateError {
  override readonly name: string = 'KeyTooLargeError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('KEY_TOO_LARGE', message, details);
  }
}

/** A value is longer than the database's `maxValueSize`; nothing was written. */
export class ValueTooLargeError extends EdgestateError {
  override readonly name: string = 'ValueTooLargeError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('VALUE_TOO_LARGE', message, details);
  }
}

/** The database was closed (or never opened) before this call. */
export class DatabaseClosedError extends EdgestateError {
  override readonly name: string = 'DatabaseClosedError';

  constructor(message = 'database is closed', details: ErrorDetails = {}) {
    super('DATABASE_CLOSED', message, details);
  }
}

/** Another tab, worker or process has this database open. */
export class DatabaseLockedError extends EdgestateError {
  override readonly name: string = 'DatabaseLockedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('DATABASE_LOCKED', message, details);
  }
}

/** Stored bytes do not decode; `details.file` and `details.offset` say where. */
export class CorruptionError extends EdgestateError {
  override readonly name: string = 'CorruptionError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('CORRUPTION', message, details);
  }
}

/** The storage underneath failed; `details.op`, `details.file` and `details.kind` say how. */
export class StorageError extends EdgestateError {
  override readonly name: string = 'StorageError';

  constructor(message: string, details: ErrorDetails = {}, code: ErrorCode = 'IO') {
    super(code, message, details);
  }
}

/** The storage quota (or disk) is full. The database stays readable; free space and retry. */
export class QuotaExceededError extends StorageError {
  override readonly name: string = 'QuotaExceededError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details, 'QUOTA_EXCEEDED');
  }
}

/** The requested storage does not exist in this context (e.g. OPFS sync handles off a worker). */
export class StorageUnavailableError extends StorageError {
  override readonly name: string = 'StorageUnavailableError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details, 'STORAGE_UNAVAILABLE');
  }
}

/** The storage ran out of something it prepares ahead (e.g. pre-opened OPFS handles); retry. */
export class StorageExhaustedError extends StorageError {
  override readonly name: string = 'StorageExhaustedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details, 'STORAGE_EXHAUSTED');
  }
}

/** Stored data uses a feature this version does not implement. */
export class UnsupportedError extends EdgestateError {
  override readonly name: string = 'UnsupportedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('UNSUPPORTED', message, details);
  }
}

/**
 * The engine hit an internal bug (a wasm trap) and this instance can no longer be used. Stored
 * data is as of the last acknowledged write: reopen the database.
 */
export class EngineCrashedError extends EdgestateError {
  override readonly name: string = 'EngineCrashedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('ENGINE_CRASHED', message, details);
  }
}

/** The worker running the engine was terminated or failed; pending and later calls reject. */
export class WorkerTerminatedError extends EdgestateError {
  override readonly name: string = 'WorkerTerminatedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('WORKER_TERMINATED', message, details);
  }
}

/** A memory budget (the heap backend's `memoryBudget`) would be exceeded; nothing was written. */
export class MemoryExceededError extends EdgestateError {
  override readonly name: string = 'MemoryExceededError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('MEMORY_EXCEEDED', message, details);
  }
}

type ErrorClass = new (message: string, details?: ErrorDetails) => EdgestateError;

const classByCode: Readonly<Record<ErrorCode, ErrorClass>> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  KEY_TOO_LARGE: KeyTooLargeError,
  VALUE_TOO_LARGE: ValueTooLargeError,
  DATABASE_CLOSED: DatabaseClosedError,
  DATABASE_LOCKED: DatabaseLockedError,
  CORRUPTION: CorruptionError,
  IO: StorageError,
  QUOTA_EXCEEDED: QuotaExceededError,
  STORAGE_UNAVAILABLE: StorageUnavailableError,
  STORAGE_EXHAUSTED: StorageExhaustedError,
  UNSUPPORTED: UnsupportedError,
  ENGINE_CRASHED: EngineCrashedError,
  WORKER_TERMINATED: WorkerTerminatedError,
  MEMORY_EXCEEDED: MemoryExceededError,
};

/** Subclasses by `name`, so they survive a trip through `postMessage` as themselves. */
const classByName = new Map<string, ErrorClass>();

/**
 * Registers an error subclass (e.g. `KeyGroupOutOfRangeError`) so that {@link errorFromCode}
 * rebuilds it by name on the other side of a worker boundary, rather than as its base class.
 */
export function registerErrorClass(cls: ErrorClass): void {
  classByName.set(new cls('').name, cls);
}

/** Whether `code` is one of ours. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(classByCode, code);
}

/**
 * Builds the error that `code` stands for: the registered class called `name` when it has that
 * code, else the code's base class.
 */
export function errorFromCode(code: ErrorCode, message: string, details: ErrorDetails = {}, name?: string): EdgestateError {
  const cls = name === undefined ? undefined : classByName.get(name);
  if (cls !== undefined) {
    const e = new cls(message, details);
    if (e.code === code) return e;
  }
  return new classByCode[code](message, details);
}
