/**
 * The one place where a failure of the browser's storage APIs (a `DOMException` from OPFS,
 * IndexedDB or Web Locks) becomes an edgestate error.
 *
 * Every asynchronous adapter boundary passes what it catches through {@link storageFailure}:
 * opening a storage, flushing it, reserving files, deleting a database, and `openLsm`/`flush`
 * around any adapter (a third-party one included). Synchronous VFS calls made by the engine are
 * classified by the engine itself, by the same names (`host_error` in
 * wasm/src/bindings/host_vfs.rs), so a full quota is `QuotaExceededError` whichever path hits it.
 *
 * Classification, by the thrown value's `name` (a DOMException's, or a plain `Error`'s that
 * crossed `postMessage`):
 * - `QuotaExceededError` → {@link QuotaExceededError}. An IndexedDB transaction that ran out of
 *   quota aborts with this as its `error`, which is what its `done` promise rejects with.
 * - `NoModificationAllowedError` (an OPFS handle another context holds) → {@link DatabaseLockedError}.
 * - `SecurityError`, `NotAllowedError`, `NotSupportedError` (storage blocked: private mode,
 *   opaque origin, policy) → {@link StorageUnavailableError}.
 * - anything else → {@link StorageError} (`IO`).
 * An {@link EdgestateError} is already typed and passes through unchanged.
 */
import { DatabaseLockedError, EdgestateError, QuotaExceededError, StorageError, StorageExhaustedError, StorageUnavailableError, type ErrorDetails } from '../errors.js';
import type { StorageKind } from './host-vfs.js';

/** Where a storage failure happened; carried in the typed error's `details`. */
export interface StorageFailureFacts {
  /** The adapter step that failed: `open`, `flush`, `reserve`, `delete`, … */
  readonly op: string;
  /** Which storage failed. */
  readonly storage: StorageKind;
  /** The database concerned, if one is. */
  readonly database?: string;
  /** The file (an OPFS slot, an engine file, a checkpoint key) concerned, if one is. */
  readonly file?: string;
}

const LABEL: Readonly<Record<StorageKind, string>> = { opfs: 'OPFS', indexeddb: 'IndexedDB', memory: 'memory storage' };

/** Names that mean the storage cannot be used in this context at all. */
const UNAVAILABLE = new Set(['SecurityError', 'NotAllowedError', 'NotSupportedError']);

/** What the browser called failure `e` (a DOMException's or an Error's `name`), or `'unknown'`. */
export function errorName(e: unknown): string {
  const name: unknown = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name.length > 0 ? name : 'unknown';
}

function messageOf(e: unknown): string {
  return e instanceof Error || e instanceof DOMException ? e.message : String(e);
}

/** "OPFS reserve of pool-0017.slot", "IndexedDB flush of database "jobs"". */
function describe(facts: StorageFailureFacts): string {
  // An application's own adapter may call its kind what it likes.
  const storage = LABEL[facts.storage] ?? String(facts.storage);
  const what = facts.file ?? (facts.database === undefined ? undefined : `database "${facts.database}"`);
  return `${storage} ${facts.op}${what === undefined ? '' : ` of ${what}`}`;
}

function typedFor(kind: string, message: string, details: ErrorDetails): EdgestateError {
  if (kind === 'QuotaExceededError') return new QuotaExceededError(message, details);
  if (kind === 'NoModificationAllowedError') return new DatabaseLockedError(`${message} (held open by another tab or worker)`, details);
  if (UNAVAILABLE.has(kind)) return new StorageUnavailableError(message, details);
  return new StorageError(message, details);
}

/**
 * The typed error for `e`, thrown at `facts`: `details` holds the facts and what the browser
 * called the failure (`kind`); `cause` keeps `e` itself (which, unlike `details`, does not
 * cross a worker boundary).
 */
/**
 * Whether `e` says the storage is full or not ready yet (`QuotaExceededError`,
 * `StorageExhaustedError`): nothing was lost, and the same call can succeed once there is room.
 */
export function isRetryableStorageFailure(e: unknown): boolean {
  return e instanceof QuotaExceededError || e instanceof StorageExhaustedError;
}

export function storageFailure(e: unknown, facts: StorageFailureFacts): EdgestateError {
  if (e instanceof EdgestateError) return e;
  const kind = errorName(e);
  const typed = typedFor(kind, `${describe(facts)} failed: ${messageOf(e)}`, { ...facts, kind });
  // As `new Error(message, { cause })` would: an own, non-enumerable property.
  Object.defineProperty(typed, 'cause', { value: e, writable: true, configurable: true, enumerable: false });
  return typed;
}

/**
 * Runs `call` (an adapter's `open`, `flush`, `reserve`…), its failure, thrown or rejected,
 * passed through {@link storageFailure}.
 */
export async function typedStorageCall<T>(facts: StorageFailureFacts, call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw storageFailure(e, facts);
  }
}
