/**
 * A contender's worker: one run per worker (the page starts a fresh one each time, so no run
 * inherits another's heap, caches or wasm instance). Receives a {@link RunSpec}, builds the
 * workload, runs the phases and posts a {@link WorkerMessage} with the result or the failure.
 */
import { loadContender } from './contenders/index.js';
import { runPhases } from './phases.js';
import type { RunSpec, WorkerMessage } from './protocol.js';
import { Workload } from './workload.js';

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<RunSpec>): Promise<void> => {
  const spec = event.data;
  try {
    const started = performance.now();
    const workload = new Workload(spec);
    post({ type: 'progress', text: `${spec.contender} ${spec.keys}: workload ready in ${(performance.now() - started).toFixed(0)} ms` });
    const contender = await loadContender(spec.contender);
    const result = await runPhases(spec, workload, contender, (text) => post({ type: 'progress', text }));
    post({ type: 'result', result });
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    post({ type: 'failed', error });
  }
};
