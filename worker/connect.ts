/**
 * The main thread's side: {@link connect} turns a worker running `worker.ts` into a typed,
 * promise-based client.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { WorkerTerminatedError } from '../web/src/errors.js';
import type { EngineWorkerApi } from './protocol.js';
import { installErrorTransfer } from './wire.js';

/** The worker's API plus control of the worker itself. */
export type EngineClient = EngineWorkerApi & {
  /**
   * Terminates the worker at once, without closing the database (as a crash would). Pending
   * and later calls reject with `WorkerTerminatedError`.
   */
  terminate(): void;
};

const METHODS = ['open', 'put', 'putMany', 'get', 'delete', 'entries', 'sync', 'flush', 'stats', 'storageEstimate', 'count', 'close'] as const satisfies ReadonlyArray<
  keyof EngineWorkerApi
>;

/**
 * Connects to `worker`. Calls reject with edgestate's typed errors; if the worker dies (an
 * uncaught error, or {@link EngineClient.terminate}) every pending and later call rejects with
 * `WorkerTerminatedError` instead of hanging.
 */
export function connect(worker: Worker): EngineClient {
  installErrorTransfer();
  const remote: Remote<EngineWorkerApi> = wrap<EngineWorkerApi>(worker);
  let dead: WorkerTerminatedError | undefined;
  let rejectAll!: (e: WorkerTerminatedError) => void;
  const died = new Promise<never>((_, reject) => (rejectAll = reject));
  died.catch(() => undefined);
  const kill = (e: WorkerTerminatedError) => {
    if (dead) return;
    dead = e;
    rejectAll(e);
  };
  worker.addEventListener('error', (event: ErrorEvent) => {
    kill(new WorkerTerminatedError(`the engine worker failed: ${event.message || 'script error'}`));
  });

  const client: Partial<EngineClient> = {
    terminate() {
      worker.terminate();
      kill(new WorkerTerminatedError('the engine worker was terminated'));
      remote[releaseProxy]();
    },
  };
  for (const method of METHODS) {
    const call = (...args: unknown[]): Promise<unknown> => {
      if (dead) return Promise.reject(dead);
      const f = remote[method] as unknown as (...a: unknown[]) => Promise<unknown>;
      return Promise.race([f(...args), died]);
    };
    Object.assign(client, { [method]: call });
  }
  return client as EngineClient;
}
