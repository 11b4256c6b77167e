/**
 * The shape of a conformance case: a named async check that opens its own backends through the
 * factory it is given. Cases do not depend on a test runner (see assert.ts).
 */
import type { ManualClock } from '../clock.js';
import type { KeyGroupRange } from '../key-groups.js';
import type { KeyedStateBackend } from '../types.js';

/** What a case asks the factory for. */
export interface BackendRequest {
  /** The clock the backend must use (cases move it by hand). */
  readonly clock: ManualClock;
  /** Default 128. */
  readonly maxParallelism?: number;
  /** Default all key groups. */
  readonly keyGroups?: KeyGroupRange;
}

/**
 * Opens a fresh, empty backend for `request`. Async so that an LSM backend can open its engine
 * (wasm in Node, OPFS in Chromium); each call must return independent state.
 */
export type OpenStateBackend = (request: BackendRequest) => Promise<KeyedStateBackend>;

/** One conformance check. */
export interface ConformanceCase {
  /** What part of the contract (e.g. 'ValueState', 'TTL', 'timers'). */
  readonly group: string;
  /** The behaviour it proves, as a sentence. */
  readonly name: string;
  run(open: OpenStateBackend): Promise<void>;
}

/** Opens a backend, runs `body`, and closes the backend even when `body` throws. */
export async function withBackend(
  open: OpenStateBackend,
  request: BackendRequest,
  body: (backend: KeyedStateBackend) => void | Promise<void>,
): Promise<void> {
  const backend = await open(request);
  try {
    await body(backend);
  } finally {
    await backend.close();
  }
}
