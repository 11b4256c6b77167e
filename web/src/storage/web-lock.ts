/**
 * One writer per database: an exclusive Web Lock held for as long as the database is open.
 *
 * Web Locks are released by the browser when the holder's tab or worker goes away, even if it
 * was killed, so a crashed writer never leaves a stale lock behind (unlike a lock *file*).
 */
import { DatabaseLockedError, StorageUnavailableError } from '../errors.js';

/** Releases a held lock. Idempotent. */
export type ReleaseLock = () => void;

/**
 * Takes the exclusive lock `name`. With `timeoutMs` 0, fails at once if another context holds
 * it; otherwise waits up to `timeoutMs`. Rejects with {@link DatabaseLockedError} naming `database`.
 */
export async function acquireExclusiveLock(name: string, timeoutMs: number, database: string): Promise<ReleaseLock> {
  const locks = globalThis.navigator?.locks;
  if (locks === undefined) {
    throw new StorageUnavailableError('Web Locks are not available here, so single-writer access cannot be guaranteed', { lock: name });
  }
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acquired = new Promise<boolean>((resolve, reject) => {
    const options: LockOptions =
      timeoutMs === 0 ? { mode: 'exclusive', ifAvailable: true } : { mode: 'exclusive', signal: AbortSignal.timeout(timeoutMs) };
    locks
      .request(name, options, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : held;
      })
      .catch((e: unknown) => {
        if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) resolve(false);
        else reject(e);
      });
  });
  if (!(await acquired)) {
    throw new DatabaseLockedError(
      `database "${database}" is open in another tab or worker` + (timeoutMs > 0 ? ` (waited ${timeoutMs} ms)` : ''),
      { database, lock: name, waitedMs: timeoutMs },
    );
  }
  return release;
}
