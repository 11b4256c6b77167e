/**
 * The bench page: exposes `window.edgestateBench.run(spec)` to the runner (run-browser.mjs),
 * which runs each contender in a fresh module worker and resolves with its measurements.
 * Progress lines go to the console (the runner prints them).
 */
import { CONTENDERS, type BenchPage, type RunResult, type RunSpec, type WorkerMessage } from './protocol.js';

function run(spec: RunSpec): Promise<RunResult> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `bench-${spec.contender}` });
  return new Promise<RunResult>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === 'progress') {
        console.log(message.text);
        return;
      }
      worker.terminate();
      if (message.type === 'result') resolve(message.result);
      else reject(new Error(`${spec.contender} ${spec.keys}: ${message.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`${spec.contender} ${spec.keys}: worker error: ${event.message}`));
    };
    worker.postMessage(spec);
  });
}

const page: BenchPage = { contenders: CONTENDERS, run };
window.edgestateBench = page;
document.body.dataset.ready = 'true';
const status = document.querySelector('#status');
if (status !== null) status.textContent = 'ready: driven by bench/run-browser.mjs';
