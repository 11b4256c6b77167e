/**
 * The bench page: exposes `window.edgestateBench` to the runner (run-browser.mjs): `run(spec)`
 * runs a key-value contender, `runState(spec)` a keyed-state subject, `runCheckpoint(spec)` the
 * checkpoint benchmark, each in a fresh module worker, resolving with its measurements.
 * Progress lines go to the console (the runner prints them).
 */
import { mergeStateResults } from './state/state-merge.js';
import { STATE_GROUPS, STATE_SUBJECTS, type StateRunResult } from './state/state-protocol.js';
import { CONTENDERS, type BenchPage } from './protocol.js';

/** What every bench worker posts: progress lines, then one result or one failure. */
type Message<R> = { readonly type: 'progress'; readonly text: string } | { readonly type: 'result'; readonly result: R } | { readonly type: 'failed'; readonly error: string };

/** Sends `spec` to `worker` and resolves with its result; the worker is terminated either way. */
function inWorker<R>(worker: Worker, label: string, spec: unknown): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Message<R>>) => {
      const message = event.data;
      if (message.type === 'progress') {
        console.log(message.text);
        return;
      }
      worker.terminate();
      if (message.type === 'result') resolve(message.result);
      else reject(new Error(`${label}: ${message.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`${label}: worker error: ${event.message}`));
    };
    worker.postMessage(spec);
  });
}

// Each `new Worker(new URL(...))` is written out: Vite bundles a worker only from that literal form.
const page: BenchPage = {
  contenders: CONTENDERS,
  run: (spec) =>
    inWorker(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `bench-${spec.contender}` }), `${spec.contender} ${spec.keys}`, spec),
  stateSubjects: STATE_SUBJECTS,
  // Each group in a fresh worker (see StateRunSpec.groups), one after another.
  runState: async (spec) => {
    const parts: StateRunResult[] = [];
    for (const group of spec.groups ?? STATE_GROUPS) {
      const worker = new Worker(new URL('./state/state-worker.ts', import.meta.url), { type: 'module', name: `bench-state-${spec.subject}-${group}` });
      parts.push(await inWorker<StateRunResult>(worker, `state ${spec.subject} ${group}`, { ...spec, groups: [group] }));
    }
    return mergeStateResults(spec, parts);
  },
  runCheckpoint: (spec) =>
    inWorker(new Worker(new URL('./checkpoint/checkpoint-worker.ts', import.meta.url), { type: 'module', name: 'bench-checkpoint' }), `checkpoint ${spec.keys}`, spec),
};
window.edgestateBench = page;
document.body.dataset.ready = 'true';
const status = document.querySelector('#status');
if (status !== null) status.textContent = 'ready: driven by bench/run-browser.mjs';
