/**
 * A state benchmark worker: one {@link StateRunSpec} per worker (the page starts a fresh one per
 * subject and group, so no group inherits another's heap, garbage or wasm instance). Posts a
 * {@link StateWorkerMessage} with the result or the failure.
 */
import type { StateRunResult, StateRunSpec } from './state-protocol.js';
import { runStatePhases } from './state-phases.js';
import { stateSubject } from './state-subjects.js';
import { StateWorkload } from './state-workload.js';

/** Messages from a state worker to the page. */
export type StateWorkerMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'result'; readonly result: StateRunResult }
  | { readonly type: 'failed'; readonly error: string };

function post(message: StateWorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<StateRunSpec>): Promise<void> => {
  const spec = event.data;
  try {
    const { subject: _subject, ...sizes } = spec;
    const workload = new StateWorkload(sizes);
    const result = await runStatePhases(spec, workload, stateSubject(spec.subject), (text) => post({ type: 'progress', text }));
    post({ type: 'result', result });
  } catch (e) {
    post({ type: 'failed', error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) });
  }
};
