/**
 * The browser's storage policy: whether the origin's data may be evicted under storage
 * pressure, and how much room is left.
 */
import { StorageUnavailableError } from '../errors.js';

/** Usage and quota of the origin's storage, in bytes. */
export interface StorageEstimate {
  readonly usage: number;
  readonly quota: number;
}

/**
 * Asks the browser to keep this origin's storage (OPFS and IndexedDB) from eviction. Resolves
 * to whether it is persisted. Window contexts only (the StorageManager exposes `persist` there);
 * browsers may decide without asking the user.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = globalThis.navigator?.storage;
  if (storage === undefined || typeof storage.persist !== 'function') {
    throw new StorageUnavailableError('navigator.storage.persist() is not available here (window contexts only)');
  }
  return (await storage.persisted()) || storage.persist();
}

/** The origin's storage usage and quota (works in windows and workers). */
export async function storageEstimate(): Promise<StorageEstimate> {
  const storage = globalThis.navigator?.storage;
  if (storage === undefined || typeof storage.estimate !== 'function') {
    throw new StorageUnavailableError('navigator.storage.estimate() is not available here');
  }
  const e = await storage.estimate();
  return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
}
