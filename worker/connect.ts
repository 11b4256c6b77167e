/**
 * The main thread's side: {@link connect} turns a worker running `worker.ts` into a typed,
 * promise-based client.
 */
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { WorkerTerminatedError } from '../web/src/errors.js';
import { packEntries, unpackEntries } from './packing.js';
import type { EngineHostApi, EngineWorkerApi } from './protocol.js';
import { installErrorTransfer } from './wire.js';

/** The worker's API plus control of the worker itself. */
export type EngineClient = EngineWorkerApi & {
  /**
   * Terminates the worker at once, without closing the database (as a crash would). Pending
   * and later calls reject with `WorkerTerminatedError`.
   */
  terminate(): void;
};

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * When the page is hidden (`visibilitychange` to `hidden`) or left (`pagehide`), ask the
   * worker to `flush()` the open database, so writes made so far become durable while the
   * browser still gives the page time to run: a hidden tab may be discarded without further
   * notice. Default `true`. See docs/storage.md for what a closing tab can still lose.
   */
  readonly flushOnHide?: boolean;
}

/** Methods forwarded to the worker as they are (`open`, `close`, `putMany`, `entries` are wrapped below). */
const FORWARDED = ['put', 'get', 'delete', 'sync', 'flush', 'stats', 'storageEstimate', 'count'] as const satisfies ReadonlyArray<
  keyof EngineWorkerApi & keyof EngineHostApi
>;

/**
 * Connects to `worker` (or to a `MessagePort` served by `createEngineHost`). Calls reject with
 * edgestate's typed errors; if the worker dies (an uncaught error, or
 * {@link EngineClient.terminate}) every pending and later call rejects with
 * `WorkerTerminatedError` instead of hanging.
 */
export function connect(worker: Worker | MessagePort, options: ConnectOptions = {}): EngineClient {
  installErrorTransfer();
  const remote: Remote<EngineHostApi> = wrap<EngineHostApi>(worker);
  let dead: WorkerTerminatedError | undefined;
  let rejectAll!: (e: WorkerTerminatedError) => void;
  const died = new Promise<never>((_, reject) => (rejectAll = reject));
  died.catch(() => undefined);
  const kill = (e: WorkerTerminatedError) => {
    if (dead) return;
    dead = e;
    rejectAll(e);
    stopFlushingOnHide();
  };
  if ('terminate' in worker) {
    worker.addEventListener('error', (event: ErrorEvent) => {
      kill(new WorkerTerminatedError(`the engine worker failed: ${event.message || 'script error'}`));
    });
  }

  const call = <R>(f: () => Promise<R>): Promise<R> => (dead ? Promise.reject(dead) : Promise.race([f(), died]));

  /** Whether a database is open as far as this client knows: `open()` resolved, no `close()` since. */
  let open = false;
  /** Counts `open()`/`close()` calls, so that a late-resolving `open()` cannot undo a later `close()`. */
  let transitions = 0;
  const flushNow = () => {
    if (open && !dead) void call(() => remote.flush()).catch(() => undefined);
  };
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') flushNow();
  };
  const hideEvents = options.flushOnHide !== false && typeof addEventListener === 'function' && typeof document !== 'undefined';
  if (hideEvents) {
    addEventListener('pagehide', flushNow);
    document.addEventListener('visibilitychange', onVisibility);
  }
  function stopFlushingOnHide(): void {
    if (!hideEvents) return;
    removeEventListener('pagehide', flushNow);
    document.removeEventListener('visibilitychange', onVisibility);
  }

  const client: Partial<EngineClient> = {
    terminate() {
      if ('terminate' in worker) worker.terminate();
      else worker.close();
      kill(new WorkerTerminatedError('the engine worker was terminated'));
      remote[releaseProxy]();
    },
    async open(openOptions) {
      const mine = ++transitions;
      const result = await call(() => remote.open(openOptions));
      if (mine === transitions) open = true;
      return result;
    },
    close() {
      transitions++;
      open = false;
      return call(() => remote.close());
    },
    putMany(entries, writeOptions) {
      let packed: ArrayBuffer;
      try {
        packed = packEntries(entries);
      } catch (e) {
        return Promise.reject(e);
      }
      return call(() => remote.putPacked(transfer(packed, [packed]), writeOptions));
    },
    async entries(entriesOptions = {}) {
      const { encoding, ...scan } = entriesOptions;
      if (encoding === undefined || encoding === 'bytes') return unpackEntries(await call(() => remote.entriesPacked(scan)));
      // 'utf8' (strings clone cheaply), or an encoding the worker rejects with InvalidArgumentError.
      return call(() => remote.entries(entriesOptions));
    },
  };
  for (const method of FORWARDED) {
    const f = remote[method] as unknown as (...a: unknown[]) => Promise<unknown>;
    Object.assign(client, { [method]: (...args: unknown[]) => call(() => f(...args)) });
  }
  return client as EngineClient;
}
